"""The coach: each draft measured against what the studies of replied-to mail found.

It counts the words of the body (the greeting and the words, not the signature or a quote),
the questions, a reading grade and the words of the subject, and looks for a personal line,
one clear request (in a request), an offer and a thank-you (in a thank-you). What it says is
advice: nothing here blocks a draft or a send. The thresholds and their sources are in the
README ("The coach").
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from outreach.drafts.draft import Draft
    from outreach.journal.database import Journal
    from outreach.people.contact import Contact
    from outreach.workspace.folder import Workspace
    from outreach.workspace.goal import Goal

# Boomerang's study of 40 million emails: 50 to 125 words and one to three questions were
# answered most. The kinds that ask get both ends; the others only the upper ones.
MIN_WORDS, MAX_WORDS = 50, 125
MIN_QUESTIONS, MAX_QUESTIONS = 1, 3
ASKING_KINDS = ("request", "follow-up")
# Boomerang: 3rd-grade writing answered 53%, college level 39%; Lavender advises 5th grade.
MAX_GRADE = 5.0
MAX_SUBJECT_WORDS = 7

_MIN_FACT = 4  # characters: a shorter value ("UK", "she") is found in too many sentences

_QUOTE_HEAD = re.compile(r"(?m)^On [^\n]*(?:\n[^\n>]+)?wrote:[ \t]*$")
_SIGN_OFF = re.compile(
    r"(?i)(thanks|thank you|many thanks|with thanks|cheers|best|best wishes|all the best|"
    r"regards|kind regards|warm regards|warmly|yours|sincerely|love|take care)[.!]?"
)
_SENTENCE_END = re.compile(r"[.!?]+(?=[\s\"')\]\u2019\u201d]|$)")
_CLOSED = re.compile(r"[.!?][\"')\]\u2019\u201d]*$")
_QUESTION = re.compile(r"\?+(?=[\s\"')\]\u2019\u201d]|$)")
_SENTENCE = re.compile(r"[^.!?]*[.!?]+(?=\s|$)|[^.!?]+$")
_ASKING = re.compile(
    r"(?i)(?:^|[,;:]\s*|\b(?:and|so|but)\s+)(?:(?:would|could|can|will|may|might|do)\s+"
    r"(?:you|i|we)\b|are\s+you\s+(?:open|free|available|up|willing)\b)"
)
_OFFER = re.compile(
    r"(?i)\b(?:(?:i['\u2019]?d|i\s+would|i['\u2019]?m|i\s+am|i['\u2019]?ll|i\s+will)\s+(?:be\s+)?"
    r"(?:glad|happy|delighted)\s+to|in\s+return|return\s+the\s+favou?r|"
    r"(?:something|anything)(?:\s+else)?\s+(?:i\s+can|from\s+me)|"
    r"i\s+(?:can|could)\s+(?:help|share|send|introduce|lend|make)|(?:can|could)\s+i\s+help|"
    r"happy\s+to\s+help|just\s+ask|offer)\b"
)
_THANKS = re.compile(r"(?i)\b(?:thank(?:s|\s+you)|grateful|appreciated?)\b")
_REPLY_PREFIX = re.compile(r"(?i)^\s*(?:(?:re|fwd?|aw|sv)\s*:\s*)+")
_LETTERS = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_DIGITS = re.compile(r"\d+")
_PLAIN_WORDS = re.compile(r"[^\W_]+")
_HAS_WORD = re.compile(r"[^\W_]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Coaching:
    """What the coach measured in one draft, and its advice (empty: nothing to say)."""

    words: int
    questions: int
    grade: float
    subject_words: int
    warnings: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "words": self.words,
            "questions": self.questions,
            "grade": self.grade,
            "subject_words": self.subject_words,
            "warnings": list(self.warnings),
        }

    @property
    def summary(self) -> str:
        """'118 words, 2 questions, reading grade 4.8, subject 6 words'."""
        questions = "1 question" if self.questions == 1 else f"{self.questions} questions"
        subject = "1 word" if self.subject_words == 1 else f"{self.subject_words} words"
        return f"{self.words} words, {questions}, reading grade {self.grade:.1f}, subject {subject}"


@dataclass(frozen=True)
class Known:
    """What the coach knows beside a draft's text, read once for a whole command."""

    people: Mapping[str, Contact] | None = None  # by id; None: contacts.yaml was not read
    notes: Mapping[str, str] = field(default_factory=dict)  # each one's latest journal note
    asked: frozenset[str] = frozenset()  # the people the journal says were sent a request
    offer: str | None = None  # the goal's
    request: str | None = None  # the goal's

    def facts(self, person: str) -> tuple[str, ...] | None:
        """What a personal line could say of the person; None where they are not known."""
        if self.people is None or person not in self.people:
            return None
        return person_facts(self.people[person], self.notes.get(person))


def coach(
    kind: str,
    subject: str,
    body: str,
    *,
    facts: Sequence[str] | None = None,
    offer: str | None = None,
    request: str | None = None,
    attachments: bool = False,
    first_request: bool = True,
) -> Coaching:
    """Measure one draft. `facts`: what contacts.yaml and the journal hold of the person (None
    where unknown: then the personal line is not looked for); `offer` and `request`: the
    goal's; `attachments`: whether the draft carries files; `first_request`: whether no
    request was sent to the person before."""
    parts = [_paragraph(text) for text in _PARAGRAPH_BREAK.split(counted_body(body))]
    words = questions = sentences = syllables = asks = 0
    offered = thanked = False
    for part in parts:
        words += part.words
        questions += part.questions
        sentences += part.sentences
        syllables += part.syllables
        asks += part.asks
        offered = offered or part.offer
        thanked = thanked or part.thanks
    grade = _flesch_kincaid(words, sentences, syllables)
    subject_words = count_subject_words(subject)
    plain = "".join(part.plain for part in parts)  # " words ... words  words ... "
    warnings: list[str] = []
    asking = kind in ASKING_KINDS
    if asking and words < MIN_WORDS:
        warnings.append(
            f"{words} words: {MIN_WORDS} to {MAX_WORDS} are answered most; say a little more"
        )
    elif words > MAX_WORDS:
        ideal = f"{MIN_WORDS} to {MAX_WORDS}" if asking else f"at most {MAX_WORDS}"
        warnings.append(f"{words} words: {ideal} are answered most; cut some")
    if asking and questions < MIN_QUESTIONS:
        warnings.append(f"no question: {MIN_QUESTIONS} to {MAX_QUESTIONS} are answered most")
    elif questions > MAX_QUESTIONS:
        ideal = f"{MIN_QUESTIONS} to {MAX_QUESTIONS}" if asking else f"at most {MAX_QUESTIONS}"
        warnings.append(f"{questions} questions: {ideal} are answered most")
    if grade > MAX_GRADE:
        warnings.append(
            f"reading grade {grade:.1f}: grade {MAX_GRADE:.0f} or below is answered more "
            "often (shorter sentences, shorter words)"
        )
    if subject_words > MAX_SUBJECT_WORDS:
        warnings.append(
            f"a subject of {subject_words} words: keep it to {MAX_SUBJECT_WORDS} or fewer"
        )
    if facts is not None and not any(_mentions(plain, fact, 3) for fact in facts):
        warnings.append(
            "no personal line: say how you know each other, or something of theirs you "
            "remember (contacts.yaml's how_we_know, a note in the journal)"
        )
    if kind == "request":
        if not asks and request and _mentions(plain, request, 5):
            asks = 1  # the goal's request, in words of its own
        if asks == 0:
            warnings.append("no clear request: ask for one thing, as a question (Would you ...?)")
        elif asks > 1:
            warnings.append(f"{asks} requests: ask for one thing, so that a yes is easy")
    if not (offered or (offer and _mentions(plain, offer, 5))):
        warnings.append("no offer: say what you can do for them in return")
    if kind == "thank-you" and not thanked:
        warnings.append("no thank-you: say thank you, and for what")
    if kind == "request" and attachments and first_request:
        warnings.append(
            "an attachment on a first request: a link, or the file after a yes, is "
            "answered more often"
        )
    return Coaching(words, questions, grade, subject_words, tuple(warnings))


def counted_body(body: str) -> str:
    """The body the coach counts: without a quoted message (the 'On ... wrote:' line and the
    '>' lines) and without the signature (from the closing line, 'Thank you,', on)."""
    text = _QUOTE_HEAD.sub("", body) if "wrote:" in body else body
    lines = text.split("\n")
    if ">" in text:
        lines = [line for line in lines if not line.lstrip().startswith(">")]
    if "-- " in lines:  # the signature separator of mail programs
        lines = lines[: lines.index("-- ")]
    closing = _closing_line(lines)
    if closing is not None:
        lines = lines[:closing]
    return "\n".join(lines)


def _closing_line(lines: Sequence[str]) -> int | None:
    """Where the closing line is: a short line ('All the best,', 'Thanks!') near the end,
    on a line of its own after a paragraph or a sentence; never the greeting."""
    first = next((number for number, line in enumerate(lines) if line.strip()), len(lines))
    place = 0
    for number in range(len(lines) - 1, first, -1):
        line = lines[number].strip()
        if not line:
            continue
        place += 1
        if place > 5:  # the name and a few lines of signature under it, no more
            return None
        if len(line.split()) > 4 or not (line.endswith(",") or _SIGN_OFF.fullmatch(line)):
            continue
        before = lines[number - 1].rstrip()
        if not before or before.endswith((".", "!", "?")):
            return number
    return None


class _Paragraph(NamedTuple):
    """What the coach counts in one paragraph. A paragraph is measured once however many
    drafts share it: a template's paragraphs come back, word for word, in most drafts."""

    plain: str  # its words alone, casefolded, one space apart (as `_plain` makes them)
    words: int
    questions: int
    sentences: int
    syllables: int
    asks: int  # questions that ask the reader for something
    offer: bool
    thanks: bool


@functools.lru_cache(maxsize=16384)
def _paragraph(text: str) -> _Paragraph:
    tokens = [token for token in text.split() if _HAS_WORD.search(token)]
    if not tokens:
        return _Paragraph(" ", 0, 0, 0, 0, 0, False, False)
    flat = " ".join(text.split())
    closed = _CLOSED.search(flat) is not None
    asks = sum(
        1
        for sentence in _SENTENCE.findall(flat)
        if sentence.rstrip().endswith("?") and _ASKING.search(sentence.strip())
    )
    return _Paragraph(
        _plain(flat),
        len(tokens),
        len(_QUESTION.findall(flat)),
        len(_SENTENCE_END.findall(flat)) + (0 if closed else 1),
        sum(map(_syllables, tokens)),
        asks,
        _OFFER.search(flat) is not None,
        _THANKS.search(flat) is not None,
    )


def _flesch_kincaid(words: int, sentences: int, syllables: int) -> float:
    """The Flesch-Kincaid grade level, one decimal, never below 0: 0.39 words per sentence
    plus 11.8 syllables per word, less 15.59."""
    if not words:
        return 0.0
    grade = 0.39 * words / max(sentences, 1) + 11.8 * syllables / words - 15.59
    return round(max(grade, 0.0), 1)


def reading_grade(text: str) -> float:
    """The Flesch-Kincaid grade level of a text. A paragraph is at least one sentence (a
    greeting ends at its line)."""
    parts = [_paragraph(part) for part in _PARAGRAPH_BREAK.split(text)]
    return _flesch_kincaid(
        sum(part.words for part in parts),
        sum(part.sentences for part in parts),
        sum(part.syllables for part in parts),
    )


@functools.lru_cache(maxsize=65536)
def _syllables(token: str) -> int:
    """A word's syllables: syllapy's table of English words (and its rule for the others) on
    the letters, accents set aside; a number, a syllable a digit."""
    import syllapy

    folded = unicodedata.normalize("NFKD", token)
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    count = sum(syllapy.count(piece) or 1 for piece in _LETTERS.findall(folded))
    count += sum(len(digits) for digits in _DIGITS.findall(folded))
    return max(count, 1)


@functools.lru_cache(maxsize=4096)
def count_subject_words(subject: str) -> int:
    """The subject's words, less the 'Re:' or 'Fwd:' a mail program puts in front."""
    return sum(1 for token in _REPLY_PREFIX.sub("", subject).split() if _HAS_WORD.search(token))


def _plain(text: str) -> str:
    """Words only, casefolded, one space apart: what a fact is looked for in."""
    return " " + " ".join(_PLAIN_WORDS.findall(text.casefold())) + " "


def _mentions(plain_body: str, phrase: str, window: int) -> bool:
    """Whether the body says the phrase: all of it, or `window` of its words in a row."""
    return any(part in plain_body for part in _windows(phrase, window))


@functools.lru_cache(maxsize=16384)
def _windows(phrase: str, window: int) -> tuple[str, ...]:
    """The runs of `window` words of a phrase (the whole phrase, if shorter), each padded
    with spaces as in `_plain`; none for a phrase too short to say anything."""
    words = _PLAIN_WORDS.findall(phrase.casefold())
    if sum(map(len, words)) < _MIN_FACT:
        return ()
    if len(words) <= window:
        return (f" {' '.join(words)} ",)
    return tuple(
        f" {' '.join(words[start : start + window])} " for start in range(len(words) - window + 1)
    )


# --- what the coach knows, and the drafts it reads ------------------------------------------


def person_facts(person: Contact, journal_note: str | None = None) -> tuple[str, ...]:
    """What a personal line could say of the person: their how_we_know, notes and custom
    fields (company ...), and the note of their latest journal entry; not the name, address,
    channel ("coffee" is among the goal's options for everyone) or dates."""
    facts = [value for value in (person.how_we_know, person.notes) if value]
    facts.extend(value for value in person.custom.values() if isinstance(value, str))
    if journal_note:
        facts.append(journal_note)
    return tuple(facts)


def known_from(
    people: Iterable[Contact] | None,
    goal: Goal | None,
    journal: Journal | None,
    notes: Mapping[str, str] | None = None,
) -> Known:
    """What the coach knows, from the values a command has read (people None: contacts.yaml
    could not be read). `notes`: each person's latest journal note, where the command has
    them already."""
    asked: frozenset[str] = frozenset()
    if journal is not None:
        from outreach.journal.database import summaries

        asked = frozenset(person for person, s in summaries(journal).items() if s.asks)
        if notes is None:
            notes = {person: e.note for person, e in journal.latest().items() if e.note}
    return Known(
        None if people is None else {person.id: person for person in people},
        notes or {},
        asked,
        goal.offer if goal is not None else None,
        goal.request if goal is not None else None,
    )


def known_for(workspace: Workspace) -> Known:
    """What the coach knows, read from the workspace; a file that cannot be read leaves its
    part unknown (`check` names the problem)."""
    from outreach.journal.database import existing_journal
    from outreach.support.errors import OutreachError

    try:
        with existing_journal(workspace.journal_file) as journal:
            return known_in(workspace, journal)
    except OutreachError:
        return known_in(workspace, None)


def known_in(workspace: Workspace, journal: Journal | None) -> Known:
    """known_for with the journal a command has open already."""
    from outreach.support.errors import OutreachError
    from outreach.workspace.goal import load_goal

    people: list[Contact] | None = None
    goal = None
    with contextlib.suppress(OutreachError):
        people = workspace.load_contacts()
    with contextlib.suppress(OutreachError):
        goal, _ = load_goal(workspace.goal_file)
    return known_from(people, goal, journal)


def coach_draft(draft: Draft, known: Known) -> Coaching | None:
    """The coaching of a draft file; None for a broken one."""
    if draft.broken:
        return None
    return coach_fields(draft.headers, draft.body, known)


def coach_fields(headers: Mapping[str, str], body: str, known: Known) -> Coaching:
    """The coaching of a draft from its front matter's fields and its body."""
    person = headers.get("contact", "")
    facts = known.facts(person)
    attachments = headers.get("attachments", "").strip() not in ("", "[]", "none")
    return coach(
        headers.get("kind", ""),
        headers.get("subject", ""),
        body,
        facts=facts,
        offer=known.offer,
        request=known.request,
        attachments=attachments,
        first_request=person not in known.asked,
    )
