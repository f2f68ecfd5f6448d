"""The layout of the report's figures as tables: what the HTML, the PDF and the Markdown print.

The section builders produce groups of fields (one per form question, the EU figure and its all-regions figure
as two fields ``id`` and ``id.all``). A reader wants one table per group: the form's wording in the first column,
a column per service and the total, and the all-regions figure in the same cell as the EU figure it belongs to.
This module turns the builders' groups into those tables, without changing what the builders compute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from csa_report.render.model import (
    Cell,
    Column,
    Field,
    Footnote,
    Group,
    Section,
    SegmentColumn,
    SegmentField,
    SegmentGroup,
    Table,
    TableCell,
    TableRow,
)

#: The id suffix of a field that carries the all-regions figure of the EU field before it.
ALL_REGIONS: Final = ".all"
#: Why a total can be below one of its services (distinct accounts, classified on all of their records).
BELOW_A_SERVICE: Final = (
    "The total is below a service's figure because it counts each account or item once across all services, "
    "classified on all of its records together: for example, an account that human review cleared on one "
    "service but confirmed on another counts as confirmed in the total, not as cleared."
)
BELOW_MARK: Final = "1"


def _css(cell: Cell) -> str:
    return "na" if cell.na else cell.unit


def _secondary(eu: Cell, every: Cell) -> str:
    """The all-regions line beside an EU figure (nothing when both are the same N/A)."""
    if eu.na and every.na and eu.text == every.text:
        return ""
    if eu.na or every.na:
        return f"all regions: {every.text}"
    # "4.1 days (4.8)": the unit is said once, in the figure before the brackets
    return every.text.removesuffix(" days").removesuffix(" %") if eu.unit == every.unit else every.text


def _number(cell: Cell) -> int | None:
    v = cell.value
    return v if isinstance(v, int) and not isinstance(v, bool) and not cell.na else None


def _below_a_service(cells: Sequence[Cell]) -> bool:
    """The last cell is the total of the others and is below at least one of them."""
    total = _number(cells[-1])
    services = [n for n in (_number(c) for c in cells[:-1]) if n is not None]
    return total is not None and bool(services) and total < max(services)


def _field_row(f: Field, every: Field | None, columns: Sequence[Column], with_total: bool) -> tuple[TableRow, bool]:
    """One row; also whether its total cell carries the footnote that it is below a service."""
    n = len(columns)
    if f.scope == "provider":
        c = f.cells[0]
        return TableRow(
            id=f.id, label=f.label, optional=f.optional, cells=(TableCell(text=c.text, css=_css(c), colspan=n),)
        ), False
    same_na = n > 1 and all(c.na for c in f.cells) and len({c.text for c in f.cells}) == 1
    if same_na and (every is None or not _secondary(f.cells[0], every.cells[0])):
        text = f"{f.cells[0].text} (every service)"
        return TableRow(
            id=f.id, label=f.label, optional=f.optional, cells=(TableCell(text=text, css="na", colspan=n),)
        ), False
    below = with_total and _below_a_service(f.cells)
    below_all = with_total and every is not None and _below_a_service(every.cells)
    cells = []
    for i, c in enumerate(f.cells):
        last = i == len(f.cells) - 1
        cells.append(
            TableCell(
                text=c.text,
                css=_css(c),
                secondary=_secondary(c, every.cells[i]) if every is not None else "",
                mark=BELOW_MARK if last and (below or below_all) else "",
            )
        )
    return TableRow(id=f.id, label=f.label, optional=f.optional, cells=tuple(cells)), below or below_all


def group_table(group: Group, columns: Sequence[Column]) -> Table:
    """A group of fields as one table; an ``id.all`` field joins the cells of the field ``id`` before it."""
    per_service = any(f.scope == "service" for f in group.fields)
    with_total = per_service and len(columns) > 1
    every = {f.id[: -len(ALL_REGIONS)]: f for f in group.fields if f.id.endswith(ALL_REGIONS)}
    rows: list[TableRow] = []
    marked = False
    for f in group.fields:
        if f.id.endswith(ALL_REGIONS) and f.id[: -len(ALL_REGIONS)] in {g.id for g in group.fields}:
            continue
        row, below = _field_row(f, every.get(f.id), columns if per_service else columns[:1], with_total)
        rows.append(row)
        marked = marked or below
    return Table(
        id=group.id,
        caption=group.title,
        note=group.note,
        columns=tuple(c.label for c in columns) if per_service else ("Answer",),
        rows=tuple(rows),
        footnotes=(Footnote(mark=BELOW_MARK, text=BELOW_A_SERVICE),) if marked else (),
    )


def section_tables(section: Section, columns: Sequence[Column]) -> Section:
    """The section with its groups laid out as tables."""
    return section.model_copy(update={"tables": tuple(group_table(g, columns) for g in section.groups)})


# -- the figures per regime segment -------------------------------------------------------------------------
def segment_tables(
    groups: Sequence[SegmentGroup], seg_columns: Sequence[SegmentColumn], columns: Sequence[Column]
) -> tuple[Table, ...]:
    """One table per section and service (and the total): a row per field, a column per regime segment and the
    whole period; the all-regions figure in the same cell as the EU figure. Fields that are the same N/A in every
    segment and service are listed once per section, in a last table."""
    # The dates alone head a segment's column (the annex lists the segments by their dates just before).
    heads = (*(c.dates for c in seg_columns[:-1]), "Whole period")
    by_section: dict[str, list[SegmentGroup]] = {}
    for g in groups:
        by_section.setdefault(g.id.split(".")[1], []).append(g)
    tables: list[Table] = []
    for number, sec_groups in by_section.items():
        fields = [(g, f) for g in sec_groups for f in g.fields]
        present = {f.id for _, f in fields}
        every = {f.id[: -len(ALL_REGIONS)]: f for _, f in fields if f.id.endswith(ALL_REGIONS)}
        shown = [
            (g, f)
            for g, f in fields
            if not (f.id.endswith(ALL_REGIONS) and f.id[: -len(ALL_REGIONS)] in present) and not f.na
        ]
        for k, col in enumerate(columns):
            rows: list[TableRow] = []
            notes: dict[str, str] = {}
            last_group = ""
            for g, f in shown:
                if g.id != last_group:
                    rows.append(TableRow(id=f"{g.id}.{col.key}", label=_short(g.title), heading=True))
                    last_group = g.id
                all_values = every[f.id].rows[k].cells if f.id in every and every[f.id].rows else None
                rows.append(
                    TableRow(
                        id=f"{f.id}.{col.key}",
                        label=f.label,
                        optional=f.optional,
                        cells=_segment_cells(f.rows[k].cells, all_values, notes),
                    )
                )
            tables.append(
                Table(
                    id=f"segments.{number}.{col.key}",
                    caption=f"Section {number} per regime segment — {col.label}",
                    first="Field",
                    columns=heads,
                    rows=tuple(rows),
                    footnotes=tuple(Footnote(mark=m, text=t) for t, m in notes.items()),
                )
            )
        constant = [(g, f) for g, f in fields if f.na and not _is_all_of(f, present)]
        if constant:
            tables.append(_constant_table(number, constant))
    return tuple(tables)


def _segment_cells(
    values: Sequence[Cell], all_values: Sequence[Cell] | None, notes: dict[str, str]
) -> tuple[TableCell, ...]:
    """A field's cells in the segment columns. The same N/A in every column is one cell; otherwise an N/A
    cell names a note under the table that gives its reason (the columns are too narrow for sentences)."""
    same = all(c.na for c in values) and len({c.text for c in values}) == 1
    if same and (all_values is None or not any(_secondary(c, a) for c, a in zip(values, all_values, strict=True))):
        return (TableCell(text=values[0].text, css="na", colspan=len(values)),)

    def short(cell: Cell) -> str:
        if not cell.na:
            return cell.text
        mark = notes.setdefault(cell.note or cell.text, _mark(len(notes)))
        return f"N/A — note {mark}"

    return tuple(
        TableCell(
            text=short(c),
            css=_css(c),
            secondary=_segment_secondary(c, all_values[i], short) if all_values is not None else "",
        )
        for i, c in enumerate(values)
    )


def _segment_secondary(eu: Cell, every: Cell, short: Callable[[Cell], str]) -> str:
    """The all-regions figure beside a segment's EU figure: as in the form's tables, the unit said once
    ("5.7 days (6.2)"), so the figure fits its narrow column; an N/A names its note."""
    if not _secondary(eu, every):
        return ""
    if every.na:
        return short(every)
    return every.text if eu.na else _secondary(eu, every)


def _mark(index: int) -> str:
    """The note marks a, b, …, z, then a1, b1, … (a table rarely needs more than a few)."""
    letter = chr(ord("a") + index % 26)
    return letter if index < 26 else f"{letter}{index // 26}"


def _is_all_of(f: SegmentField, present: set[str]) -> bool:
    return f.id.endswith(ALL_REGIONS) and f.id[: -len(ALL_REGIONS)] in present


def _short(title: str) -> str:
    """'4 Known CSAM' → 'Known CSAM' (the section number is in the table's caption)."""
    head, _, rest = title.partition(" ")
    return rest if head.isdigit() and rest else title


def _optional(f: SegmentField) -> str:
    return f"{f.label} (optional)" if f.optional else f.label


def _constant_table(number: str, fields: Sequence[tuple[SegmentGroup, SegmentField]]) -> Table:
    """A row per reason, naming every field it applies to (a reason shared by many fields is printed once)."""
    by_reason: dict[str, dict[str, list[SegmentField]]] = {}
    for g, f in fields:
        by_reason.setdefault(f.na, {}).setdefault(_short(g.title), []).append(f)
    return Table(
        id=f"segments.{number}.na",
        caption=f"Section {number}: fields not applicable in every segment and for every service",
        first="Fields",
        columns=("In every segment and for every service",),
        rows=tuple(
            TableRow(
                id=f"{next(iter(groups.values()))[0].id}.na",
                label="; ".join(f"{title}: " + ", ".join(map(_optional, fs)) for title, fs in groups.items()),
                cells=(TableCell(text=na, css="na"),),
            )
            for na, groups in by_reason.items()
        ),
    )
