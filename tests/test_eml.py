"""`outreach export eml`: standard .eml files, read back with the standard library."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.helpers import snapshot, write

PEOPLE = ["ada-lovelace", "grace-hopper", "jose-nunez", "mei-chen"]


def parse(path: Path) -> EmailMessage:
    raw = path.read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b""), "lines end in CRLF, as RFC 5322 says"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert not message.defects, message.defects
    return message


def text_of(part: EmailMessage) -> str:
    """The decoded text, its CRLF line ends read as the line breaks they stand for."""
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def draft_parts(path: Path) -> tuple[dict[str, str], str]:
    text = path.read_text(encoding="utf-8")
    front, body = text[4:].split("\n---\n", 1)
    return dict(line.split(": ", 1) for line in front.splitlines()), body


@pytest.fixture
def drafted(run: Invoke, workspace: Path) -> Path:
    result = run("draft", "request", "--all")
    assert result.exit_code == 0, result.output
    return workspace


def test_export_writes_one_eml_per_draft(run: Invoke, drafted: Path) -> None:
    result = run("export", "eml")
    assert result.exit_code == 0, result.output
    folder = drafted / "eml"
    assert sorted(p.name for p in folder.iterdir()) == [f"{p}--request.eml" for p in PEOPLE]
    assert result.stdout.splitlines() == [
        *(f"wrote {folder / f'{p}--request.eml'}" for p in PEOPLE),
        "4 .eml files written.",
    ]


def test_export_into_a_folder_of_your_choice(run: Invoke, drafted: Path, tmp_path: Path) -> None:
    target = tmp_path / "Desktop" / "outreach drafts"
    result = run("export", "eml", str(target))
    assert result.exit_code == 0, result.output
    assert len(list(target.glob("*.eml"))) == 4
    assert not (drafted / "eml").exists()


def test_export_leaves_the_drafts_as_they_were(run: Invoke, drafted: Path) -> None:
    before = {k: v for k, v in snapshot(drafted).items() if not k.startswith("eml/")}
    assert run("export", "eml").exit_code == 0
    after = {k: v for k, v in snapshot(drafted).items() if not k.startswith("eml/")}
    assert after == before


def test_headers_match_the_draft(run: Invoke, drafted: Path) -> None:
    assert run("export", "eml").exit_code == 0
    for person in PEOPLE:
        headers, _ = draft_parts(drafted / "drafts" / f"{person}--request.md")
        message = parse(drafted / "eml" / f"{person}--request.eml")
        assert message["X-Unsent"] == "1"
        assert message["From"] == "Sam Rivera <sam@example.org>"
        assert message["To"] == headers["to"]
        assert message["Subject"] == headers["subject"]
        assert message["Reply-To"] == "sam.rivera@example.com"
        assert message["Message-ID"] == headers["message_id"]
        assert parsedate_to_datetime(message["Date"]).tzinfo is not None
        assert message["MIME-Version"] == "1.0"
        assert message.get_content_type() == "text/plain"
        assert message.get_content_charset() == "utf-8"
        assert not message.is_multipart()


def test_non_ascii_name_and_body_decode_correctly(run: Invoke, drafted: Path) -> None:
    assert run("export", "eml").exit_code == 0
    path = drafted / "eml" / "jose-nunez--request.eml"
    raw = path.read_bytes()
    assert "José".encode() not in raw  # headers and body are encoded for transport
    message = parse(path)
    assert message["To"].addresses[0].display_name == "José Núñez"
    assert message["To"].addresses[0].addr_spec == "jose@example.org"
    assert message["Subject"] == "José, could I ask your advice?"
    _, body = draft_parts(drafted / "drafts" / "jose-nunez--request.md")
    assert text_of(message) == body
    assert text_of(message).startswith("Hi José,\n\n")


def test_line_breaks_and_long_lines_are_kept(run: Invoke, drafted: Path) -> None:
    path = drafted / "drafts" / "ada-lovelace--request.md"
    _, body = draft_parts(path)
    long_line = "word " * 60 + "end"
    edited = body.replace(
        "Hi Ada,\n", f"Hi Ada,\n\n{long_line}\n\n\nthree lines above\n  indented\n"
    )
    write(path, path.read_text(encoding="utf-8").replace(body, edited))
    assert run("export", "eml").exit_code == 0
    content = text_of(parse(drafted / "eml" / "ada-lovelace--request.eml"))
    assert content == edited
    assert f"\n{long_line}\n\n\nthree lines above\n  indented\n" in content


def test_a_hand_edited_subject_no_stays_no(run: Invoke, drafted: Path) -> None:
    path = drafted / "drafts" / "mei-chen--request.md"
    headers, _ = draft_parts(path)
    write(
        path,
        path.read_text(encoding="utf-8").replace(
            f"subject: {headers['subject']}\n", "subject: no\n"
        ),
    )
    assert run("export", "eml").exit_code == 0
    assert parse(drafted / "eml" / "mei-chen--request.eml")["Subject"] == "no"


def test_a_hand_edited_non_ascii_subject(run: Invoke, drafted: Path) -> None:
    path = drafted / "drafts" / "ada-lovelace--request.md"
    headers, _ = draft_parts(path)
    subject = "Ada — ¿un café? 咖啡 ☕"
    write(
        path,
        path.read_text(encoding="utf-8").replace(
            f"subject: {headers['subject']}\n", f"subject: {subject}\n"
        ),
    )
    assert run("export", "eml").exit_code == 0
    assert parse(drafted / "eml" / "ada-lovelace--request.eml")["Subject"] == subject


def test_a_template_without_reply_to_and_no_setting(run: Invoke, workspace: Path) -> None:
    settings = workspace / "outreach.toml"
    write(
        settings,
        settings.read_text(encoding="utf-8").replace('reply_to = "sam.rivera@example.com"\n', ""),
    )
    assert run("draft", "check-in", "ada").exit_code == 0
    assert run("export", "eml").exit_code == 0
    message = parse(workspace / "eml" / "ada-lovelace--check-in.eml")
    assert message["Reply-To"] is None
    assert message["X-Unsent"] == "1"


def test_an_html_template_adds_an_html_part(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "templates" / "news.md",
        "---\nkind: check-in\nsubject: News\nhtml: true\n---\n"
        "Hi {{ contact.first_name }},\n\nI read **this** and thought of you.\n",
    )
    assert run("draft", "news", "José").exit_code == 0
    assert run("export", "eml").exit_code == 0
    message = parse(workspace / "eml" / "jose-nunez--news.eml")
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert text_of(plain) == "Hi José,\n\nI read **this** and thought of you.\n"
    assert "<strong>this</strong>" in text_of(html)
    assert "José" in text_of(html)


def test_every_draft_status_that_waits_is_exported(run: Invoke, drafted: Path) -> None:
    assert run("approve", "ada").exit_code == 0
    assert run("export", "eml").exit_code == 0
    assert len(list((drafted / "eml").glob("*.eml"))) == 4


def test_exporting_again_replaces_the_files(run: Invoke, drafted: Path) -> None:
    assert run("export", "eml").exit_code == 0
    path = drafted / "drafts" / "grace-hopper--request.md"
    write(path, path.read_text(encoding="utf-8").replace("Hi Grace,", "Dear Grace,"))
    assert run("export", "eml").exit_code == 0
    message = parse(drafted / "eml" / "grace-hopper--request.eml")
    assert text_of(message).startswith("Dear Grace,\n")
    assert len(list((drafted / "eml").iterdir())) == 4


def test_export_with_no_drafts(run: Invoke, workspace: Path) -> None:
    result = run("export", "eml")
    assert result.exit_code == 0, result.output
    assert result.stdout == "0 .eml files written.\n"
