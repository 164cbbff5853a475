"""Signed webhooks (Standard Webhooks): subscriptions, the outbox of events and their delivery."""
