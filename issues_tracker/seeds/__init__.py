"""The seed data (the April 2026 forum pack) and its loader."""
