"""The command line: parse, call the library, print. Nothing else lives here."""

from __future__ import annotations

from outreach.cli import (  # noqa: F401  (each module adds its commands to `cli`)
    draft_commands,
    export_commands,
    import_commands,
    journal_commands,
    send_commands,
    setup_commands,
    sync_commands,
    template_commands,
)
from outreach.cli.app import cli

__all__ = ["cli"]
