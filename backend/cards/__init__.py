"""信用名片 (credit card): the card of a subject, its cache, and verifiable shares."""
