"""The JSON API under /api/v1: tokens, the generated OpenAPI document and the resources."""
