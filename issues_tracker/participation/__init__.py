"""Participants in the loop: following issues and services, comments, "we are affected too",
saved views of the issues list."""
