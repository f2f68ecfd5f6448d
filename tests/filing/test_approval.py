"""The sign-off rules without a server: judge(), the form's JSON schema (what the Prefect server validates
against: the library's form as the task layer's RunInput), the reviewer description and the error codes."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from prefect._internal.pydantic.v2_schema import create_v2_schema
from prefect.input import RunInput

from csa_report.errors import CsaReportError, SignOffMissing, SignOffRefused, SignOffTimeout
from csa_report.filing.approval import SignedSignOff, SignOff, judge
from csa_report.filing.review import describe_for_reviewer
from csa_report.tasks.signoff import SignedSignOffInput, SignOffInput

SHA = "a" * 64
APPROVERS = ("Alice Approver", "Bob Reviewer", "Pat Preparer")


def answer(**kw: str) -> SignOff:
    data = {"decision": "approve", "reviewer": "Alice Approver", "manifest_sha256": SHA, "comment": ""} | kw
    return SignOff(**data)


def decide(a: SignOff, sha: str = SHA):
    return judge(a, approvers=APPROVERS, preparer="Pat Preparer", manifest_sha256=sha)


def schema_of(cls: type[RunInput]) -> dict[str, Any]:
    """Exactly what RunInput.save() stores and the server's /resume validates against."""
    return create_v2_schema(cls.__name__, model_base=cls)


# --- evaluate ------------------------------------------------------------------------------------------------


def test_happy_path_approve_and_reject_are_accepted():
    ok = decide(answer())
    assert ok.accepted and ok.approved and not ok.rejected and ok.reason == "approved by Alice Approver"
    no = decide(answer(decision="reject", reviewer="Bob Reviewer", comment="figures wrong"))
    assert no.accepted and no.rejected and not no.approved


def test_allow_list_is_case_and_space_insensitive():
    assert decide(answer(reviewer="alice  APPROVER")).accepted
    assert decide(answer(reviewer="  alice approver ")).accepted
    refused = decide(answer(reviewer="Mallory"))
    assert not refused.accepted and not refused.approved
    assert "'Mallory' is not among the provider's approvers" in refused.reason


@pytest.mark.parametrize("who", ["Pat Preparer", "pat preparer", "PAT   preparer"])
def test_four_eyes_refuses_the_preparer_even_when_listed_as_approver(who):
    d = decide(answer(reviewer=who))
    assert not d.accepted and "four-eyes" in d.reason


def test_hash_mismatch_is_refused_for_both_decisions():
    for decision in ("approve", "reject"):
        d = decide(answer(decision=decision, manifest_sha256="b" * 64))
        assert not d.accepted and "does not match the staged manifest" in d.reason


def test_expected_hash_is_compared_case_insensitively():
    assert decide(answer(), sha=SHA.upper()).accepted


def test_upper_case_hash_and_sloppy_name_are_accepted_and_recorded_canonically():
    sha = "0123456789abcdef" * 4
    d = decide(answer(reviewer="  bob   REVIEWER ", manifest_sha256=f" {sha.upper()} ", comment=" fine "), sha=sha)
    assert d.accepted and d.approved
    assert (d.answer.reviewer, d.answer.manifest_sha256, d.answer.comment) == ("Bob Reviewer", sha, "fine")
    assert d.reason == "approved by Bob Reviewer"


def test_no_approvers_refuses_everybody():
    d = judge(answer(), approvers=["", "  "], preparer="x", manifest_sha256=SHA)
    assert not d.accepted and "no approvers" in d.reason


# --- the JSON schema the server validates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        SignOff,
        SignOffInput,
        SignOffInput.with_initial_data(description="d", decision="approve"),
        SignOffInput.with_initial_data(description="d", reviewer="Al", comment="c"),
    ],
)
def test_constraints_are_in_the_json_schema(form):
    s = schema_of(form)
    props = s["properties"]
    assert s["additionalProperties"] is False
    assert props["decision"]["enum"] == ["approve", "reject"]
    assert props["reviewer"]["minLength"] == 2 and props["reviewer"]["maxLength"] == 200
    assert props["reviewer"]["pattern"] == r"^[ \t]*\S.*\S[ \t]*$"
    assert props["manifest_sha256"]["pattern"] == r"^[ \t]*[0-9a-fA-F]{64}[ \t]*$"
    assert all(props[f].get("description") for f in ("decision", "reviewer", "manifest_sha256", "comment"))
    assert "manifest_sha256" in s["required"]


def test_initial_data_sets_defaults_and_description_without_losing_constraints():
    form = SignOffInput.with_initial_data(description="## please review", decision="reject")
    assert form._description == "## please review"
    assert form.__name__ == "SignOff" and schema_of(form)["title"] == "SignOff"  # the title the server stores
    s = schema_of(form)
    assert s["properties"]["decision"]["default"] == "reject"
    assert "decision" not in s["required"] and {"reviewer", "manifest_sha256"} <= set(s["required"])
    # The base RunInput.with_initial_data would rebuild the field from its annotation and drop the help text:
    base = RunInput.with_initial_data.__func__(SignOffInput, description="x", decision="reject")  # type: ignore[attr-defined]
    assert "description" not in schema_of(base)["properties"]["decision"]


def test_unknown_initial_field_is_a_programming_error():
    with pytest.raises(TypeError):
        SignOffInput.with_initial_data(decisoin="approve")


VALID = {"decision": "approve", "reviewer": "Alice Approver", "manifest_sha256": SHA}


@pytest.mark.parametrize(
    "bad",
    [
        {"reviewer": ""},
        {"reviewer": "x"},
        {"reviewer": "   "},
        {"reviewer": " x "},
        {"reviewer": "Al\nice"},
        {"reviewer": "x" * 201},
        {"manifest_sha256": "abc"},
        {"manifest_sha256": SHA + "0"},
        {"manifest_sha256": SHA[:63] + " "},
        {"manifest_sha256": "g" * 64},
        {"decision": "maybe"},
        {"decision": None},
        {"extra": 1},
    ],
)
def test_schema_rejects_malformed_answers(bad):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(VALID | bad, schema_of(SignOff))


def test_schema_accepts_a_wellformed_answer_and_pydantic_agrees():
    jsonschema.validate(VALID | {"comment": "ok"}, schema_of(SignOff))
    jsonschema.validate(VALID | {"reviewer": "Jo"}, schema_of(SignOff))
    # Forgiving: upper-case hashes (Windows tools), spaces around a pasted name or hash.
    for lenient in (
        {"manifest_sha256": SHA.upper()},
        {"manifest_sha256": " " + "AbC1" * 16 + "\t"},
        {"reviewer": " Alice Approver  "},
        {"reviewer": "\talice approver"},
    ):
        jsonschema.validate(VALID | lenient, schema_of(SignOff))
    assert SignOff(**VALID).comment == ""


def test_the_signed_form_asks_only_for_what_it_uses():
    """No ignored field: the approver comes from the key, the hash from the manifest the signature covers."""
    form = SignedSignOffInput.with_initial_data(description="d", decision="approve")
    assert issubclass(form, SignedSignOff) and not issubclass(form, SignOffInput) and form.__name__ == "SignedSignOff"
    s = schema_of(form)
    assert list(s["properties"]) == ["decision", "comment", "signature"]
    assert s["required"] == ["signature"]  # decision has its initial value
    assert s["additionalProperties"] is False


# --- the description ------------------------------------------------------------------------------------------


def test_description_has_figures_findings_links_and_the_hash():
    md = describe_for_reviewer(
        title="Example Mail 2025",
        manifest_sha256=SHA,
        key_figures={"Reports | sent": "1 234", "Error rate": "0.12 %"},
        findings=["warning R07: retention close to the limit"],
        links=[("report.pdf", "https://s3/x/report.pdf?X-Amz-Signature=a(b)")],
        preparer="Pat Preparer",
        approvers=["Alice Approver", "Bob Reviewer"],
        links_expire="2026-12-02T12:00:00Z",
    )
    assert md.startswith("## Sign-off: Example Mail 2025")
    # A list (Prefect's V1 dialog would hide a table's values in a box that scrolls sideways), values in bold.
    assert "**Key figures:**\n\n- Reports \\| sent: **1 234**\n- Error rate: **0.12 %**\n" in md
    assert "| Key figure |" not in md
    assert "- warning R07: retention close to the limit" in md
    assert "[report.pdf](https://s3/x/report.pdf?X-Amz-Signature=a%28b%29)" in md
    assert f"```\n{SHA}\n```" in md and "2026-12-02T12:00:00Z" in md
    assert "Approvers: Alice Approver, Bob Reviewer; prepared by Pat Preparer, who cannot sign off." in md


def test_a_figure_cannot_break_out_of_its_list_item():
    md = describe_for_reviewer(title="t", manifest_sha256=SHA, key_figures=[("Rate *A*", "1 **2\n- x")])
    assert "- Rate \\*A\\*: **1 \\*\\*2 - x**\n" in md


def test_description_without_findings_says_so():
    assert "No findings." in describe_for_reviewer(title="t", manifest_sha256=SHA)


# --- errors ---------------------------------------------------------------------------------------------------


def test_missing_signoff_has_its_own_exit_code():
    for cls in (SignOffMissing, SignOffTimeout, SignOffRefused):
        assert issubclass(cls, CsaReportError) and cls("x").exit_code == 6


def test_a_server_refusal_is_explained_in_words():
    from csa_report.filing.approval import explain_refusal

    raw = "Validation failed for field 'manifest_sha256'. Failure reason: 'abc' does not match '^…$'"
    assert explain_refusal(raw) == raw + " (the manifest SHA-256 is 64 hex digits, upper or lower case)"
    assert explain_refusal("'x' is too short").startswith("'x' is too short")
    assert "description" in schema_of(SignOff)["properties"]["manifest_sha256"]
    assert "upper or lower case" in schema_of(SignOff)["properties"]["manifest_sha256"]["description"]
    assert "Case and spaces" in schema_of(SignOff)["properties"]["reviewer"]["description"]


def test_the_form_quotes_the_reports_summary_as_written() -> None:
    summary = (
        "Example Communications Ireland Ltd: transparency report 2025",
        "",
        "- Reports sent concerning EU users — known CSAM: 1,204 [section 4]",
        "Contact point: Niamh Walsh <csa@example.ie> *not bold*",
    )
    md = describe_for_reviewer(title="t", manifest_sha256=SHA, summary=summary)
    assert (
        "**What the authority will read first (the report's summary):**\n\n"
        "> Example Communications Ireland Ltd: transparency report 2025\n"
        ">\n"
        "> - Reports sent concerning EU users — known CSAM: 1,204 \\[section 4\\]\n"
        "> Contact point: Niamh Walsh \\<csa@example.ie\\> \\*not bold\\*\n\n" in md
    )
    assert "summary" not in describe_for_reviewer(title="t", manifest_sha256=SHA)


def test_a_signed_form_asks_for_no_typed_hash() -> None:
    typed = describe_for_reviewer(title="t", manifest_sha256=SHA)
    signed = describe_for_reviewer(title="t", manifest_sha256=SHA, signed=True)
    assert "**Confirm the manifest you reviewed.** Its SHA-256 (`sha256sum manifest.json`) must be:" in typed
    assert "Confirm" not in signed and "must be" not in signed
    assert f"**The manifest you sign.** Its SHA-256 (`sha256sum manifest.json`) is:\n\n```\n{SHA}\n```" in signed


def test_the_refusal_log_line_reads_back_as_key_and_reason() -> None:
    from csa_report.filing.approval import REFUSAL_LOG, logged_refusal

    line = REFUSAL_LOG % ("signoff-2", "reviewer 'Pat Preparer' prepared this report: refused: four eyes")
    assert logged_refusal(line) == "signoff-2: reviewer 'Pat Preparer' prepared this report: refused: four eyes"
    assert logged_refusal("sign-off requested (signoff-1, suspended)") is None
