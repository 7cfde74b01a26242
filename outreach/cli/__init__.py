"""The command line: parse, call the library, print. Nothing else lives here.

Each command's module is imported when the command is used (see app.COMMAND_MODULES)."""

from __future__ import annotations

from outreach.cli.app import cli

__all__ = ["cli"]
