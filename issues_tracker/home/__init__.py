"""The home dashboard and the health check."""
