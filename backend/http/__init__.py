"""The HTTP layer: request pipeline and the one commit point, bearer-token auth, error rendering,
rate limits, the request guard, idempotency, health and docs, the blueprint registry."""
