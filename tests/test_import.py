"""`outreach import`: real address-book exports into real workspaces, through the CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from outreach.people.contact import Contact
from outreach.people.reading import parse_contacts
from tests.conftest import Invoke
from tests.helpers import EXAMPLE_IDS, FIXTURES, write


@pytest.fixture
def mine(tmp_path: Path) -> Path:
    """A fresh plain `outreach init` workspace: contacts.yaml holds comments and `[]`."""
    root = tmp_path / "mine"
    result = CliRunner().invoke(cli, ["init", str(root)])
    assert result.exit_code == 0, result.output
    return root


def run_in(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(root), *args], catch_exceptions=False)


def people(root: Path) -> dict[str, Contact]:
    """contacts.yaml read back as the rest of outreach reads it: no problems allowed."""
    contacts, problems = parse_contacts((root / "contacts.yaml").read_text(encoding="utf-8"))
    assert problems == []
    return {contact.name: contact for contact in contacts}


def emails(contact: Contact) -> list[str]:
    """The person's addresses, preferred first."""
    return [contact.email or "", *contact.custom.get("other_emails", [])]


def init_comments(root: Path) -> str:
    """What `outreach init` wrote before the empty list: every comment line."""
    text = (root / "contacts.yaml").read_text(encoding="utf-8")
    assert text.endswith("[]\n")
    return text.removesuffix("[]\n")


# --- each committed export ---------------------------------------------------------------


def test_iphone_vcard(mine: Path) -> None:
    comments = init_comments(mine)
    result = run_in(mine, "import", str(FIXTURES / "iphone.vcf"))
    assert result.exit_code == 0, result.output
    assert "added Chidi Okafor <chidi@northwind.example> as chidi-okafor" in result.stdout
    assert "added Åsa Lindqvist <asa.lindqvist@fjord.example> as asa-lindqvist" in result.stdout
    assert "added Dentist (no email) as dentist" in result.stdout
    assert result.stdout.rstrip().endswith("3 added, 0 skipped.")

    text = (mine / "contacts.yaml").read_text(encoding="utf-8")
    assert text.startswith(comments)  # every comment kept, byte for byte
    assert "[]" not in text
    found = people(mine)
    assert list(found) == ["Chidi Okafor", "Åsa Lindqvist", "Dentist"]
    chidi = found["Chidi Okafor"]
    # item1.EMAIL;type=pref comes first; the folded NOTE keeps its \, and \n
    assert emails(chidi) == ["chidi@northwind.example", "chidi.okafor@home.example"]
    assert chidi.notes == (
        "We met at the climate hackathon, he offered to intro me to his team.\nFollow up in spring."
    )
    assert chidi.custom["company"] == "Northwind Analytics"
    assert found["Dentist"].email is None


def test_android_vcard_21_quoted_printable(mine: Path) -> None:
    result = run_in(mine, "import", str(FIXTURES / "android.vcf"))
    assert result.exit_code == 0, result.output
    assert "2 added, 0 skipped." in result.stdout
    found = people(mine)
    assert list(found) == ["Jürgen Müller", "Bea Santos"]
    jurgen = found["Jürgen Müller"]
    assert jurgen.id == "jurgen-muller"
    assert emails(jurgen) == ["juergen.mueller@post.example", "j.mueller@werk.example"]
    bea = found["Bea Santos"]
    assert bea.email == "bea.santos@mail.example"
    assert bea.notes == "Ran the mentoring circle\nstill meets monthly"  # across a soft break


def test_nextcloud_vcard_4(mine: Path) -> None:
    result = run_in(mine, "import", str(FIXTURES / "nextcloud-v4.vcf"))
    assert result.exit_code == 0, result.output
    noor = people(mine)["Noor Haddad"]
    assert emails(noor) == ["noor@cedar-labs.example", "noor.haddad@mail.example"]  # PREF=1
    assert noor.tags == ("mentors", "climate")
    assert noor.custom["company"] == "Cedar Labs"


def test_vcard_21_commas_are_text(mine: Path) -> None:
    # vCard 2.1 has no comma escape: Outlook writes `FN:Public, John` and means all of it.
    result = run_in(mine, "import", str(FIXTURES / "outlook-2.1.vcf"))
    assert result.exit_code == 0, result.output
    found = people(mine)
    assert list(found) == ["Public, John", "Inês Ferreira"]
    john = found["Public, John"]
    assert john.first_name == "John"  # from N, since the name does not start with it
    assert john.notes == "met at PyCon, Berlin"
    assert john.custom["company"] == "Contoso, Ltd."
    ines = found["Inês Ferreira"]  # quoted-printable, a soft line break, and `\;`
    assert ines.notes == (
        "Lisbon office, design team\nAsked about the climate role; call, don;t write"
    )


def test_one_name_of_several_fn_lines(mine: Path) -> None:
    result = run_in(mine, "import", str(FIXTURES / "language-variants-v4.vcf"))
    assert result.exit_code == 0, result.output
    found = people(mine)
    assert list(found) == ["山田太郎", "Nikos Papadopoulos"]
    # ALTID variants, each with a language: the first is the name, the rest kept
    assert found["山田太郎"].custom["other_names"] == ["Taro Yamada"]
    # a language variant beside an untagged FN: the untagged one is the name
    nikos = found["Nikos Papadopoulos"]
    assert nikos.custom["other_names"] == ["Νίκος Παπαδόπουλος"]
    assert nikos.id == "nikos-papadopoulos"


def test_backslash_escapes_do_not_reach_tags_or_notes(mine: Path) -> None:
    result = run_in(mine, "import", str(FIXTURES / "language-variants-v4.vcf"))
    assert result.exit_code == 0, result.output
    nikos = people(mine)["Nikos Papadopoulos"]
    assert nikos.tags == ("book-club", "o'reilly-authors")
    assert nikos.notes == "Don't call before 9, he says."
    assert "\\" not in (mine / "contacts.yaml").read_text(encoding="utf-8")


def test_a_backslash_before_a_letter_is_text(mine: Path) -> None:
    source = write(
        mine / "paths.vcf",
        "BEGIN:VCARD\nVERSION:3.0\nFN:Kai Berg\nNOTE:CV in C:\\Users\\kai\\cv.pdf\\, "
        "two lines\\nhere\nCATEGORIES:A,B\\'C\nEND:VCARD\n",
    )
    result = run_in(mine, "import", str(source))
    assert result.exit_code == 0, result.output
    kai = people(mine)["Kai Berg"]
    assert kai.notes == "CV in C:\\Users\\kai\\cv.pdf, two lines\nhere"
    assert kai.tags == ("a", "b'c")


def test_google_contacts_csv(mine: Path) -> None:
    result = run_in(mine, "import", str(FIXTURES / "google-contacts.csv"))
    assert result.exit_code == 0, result.output
    assert "skipped Print Shop (google-contacts.csv:6): no name and no email" in result.stderr
    assert "Print Shop" not in result.stdout
    assert result.stdout.rstrip().endswith("4 added, 1 skipped.")
    found = people(mine)
    assert list(found) == ["Marta Ibáñez", "Kwame Mensah", "Anne-Sophie Durand", "陈静"]
    marta = found["Marta Ibáñez"]
    assert emails(marta) == ["marta@verdant-grid.example", "marta.ibanez@mail.example"]
    assert marta.tags == ("design",)  # "* myContacts" is Google's, not the person's
    assert marta.notes == "Met at the design meetup.\nLoves trail running."
    kwame = found["Kwame Mensah"]
    assert emails(kwame) == ["kwame.mensah@uni.example", "k.mensah@old.example"]  # " ::: "
    assert kwame.tags == ("alumni", "friends")
    anne = found["Anne-Sophie Durand"]
    assert anne.notes == 'Her brother runs the "Lyon" office'
    assert anne.custom["company"] == "Durand & Fils, SARL"
    chen = found["陈静"]
    assert chen.email == "jing.chen@mail.example"
    assert chen.id.startswith("person-")  # no Latin letters to make a slug of


def test_outlook_csv_with_byte_order_mark(mine: Path) -> None:
    assert (FIXTURES / "outlook-contacts.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    result = run_in(mine, "import", str(FIXTURES / "outlook-contacts.csv"))
    assert result.exit_code == 0, result.output
    found = people(mine)
    assert list(found) == ["Priya Raman", "Tomás Ó Briain", "Lee"]
    assert found["Priya Raman"].notes == "Introduced by Kwame"
    assert emails(found["Tomás Ó Briain"]) == ["tomas@cliffside.example", "tob@personal.example"]
    assert found["Lee"].email is None


def test_usual_csv_column_names(mine: Path) -> None:
    # snake_case and "Contact Email", as CRMs and shops export them
    result = run_in(mine, "import", str(FIXTURES / "crm-contacts.csv"))
    assert result.exit_code == 0, result.output
    found = people(mine)
    assert list(found) == ["Olu Adeyemi", "Sofia Rossi"]
    olu = found["Olu Adeyemi"]
    assert olu.email == "olu@harmattan.example"
    assert olu.custom["company"] == "Harmattan Studio"
    assert olu.tags == ("mentor",)


def test_a_column_of_addresses_that_is_not_read_is_named(mine: Path) -> None:
    result = run_in(mine, "import", str(FIXTURES / "crm-contacts.csv"))
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Warning: ") == 1  # once for the file, not once a row
    assert (
        "Warning: crm-contacts.csv:1: the column 'Assistant' looks like email addresses "
        "but is not read as one"
    ) in result.stderr
    assert "desk@harmattan.example" not in (mine / "contacts.yaml").read_text(encoding="utf-8")


def test_linkedin_connections_after_their_notes(mine: Path) -> None:
    # LinkedIn's Connections.csv starts with a note and a blank line before its header.
    result = run_in(mine, "import", str(FIXTURES / "linkedin-connections.csv"))
    assert result.exit_code == 0, result.output
    found = people(mine)
    assert list(found) == ["Farah Siddiqui", "Jonas Weber"]
    assert found["Farah Siddiqui"].email == "farah@solstice.example"
    assert found["Jonas Weber"].email is None  # LinkedIn leaves many addresses out
    assert found["Jonas Weber"].custom["company"] == "Weber, Klein & Partner"
    assert "2 added, 0 skipped." in result.stdout
    assert "Warning" not in result.stderr


def test_a_name_that_is_an_address_is_a_warning(mine: Path) -> None:
    result = run_in(mine, "import", str(FIXTURES / "thunderbird.csv"))
    assert result.exit_code == 0, result.output
    found = people(mine)
    # Display Name is the address, First and Last Name are there: they are the name
    assert found["Ravi Kumar"].email == "ravi.kumar@uni.example"
    assert (
        "Warning: thunderbird.csv:3: the name is an email address (lena.voss@collected.example)"
    ) in result.stderr
    assert (
        "Warning: thunderbird.csv:4: no name: the address newsletter-reply@collected.example "
        "is used as the name"
    ) in result.stderr
    assert "Ravi Kumar" not in result.stderr
    assert list(found) == [
        "Ravi Kumar",
        "lena.voss@collected.example",
        "newsletter-reply@collected.example",
    ]


# --- Outlook's other encodings: the files are written as bytes, as Outlook writes them ----


# Letters that Windows-1252 has and Latin-1 has not: curly quotes, a dash, a ligature.
APOSTROPHE, DASH = "\N{RIGHT SINGLE QUOTATION MARK}", "\N{EN DASH}"
SIOBHAN = f"Siobhán O{APOSTROPHE}Brien"
SIOBHAN_NOTE = f"Knows the “Lisbon” team {DASH} ask about Œuvre"


def outlook_rows() -> list[list[str]]:
    """The Outlook export's rows, and one more with letters that only Windows-1252 has."""
    text = (FIXTURES / "outlook-contacts.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    extra = [""] * len(rows[0])
    extra[0], extra[2] = SIOBHAN.split(" ", 1)
    extra[8] = "siobhan@obrien.example"
    extra[-1] = SIOBHAN_NOTE
    return [*rows, extra]


def csv_text(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


OUTLOOK_NAMES = ["Priya Raman", "Tomás Ó Briain", "Lee", SIOBHAN]


def test_outlook_ansi_csv_is_read_as_windows_1252(mine: Path) -> None:
    source = mine / "outlook-ansi.csv"  # Outlook's "Comma Separated Values (Windows)"
    source.write_bytes(csv_text(outlook_rows(), ",").encode("cp1252"))
    result = run_in(mine, "import", str(source))
    assert result.exit_code == 0, result.output
    assert "outlook-ansi.csv is not UTF-8: read as Windows-1252" in result.stderr
    found = people(mine)
    assert list(found) == OUTLOOK_NAMES
    assert found[SIOBHAN].notes == SIOBHAN_NOTE


def test_outlook_unicode_text_is_read_as_utf16(mine: Path) -> None:
    source = mine / "outlook-unicode.txt"  # "Unicode Text": UTF-16 with a mark, tabs
    data = csv_text(outlook_rows(), "\t").encode("utf-16")
    assert data.startswith(b"\xff\xfe")
    source.write_bytes(data)
    result = run_in(mine, "import", str(source))
    assert result.exit_code == 0, result.output
    assert "not UTF-8" not in result.stderr
    found = people(mine)
    assert list(found) == OUTLOOK_NAMES
    assert emails(found["Tomás Ó Briain"]) == ["tomas@cliffside.example", "tob@personal.example"]


def test_utf16_big_endian_vcard(mine: Path) -> None:
    source = mine / "contacts.vcf"
    text = (FIXTURES / "nextcloud-v4.vcf").read_text(encoding="utf-8")
    source.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    result = run_in(mine, "import", str(source))
    assert result.exit_code == 0, result.output
    assert list(people(mine)) == ["Noor Haddad"]


def test_encoding_names_the_code_page(mine: Path) -> None:
    ivan = "\N{CYRILLIC CAPITAL LETTER I}\N{CYRILLIC SMALL LETTER VE}\N{CYRILLIC SMALL LETTER A}"
    ivan += "\N{CYRILLIC SMALL LETTER EN} Petrov"
    source = mine / "outlook-ru.csv"  # Outlook "ANSI" on a Russian Windows: Windows-1251
    text = f"Name,E-mail Address\r\n{ivan},ivan@petrov.example\r\n"
    source.write_bytes(text.encode("cp1251"))
    guessed = run_in(mine, "import", "--dry-run", str(source))
    assert guessed.exit_code == 0, guessed.output
    assert "give the file's encoding with --encoding" in guessed.stderr
    assert ivan not in guessed.stdout
    result = run_in(mine, "import", "--encoding", "windows-1251", str(source))
    assert result.exit_code == 0, result.output
    assert "not UTF-8" not in result.stderr
    assert people(mine)[ivan].email == "ivan@petrov.example"


def test_an_unknown_encoding_is_a_usage_error(mine: Path) -> None:
    result = run_in(mine, "import", "--encoding", "klingon", str(FIXTURES / "iphone.vcf"))
    assert result.exit_code == 2
    assert "'klingon' is not an encoding" in result.output


# --- into the example: comments, order, duplicates, check ------------------------------------

ALL_EXPORTS = (
    "iphone.vcf",
    "android.vcf",
    "nextcloud-v4.vcf",
    "outlook-2.1.vcf",
    "language-variants-v4.vcf",
    "google-contacts.csv",
    "outlook-contacts.csv",
    "crm-contacts.csv",
    "linkedin-connections.csv",
    "thunderbird.csv",
)


def test_every_export_into_the_example_keeps_comments_and_order(
    run: Invoke, workspace: Path
) -> None:
    before = (workspace / "contacts.yaml").read_text(encoding="utf-8")
    for name in ALL_EXPORTS:
        result = run("import", str(FIXTURES / name))
        assert result.exit_code == 0, result.output
    after = (workspace / "contacts.yaml").read_text(encoding="utf-8")
    assert after.startswith(before)  # the person's file, comments and all, untouched
    assert after.count("\n\n- name:") == after.count("- name:")  # set apart like the rest

    contacts, problems = parse_contacts(after)
    assert problems == []
    ids = [contact.id for contact in contacts]
    assert ids[: len(EXAMPLE_IDS)] == EXAMPLE_IDS
    assert ids[len(EXAMPLE_IDS) :] == [
        "chidi-okafor",
        "asa-lindqvist",
        "dentist",
        "jurgen-muller",
        "bea-santos",
        "noor-haddad",
        "public-john",
        "ines-ferreira",
        ids[len(EXAMPLE_IDS) + 8],  # 山田太郎's person-... id
        "nikos-papadopoulos",
        "marta-ibanez",
        "kwame-mensah",
        "anne-sophie-durand",
        ids[len(EXAMPLE_IDS) + 13],  # 陈静's person-... id
        "tomas-o-briain",
        "lee",
        "olu-adeyemi",
        "sofia-rossi",
        "farah-siddiqui",
        "jonas-weber",
        "ravi-kumar",
        "lena-voss-collected-example",
        "newsletter-reply-collected-example",
    ]
    assert len(set(ids)) == len(ids)

    check = run("check")
    assert check.exit_code == 0, check.output
    assert "All good" in check.stdout


def test_same_name_without_email_is_skipped(run: Invoke, workspace: Path) -> None:
    # The example's Priya Raman has no email; Outlook's Priya has one: the same person.
    result = run("import", str(FIXTURES / "outlook-contacts.csv"))
    assert result.exit_code == 0, result.output
    assert (
        "skipped Priya Raman (outlook-contacts.csv:2): already in contacts.yaml as "
        "Priya Raman (priya-raman), who has no email there"
    ) in result.stderr
    assert "2 added, 1 skipped." in result.stdout
    priyas = [c for c in people(workspace).values() if c.name == "Priya Raman"]
    assert len(priyas) == 1 and priyas[0].email is None


@pytest.mark.parametrize("name", ALL_EXPORTS)
def test_a_second_import_adds_nobody(mine: Path, name: str) -> None:
    first = run_in(mine, "import", str(FIXTURES / name))
    assert first.exit_code == 0, first.output
    after_first = (mine / "contacts.yaml").read_bytes()
    second = run_in(mine, "import", str(FIXTURES / name))
    assert second.exit_code == 0, second.output
    assert "added " not in second.stdout
    assert second.stdout.rstrip().startswith("0 added, ")
    assert "already in contacts.yaml as" in second.stderr
    assert (mine / "contacts.yaml").read_bytes() == after_first


def test_another_email_of_someone_present_is_the_same_person(run: Invoke, workspace: Path) -> None:
    assert run("import", str(FIXTURES / "iphone.vcf")).exit_code == 0
    # Chidi's home address (one of his other_emails), written in capitals.
    source = write(workspace / "more.csv", "name,email\nC. Okafor,CHIDI.OKAFOR@home.example\n")
    result = run("import", str(source))
    assert result.exit_code == 0, result.output
    assert "already in contacts.yaml as Chidi Okafor (chidi-okafor), with the same email" in (
        result.stderr
    )
    assert "0 added, 1 skipped." in result.stdout


# --- a plain name,email CSV --------------------------------------------------------------


def test_plain_name_email_csv(run: Invoke, workspace: Path) -> None:
    source = write(
        workspace / "friends.csv",
        "name,email,notes\n"
        "Lin Okoye,lin@okoye.example,no\n"  # a note `no` stays text, never false
        "Ada Lovelace,ada.l@other.example,\n"  # another Ada: a new id, written out
        "LIN OKOYE,Lin@Okoye.Example,\n"  # the same person again, later in the file
        "Sam Bad,not-an-address,\n"  # a bad address is left out, the person kept
        "Ada Lovelace,ada@EXAMPLE.org,\n"  # already there
        ",,\n"
        "Yes,yes@yes.example,\n",
    )
    result = run("import", str(source))
    assert result.exit_code == 0, result.output
    assert "added Lin Okoye <lin@okoye.example> as lin-okoye" in result.stdout
    assert "added Ada Lovelace <ada.l@other.example> as ada-lovelace-2" in result.stdout
    assert "added Sam Bad (no email) as sam-bad" in result.stdout
    assert "Warning: friends.csv:5: 'not-an-address' is not a valid email address" in (
        result.stderr
    )
    assert (
        "skipped LIN OKOYE (friends.csv:4): the same person as Lin Okoye on line 2, "
        "with the same email Lin@okoye.example"
    ) in result.stderr
    assert "skipped Ada Lovelace (friends.csv:6): already in contacts.yaml as Ada Lovelace" in (
        result.stderr
    )
    assert "4 added, 2 skipped." in result.stdout

    found = people(workspace)
    assert found["Lin Okoye"].notes == "no"
    assert found["Yes"].id == "yes"
    adas = [c for c in found.values() if c.name == "Ada Lovelace"]
    assert len(adas) == 1  # one name, one entry in the dict; the ids tell them apart
    contacts, _ = parse_contacts((workspace / "contacts.yaml").read_text(encoding="utf-8"))
    assert [c.id for c in contacts if c.name == "Ada Lovelace"] == [
        "ada-lovelace",
        "ada-lovelace-2",
    ]
    assert run("check").exit_code == 0


def test_semicolon_separated_csv(mine: Path) -> None:
    source = write(
        mine / "export.csv", "First Name;Last Name;E-mail Address\nIrene;Adler;i@a.example\n"
    )
    result = run_in(mine, "import", str(source))
    assert result.exit_code == 0, result.output
    assert people(mine)["Irene Adler"].email == "i@a.example"


def test_dry_run_writes_nothing(mine: Path) -> None:
    before = (mine / "contacts.yaml").read_bytes()
    result = run_in(mine, "import", "--dry-run", str(FIXTURES / "iphone.vcf"))
    assert result.exit_code == 0, result.output
    assert "would add Chidi Okafor" in result.stdout
    assert "3 to add, 0 skipped (dry run: contacts.yaml was not changed)." in result.stdout
    assert (mine / "contacts.yaml").read_bytes() == before


# --- the person's own file, as they wrote it ---------------------------------------------


def test_an_own_indentation_and_comments_are_kept(mine: Path) -> None:
    own = (
        "# my people\n"
        "  - name: Kim Park   # from the choir\n"
        "    email: kim@park.example\n"
        "    tags:\n"
        "      - choir\n"
        "\n"
        "  - name: Ola Nordmann\n"
        "    # moved to Bergen\n"
        "    notes: 'Call, do not write'\n"
    )
    write(mine / "contacts.yaml", own)
    result = run_in(mine, "import", str(FIXTURES / "nextcloud-v4.vcf"))
    assert result.exit_code == 0, result.output
    text = (mine / "contacts.yaml").read_text(encoding="utf-8")
    assert text.startswith(own)
    assert list(people(mine)) == ["Kim Park", "Ola Nordmann", "Noor Haddad"]


def test_a_file_of_comments_only_keeps_them(mine: Path) -> None:
    write(mine / "contacts.yaml", "# nobody yet\n# (really)\n")
    assert run_in(mine, "import", str(FIXTURES / "android.vcf")).exit_code == 0
    text = (mine / "contacts.yaml").read_text(encoding="utf-8")
    assert text.startswith("# nobody yet\n# (really)\n- name: Jürgen Müller\n")
    assert list(people(mine)) == ["Jürgen Müller", "Bea Santos"]


def test_a_document_end_marker_is_no_obstacle(mine: Path) -> None:
    write(mine / "contacts.yaml", "---\n- name: Kim Park  # choir\n...\n# the end\n")
    assert run_in(mine, "import", str(FIXTURES / "nextcloud-v4.vcf")).exit_code == 0
    text = (mine / "contacts.yaml").read_text(encoding="utf-8")
    assert text.startswith("---\n- name: Kim Park  # choir\n\n- name: Noor Haddad\n")
    assert text.endswith("...\n# the end\n")
    assert list(people(mine)) == ["Kim Park", "Noor Haddad"]


def test_windows_line_endings_are_kept(mine: Path) -> None:
    own = b"# mine\r\n- name: Kim Park\r\n\r\n- name: Ola Nordmann\r\n"
    (mine / "contacts.yaml").write_bytes(own)
    assert run_in(mine, "import", str(FIXTURES / "iphone.vcf")).exit_code == 0
    data = (mine / "contacts.yaml").read_bytes()
    assert data.startswith(own)
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert list(people(mine))[2:] == ["Chidi Okafor", "Åsa Lindqvist", "Dentist"]


def test_fields_that_are_not_imported_may_be_odd(mine: Path) -> None:
    # A photo that is not valid base64 and a nested AGENT card: neither is imported.
    source = write(
        mine / "odd.vcf",
        "BEGIN:VCARD\nVERSION:3.0\nFN:Pia Berg\nPHOTO;ENCODING=b;TYPE=JPEG:!!!not base64\n"
        "AGENT:\nBEGIN:VCARD\nFN:Her Assistant\nEND:VCARD\nEMAIL:pia@berg.example\nEND:VCARD\n",
    )
    result = run_in(mine, "import", str(source))
    assert result.exit_code == 0, result.output
    assert list(people(mine)) == ["Pia Berg"]
    assert people(mine)["Pia Berg"].email == "pia@berg.example"


# --- malformed files: exit 1, Error: FILE:LINE, contacts.yaml as it was ------------------


def assert_refused(root: Path, source: Path, where: str) -> Result:
    before = (root / "contacts.yaml").read_bytes()
    result = run_in(root, "import", str(source))
    assert result.exit_code == 1, result.output
    assert f"Error: {where}:" in result.stderr
    assert "Traceback" not in result.output
    assert (root / "contacts.yaml").read_bytes() == before
    return result


def test_a_malformed_vcard(workspace: Path) -> None:
    good = (FIXTURES / "iphone.vcf").read_bytes()
    broken = good.replace(
        b"TITLE:Data Lead\r\n", b"TITLE:Data Lead\r\nthis is not a vCard line\r\n"
    )
    assert broken != good
    source = workspace / "bad.vcf"
    source.write_bytes(broken)
    result = assert_refused(workspace, source, "bad.vcf:8")
    assert "not a vCard line" in result.stderr
    assert "added" not in result.stdout


def test_a_vcard_that_never_ends(workspace: Path) -> None:
    source = write(
        workspace / "cut.vcf",
        "BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:B\n",
    )
    result = assert_refused(workspace, source, "cut.vcf:5")
    assert "never ended" in result.stderr


def test_a_file_that_is_no_vcard(workspace: Path) -> None:
    source = write(workspace / "notes.vcf", "Some notes about people\n")
    assert_refused(workspace, source, "notes.vcf:1")


def test_a_csv_without_usable_columns(workspace: Path) -> None:
    source = write(workspace / "phones.csv", "Phone,Street\n+1 555 0100,Main St\n")
    result = assert_refused(workspace, source, "phones.csv:1")
    assert "no name or email column" in result.stderr


def test_a_csv_with_broken_quoting(workspace: Path) -> None:
    source = write(workspace / "quotes.csv", 'name,email\nA,a@a.example\n"B"x,b@b.example\n')
    assert_refused(workspace, source, "quotes.csv:3")


def test_bytes_that_are_not_windows_1252_are_refused(workspace: Path) -> None:
    source = workspace / "cyrillic.csv"
    # 0x81 and 0x8d mean nothing in Windows-1252 (they are letters in Windows-1251)
    source.write_bytes(b"name,email\r\nAda,a@a.example\r\n\x81\x8d,j@j.example\r\n")
    result = assert_refused(workspace, source, "cyrillic.csv:3")
    assert "neither UTF-8 nor Windows-1252 (byte 0x81)" in result.stderr
    assert "--encoding" in result.stderr


def test_utf16_without_a_byte_order_mark_is_refused_with_a_hint(workspace: Path) -> None:
    source = workspace / "nomark.csv"
    source.write_bytes("name,email\r\nAda,a@a.example\r\n".encode("utf-16-le"))
    result = assert_refused(workspace, source, "nomark.csv:1")
    assert "--encoding utf-16-le" in result.stderr


def test_a_contacts_file_with_errors_is_left_alone(workspace: Path) -> None:
    text = (workspace / "contacts.yaml").read_text(encoding="utf-8")
    write(workspace / "contacts.yaml", text.replace("like: true", "like: yes", 1))
    result = assert_refused(workspace, FIXTURES / "iphone.vcf", "contacts.yaml")
    assert "nothing was imported" in result.stderr


def test_people_in_brackets_are_refused_with_a_reason(mine: Path) -> None:
    write(mine / "contacts.yaml", "# mine\n[{name: Kim Park, email: kim@park.example}]\n")
    result = assert_refused(mine, FIXTURES / "iphone.vcf", "contacts.yaml:2")
    assert "in brackets" in result.stderr


def test_a_missing_file_is_a_usage_error(workspace: Path) -> None:
    result = run_in(workspace, "import", str(workspace / "nowhere.vcf"))
    assert result.exit_code == 2


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["import", "--help"])
    assert result.exit_code == 0
    assert "outreach import ~/Downloads/contacts.vcf" in result.output
