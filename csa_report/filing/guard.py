"""One filing per (provider, period): a period that has been filed is filed again only as an explicit correction.

The audit DB's ``filings`` table holds one row per report sent to the authorities for a period. ``seq`` is 0 for
the first filing and n + 1 for the correction of filing n, and (provider, period, seq) is unique. So:

- the check before staging (:func:`check_not_filed`) stops a run for a filed period early, with a clear reason;
- the claim before archiving (:func:`claim_filing`) is the guard itself: an INSERT that the unique constraint
  lets exactly one of two concurrent runs win (two first filings race for seq 0, two corrections of the same
  filing for the same n + 1). The loser stops before anything is archived or sent;
- a run never claims what it did not do: a *completed* filing (every delivery out) is continued only by the
  flow run that claimed it (a Retry of that run, or its resumed execution); every other run of the period,
  whatever its bytes, stops as :class:`AlreadyFiled`. A filing still ``submitting`` (a run killed or stopped
  mid-delivery) is finished by whichever run produces the same report again, since the deliveries are once-only
  by their own constraint and the operator's ``delivery confirm``/``resend`` then a re-run is how it completes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from csa_report.audit.log import AuditLog
from csa_report.audit.records import FilingRecord
from csa_report.errors import InputError
from csa_report.period import format_instant

log = logging.getLogger(__name__)

__all__ = [
    "AlreadyFiled",
    "Correction",
    "FilingRecord",
    "check_not_filed",
    "claim_filing",
    "correction_of",
    "describe_filing",
    "filings",
    "mark_filed",
]

REASON_MAX = 2000


class AlreadyFiled(InputError):
    """The period was filed before (or by a concurrent run) and this run is not a correction of that filing."""


@dataclass(frozen=True)
class Correction:
    """This report corrects (supersedes) an earlier filing of the same period, for ``reason``."""

    supersedes: str
    reason: str

    def describe(self) -> str:
        return f"corrected version, supersedes report {self.supersedes}, because: {self.reason}"


def correction_of(supersedes: str | None, reason: str | None) -> Correction | None:
    """The correction asked for on the command line or as flow parameters, checked for form only (whether the
    superseded report exists is :func:`check_not_filed`'s question)."""
    sup = (supersedes or "").strip()
    why = " ".join((reason or "").split())
    if not sup:
        if why:
            raise InputError("--reason is given without --supersedes REPORT_ID: a reason only explains a correction")
        return None
    if not why:
        raise InputError(f"--supersedes {sup}: a correction needs --reason TEXT (why the filed report is wrong)")
    if len(why) > REASON_MAX:
        raise InputError(f"--reason: at most {REASON_MAX} characters, got {len(why)}")
    return Correction(sup.lower(), why)


def filings(audit: AuditLog, provider: str, period: str) -> list[FilingRecord]:
    """The filings of a period, first filing first."""
    return audit.filings(provider, period)


def describe_filing(f: FilingRecord) -> str:
    """``report R (filed 2026-01-15T00:00:00Z, submitted)``: the filing as the messages name it."""
    when = f"filed {format_instant(f.filed_at)}, " if f.filed_at is not None else ""
    return f"report {f.report_id} ({when}{f.status})"


def _not_done(report_id: str, staged: bool) -> str:
    """What this run leaves: before staging nothing; at the claim (after staging) a staged copy, never archived."""
    if staged:
        return f"report {report_id} stays staged for reference only and is not archived or sent"
    return "nothing is staged or sent again"


def _filed(provider: str, period: str, latest: FilingRecord, report_id: str, staged: bool) -> AlreadyFiled:
    return AlreadyFiled(
        f"{provider}, period {period}: already filed as {describe_filing(latest)}; {_not_done(report_id, staged)}"
        f". To file a correction, run again with --supersedes {latest.report_id} --reason TEXT"
    )


def _next_seq(
    existing: list[FilingRecord],
    provider: str,
    period: str,
    report_id: str,
    correction: Correction | None,
    flow_run_id: str | None,
    staged: bool = False,
) -> int | FilingRecord:
    """The seq this report would file under, or its own filing when this run may go on with it: the flow run
    that claimed it (retry, resume), or any run while the filing is unfinished (a re-run after a crash)."""
    latest = existing[-1] if existing else None
    for f in existing:
        if f.report_id == report_id:
            if latest is not None and latest.seq > f.seq:
                # A re-run or retry of a superseded report would complete its deliveries after the correction.
                raise AlreadyFiled(
                    f"{provider}, period {period}: report {report_id} was superseded by report {latest.report_id}; "
                    + (f"{_not_done(report_id, staged)} again" if staged else "nothing of it is staged or sent again")
                )
            if f.complete and (flow_run_id is None or f.flow_run_id != flow_run_id):
                # Same bytes, another run: going on would reuse that run's approval and claim its receipts.
                raise _filed(provider, period, f, report_id, staged)
            return f
    if correction is None:
        if latest is None:
            return 0
        raise _filed(provider, period, latest, report_id, staged)
    known = {f.report_id: f for f in existing}
    target = known.get(correction.supersedes)
    if target is None:
        filed = ", ".join(f.report_id for f in existing) or "none"
        raise InputError(
            f"--supersedes {correction.supersedes}: no such report was filed for {provider}, period "
            f"{period} (filed: {filed})"
        )
    assert latest is not None
    if target.report_id != latest.report_id:
        raise InputError(
            f"--supersedes {correction.supersedes}: that report was already superseded by report "
            f"{latest.report_id}; a correction supersedes the latest filing"
        )
    return target.seq + 1


def check_not_filed(
    audit: AuditLog,
    provider: str,
    period: str,
    report_id: str,
    correction: Correction | None,
    flow_run_id: str | None = None,
) -> FilingRecord | None:
    """Before staging: raise :class:`AlreadyFiled` (exit 2) when the period is filed and this run is not a
    correction of its latest filing (nor the flow run that filed it, nor a re-run finishing an unfinished
    filing of the same report), :class:`InputError` when the correction names an unknown or superseded
    report. Returns the filing this run goes on with, if any."""
    found = _next_seq(filings(audit, provider, period), provider, period, report_id, correction, flow_run_id)
    return found if isinstance(found, FilingRecord) else None


def claim_filing(
    audit: AuditLog,
    *,
    provider: str,
    period: str,
    report_id: str,
    manifest_sha256: str,
    correction: Correction | None,
    run_id: int | None,
    at: datetime,
    flow_run_id: str | None = None,
) -> FilingRecord:
    """Before archiving: take the period's next filing slot for this report, or find it taken by this report
    already. Raises :class:`AlreadyFiled` when another report holds it (e.g. a concurrent run won the race)."""
    existing = filings(audit, provider, period)
    found = _next_seq(existing, provider, period, report_id, correction, flow_run_id, staged=True)
    if isinstance(found, FilingRecord):
        return found
    claim = FilingRecord(
        provider,
        period,
        found,
        report_id,
        manifest_sha256,
        correction.supersedes if correction else None,
        correction.reason if correction else None,
        "submitting",
        run_id,
        flow_run_id,
        at,
    )
    if not audit.insert_filing(claim, run_id=run_id, at=at):
        now = filings(audit, provider, period)
        mine = [f for f in now if f.report_id == report_id]
        if mine:  # the same report claimed by a concurrent run of itself: one filing, deliveries stay once-only
            return mine[0]
        winner = next((f for f in now if f.seq == found), None)
        log.warning(
            "filing of %s %s seq %d lost to report %s", provider, period, found, winner.report_id if winner else "?"
        )
        raise AlreadyFiled(
            f"{provider}, period {period}: report {winner.report_id if winner else '?'} was filed by a concurrent "
            f"run first; {_not_done(report_id, staged=True)}. To file it anyway, run again as a correction "
            f"(--supersedes {winner.report_id if winner else 'REPORT_ID'} --reason TEXT)"
        )
    log.info(
        "filing claimed: %s %s seq %d report %s%s",
        provider,
        period,
        found,
        report_id,
        f" (supersedes {correction.supersedes})" if correction else "",
    )
    return claim


def mark_filed(audit: AuditLog, provider: str, period: str, report_id: str, at: datetime) -> None:
    """Every delivery of the report went out: the filing is complete."""
    audit.set_filing_status(provider, period, report_id, "submitted", at)
