"""The floor of reading a mailbox (issue 13): bare stdlib imaplib, nothing else.

Logs in, selects INBOX, fetches the header fields `outreach sync` fetches for every message with
BODY.PEEK[HEADER.FIELDS (...)], and matches In-Reply-To and References against the sent ids.
With --search it does the second run's floor instead: login, select, `UID SEARCH UID n:*`.

Run by bench/mailbox.py: python mailbox_floor.py HOST PORT USER SENT_IDS_FILE [--search N]
(the password in OUTREACH_IMAP_PASSWORD, the CA in SSL_CERT_FILE).
"""

from __future__ import annotations

import imaplib
import os
import re
import ssl
import sys

FIELDS = (
    "Message-ID In-Reply-To References From To Cc Subject Date Auto-Submitted X-Autoreply "
    "X-Autorespond Precedence List-Id Content-Type X-Microsoft-Original-Message-ID"
)
IDS = re.compile(rb"<[^<>\s]+>")
THREAD = re.compile(rb"(?im)^(?:in-reply-to|references):(.*(?:\r\n[ \t].*)*)")


def main() -> int:
    host, port, user, sent_file = sys.argv[1:5]
    imap = imaplib.IMAP4_SSL(host, int(port), ssl_context=ssl.create_default_context())
    imap.login(user, os.environ["OUTREACH_IMAP_PASSWORD"])
    imap.select("INBOX", readonly=True)
    if "--search" in sys.argv:
        after = int(sys.argv[sys.argv.index("--search") + 1])
        imap.uid("SEARCH", f"UID {after}:*")
        imap.logout()
        return 0
    with open(sent_file, "rb") as handle:
        sent = set(handle.read().split())
    _, data = imap.fetch("1:*", f"(BODY.PEEK[HEADER.FIELDS ({FIELDS})])")
    matched = 0
    for item in data:
        if isinstance(item, tuple):
            for value in THREAD.findall(item[1]):
                if not sent.isdisjoint(IDS.findall(value)):
                    matched += 1
                    break
    imap.logout()
    print(matched)
    return 0


if __name__ == "__main__":
    sys.exit(main())
