"""Telling people about the changes they follow: outbox, fan-out, email, digests, feeds.

The flow: a change writes its journal entry (IssueEvent) or an Announcement in its own
transaction; ``outbox.fan_out`` turns each into per-person Delivery rows; ``sending``
hands immediate ones to SMTP and ``digests`` gathers the rest into one email per person
at their local digest hour. ``jobs`` runs it all on the job queue.
"""
