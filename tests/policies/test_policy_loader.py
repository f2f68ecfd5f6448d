"""Strict validation of the policy folder: exact messages naming file, line, field and what was expected."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest

from csa_report.demo_provider import APPROVERS, E2EE_FROM, PREPARER, PROVIDER, RECIPIENTS, SERVICES
from csa_report.errors import PolicyError
from csa_report.policies import PolicySet, load_policies
from csa_report.policies.models import CategoryMeasures

EXAMPLE = Path(__file__).resolve().parents[2] / "policies" / "example"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "pol"
    shutil.copytree(EXAMPLE, target)
    return target


def _edit(folder: Path, name: str, old: str, new: str) -> Path:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _error(folder: Path) -> str:
    with pytest.raises(PolicyError) as err:
        load_policies(folder)
    assert err.value.exit_code == 2
    return str(err.value)


def test_example_folder_matches_the_demo_provider() -> None:
    p = load_policies(EXAMPLE)
    assert isinstance(p, PolicySet)
    assert p.provider.provider == PROVIDER
    assert p.provider.establishment == "IE"
    assert p.provider.supervisory_authority.name == "Data Protection Commission (Ireland)"
    assert p.provider.commission_email == "commission-csa@example.org"
    assert tuple(s.name for s in p.provider.services) == SERVICES
    chat = p.provider.service("Example Chat")
    assert chat is not None and chat.e2ee and chat.e2ee_from == E2EE_FROM["Example Chat"]
    assert p.provider.approvers == APPROVERS and p.provider.preparer == PREPARER
    names = [r.name for r in p.transfers.recipients]
    assert set(RECIPIENTS) <= set(names) and "Example Partner Hotline" in names
    assert isinstance(p.measures.known_csam, CategoryMeasures)


def test_documents_carry_body_path_hash_version_and_date() -> None:
    p = load_policies(EXAMPLE)
    for doc, name in zip(
        p.documents(), ("provider.md", "legal-basis.md", "transfers.md", "retention.md", "measures.md"), strict=True
    ):
        assert doc.path == EXAMPLE / name
        assert doc.sha256 == hashlib.sha256((EXAMPLE / name).read_bytes()).hexdigest()
        assert doc.version and isinstance(doc.effective_from, date)
        assert doc.body.strip() and not doc.body.startswith("---")
    assert [e["file"] for e in p.provenance()] == [
        "provider.md",
        "legal-basis.md",
        "transfers.md",
        "retention.md",
        "measures.md",
    ]


def test_body_is_prose_never_a_template(folder: Path) -> None:
    _edit(
        folder,
        "provider.md",
        'Example Communications Ireland Ltd ("Example", "we")',
        "Example {{ provider }} {% if x %}Ltd{% endif %}",
    )
    assert "{{ provider }} {% if x %}" in load_policies(folder).provider.body


def test_malformed_yaml(folder: Path) -> None:
    _edit(folder, "retention.md", "  encryption_in_transit: true", "  encryption_in_transit: [true")
    assert _error(folder) == (
        f"{folder}/retention.md:30: front matter is not valid YAML: expected ',' or ']', but got ':'"
    )


def test_no_front_matter(folder: Path) -> None:
    (folder / "measures.md").write_text("# Measures\n\nNo front matter here.\n", encoding="utf-8")
    assert _error(folder).startswith(f"{folder}/measures.md:1: expected front matter: the file must start with")


def test_unclosed_front_matter(folder: Path) -> None:
    (folder / "measures.md").write_text("---\nkind: measures\n", encoding="utf-8")
    assert _error(folder) == (
        f"{folder}/measures.md:1: front matter is not closed: expected a line `---` after the YAML fields"
    )


def test_wrong_kind(folder: Path) -> None:
    _edit(folder, "provider.md", "kind: provider", "kind: transfers")
    assert _error(folder) == f"{folder}/provider.md:2: kind: expected 'provider' for provider.md, got 'transfers'"


def test_missing_kind(folder: Path) -> None:
    _edit(folder, "legal-basis.md", "kind: legal_basis\n", "")
    assert _error(folder) == (
        f"{folder}/legal-basis.md:2: kind: required field is missing (expected `kind: legal_basis`)"
    )


def test_missing_field(folder: Path) -> None:
    _edit(folder, "provider.md", "preparer: Aoife Byrne\n", "")
    assert _error(folder) == f"{folder}/provider.md:2: preparer: required field is missing"


def test_missing_nested_field_points_at_its_parent(folder: Path) -> None:
    _edit(folder, "measures.md", "  independent_third_party_vetting: false\n", "")
    assert _error(folder) == (
        f"{folder}/measures.md:5: known_csam.independent_third_party_vetting: required field is missing"
    )


def test_unknown_field(folder: Path) -> None:
    _edit(folder, "transfers.md", "    type: law_enforcement\n", "    type: law_enforcement\n    notes: 1\n")
    assert _error(folder) == (f"{folder}/transfers.md:36: recipients[2].notes: unknown field (did you mean 'note'?)")


def test_misspelt_field_is_named_with_a_suggestion(folder: Path) -> None:
    _edit(folder, "measures.md", "  training: >-\n    As for known", "  trainin: >-\n    As for known")
    assert _error(folder) == (
        f"{folder}/measures.md:44: new_csam.trainin: unknown field (did you mean "
        "'training'?) (and 1 more problem in this file)"
    )


def test_bad_date(folder: Path) -> None:
    _edit(folder, "transfers.md", "valid_from: 2021-09-27", "valid_from: soon")
    assert _error(folder) == (
        f"{folder}/transfers.md:17: recipients[0].grounds[0].valid_from: "
        "expected a date (YYYY-MM-DD, unquoted), got 'soon'"
    )


def test_impossible_date(folder: Path) -> None:
    _edit(folder, "provider.md", "effective_from: 2026-07-31", "effective_from: 2026-13-01")
    assert _error(folder) == (
        f"{folder}/provider.md:4: effective_from: '2026-13-01' is not a valid date "
        "(month must be in 1..12); expected a date YYYY-MM-DD"
    )


def test_an_explicit_timestamp_tag_on_no_date_is_a_policy_error(folder: Path) -> None:
    # PyYAML's timestamp constructor fails with an AttributeError on text that is no date at all.
    _edit(folder, "provider.md", "effective_from: 2026-07-31", "effective_from: !!timestamp soon")
    assert _error(folder) == (
        f"{folder}/provider.md: front matter holds a value tagged !!timestamp that is not a date; expected a date "
        "YYYY-MM-DD"
    )


def test_unknown_country_code(folder: Path) -> None:
    _edit(folder, "transfers.md", "country: CA", "country: XX")
    assert _error(folder) == (
        f"{folder}/transfers.md:41: recipients[3].country: unknown country code 'XX': "
        "expected an ISO 3166-1 alpha-2 code such as IE, US, GB"
    )


def test_norway_unquoted_is_a_yaml_boolean(folder: Path) -> None:
    _edit(folder, "transfers.md", "country: CA", "country: NO")
    assert _error(folder) == (
        f"{folder}/transfers.md:41: recipients[3].country: expected text, got a YAML boolean (false) (put it in quotes)"
    )


def test_unknown_article(folder: Path) -> None:
    _edit(
        folder,
        "transfers.md",
        "      - article: 46(2)(c)\n        instrument: >-\n          Standard "
        "contractual clauses, Commission Decision",
        "      - article: 46(2)(z)\n        instrument: >-\n"
        "          Standard contractual clauses, Commission Decision",
    )
    message = _error(folder)
    assert message.startswith(
        f"{folder}/transfers.md:47: recipients[3].grounds[0].article: expected one of '45', '46(2)(a)'"
    )
    assert message.endswith("got '46(2)(z)'")


def test_unknown_gdpr_point(folder: Path) -> None:
    _edit(folder, "legal-basis.md", "  - 6(1)(d)", "  - 6(1)(z)")
    assert _error(folder).startswith(f"{folder}/legal-basis.md:6: gdpr_article_6[0]: expected one of '6(1)(a)'")


def test_boolean_must_be_a_boolean(folder: Path) -> None:
    _edit(folder, "retention.md", "  encryption_in_transit: true", "  encryption_in_transit: 1")
    assert _error(folder) == (
        f"{folder}/retention.md:29: safeguards.encryption_in_transit: expected true or false, got 1"
    )


def test_version_must_be_text(folder: Path) -> None:
    _edit(folder, "provider.md", 'version: "2026.2"', "version: 2026.2")
    assert _error(folder) == f"{folder}/provider.md:3: version: expected text, got 2026.2 (put it in quotes)"


def test_e2ee_needs_its_date(folder: Path) -> None:
    _edit(folder, "provider.md", "    e2ee_from: 2026-10-01\n", "    e2ee_from: null\n")
    assert _error(folder) == (
        f"{folder}/provider.md:14: services[0].e2ee_from: required when e2ee is true "
        "(the date end-to-end encryption applies from)"
    )


def test_preparer_cannot_approve(folder: Path) -> None:
    _edit(folder, "provider.md", "  - demo-reviewer\n", "  - Aoife Byrne\n")
    assert _error(folder).startswith(f"{folder}/provider.md:28: preparer: must not be one of the approvers")


def test_duplicate_field(folder: Path) -> None:
    _edit(folder, "transfers.md", "  - name: NCMEC\n", "  - name: NCMEC\n    name: X\n")
    assert _error(folder) == (
        f"{folder}/transfers.md:7: recipients[0].name: field given twice (expected each field once)"
    )


def test_retention_needs_a_rule_per_category(folder: Path) -> None:
    _edit(folder, "retention.md", "  - data: complaint\n    max_days: 195\n    purposes: [redress]\n", "")
    assert _error(folder).startswith(f"{folder}/retention.md:5: rules: no rule for data 'complaint'")


def test_missing_document(folder: Path) -> None:
    (folder / "retention.md").unlink()
    assert _error(folder) == (
        f"{folder}/retention.md: document is missing (a policy folder holds provider.md, "
        "legal-basis.md, transfers.md, retention.md, measures.md)"
    )


def test_the_parent_of_a_policy_folder_points_at_the_folder(tmp_path: Path) -> None:
    """The repository's policies/ holds the example folder: pointing at it names the folder to use."""
    shutil.copytree(EXAMPLE, tmp_path / "policies" / "example")
    assert _error(tmp_path / "policies").startswith(
        f"{tmp_path}/policies/provider.md: document is missing (a policy folder holds provider.md, legal-basis.md, "
        f"transfers.md, retention.md, measures.md; {tmp_path}/policies/example looks like one: point CSA_POLICIES "
        "or --policies at it)"
    )


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="does not exist or is not a folder"):
        load_policies(tmp_path / "nope")


def test_not_utf8(folder: Path) -> None:
    (folder / "provider.md").write_bytes(b"---\nkind: provider\nprovider: \xff\n---\n")
    assert _error(folder) == f"{folder}/provider.md:3: not valid UTF-8 text (byte 29); save the file as UTF-8"


def test_front_matter_must_be_a_mapping(folder: Path) -> None:
    (folder / "provider.md").write_text("---\n- a\n- b\n---\nbody\n", encoding="utf-8")
    assert _error(folder) == (
        f"{folder}/provider.md:2: front matter: expected a mapping of fields (`field: value` lines), got list"
    )


def test_not_applicable_category(folder: Path) -> None:
    path = folder / "measures.md"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("solicitation:\n"), text.index("reporting:\n")
    path.write_text(
        text[:start] + "solicitation:\n  not_applicable: We do not scan text.\n" + text[end:], encoding="utf-8"
    )
    m = load_policies(folder).measures
    assert m.category("solicitation").not_applicable == "We do not scan text."  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "spelling", ["aoife byrne", "AOIFE BYRNE"]
)  # other spacing: tests/policies/test_policy_names.py
def test_preparer_cannot_approve_under_another_case_or_spacing(folder: Path, spelling: str) -> None:
    # The sign-off form compares names ignoring case and spacing, so the policy must too.
    _edit(folder, "provider.md", "  - demo-reviewer\n", f"  - {spelling!r}\n".replace("'", '"'))
    assert _error(folder).startswith(f"{folder}/provider.md:28: preparer: must not be one of the approvers")


DARA_KEY = "key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINLECohtS948nscwjSvhk8DNE7JKH21NBzaLZWCWVrV7"


def test_one_key_listed_under_two_names_is_refused(folder: Path) -> None:
    # The same type+base64 with another comment is the same key.
    _edit(
        folder,
        "provider.md",
        "  - name: Aoife Byrne  #",
        f"  - name: demo-reviewer\n    {DARA_KEY} other\n  - name: Aoife Byrne  #",
    )
    assert _error(folder).endswith(
        "signing_keys: the same key is listed for 'Dara Kelly' and 'demo-reviewer'; each "
        "person signs with their own key"
    )


def test_one_person_listed_twice_in_signing_keys_is_refused(folder: Path) -> None:
    other = "key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIODpZnCZ9r2NZNMsa9x+9T79DmkdrP8+Apn01WndZ6eu x"
    _edit(
        folder,
        "provider.md",
        "  - name: Aoife Byrne  #",
        f"  - name: Dara Kelly\n    {other}\n  - name: Aoife Byrne  #",
    )
    assert _error(folder).endswith("signing_keys: 'Dara Kelly' is listed twice; list one key per person")
