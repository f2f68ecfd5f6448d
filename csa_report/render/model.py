"""The report context: one typed, serialisable object from which every artefact is rendered.

Everything a template shows is already resolved here: figures are formatted, every field of the standard form
has a value or an explicit ``N/A — reason``, policy prose is converted to safe HTML and to escaped Markdown.
Templates only lay it out. ``ReportContext.model_dump(mode="json")`` is what the templates receive, so a field
a template asks for and the context lacks fails the render by name (StrictUndefined).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from csa_report.indicators import IndicatorRow

Scope = Literal["service", "provider"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cell(_Model):
    """One displayed value. ``text`` is what the reader sees; ``na`` marks an explicit N/A with its reason."""

    text: str
    value: int | float | str | bool | None
    unit: str
    note: str = ""
    na: bool = False


class Field(_Model):
    """One field of the standard form. ``scope='service'``: one cell per column (service, …, total);
    ``scope='provider'``: one cell for the whole provider (policy-driven fields)."""

    id: str
    label: str
    scope: Scope
    optional: bool = False
    cells: tuple[Cell, ...]


class Group(_Model):
    """A block of fields shown as one table (e.g. 4 › Known CSAM)."""

    id: str
    title: str
    note: str = ""
    fields: tuple[Field, ...]


class Prose(_Model):
    """A policy document's Markdown body: ``html`` is escaped and safe, ``markdown`` has tags escaped."""

    source: str
    version: str
    html: str
    markdown: str
    #: The days of the period this version applied on, when the document changed during the period.
    applied: str = ""


class TableCell(_Model):
    """One cell of a laid-out table: ``text`` as printed, ``secondary`` a second line in the same cell (the
    all-regions figure beside an EU figure), ``mark`` the footnote mark the cell carries ("" for none)."""

    text: str
    css: str
    secondary: str = ""
    mark: str = ""
    colspan: int = 1


class TableRow(_Model):
    """A row of a table: a field (``label`` in the first column, one cell per column) or, with ``heading``, a
    row-group heading that spans the table."""

    id: str
    label: str
    optional: bool = False
    heading: bool = False
    cells: tuple[TableCell, ...] = ()


class Footnote(_Model):
    mark: str
    text: str


class Table(_Model):
    """A field table as the reader sees it (render/tables.py lays the builders' groups out): the form's wording
    in the first column, then one column per ``columns`` entry (services and total, an answer, or segments)."""

    id: str
    caption: str
    note: str = ""
    first: str = "Field"
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]
    footnotes: tuple[Footnote, ...] = ()


class Section(_Model):
    number: int
    title: str
    intro: str
    groups: tuple[Group, ...]
    prose: tuple[Prose, ...] = ()
    #: One note per policy document the section quotes that took effect after the period began: from when its
    #: text applies and which version applied before (sections/tense.py). Empty when every document quoted
    #: was in force on the period's first day.
    tense: tuple[str, ...] = ()
    #: The groups laid out as tables (render/tables.py): what the HTML and Markdown print.
    tables: tuple[Table, ...] = ()


class Column(_Model):
    key: str
    label: str


class InstrumentInForce(_Model):
    id: str
    name: str
    derogation: bool
    applies_from: str
    applies_until: str
    excludes_e2ee: bool
    first_day: str
    last_day: str
    days: int
    #: Which form and deadline apply to reports on this segment, and whether the reference data confirms it.
    form: str = ""
    form_confirmed: bool = True
    deadline: str = ""
    deadline_confirmed: bool = True
    # --- issue 22 (law): the instrument named as the law names it, for the header's list ---
    #: How the instrument relates to the one before it ("a self-standing regulation that re-enacts …"), or "".
    relation: str = ""
    #: The whole entry as the header prints it: name, relation, days, E2EE exclusion, form and deadline.
    description: str = ""


class PositionEntry(_Model):
    """An open legal question of the period (reference data) and the provider's answer (provider.md
    ``legal_positions``); ``text`` is the sentence the report prints (issue 22, law)."""

    id: str
    regime: str
    #: "header" or "section-1": where the report prints it.
    where: str
    question: str
    answered: bool = False
    answer: str = ""
    by: str = ""
    date: str = ""
    text: str


class Header(_Model):
    title: str
    #: The title after the provider's name: "transparency report under <instruments that applied>".
    title_under: str = ""
    provider: str
    establishment: str
    supervisory_authority: str
    services: tuple[str, ...]
    #: Each service as described in the header, e.g. "Example Chat (end-to-end encrypted from 2026-10-01)".
    services_detail: tuple[str, ...]
    columns: tuple[Column, ...]
    period: str
    period_start: str
    period_end: str
    as_of: str
    publication_date: str
    publication_url: str
    instruments: tuple[InstrumentInForce, ...]
    gap_notice: str
    tool_version: str
    # --- issue 22 (law) ---
    #: The instruments of the period in one phrase (csa_report.reference.naming.instruments_phrase).
    instruments_phrase: str = ""
    #: Each open legal question of the period with the provider's position.
    positions: tuple[PositionEntry, ...] = ()
    #: Per service, under a regime excluding end-to-end encryption: the days scanned and the day excluded.
    scope_statements: tuple[str, ...] = ()


class ChartPoint(_Model):
    month: str
    category: str
    flagged: int
    confirmed: int


class ChartMark(_Model):
    """A date the figure marks: a change of legal regime (``regime``; ``gap`` for the first day of a stretch
    without a derogation, shaded until ``until``) or the day a service became end-to-end encrypted (``e2ee``)."""

    day: str
    kind: Literal["regime", "gap", "e2ee"]
    label: str
    until: str = ""


class ChartMonth(_Model):
    """One row of the figure's data table: a month, then (flagged, confirmed) per category."""

    month: str
    counts: tuple[int, ...]


class Chart(_Model):
    title: str
    desc: str
    svg: str
    points: tuple[ChartPoint, ...]
    marks: tuple[ChartMark, ...] = ()
    #: The data table: a column group per category (``table_groups``), each with the headings in
    #: ``table_columns`` (automated flags, of these confirmed), and one row per month.
    table_groups: tuple[str, ...] = ()
    table_columns: tuple[str, ...] = ()
    table: tuple[ChartMonth, ...] = ()


class FindingEntry(_Model):
    rule: str
    severity: str
    message: str
    count: int
    reference: str
    waived: bool = False


class NotAppliedEntry(_Model):
    """A rule that does not apply to this report (checks.findings.NotApplied); ``text`` says why."""

    rule: str
    reference: str
    text: str


class WaiverEntry(_Model):
    rule: str
    reason: str
    waived_by: str
    status: str
    #: ISO date, or "" when the waiver does not expire.
    expires: str


class Definition(_Model):
    term: str
    text: str


class PolicyProvenance(_Model):
    file: str
    kind: str
    version: str
    effective_from: str
    sha256: str


#: How the report is signed off, as printed in the annex and the manifest (workflow.md step 5).
HUMAN_SIGNOFF = "human: a listed approver other than the preparer confirms the manifest hash in the Prefect UI"


class Provenance(_Model):
    period: str
    as_of: str
    publication_date: str
    tool_version: str
    schema_version: str
    policies: tuple[PolicyProvenance, ...]
    signoff: str = HUMAN_SIGNOFF
    #: "Correction of report … because …" when the report corrects (supersedes) an earlier filing; then
    #: ``supersedes`` is that filing's report id and ``reason`` why it is corrected.
    correction: str | None = None
    supersedes: str | None = None
    reason: str | None = None
    #: How a recipient checks the sign-off signature and the PDF seal (set when either is in use).
    verification: str | None = None
    #: "provisional report, not to be filed as the final report for …" for an incomplete period (period.py).
    provisional: str | None = None


class SegmentColumn(_Model):
    """A regime segment of the period (or the whole period, last): ``dates`` is the short label a list uses."""

    key: str
    label: str
    dates: str


class SegmentValues(_Model):
    """One service's (or the total's) values of a field: one cell per regime segment, then the whole period."""

    column: str
    label: str
    cells: tuple[Cell, ...]


class SegmentField(_Model):
    """A data-driven field per service and regime segment. ``na`` holds the one N/A text when every cell of
    every service and segment is that same N/A (printed once, not once per cell); ``rows`` is then empty."""

    id: str
    label: str
    optional: bool = False
    na: str = ""
    rows: tuple[SegmentValues, ...]


class SegmentGroup(_Model):
    id: str
    title: str
    note: str = ""
    fields: tuple[SegmentField, ...]


class SegmentRows(_Model):
    """The extracted indicators of one regime segment (data-contract §3 over the segment's days), which
    report.json and report.csv carry beside the whole period's."""

    instrument: str
    period: str
    rows: tuple[IndicatorRow, ...]


# -- the summary page (render/summary.py builds it) --
class ContactPoint(_Model):
    name: str
    role: str = ""
    email: str


class SummaryFigure(_Model):
    """A key figure: ``text`` as the sections print it (all services), where it is, and, when a previous
    filed report is known, its value there and the change."""

    label: str
    text: str
    section: int
    previous: str = ""
    change: str = ""


class Previous(_Model):
    """The filed report the key figures are compared with: the previous period's, or, for a correction, the
    filing it corrects (``corrected``)."""

    report_id: str
    period: str
    corrected: bool = False


class ReportSummary(_Model):
    title: str
    provider: str
    services: str
    period: str
    regimes: str
    legal_basis: str
    figures: tuple[SummaryFigure, ...]
    #: "Compared with …" or why there is no comparison.
    comparison: str
    previous: Previous | None = None
    #: The key figures that differ from the compared report: "label: before → now", in the table's order.
    changes: tuple[str, ...] = ()
    correction: str = ""
    contact: ContactPoint | None = None
    dpo: ContactPoint | None = None


class ReportContext(_Model):
    """Everything the renderers need, and nothing else (no database, no clock)."""

    header: Header
    sections: tuple[Section, ...]
    chart: Chart
    findings: tuple[FindingEntry, ...]
    waivers: tuple[WaiverEntry, ...]
    definitions: tuple[Definition, ...]
    provenance: Provenance
    #: The extracted indicators (data-contract §3) and the rows added for policy-driven fields (§4 "report.csv").
    rows: tuple[IndicatorRow, ...]
    extra_rows: tuple[IndicatorRow, ...]
    #: For a period that straddles legal regimes: one column per regime segment, then the whole period, and
    #: every data-driven field of sections 1, 4, 5 and 6, per service and in total, in those columns.
    segment_columns: tuple[SegmentColumn, ...] = ()
    segment_groups: tuple[SegmentGroup, ...] = ()
    segment_rows: tuple[SegmentRows, ...] = ()
    #: The segment figures laid out as tables (render/tables.py): one per data section and service.
    segment_tables: tuple[Table, ...] = ()
    #: The summary printed first (render/summary.py); the same object serves the sign-off e-mail and the UI.
    summary: ReportSummary | None = None
    not_applicable: tuple[NotAppliedEntry, ...] = ()
