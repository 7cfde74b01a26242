"""Attachments: checked when drafted, by `check` and right before sending; sent with the
right type and name; the message under limits.max_message_mb as encoded."""

from __future__ import annotations

import email
import os
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from outreach.drafts.attachments import base64_size, content_type
from tests.conftest import Invoke
from tests.helpers import PASSWORD_ENV, assert_error, configure, one_error, write
from tests.smtp_server import smtp_server

CV = "cv/Sam Rivera CV.pdf"
DRAFT = "drafts/ada-lovelace--cv.md"


def template(attachments: str) -> str:
    return (
        "---\nkind: request\n"
        'subject: "{{ contact.first_name }}, a question"\n'
        f"attachments: {attachments}\n"
        "---\nHi {{ contact.first_name }},\n\n{{ goal.request }}\n\nSam\n"
    )


@pytest.fixture
def cv(workspace: Path) -> bytes:
    """A binary file in cv/, and a template that attaches it (its path a template too)."""
    data = bytes(range(256)) * 40 + b"%PDF-1.7 and more"
    (workspace / "cv").mkdir()
    (workspace / CV).write_bytes(data)
    write(workspace / "templates" / "cv.md", template('["cv/{{ me.name }} CV.pdf"]'))
    return data


def attachments_of(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.walk() if part.is_attachment()]  # type: ignore[misc]


def set_limit(workspace: Path, megabytes: int) -> None:
    settings = workspace / "outreach.toml"
    text = settings.read_text().replace("[limits]\n", f"[limits]\nmax_message_mb = {megabytes}\n")
    settings.write_text(text)


def draft_and_approve(run: Invoke, name: str = "cv", person: str = "ada") -> None:
    result = run("draft", name, person)
    assert result.exit_code == 0, result.output
    assert run("approve", "--all").exit_code == 0


def test_the_attachment_arrives_whole_as_a_pdf(run: Invoke, workspace: Path, cv: bytes) -> None:
    draft_and_approve(run)
    assert f'attachments: ["{CV}"]' in (workspace / DRAFT).read_text()
    with smtp_server() as (server, port):
        configure(workspace, port)
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    (message,) = server.messages
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(("plain",))
    assert body is not None and "Hi Ada," in body.get_content()
    (part,) = attachments_of(message)
    assert part.get_content_type() == "application/pdf"
    assert part.get_content_disposition() == "attachment"
    assert part.get_filename() == "Sam Rivera CV.pdf"
    assert part.get_payload(decode=True) == cv
    assert not message.defects and not part.defects


def test_a_name_beyond_ascii_is_written_as_rfc_2231(run: Invoke, workspace: Path) -> None:
    data = b"PK\x03\x04 not really a zip"
    write(
        workspace / "templates" / "cv.md",
        template('["Lebenslauf Müller.zip", "notes.outreach-unknown"]'),
    )
    (workspace / "Lebenslauf Müller.zip").write_bytes(data)
    (workspace / "notes.outreach-unknown").write_bytes(b"\x00\x01")
    draft_and_approve(run)
    with smtp_server() as (server, port):
        configure(workspace, port)
        assert run("send", "--yes", env=PASSWORD_ENV).exit_code == 0
    (message,) = server.messages
    zipped, unknown = attachments_of(message)
    assert zipped.get_filename() == "Lebenslauf Müller.zip"
    assert zipped.get_content_type() == "application/zip"
    assert zipped.get_payload(decode=True) == data
    assert unknown.get_content_type() == "application/octet-stream"
    raw = message.as_bytes()
    assert b"filename*=utf-8''Lebenslauf%20M%C3%BCller.zip" in raw
    assert raw.isascii()


def test_export_eml_carries_the_attachments(run: Invoke, workspace: Path, cv: bytes) -> None:
    assert run("draft", "cv", "ada").exit_code == 0
    result = run("export", "eml")
    assert result.exit_code == 0, result.output
    raw = (workspace / "eml" / "ada-lovelace--cv.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    (part,) = attachments_of(message)
    assert part.get_payload(decode=True) == cv
    assert part.get_content_type() == "application/pdf"


def test_review_and_dry_run_list_each_attachment_with_its_size(
    run: Invoke, workspace: Path, cv: bytes
) -> None:
    assert run("draft", "cv", "ada").exit_code == 0
    review = run("review", input="s\n")
    assert review.exit_code == 0, review.output
    assert f"Attachment: {CV} (application/pdf, 10 kB)" in review.stdout
    assert run("approve", "--all").exit_code == 0
    dry = run("send", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "[attached: Sam Rivera CV.pdf (application/pdf, 10 kB)]" in dry.stdout


def test_a_file_changed_after_approval_goes_as_it_is_now(
    run: Invoke, workspace: Path, cv: bytes
) -> None:
    draft_and_approve(run)
    (workspace / CV).write_bytes(b"the newer CV")
    with smtp_server() as (server, port):
        configure(workspace, port)
        assert run("send", "--yes", env=PASSWORD_ENV).exit_code == 0
    (part,) = attachments_of(server.messages[0])
    assert part.get_payload(decode=True) == b"the newer CV"


def outside_link(workspace: Path) -> str:
    outside = workspace.parent / "secret.pdf"
    outside.write_bytes(b"not yours")
    (workspace / "cv" / "link.pdf").symlink_to(outside)
    return "cv/link.pdf"


def absolute(workspace: Path) -> str:
    return str(workspace / CV)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("cv/../cv/Sam Rivera CV.pdf", "'..' part"),
        ("../secret.pdf", "'..' part"),
        (absolute, "absolute"),
        (outside_link, "leads out of the workspace"),
        ("cv/missing.pdf", "no such file"),
        ("cv", "is a folder"),
        ("cv/a\\b.pdf", "with /"),
    ],
)
def test_refused_when_drafted_and_by_check(
    run: Invoke, workspace: Path, cv: bytes, path: object, reason: str
) -> None:
    written = path(workspace) if callable(path) else str(path)
    write(workspace / "templates" / "cv.md", template(f"['{written}']"))
    before = sorted((workspace / "drafts").glob("*.md"))
    result = run("draft", "cv", "ada")
    one_error(result, DRAFT, f"attachment '{written}'", reason, "not drafted")
    assert sorted((workspace / "drafts").glob("*.md")) == before
    # check renders the template for each person: one line, with how many more it fails for
    line = one_error(run("check"), "templates/cv.md:4", f"attachment '{written}'", reason)
    assert "(for Ada Lovelace" in line or "and 3 more" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(run: Invoke, workspace: Path, cv: bytes) -> None:
    (workspace / CV).chmod(0)
    one_error(run("draft", "cv", "ada"), DRAFT, CV, "cannot be read")


def test_a_special_file_is_refused(run: Invoke, workspace: Path, cv: bytes) -> None:
    os.mkfifo(workspace / "cv" / "pipe.pdf")
    write(workspace / "templates" / "cv.md", template("[cv/pipe.pdf]"))
    one_error(run("draft", "cv", "ada"), DRAFT, "cv/pipe.pdf", "not a regular file")


def test_check_reads_a_drafts_attachments(run: Invoke, workspace: Path) -> None:
    assert run("draft", "request", "ada").exit_code == 0
    path = workspace / "drafts" / "ada-lovelace--request.md"
    path.write_text(path.read_text().replace("status:", 'attachments: ["cv/gone.pdf"]\nstatus:'))
    one_error(run("check"), "drafts/ada-lovelace--request.md", "cv/gone.pdf", "no such file")
    path.write_text(path.read_text().replace('["cv/gone.pdf"]', "[cv/gone.pdf"))
    one_error(run("check"), "drafts/ada-lovelace--request.md", "attachments", "list")


def test_a_file_that_fails_right_before_sending_leaves_its_draft_approved(
    run: Invoke, workspace: Path, cv: bytes
) -> None:
    draft_and_approve(run)
    assert run("draft", "request", "jose").exit_code == 0
    assert run("approve", "--all").exit_code == 0
    (workspace / CV).unlink()
    with smtp_server() as (server, port):
        configure(workspace, port)
        result = run("send", "--yes", env=PASSWORD_ENV)
    # the run goes on: José's message went; Ada's stays approved, named with its file
    assert [m["To"].addresses[0].addr_spec for m in server.messages] == ["jose@example.org"]
    one_error(result, DRAFT, CV, "no such file", "not sent, still approved")
    assert "status: approved" in (workspace / DRAFT).read_text()
    assert "1 sent, 0 failed, 0 unknown, 1 left." in result.stdout


def test_the_message_as_encoded_must_stay_under_the_limit(
    run: Invoke, workspace: Path, cv: bytes
) -> None:
    set_limit(workspace, 1)
    # 760,000 bytes are 1,013,334 in base64 with its line ends: over 1 MB as encoded
    assert base64_size(760_000) > 10**6
    (workspace / CV).write_bytes(b"x" * 760_000)
    one_error(run("draft", "cv", "ada"), DRAFT, "max_message_mb", "base64", "not drafted")
    (workspace / CV).write_bytes(b"x" * 700_000)
    draft_and_approve(run)
    (workspace / CV).write_bytes(b"x" * 760_000)  # grown after approval
    assert_error(run("check"), DRAFT, "max_message_mb")
    with smtp_server() as (server, port):
        configure(workspace, port)
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert server.messages == []
    one_error(result, DRAFT, "max_message_mb", "not sent, still approved")
    assert "status: approved" in (workspace / DRAFT).read_text()
    dry = run("send", "--dry-run")
    one_error(dry, DRAFT, "max_message_mb", "would not be sent")


def test_types_come_from_the_name() -> None:
    assert content_type("CV.pdf") == "application/pdf"
    assert content_type("cv.PDF") == "application/pdf"
    assert content_type("notes.txt") == "text/plain"
    assert content_type("photo.jpg") == "image/jpeg"
    assert content_type("report.pdf.gz") == "application/gzip"
    assert content_type("no-extension") == "application/octet-stream"


def test_a_template_attachments_field_must_be_paths(run: Invoke, workspace: Path) -> None:
    write(workspace / "templates" / "cv.md", template("[{a: b}]"))
    one_error(run("draft", "cv", "ada"), "templates/cv.md:4", "attachments")
