"""The tense of quoted policy: which documents a section quotes, and the note a section carries when one of
them took effect after the period began (issue 14 item 4, docs/definitions.md reading 29).

A document that took effect during the period does not describe the days before it; the report still quotes
the version in force on the period's last day (policies/history.py), so it says, once per section and per
document, from when that text applies and what applied before.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from csa_report.period import Period
from csa_report.policies.history import document_name, spans
from csa_report.policies.loader import HISTORY, load_document
from csa_report.policies.models import PolicyDocument, PolicySet


class QuotingPolicies:
    """A read-only view of a PolicySet that records each document a section builder reads (by name, in the
    order first read), so that the notes name exactly the documents the section's fields quote."""

    def __init__(self, policies: PolicySet, quoted: dict[str, PolicyDocument]) -> None:
        self._policies = policies
        self._quoted = quoted

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._policies, name)
        if isinstance(value, PolicyDocument):
            self.record(self._quoted, value)
        return value

    @staticmethod
    def record(quoted: dict[str, PolicyDocument], doc: PolicyDocument) -> None:
        quoted.setdefault(document_name(doc), doc)


def tense_notes(quoted: dict[str, PolicyDocument], period: Period, folder: Path) -> tuple[str, ...]:
    """One note per quoted document that took effect after the period's first day; none otherwise."""
    return tuple(_note(name, doc, period, folder) for name, doc in quoted.items() if doc.effective_from > period.start)


def _note(name: str, doc: PolicyDocument, period: Period, folder: Path) -> str:
    head = (
        f"Stated in {name}, in force from {doc.effective_from.isoformat()} (the period began "
        f"{period.start.isoformat()}); "
    )
    before = _version_before(name, doc, folder)
    if before is None:
        return head + "no version of this document was in force before that date."
    return head + f"before that date {name} version {before.version} applied."


def _version_before(name: str, doc: PolicyDocument, folder: Path) -> PolicyDocument | None:
    """The version of the document's history in force on the day before ``doc`` took effect, if any."""
    history = folder / HISTORY / Path(name).stem
    if not history.is_dir():
        return None
    older = [
        v
        for v in (load_document(p, doc.kind, type(doc)) for p in sorted(history.glob("*.md")))
        if v.effective_from < doc.effective_from
    ]
    day = doc.effective_from - timedelta(days=1)
    for version, first, until in spans(name, [*older, doc]):
        if version is not doc and first <= day and (until is None or until >= day):
            return version
    return None
