"""Access to the JSON API: API keys with scopes, rate limits, quotas, idempotency."""
