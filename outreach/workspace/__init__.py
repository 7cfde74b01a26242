"""The workspace: the folder, and the files the person writes in it: outreach.toml, goal.md,
templates."""
