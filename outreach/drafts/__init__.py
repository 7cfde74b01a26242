"""Drafts: the draft file format, and the outbox (statuses, approving, deleting, reviewing)."""
