"""Service performance: the service-desk records, their KPIs against service levels,
major incidents, aged cases, trends, and each forum meeting's pack.

The blueprint lives in views.py, so the clock, the extract reader and the charts can
be imported on their own (by config.py, the services and the CLI)."""
