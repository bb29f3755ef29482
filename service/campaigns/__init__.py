"""Campaigns: one email to an audience drawn from network lists, sent through the outbox."""
