"""The policy page (``GET /public/v1/policy``): the rule sets in force, generated from the code's own data."""
