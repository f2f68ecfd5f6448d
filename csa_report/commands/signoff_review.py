"""What ``csa-report approve --key`` shows and asks before it signs: the waiting request's structured
:class:`~csa_report.filing.review.Review` (key figures, report id, manifest SHA-256), read back from the run.

An approval signs only the manifest the approver says they reviewed: ``--sha256 HASH`` matching the one shown
(case and surrounding spaces ignored), or a y/N confirmation typed at a terminal. Without either, nothing is
signed (exit 2) and the message names the hash to pass. A rejection signs without that step: it submits nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from csa_report.errors import InputError
from csa_report.filing.review import Review, review_key, reviewed_manifest

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

#: Asks a yes/no question at the terminal; None where stdin is not one.
Confirm = Callable[[str], bool]


def review_of(client: SyncPrefectClient, fr: FlowRun, keyset: dict[str, str]) -> Review | None:
    """The structured copy of the waiting request (csa_report/filing/review.py), or None when the run stored
    none (a form that is not csa-report's)."""
    try:
        value = json.loads(client.read_flow_run_input(fr.id, review_key(keyset["response"].removesuffix("-response"))))
        return Review.model_validate(value)
    except Exception:  # unreadable, missing or not ours: the caller says what that means for it
        return None


def review_lines(review: Review, run_name: str) -> list[str]:
    """The lines printed before signing: report, key figures, manifest SHA-256."""
    lines = [f"flow run {run_name} asks you to sign report {review.report_id}:"]
    lines += [f"  {label}: {value}" for label, value in review.key_figures]
    if not review.key_figures:
        lines.append("  (the run states no key figures: read them in its form in the Prefect UI)")
    lines.append(f"manifest SHA-256 {review.manifest_sha256}")
    return lines


def check_reviewed(shown_sha256: str, reviewed_sha256: str | None, run_name: str) -> None:
    """``--sha256`` given with ``--key``: the manifest the run shows must be the one reviewed (compared
    case-insensitively, spaces around it ignored), or nothing is signed."""
    if reviewed_sha256 is None:
        return
    if "".join(reviewed_sha256.split()).lower() != shown_sha256.strip().lower():
        raise InputError(
            f"--sha256 {reviewed_sha256.strip()[:12]}… is not the manifest flow run {run_name} waits "
            f"for ({shown_sha256[:12]}…); review the current version; nothing was signed"
        )


def confirm_signing(review: Review, run_name: str, reviewed_sha256: str | None, confirm: Confirm | None) -> None:
    """Raise InputError (nothing signed) unless ``--sha256`` matches the manifest shown, or the approver
    confirms at the terminal."""
    if reviewed_sha256 is not None:
        check_reviewed(review.manifest_sha256, reviewed_sha256, run_name)
        return
    if confirm is None:
        raise InputError(
            f"flow run {run_name}: to approve, pass --sha256 {review.manifest_sha256} (the manifest shown above, "
            "once you have reviewed it); stdin is not a terminal to confirm on; nothing was signed"
        )
    if not confirm(f"Sign manifest {review.manifest_sha256} of report {review.report_id}?"):
        raise InputError(f"not confirmed: nothing was signed and flow run {run_name} still waits for a sign-off")


def manifest_to_sign(
    review: Review | None,
    run_name: str,
    reviewed_sha256: str | None,
    *,
    approving: bool,
    confirm: Confirm | None,
    show: Callable[[str], None],
) -> bytes:
    """The manifest bytes to sign for the waiting request, after showing what they are; an approval only once
    confirmed (:func:`confirm_signing`), a rejection checked against ``--sha256`` when given."""
    review = review or Review(report_id="", manifest_sha256="0" * 64)
    data = reviewed_manifest(review, run_name)  # refuses a typed request, or a manifest not matching its hash
    for line in review_lines(review, run_name):
        show(line)
    if approving:
        confirm_signing(review, run_name, reviewed_sha256, confirm)
    else:
        check_reviewed(review.manifest_sha256, reviewed_sha256, run_name)
    return data
