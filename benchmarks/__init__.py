"""The project's own benchmark: ``python -m benchmarks`` (see docs/performance.md)."""
