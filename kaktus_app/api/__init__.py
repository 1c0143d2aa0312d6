"""The versioned REST API (/api/v1), personal API keys and webhooks."""
