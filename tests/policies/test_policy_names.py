"""Names in the policy documents are validated at load (csa_report.names): exit 2 naming file, line and field,
with the value escaped. The CR/LF provider of issue 24 (accepted at load, then ``build_message`` raised after the
WORM archive) now stops at policy load; no name that loads can put CR, LF or a bidi control into an e-mail
header."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from csa_report import names
from csa_report.filing.mail.message import build_message
from csa_report.filing.mail.report import message_text
from csa_report.period import Period
from csa_report.policies import load_policies
from csa_report.policies import loader as policy_loader
from csa_report.storage.report import ReportRef
from tests.policies.test_policy_loader import _edit, _error, folder

EXAMPLE = Path(__file__).resolve().parents[2] / "policies" / "example"
__all__ = ["folder"]  # the fixture, shared with the loader's tests


def _line(folder: Path, name: str, needle: str) -> int:
    lines = (folder / name).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_crlf_in_the_provider_name_is_exit_2_at_load(folder: Path) -> None:
    _edit(folder, "provider.md", "provider: Example Communications Ireland Ltd", 'provider: "Example\\r\\nBcc: x@evil"')
    line = _line(folder, "provider.md", "provider: ")
    assert _error(folder) == (
        f"{folder / 'provider.md'}:{line}: provider: 'Example\\r\\nBcc: x@evil' holds a control character (U+000D)"
    )


# Every character that could break or disguise an e-mail header (or a paragraph of the PDF)
HOSTILE = ["\r", "\n", "\t", "\x00", "\x85", "\u202e", "\u2066", "\u200f", "\u061c", "\u200b", "\ufeff", "\u00ad"]


@pytest.mark.parametrize("ch", HOSTILE, ids=[f"U+{ord(c):04X}" for c in HOSTILE])
def test_no_header_breaking_character_survives_the_loader(folder: Path, ch: str) -> None:
    hostile = f"Example{ch}Communications"
    yaml_text = hostile.encode("unicode_escape").decode()  # YAML double quotes read the same escapes
    _edit(folder, "provider.md", "provider: Example Communications Ireland Ltd", f'provider: "{yaml_text}"')
    message = _error(folder)
    assert f"provider: {names.escaped(hostile)} holds" in message
    assert ch not in message  # shown escaped, never raw


def test_a_valid_provider_name_makes_a_one_line_subject() -> None:
    policies = load_policies(EXAMPLE)
    ref = ReportRef(policies.provider.provider, Period.parse("2026"), "0123456789abcdef")
    subject, body = message_text(ref, "0" * 64)
    msg = build_message(
        report_id=ref.report_id,
        sender="csa@example.org",
        recipient="authority@example.org",
        subject=subject,
        body=body,
        attachments=[],
        date=datetime(2027, 1, 7),
    )
    header = msg["Subject"]
    assert (
        header
        == "Transparency report Example Communications Ireland Ltd 2026-01-01/2026-12-31 (report 0123456789abcdef)"
    )
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in header)


@pytest.mark.parametrize(
    ("doc", "old", "new", "field", "why"),
    [
        (
            "provider.md",
            "  - name: Example Chat\n",
            '  - name: "Example Chat "\n',
            "services[0].name",
            "starts or ends with",
        ),
        (
            "provider.md",
            "  - name: Example Chat\n",
            '  - name: "Example\\u200bChat"\n',
            "services[0].name",
            "invisible",
        ),
        ("provider.md", "  - name: Example Chat\n", "  - name: Chat, Voice\n", "services[0].name", "holds ', '"),
        (
            "provider.md",
            "  - name: Example Chat\n",
            '  - name: "Exa\\u0301mple"\n',
            "services[0].name",
            "not in Unicode NFC",
        ),
        ("provider.md", "  - Dara Kelly\n", "  - Dara  Kelly\n", "approvers[0]", "two spaces in a row"),
        (
            "provider.md",
            "preparer: Aoife Byrne",
            'preparer: "Aoife\\u00a0Byrne"',
            "preparer",
            "other than the plain space",
        ),
        (
            "provider.md",
            "  name: Data Protection Commission (Ireland)",
            '  name: "\\u202eData Protection Commission (Ireland)"',
            "supervisory_authority.name",
            "invisible",
        ),
        ("transfers.md", "  - name: NCMEC\n", '  - name: "NCMEC\\u2060"\n', "recipients[0].name", "invisible"),
        (
            "measures.md",
            "  - id: photodna\n",
            '  - id: "photodna\\ufe0f"\n',
            "technologies[0].id",
            "variation selector",
        ),
        ("measures.md", "  - id: photodna\n", '  - id: "photo\\U000e0041dna"\n', "technologies[0].id", "invisible"),
    ],
)
def test_every_kind_of_name_is_validated(folder: Path, doc: str, old: str, new: str, field: str, why: str) -> None:
    _edit(folder, doc, old, new)
    line = _line(folder, doc, new.strip())
    message = _error(folder)
    assert message.startswith(f"{folder / doc}:{line}: {field}: '"), message
    assert why in message


def test_names_with_accents_and_other_scripts_load(folder: Path) -> None:
    _edit(
        folder, "provider.md", "provider: Example Communications Ireland Ltd", "provider: Exämple Cömmunicätions 例子"
    )
    _edit(folder, "provider.md", "  - name: Example Chat\n", "  - name: Чат\n")
    _edit(folder, "provider.md", "  - name: Example Mail\n", "  - name: بريد\n")
    p = load_policies(folder)
    assert [s.name for s in p.provider.services] == ["Чат", "بريد"]


def test_name_length_limits(folder: Path) -> None:
    assert names.name_problem("x" * names.MAX_NAME_CHARS) is None
    assert names.name_problem("x" * (names.MAX_NAME_CHARS + 1)) == "is 121 characters long; a name has at most 120"
    assert names.name_problem("é" * 101) == "is 202 bytes long in UTF-8; a name has at most 200"
    _edit(folder, "provider.md", "  - name: Example Chat\n", f"  - name: {'x' * 121}\n")
    assert "services[0].name: 'xxxxxxxx" in _error(folder)


def test_the_loader_and_the_names_share_one_byte_limit() -> None:
    assert policy_loader.MAX_NAME_BYTES is names.MAX_NAME_BYTES == 200


def test_joined_lists_split_back_unambiguously() -> None:
    """No listed name holds ", " and none starts with a space: splitting on ", " gives the names back."""
    listed = ["Acme,", "Mail", "Chat,Voice", "Ünïcode ü"]
    assert all(names.name_problem(n, listed=True) is None for n in listed)
    assert ", ".join(listed).split(", ") == listed
    assert names.name_problem("Acme, Inc.", listed=True) is not None
    assert names.name_problem("Acme, Inc.") is None  # the provider's own name is never joined into a list


@pytest.mark.parametrize("spelling", ["  Aoife   BYRNE ", "AOIFE\tByrne", "Aoife  Byrne"])
def test_a_person_spelled_with_other_spacing_is_refused_as_a_name(folder: Path, spelling: str) -> None:
    """Such spellings used to reach the four-eyes check (which compares ignoring case and spacing); now the name
    itself is refused, before any comparison."""
    _edit(folder, "provider.md", "  - demo-reviewer\n", f"  - {spelling!r}\n".replace("'", '"'))
    message = _error(folder)
    assert message.startswith(f"{folder / 'provider.md'}:27: approvers[1]: {names.escaped(spelling)} "), message


# People named in provider.md beside the approvers (found by the round-3 replay: these were free text, so a
# contact name with CR/LF or a bidi override loaded and `check` said "all hold"; `run` refused it only after render).
PEOPLE = [
    ("  name: Niamh Walsh", "contact.name", "Niamh Walsh"),
    ("  name: Ciarán Murphy", "dpo.name", "Ciarán Murphy"),
]


@pytest.mark.parametrize(("needle", "field", "person"), PEOPLE, ids=[f for _, f, _ in PEOPLE])
@pytest.mark.parametrize("ch", ["\r\n", "\u202e", "\u200b"], ids=["CRLF", "U+202E", "U+200B"])
def test_people_named_in_provider_md_are_names_at_load(
    folder: Path, needle: str, field: str, person: str, ch: str
) -> None:
    first, _, last = person.partition(" ")
    hostile = f"{first}{ch}{last}"
    yaml_text = hostile.encode("unicode_escape").decode().replace("\\xe1", "\\u00e1")
    indent = needle[: len(needle) - len(needle.lstrip())]
    _edit(folder, "provider.md", needle, f'{indent}name: "{yaml_text}"')
    line = _line(folder, "provider.md", f'name: "{yaml_text}"')
    why = "a control character (U+000D)" if ch == "\r\n" else "an invisible formatting character"
    message = _error(folder)
    assert message.startswith(f"{folder / 'provider.md'}:{line}: {field}: {names.escaped(hostile)} holds {why}")
