"""Policy statements per version (issue 22 item 5, docs/definitions.md reading 35): where a document quoted by
sections 2, 3, 7, 8 or 9 has versions in force on different days of the period (policies/history), each field
whose statement differs between versions prints each version's statement with the days it applied; a statement
the same in every version is printed once. The prose after the section follows the same rule.

The section is built once per version, with that version in place of the one in force on the period's last day
(a separate FieldBuilder, so no row is recorded twice); only provider-wide fields (policy statements) are
compared, per-service figures come from the data and do not change with the policy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from csa_report.period import Period
from csa_report.policies.history import document_name, spans
from csa_report.policies.loader import HISTORY, load_document
from csa_report.policies.models import DOCUMENTS, PolicyDocument, PolicySet
from csa_report.render.cells import value_cell
from csa_report.render.model import Group, Prose, Section
from csa_report.render.prose import to_html, to_markdown
from csa_report.render.prose_versions import merge_versions

#: How the merged prose of several versions says that what differs is marked (render/prose_versions.py).
MARKED: Final = "where the versions differ, the wording of each is marked with its version"
#: The sections whose statements follow the policy versions (the others are figures, or section 1's own note).
STATEMENT_SECTIONS: Final = (2, 3, 7, 8, 9)


@dataclass(frozen=True)
class VersionSpan:
    doc: PolicyDocument
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def during(self, name: str) -> str:
        """'from 2026-01-01 to 2026-07-30 (211 days, retention.md version 2025.1)'."""
        return (
            f"from {self.first.isoformat()} to {self.last.isoformat()} ({self.days} day{'s' if self.days != 1 else ''}"
            f", {name} version {self.doc.version})"
        )

    def applied(self) -> str:
        return (
            f"applied from {self.first.isoformat()} to {self.last.isoformat()}, {self.days} "
            f"day{'s' if self.days != 1 else ''} of the period"
        )


def versions_in_period(folder: Path, doc: PolicyDocument, period: Period) -> tuple[VersionSpan, ...]:
    """The versions of ``doc``'s document (the current file and its history) in force on days of ``period``,
    oldest first, each clipped to the period; one entry when a single version covers the period."""
    name = document_name(doc)
    kind, model = DOCUMENTS[name]
    history = folder / HISTORY / Path(name).stem
    versions = [doc]
    current = folder / name
    paths = [current] if current.is_file() else []
    if history.is_dir():
        paths += sorted(history.glob("*.md"))
    for p in paths:
        v = load_document(p, kind, model)
        if v.version != doc.version:
            versions.append(v)
    out = []
    for v, first, until in spans(name, versions):
        lo, hi = max(first, period.start), min(until or period.end, period.end)
        if lo <= hi:
            out.append(VersionSpan(v, lo, hi))
    return tuple(out)


def per_version(
    section: Section,
    policies: PolicySet,
    period: Period,
    quoted: Sequence[PolicyDocument],
    build_with: Callable[[PolicySet], Section],
) -> Section:
    """``section`` with each statement that differs between the quoted documents' versions given per version."""
    if section.number not in STATEMENT_SECTIONS:
        return section
    for doc in quoted:
        versions = versions_in_period(policies.folder, doc, period)
        if len(versions) < 2:
            continue
        built = [
            section if v.doc is doc else build_with(policies.model_copy(update={doc.kind: v.doc})) for v in versions
        ]
        section = _merge(section, versions, built, document_name(doc))
    return section


def _merge(section: Section, versions: Sequence[VersionSpan], built: Sequence[Section], name: str) -> Section:
    fields = [{f.id: f for g in s.groups for f in g.fields} for s in built]
    groups = []
    for g in section.groups:
        merged = []
        for f in g.fields:
            texts = [fs[f.id].cells[0].text if f.id in fs else "" for fs in fields]
            if f.scope != "provider" or len(set(texts)) == 1:
                merged.append(f)
                continue
            merged.append(f.model_copy(update={"cells": (value_cell(_statement(versions, texts, name), "text"),)}))
        groups.append(Group(id=g.id, title=g.title, note=g.note, fields=tuple(merged)))
    return section.model_copy(update={"groups": tuple(groups), "prose": _prose(section, versions, built, name)})


def _statement(versions: Sequence[VersionSpan], texts: Sequence[str], name: str) -> str:
    """Each distinct statement once, with the versions (and their days) it applied in."""
    parts: list[tuple[str, list[VersionSpan]]] = []
    for v, t in zip(versions, texts, strict=True):
        same = next((p for p in parts if p[0] == t), None)
        if same is None:
            parts.append((t, [v]))
        else:
            same[1].append(v)
    return " ".join("F" + " and ".join(v.during(name) for v in vs)[1:] + f": {t.rstrip('.')}." for t, vs in parts)


def _prose(section: Section, versions: Sequence[VersionSpan], built: Sequence[Section], name: str) -> tuple[Prose, ...]:
    out: list[Prose] = []
    for p in section.prose:
        if p.source != name:
            out.append(p)
            continue
        quoted = [
            (v, mine)
            for v, s in zip(versions, built, strict=True)
            if (mine := next((q for q in s.prose if q.source == name), None)) is not None
        ]
        out.extend(_one_prose(quoted))
    return tuple(out)


def _one_prose(quoted: Sequence[tuple[VersionSpan, Prose]]) -> list[Prose]:
    """The versions' prose as one text, what differs marked with its version (render/prose_versions.py); each
    version's text apart, with its days, where the versions' paragraphs do not line up."""
    if len({q.markdown for _, q in quoted}) > 1:
        labels = [f"Version {v.doc.version} ({v.first.isoformat()} to {v.last.isoformat()})" for v, _ in quoted]
        merged = merge_versions(labels, [v.doc.body for v, _ in quoted])
        if merged is not None:
            first, prose = quoted[0]
            applied = "; ".join([first.applied(), *(f"version {v.doc.version}, {v.applied()}" for v, _ in quoted[1:])])
            return [
                prose.model_copy(
                    update={
                        "version": first.doc.version,
                        "html": to_html(merged),
                        "markdown": to_markdown(merged),
                        "applied": f"{applied}; {MARKED}",
                    }
                )
            ]
    seen: dict[str, Prose] = {}
    for v, mine in quoted:
        if mine.markdown in seen:
            first_seen = seen[mine.markdown]
            seen[mine.markdown] = first_seen.model_copy(update={"applied": f"{first_seen.applied}; {v.applied()}"})
        else:
            seen[mine.markdown] = mine.model_copy(update={"version": v.doc.version, "applied": v.applied()})
    return list(seen.values())
