"""Administration of organisations and accounts (/admin)."""
