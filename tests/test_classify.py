"""What a message is, from real-format mail (tests/mail/): the contract's mailbox table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from outreach.mailbox.classify import (
    HEADER_FIELDS,
    Fields,
    Finding,
    Known,
    decoded,
    in_sent,
    incoming,
    is_delivery_report,
    message_id,
    read_report,
)
from tests.helpers import OUTLOOK_ID, SENT_IDS, header_fields, mail, mime_part

ADDRESSES = {
    "ada@example.org": "ada-lovelace",
    "jose@example.org": "jose-nunez",
    "grace.hopper@example.org": "grace-hopper",
    "mei@example.org": "mei-chen",
    "tom.baker@example.org": "tom-baker",
}
BEFORE = datetime(2024, 5, 13, 16, 0, tzinfo=UTC)  # when the messages of SENT_IDS went
ARRIVED = datetime(2024, 5, 20, tzinfo=UTC)


def known(*, with_outlook_copy: bool = True, written_to: bool = True) -> Known:
    sent = {message: person for person, message in SENT_IDS.items()}
    if with_outlook_copy:
        sent[OUTLOOK_ID] = "grace-hopper"
    return Known(
        sent=sent,
        first_sent={person: BEFORE for person in SENT_IDS} if written_to else {},
        contacts=ADDRESSES,
        me=frozenset({"sam@example.org"}),
    )


def fields_of(name: str) -> Fields:
    return Fields(header_fields(mail(name), HEADER_FIELDS))


def found(name: str, known_: Known | None = None) -> Finding:
    data = mail(name)
    fields = Fields(header_fields(data, HEADER_FIELDS))
    report = None
    if is_delivery_report(fields):
        report = read_report(mime_part(data, 2), mime_part(data, 3))
    return incoming(fields, known_ or known(), ARRIVED, report)


@pytest.mark.parametrize(
    ("name", "person", "header"),
    [
        ("reply-thunderbird.eml", "ada-lovelace", "In-Reply-To"),
        ("reply-gmail.eml", "jose-nunez", "In-Reply-To"),
        ("no-message-id.eml", "grace-hopper", "In-Reply-To"),
        ("broken-encoded-words.eml", "jose-nunez", "In-Reply-To"),
        ("eight-bit-headers.eml", "mei-chen", "In-Reply-To"),
    ],
)
def test_a_reply_naming_a_sent_message_is_a_reply_by_thread(
    name: str, person: str, header: str
) -> None:
    finding = found(name)
    assert (finding.kind, finding.person, finding.via) == ("replied", person, "thread")
    assert finding.original == SENT_IDS[person]
    assert header in finding.how


def test_a_reply_to_the_id_outlook_gave_the_copy_is_matched_through_the_copy() -> None:
    finding = found("reply-outlook.eml")
    assert (finding.kind, finding.person, finding.via) == ("replied", "grace-hopper", "thread")
    # Without the Sent copy's id the reply names nothing this workspace knows: by address.
    finding = found("reply-outlook.eml", known(with_outlook_copy=False))
    assert (finding.kind, finding.via) == ("replied", "address")


def test_a_message_from_a_contact_after_a_message_to_them_is_a_reply_by_address() -> None:
    finding = found("reply-by-address.eml")
    assert (finding.kind, finding.person, finding.via) == ("replied", "mei-chen", "address")
    assert "mei@example.org" in finding.how
    # Never written to: just mail from them.
    assert found("reply-by-address.eml", known(written_to=False)).kind == "nothing"


@pytest.mark.parametrize(
    ("name", "person"),
    [
        ("auto-exchange.eml", "tom-baker"),  # Auto-Submitted: auto-generated, "Automatic reply:"
        ("auto-gmail.eml", "ada-lovelace"),  # Auto-Submitted: auto-replied and Precedence: bulk
        ("auto-vacation.eml", "jose-nunez"),  # vacation: X-Autoreply, Precedence: junk
        ("auto-subject-fr.eml", "grace-hopper"),  # only its subject, in encoded words
    ],
)
def test_automatic_replies_are_never_replies(name: str, person: str) -> None:
    finding = found(name)
    assert (finding.kind, finding.person) == ("auto-reply", person)


@pytest.mark.parametrize(
    ("name", "person", "status", "words"),
    [
        ("bounce-postfix.eml", "jose-nunez", "5.1.1", "User unknown in virtual mailbox table"),
        ("bounce-exchange.eml", "mei-chen", "5.1.10", "Recipient not found"),
        ("bounce-no-original.eml", "ada-lovelace", "5.2.2", "Mailbox full"),
    ],
)
def test_delivery_reports_are_bounces_with_the_servers_words(
    name: str, person: str, status: str, words: str
) -> None:
    finding = found(name)
    assert (finding.kind, finding.person) == ("bounced", person)
    assert finding.note is not None
    assert finding.note.startswith(status + " ")
    assert words in finding.note


def test_a_bounce_with_auto_submitted_is_a_bounce_not_an_automatic_reply() -> None:
    assert "auto-submitted" in fields_of("bounce-postfix.eml").values
    assert found("bounce-postfix.eml").kind == "bounced"


def test_the_exchange_bounce_names_the_copy_by_outlooks_original_id() -> None:
    report = read_report(
        mime_part(mail("bounce-exchange.eml"), 2), mime_part(mail("bounce-exchange.eml"), 3)
    )
    assert SENT_IDS["mei-chen"] in report.returned_ids
    assert found("bounce-exchange.eml").how == f"returns {SENT_IDS['mei-chen']}"


def test_a_delay_is_a_note() -> None:
    finding = found("delay-postfix.eml")
    assert (finding.kind, finding.person) == ("delayed", "tom-baker")
    assert finding.note is not None
    assert "4.4.1" in finding.note
    assert "Connection timed out" in finding.note


def test_a_report_read_by_its_headers_alone_names_nobody() -> None:
    fields = fields_of("bounce-postfix.eml")
    assert incoming(fields, known(), ARRIVED).kind == "nothing"


def test_lists_and_yourself_are_nothing_even_when_they_name_a_sent_message() -> None:
    assert found("list-from-contact.eml").kind == "nothing"
    assert "List-Id" in found("list-from-contact.eml").how
    assert found("from-self.eml").kind == "nothing"


def test_in_sent_a_copy_of_a_sent_message_is_known_by_either_id() -> None:
    finding = in_sent(fields_of("sent-outlook-copy.eml"), known(with_outlook_copy=False))
    assert (finding.kind, finding.original) == ("copy", SENT_IDS["grace-hopper"])
    pushed = in_sent(
        fields_of("sent-outlook-copy.eml"),
        Known({}, {}, {}, frozenset()),
        pushed=[SENT_IDS["grace-hopper"]],
    )
    assert (pushed.kind, pushed.original) == ("copy", SENT_IDS["grace-hopper"])


def test_in_sent_a_message_to_a_contact_from_the_mail_program_is_sent() -> None:
    finding = in_sent(fields_of("sent-by-hand.eml"), known())
    assert (finding.kind, finding.person) == ("sent", "tom-baker")
    assert in_sent(fields_of("reply-by-address.eml"), known()).kind == "nothing"


def test_a_message_without_message_id_gets_a_stable_id_from_its_headers() -> None:
    first = message_id(fields_of("no-message-id.eml"))
    assert first == message_id(fields_of("no-message-id.eml"))
    assert first != message_id(fields_of("reply-thunderbird.eml"))
    assert first.startswith("<") and first.endswith(">")


def test_broken_and_eight_bit_headers_are_read_as_far_as_they_go() -> None:
    subject = decoded(fields_of("broken-encoded-words.eml").first("subject"))
    assert "\n" not in subject and subject
    assert "Caf" in fields_of("eight-bit-headers.eml").first("subject")


def test_a_two_megabyte_header_block_is_read() -> None:
    references = " ".join(f"<thread.{n}@lists.example.org>" for n in range(65_000))
    block = (
        "From: Ada Lovelace <ada@example.org>\r\nMessage-ID: <big.1@example.org>\r\n"
        f"References: {references} {SENT_IDS['ada-lovelace']}\r\n\r\n"
    ).encode()
    assert len(block) > 2_000_000
    finding = incoming(Fields(block), known(), ARRIVED)
    assert (finding.kind, finding.person) == ("replied", "ada-lovelace")


def test_the_prefilter_lets_through_every_message_a_row_fits_and_little_else() -> None:
    from outreach.mailbox.classify import prefilter
    from tests.helpers import MAIL

    worth_reading = prefilter(known())
    for path in sorted(MAIL.glob("*.eml")):
        if path.name.startswith("sent-"):
            continue
        if found(path.name).kind != "nothing":
            assert worth_reading(header_fields(mail(path.name), HEADER_FIELDS)), path.name
    other = (
        b"From: Some One <someone@elsewhere.example.net>\r\nTo: sam@example.org\r\n"
        b"Message-ID: <mail.1@elsewhere.example.net>\r\n"
        b"In-Reply-To: <other.7@elsewhere.example.net>\r\n\r\n"
    )
    assert not worth_reading(other)
    assert worth_reading(other.replace(b"Some One <someone@elsewhere.example.net>", b"x@y.org"))
