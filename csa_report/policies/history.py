"""Policy history: several versions of one document, and the version in force for a period.

Each version is in force from its ``effective_from`` to its ``effective_until`` (inclusive) or, without one, to
the day before the next version takes effect (the newest: open-ended). A report quotes the version in force on
the last day of its period. Two versions covering the same day, or a day of the period that falls between two
versions, is an input error naming the document and the dates. Days of the period before the first version are
not an error here: the document then took effect after the period began, which the POLICY-1 review finding
reports (a provider's first policy may postdate the start of its first period).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise
from typing import TypeVar

from csa_report.errors import PolicyError
from csa_report.period import Period
from csa_report.policies.models import PolicyDocument

D = TypeVar("D", bound=PolicyDocument)


def document_name(doc: PolicyDocument) -> str:
    """The document's name in the folder ("provider.md"), also for a version kept in its history."""
    if doc.path.parent.parent.name == "history":
        return f"{doc.path.parent.name}.md"
    return doc.path.name


def _where(doc: PolicyDocument) -> str:
    return f"{doc.path} (version {doc.version}, effective from {doc.effective_from.isoformat()})"


def spans(file_name: str, versions: Sequence[D]) -> list[tuple[D, date, date | None]]:
    """Each version with its first and last day in force (None: open-ended), oldest first; raises PolicyError
    when two versions cover the same day or an explicit end leaves days uncovered before the next version."""
    ordered = sorted(versions, key=lambda d: d.effective_from)
    out: list[tuple[D, date, date | None]] = []
    for i, doc in enumerate(ordered):
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        until = doc.effective_until
        if until is not None and until < doc.effective_from:
            raise PolicyError(f"{file_name}: {_where(doc)} ends on {until.isoformat()}, before it takes effect")
        if nxt is not None:
            if nxt.effective_from == doc.effective_from or (until is not None and until >= nxt.effective_from):
                overlap = nxt.effective_from
                raise PolicyError(
                    f"{file_name}: two versions cover the same day {overlap.isoformat()}: {_where(doc)}"
                    f"{' until ' + until.isoformat() if until else ''} and {_where(nxt)}; a day has one version "
                    "in force (set effective_until on the older one)"
                )
            if until is None:
                until = nxt.effective_from - timedelta(days=1)
        out.append((doc, doc.effective_from, until))
    return out


def version_in_force(file_name: str, versions: Sequence[D], period: Period) -> D:
    """The version of ``file_name`` to quote for ``period``: the one in force on the period's last day."""
    covered = spans(file_name, versions)
    # Days of the period between versions (after an explicit effective_until, before the next version).
    for (doc, _first, until), (nxt, next_first, _last) in pairwise(covered):
        if until is not None and until + timedelta(days=1) < next_first:
            gap_first, gap_last = until + timedelta(days=1), next_first - timedelta(days=1)
            if gap_first <= period.end and gap_last >= period.start:
                raise PolicyError(
                    f"{file_name}: no version is in force from {max(gap_first, period.start).isoformat()} to "
                    f"{min(gap_last, period.end).isoformat()}, days of the period {period}: {_where(doc)} ends "
                    f"on {until.isoformat()} and {_where(nxt)} begins on {next_first.isoformat()}"
                )
    last = covered[-1]
    if last[2] is not None and last[2] < period.end:
        raise PolicyError(
            f"{file_name}: no version is in force from {max(last[2] + timedelta(days=1), period.start).isoformat()} "
            f"to {period.end.isoformat()}, days of the period {period}: {_where(last[0])} ends on "
            f"{last[2].isoformat()}"
        )
    in_force = [doc for doc, first, until in covered if first <= period.end and (until is None or until >= period.end)]
    if in_force:
        return in_force[0]
    # Every version took effect after the period ended: the oldest is the nearest (POLICY-1 reports it).
    return covered[0][0]
