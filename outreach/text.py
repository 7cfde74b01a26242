"""Words and characters shared by contacts, templates and drafts, in a light module."""

from __future__ import annotations

import re

# Unicode category Cc (C0 and C1 controls, DEL) but the tab; these include CR and LF.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
# The same, and the Unicode line and paragraph separators.
CONTROL_OR_SEPARATOR = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
# Everything str.splitlines() breaks on: any of them could end a mail header early.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")

# What a template is for; it decides how outreach treats its messages.
KINDS = ("request", "thank-you", "follow-up", "check-in")
