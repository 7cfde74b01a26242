"""The journal: the SQLite database, its migrations, and each person's summary."""
