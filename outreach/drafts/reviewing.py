"""Answering `outreach review`: one key per choice at a terminal, a typed line otherwise.

At a terminal a key is the whole answer (no Enter). The terminal goes into raw mode before
the question is shown, dropping whatever was typed ahead, so each answer goes to the draft on
the screen. From a pipe or a file, a line holds the answer: the letter or the whole word, in
any case ("a", "A", "approve", "Approve").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import click

from outreach.workspace.folder import Workspace

CHOICES = {"a": "approve", "e": "edit", "s": "skip", "d": "delete", "q": "quit"}
YES_NO = {"y": "yes", "n": "no"}
PROMPT = "[a]pprove, [e]dit, [s]kip, [d]elete, [q]uit"


def parse_answer(text: str, choices: Mapping[str, str]) -> str | None:
    """The key of the choice named by its letter or its whole word, in any case; or None."""
    answer = text.strip().casefold()
    if answer in choices:
        return answer
    for key, word in choices.items():
        if answer == word:
            return key
    return None


def ask(prompt: str, choices: Mapping[str, str], default: str | None = None) -> str:
    """Ask until an answer names one of choices; its key. Enter alone gives default, if any.

    Ctrl-C or the end of the input aborts (click.Abort), keeping what was decided so far.
    """
    if sys.stdin.isatty():
        return _ask_key(prompt, choices, default)
    return _ask_line(prompt, choices, default)


def _ask_key(prompt: str, choices: Mapping[str, str], default: str | None) -> str:
    import termios
    import tty

    fd = sys.stdin.fileno()
    hint = ", ".join(choices)
    saved = termios.tcgetattr(fd)
    # Raw mode before the question shows, and set with TCSAFLUSH: a key pressed before it
    # was on the screen (the rest of a word typed out of habit) is dropped, not taken as the
    # answer for this draft.
    tty.setraw(fd, termios.TCSAFLUSH)
    answer = None
    try:
        click.echo(f"{prompt}: ", nl=False)
        while True:
            key = os.read(fd, 32).decode(sys.stdin.encoding or "utf-8", "replace")
            if key in ("", "\x03", "\x04"):  # the end of the input, Ctrl-C, Ctrl-D
                raise click.Abort()
            if key in ("\r", "\n") and default is not None:
                key = default
            answer = parse_answer(key, choices) if len(key) == 1 else None
            if answer is not None:
                break
            if key not in ("\r", "\n"):  # Enter out of habit says nothing; another key, a hint
                click.echo(f"(press {hint}) ", nl=False)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        click.echo(choices[answer] if answer else "")  # the answer in words, on the same line
    return answer


def _ask_line(prompt: str, choices: Mapping[str, str], default: str | None) -> str:
    letters = ", ".join(choices)
    words = ", ".join(choices.values())
    while True:
        text = click.prompt(prompt, default=default or None, show_default=False)
        answer = parse_answer(str(text), choices)
        if answer is not None:
            return answer
        click.echo(f"Error: {str(text).strip()!r} is not one of {letters} ({words}).", err=True)


def next_step(workspace: Workspace, cut_off: set[str]) -> str:
    """The `Next:` line after a review, finished or ended with `q`: what the drafts now need.
    cut_off: the message ids whose send was cut off, as the review read them."""
    from outreach.drafts.outbox import waiting

    statuses = {w.status for w in waiting(workspace, cut_off)}
    if "approved" in statuses:
        return "Next: outreach send --dry-run"
    if statuses & {"draft", "broken"}:
        return "Next: outreach review"
    return "Next: outreach draft TEMPLATE PERSON"
