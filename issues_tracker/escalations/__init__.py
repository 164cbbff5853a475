"""Escalations by the forum pack's two routes, tracked to closure."""
