"""Contract tests: Prism and openapi-core judge the client's requests."""
