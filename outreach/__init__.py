"""outreach: ask the people you know for help, one clear request at a time."""

__version__ = "0.1.0"
