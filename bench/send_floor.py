"""The floor for sending: prebuilt messages over one SMTP connection, in a loop.

Reads the messages that bench/sending.py built beforehand (one .eml file each, listed with
sender and recipient in envelopes.tsv), connects once, and sends them one after the other
with smtplib. No journal, no files moved, no checks: the least any tool that sends these
messages over one connection must do, and outreach is measured against it.

Usage: python bench/send_floor.py MESSAGES_DIR HOST PORT
"""

from __future__ import annotations

import smtplib
import sys
from pathlib import Path


def main(folder: Path, host: str, port: int) -> None:
    envelopes = [
        line.split("\t") for line in (folder / "envelopes.tsv").read_text("utf-8").splitlines()
    ]
    # Every message's bytes in memory before the connection opens: the loop only sends.
    messages = [
        (sender, recipient, (folder / name).read_bytes()) for name, sender, recipient in envelopes
    ]
    with smtplib.SMTP(host, port) as smtp:
        for sender, recipient, message in messages:
            smtp.sendmail(sender, [recipient], message)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
