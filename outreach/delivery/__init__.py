"""Delivery: messages built and sent over SMTP at most once, the password, and exports."""
