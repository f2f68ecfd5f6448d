"""A minimal served flow around the real sign-off step: a persisted task computes a fake manifest hash, the flow
waits for a sign-off (suspends, since it runs from a deployment), then a submit task appends to a file.

Each task appends a line to a file in ``workdir`` so the tests can count executions across suspend/resume.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from prefect import flow, task

from csa_report.filing.approval import Refusal
from csa_report.filing.review import describe_for_reviewer
from csa_report.tasks.signoff import request_signoff

PREPARER = "pat preparer"
APPROVERS = ("Alice Approver", "Bob Reviewer", "pat preparer")


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


@task(persist_result=True)
def prepare(workdir: str, period: str) -> str:
    """Stands in for extract → check → render → stage: returns the manifest's SHA-256."""
    _append(Path(workdir) / "prepare.log", period)
    return hashlib.sha256(f"manifest of {period}".encode()).hexdigest()


@task(persist_result=True)
def submit(workdir: str, period: str, reviewer: str, sha: str) -> str:
    _append(Path(workdir) / "submit.log", f"{period} {reviewer} {sha}")
    return "submitted"


def write_refusal(workdir: str, refusal: Refusal) -> None:
    _append(Path(workdir) / "refusals.log", json.dumps(refusal.__dict__, sort_keys=True))


@flow(name="signoff-demo", persist_result=True)
def signoff_demo(workdir: str, period: str = "2025", timeout_s: int = 600, max_refusals: int = 3) -> str:
    sha = prepare(workdir, period)
    description = describe_for_reviewer(
        title=f"demo report {period}",
        manifest_sha256=sha,
        key_figures=[("Reports sent (known CSAM)", "1 234"), ("Error rate, known CSAM", "0.12 %")],
        findings=["warning R07: retention period close to the limit"],
        links=[("report.pdf", "http://127.0.0.1:1/pending/report.pdf?X-Amz-Signature=abc")],
        preparer=PREPARER,
        approvers=list(APPROVERS),
        links_expire="2026-12-02T12:00:00Z",
    )
    decision = request_signoff(
        description,
        approvers=APPROVERS,
        preparer=PREPARER,
        manifest_sha256=sha,
        on_refusal=functools.partial(write_refusal, workdir),
        timeout_s=timeout_s,
        max_refusals=max_refusals,
        poll_interval_s=1,
    )
    if decision.approved:
        return submit(workdir, period, decision.answer.reviewer, sha)
    _append(Path(workdir) / "rejected.log", f"{period} {decision.answer.reviewer} {decision.answer.comment}")
    return "rejected"
