"""The figures of a period that spans several legal regimes: per service, one value per regime segment beside
the whole period's (issue 14, docs/definitions.md "Regime segments")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from csa_report.indicators import ALL, Indicators
from csa_report.policies.models import PolicySet
from csa_report.reference.naming import segments as regime_segments
from csa_report.render.cells import na_cell, value_cell
from csa_report.render.disclosures import days_in_scope
from csa_report.render.model import (
    Cell,
    Column,
    Field,
    InstrumentInForce,
    Section,
    SegmentColumn,
    SegmentField,
    SegmentGroup,
    SegmentRows,
    SegmentValues,
)
from csa_report.render.sections import DATA_SECTIONS, FieldBuilder, build_sections


@dataclass(frozen=True)
class SegmentFigures:
    """What the annex (A.5) and report.json/report.csv show of the segments; empty for a one-regime period."""

    columns: tuple[SegmentColumn, ...] = ()
    groups: tuple[SegmentGroup, ...] = ()
    rows: tuple[SegmentRows, ...] = ()


def segment_columns(instruments: Sequence[InstrumentInForce]) -> tuple[SegmentColumn, ...]:
    """One column per regime segment, in time order, then the whole period."""
    return (
        *(
            SegmentColumn(
                key=i.id,
                dates=f"{i.first_day} to {i.last_day}",
                label=f"{i.first_day} to {i.last_day}: " + (i.name if i.derogation else "no derogation in force"),
            )
            for i in instruments
        ),
        SegmentColumn(key=ALL, label="Whole period", dates=f"{instruments[0].first_day} to {instruments[-1].last_day}"),
    )


def segment_figures(
    whole: Sequence[Section],
    columns: Sequence[Column],
    instruments: Sequence[InstrumentInForce],
    segments: Sequence[Indicators],
    policies: PolicySet,
) -> SegmentFigures:
    """Every data-driven field of sections 1, 4, 5 and 6, for each service and the total over services
    (``columns``, the report's columns), one value per regime segment beside the whole period's.
    ``segments`` are the indicators of each segment, in the order of ``instruments``; the days without a
    derogation are a segment of their own, apart from the others."""
    if len(instruments) < 2 or len(segments) != len(instruments):
        return SegmentFigures()
    built = [_data_sections(ind, policies) for ind in segments]
    numbers = {sec.number for sec in built[0][1]}
    per_segment = [_cells_by_field(keys, sections) for keys, sections in built]
    groups: list[SegmentGroup] = []
    for sec in whole:
        if sec.number not in numbers:
            continue
        for g in sec.groups:
            fields = [_segment_field(f, columns, per_segment) for f in g.fields if f.scope == "service"]
            if fields:
                # The total is a row here, not a column; a distinct count stays one across services.
                groups.append(
                    SegmentGroup(
                        id=f"segments.{g.id}",
                        title=g.title,
                        note=g.note.replace("The total column", "The total row"),
                        fields=tuple(fields),
                    )
                )
    groups.insert(0, days_in_scope_group(columns, instruments, policies))
    rows = tuple(
        SegmentRows(instrument=i.id, period=str(ind.period), rows=ind.rows)
        for i, ind in zip(instruments, segments, strict=True)
    )
    return SegmentFigures(columns=segment_columns(instruments), groups=tuple(groups), rows=rows)


def _data_sections(indicators: Indicators, policies: PolicySet) -> tuple[tuple[str, ...], tuple[Section, ...]]:
    """A segment's column keys and data sections, built exactly as the whole period's are."""
    b = FieldBuilder(indicators, policies)
    return b.column_keys, build_sections(b, DATA_SECTIONS)


def _cells_by_field(keys: Sequence[str], sections: Sequence[Section]) -> dict[str, dict[str, Cell]]:
    """Field id → column key → cell."""
    out: dict[str, dict[str, Cell]] = {}
    for sec in sections:
        for g in sec.groups:
            for f in g.fields:
                if f.scope != "service":
                    continue
                cells = dict(zip(keys, f.cells, strict=True))
                if ALL not in cells and len(cells) == 1:
                    # one service in this segment: it is its own total
                    cells[ALL] = next(iter(cells.values()))
                out[f.id] = cells
    return out


def _segment_field(
    f: Field, columns: Sequence[Column], per_segment: Sequence[dict[str, dict[str, Cell]]]
) -> SegmentField:
    rows: list[SegmentValues] = []
    for col, whole_cell in zip(columns, f.cells, strict=True):
        cells = []
        for seg in per_segment:
            by_column = seg.get(f.id)
            if by_column is None:
                cells.append(na_cell("technology not used in this segment", whole_cell.unit))
            else:
                cells.append(
                    by_column.get(col.key) or na_cell("no record of this service in this segment", whole_cell.unit)
                )
        rows.append(SegmentValues(column=col.key, label=col.label, cells=(*cells, whole_cell)))
    texts = {c.text for r in rows for c in r.cells}
    if len(texts) == 1 and all(c.na for r in rows for c in r.cells):
        return SegmentField(id=f.id, label=f.label, optional=f.optional, na=texts.pop(), rows=())
    return SegmentField(id=f.id, label=f.label, optional=f.optional, rows=tuple(rows))


DAYS_IN_SCOPE_ID = "segments.1.days_in_scope"


def days_in_scope_group(
    columns: Sequence[Column], instruments: Sequence[InstrumentInForce], policies: PolicySet
) -> SegmentGroup:
    """Per service, the days of each segment on which it could be scanned (a regime with a derogation in force,
    and, where that regime excludes end-to-end encryption, before the service's ``e2ee_from``); the total row
    gives the days on which at least one service could be. Computed from the reference data and provider.md,
    the same reading as SCOPE-1/3 and PLAUS-4."""
    segs = regime_segments(date.fromisoformat(instruments[0].first_day), date.fromisoformat(instruments[-1].last_day))
    services = [c.key for c in columns if c.key != ALL]
    rows: list[SegmentValues] = []
    for col in columns:
        names = services if col.key == ALL else [col.key]
        per_seg = [max((days_in_scope(policies, n, seg) for n in names), default=0) for seg in segs]
        cells = tuple(value_cell(d, "count") for d in (*per_seg, sum(per_seg)))
        rows.append(SegmentValues(column=col.key, label=col.label, cells=cells))
    return SegmentGroup(
        id=DAYS_IN_SCOPE_ID,
        title="1 Days in scope for scanning",
        note=(
            "The days of each segment on which the service could be scanned: a derogation in force and, under a "
            "regime that excludes end-to-end encrypted communications, the days before the service became end-to-"
            "end encrypted. The total row gives the days on which at least one service could be scanned."
        ),
        fields=(
            SegmentField(
                id="segments.days_in_scope",
                label="Days in scope for scanning (days)",
                rows=tuple(rows),
            ),
        ),
    )
