"""README.md of an evidence pack (csa_report.evidence): what is in it, and how an auditor checks the archived
copies with standard tools only. Every command block is run, as written, from the pack's folder by the test
(tests/flows/test_evidence_pack.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from csa_report.invisible import visible


def _cell(value: Any) -> str:
    text = "–" if value is None or value == "" else str(value)
    return " ".join(visible(text).split()).replace("|", "\\|")


def _table(head: Iterable[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    cols = list(head)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def readme(data: dict[str, Any], verify_command: Callable[[str, str], str]) -> str:
    period = data["period"]
    runs, filings, reports = data["runs"], data["filings"], data["reports"]
    out = [
        f"# Evidence pack for the reporting period {period}",
        "",
        "Made by `csa-report evidence` from the audit database and the WORM archive alone. `evidence.json` holds",
        "everything below as data; `reports/<report id>/` holds each filed report exactly as archived (copied by",
        "version id, each file checked against the SHA-256 recorded when it was archived).",
        "",
        "## Filing chain",
        "",
        "The first filing has number 0; each correction supersedes the filing before it and says why.",
        "",
        *_table(
            ["#", "report id", "supersedes", "reason", "status", "run", "filed at"],
            (
                [f["seq"], f["report_id"], f["supersedes"], f["reason"], f["status"], f["run_id"], f["filed_at"]]
                for f in filings
            ),
        ),
        "## Runs",
        "",
        *_table(
            ["run", "provider", "as of", "outcome", "report id", "filing", "started", "last change"],
            (
                [
                    r["run_id"],
                    r["provider"],
                    r["as_of"],
                    r["outcome"],
                    r["report_id"],
                    _filing_text(r["filing"]),
                    r["started_at"],
                    r["updated_at"],
                ]
                for r in runs
            ),
        ),
        "## Sign-offs",
        "",
        "A refused answer is recorded with the reason; only an accepted approval lets a report be filed.",
        "",
        *_table(
            ["run", "decision", "by", "at", "key fingerprint", "how", "refused because"],
            (
                [
                    r["run_id"],
                    s["decision"],
                    s["reviewer"],
                    s["decided_at"],
                    s["key_fingerprint"],
                    ("signed" if s["signed"] else "typed") + (", up front" if s["automatic"] else ""),
                    s["refused_reason"],
                ]
                for r in runs
                for s in r["signoffs"]
            ),
        ),
        "## Deliveries",
        "",
        "Attempts are those of the run (a re-run of the same report never sends a delivered message again).",
        "",
        *_table(
            ["run", "recipient", "status", "Message-ID", "first attempt", "accepted at", "attempts"],
            (
                [
                    r["run_id"],
                    d["recipient"],
                    d["status"],
                    d["message_id"],
                    d["first_attempt"],
                    d["accepted_at"],
                    d["attempts_this_run"],
                ]
                for r in runs
                for d in r["deliveries"]
            ),
        ),
        "## Archived objects",
        "",
        *_table(
            ["report id", "key", "version id", "SHA-256", "lock", "retained until"],
            (
                [p["report_id"], o["key"], o["version_id"], o["sha256"], o["lock_mode"], o["retain_until"]]
                for p in reports
                for o in p["objects"]
            ),
        ),
    ]
    for p in reports:
        out += _verify_section(p, next(f for f in filings if f["report_id"] == p["report_id"]), verify_command)
    if not reports:
        out += ["No report of this period was filed: there is nothing archived to verify.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _filing_text(filing: dict[str, Any] | None) -> str | None:
    if filing is None:
        return None
    text = f"#{filing['seq']} {filing['kind']}"
    if filing["superseded_by"]:
        text += f", superseded by {filing['superseded_by']}"
    return text


def _verify_section(
    report: dict[str, Any], filing: dict[str, Any], verify_command: Callable[[str, str], str]
) -> list[str]:
    rid = report["report_id"]
    folder = f"reports/{rid}"
    out = [
        f"## Verify report {rid}",
        "",
        "Run these from the folder this README is in. Each command exits 0 when the check holds.",
        "",
        "### 1. The files are the ones filed",
        "",
        "`SHA256SUMS` lists each artefact with the SHA-256 that `manifest.json` gives it, and `manifest.json`",
        "itself with the SHA-256 the audit database recorded when the report was approved",
        f"({filing['manifest_sha256']}).",
        "",
        "```sh",
        f"(cd {folder} && sha256sum -c SHA256SUMS)",
        "```",
        "",
        "To derive the artefact lines from `manifest.json` yourself (needs `jq`):",
        "`jq -r '.artefacts | to_entries[] | \"\\(.value.sha256)  \\(.key)\"' manifest.json`.",
        "",
    ]
    if report["signature"] is not None:
        fp = report["signature"]["fingerprint"]
        out += [
            "### 2. The approval is signed by the approver's key",
            "",
            "`manifest.json.sig` is the approver's OpenSSH signature over `manifest.json`. `signer.pub` and",
            "`allowed_signers` hold the key the signature names; check that its fingerprint is the one recorded at",
            f"the sign-off ({fp}) and the one listed for the approver in provider.md's `signing_keys`, then",
            "verify the signature:",
            "",
            "```sh",
            f"ssh-keygen -lf {folder}/signer.pub | grep -F '{fp}'",
            verify_command(rid, "approve"),
            "```",
            "",
        ]
    if report["sealed"]:
        out += [
            "### 3. The PDF carries the provider's PAdES seal",
            "",
            "`report.sealed.pdf` is the PDF that was sent: the approved `report.pdf` with a PAdES signature added",
            "after approval. Check that it begins with the approved bytes, then validate the seal against the CA",
            "certificate you trust for the provider's seal (`SEAL_CA`, a PEM file; for a qualified seal, pyHanko's",
            "`--eutl-all` uses the EU trusted lists instead):",
            "",
            "```sh",
            f'cmp -n "$(stat -c %s {folder}/report.pdf)" {folder}/report.pdf {folder}/report.sealed.pdf',
            'pyhanko sign validate --no-revocation-check --trust "$SEAL_CA" --trust-replace '
            f"{folder}/report.sealed.pdf",
            "```",
            "",
        ]
    return out
