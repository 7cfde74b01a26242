"""Keeping in touch: the due and plan rules, and the readers that feed them from the workspace."""
