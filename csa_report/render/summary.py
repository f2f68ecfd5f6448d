"""The report's summary: who files, for which services, on which period, under which law, the key figures in
plain words, what changed since the previous filed report, and whom to contact.

One pure function builds it from the report's own header and sections (``build_summary``), so no figure of the
summary is anything but a figure of the sections; the report prints it on its first page, and the sign-off
notification and the Prefect UI can print the very same object (``summary_text``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from csa_report.indicators import ALL, NO
from csa_report.render.model import (
    Cell,
    ContactPoint,
    Field,
    Header,
    Previous,
    ReportContext,
    ReportSummary,
    Section,
    SummaryFigure,
)

#: An indicator row's identity in report.json: (service, indicator, category, technology, region).
RowKey = tuple[str, str, str, str, str]


class PreviousReport(NamedTuple):
    """The filed report a report is compared with: its id, its period, its report.json values (as printed) by
    row, and whether it is the filing this report corrects (else: the previous period's last filing)."""

    report_id: str
    period: str
    values: Mapping[RowKey, str]
    corrected: bool = False


#: The article under which the report is made, in every instrument the tool knows.
ARTICLE: Final = "Article 3(1)(g)(vii)"
#: The implementing act that lays down the standard form.
FORM: Final = "Implementing Regulation (EU) 2024/2916"


@dataclass(frozen=True)
class KeyFigure:
    """A key figure: its words, the section field it is taken from (total column) and its indicator row."""

    label: str
    field: str
    row: tuple[str, str, str, str]  # indicator, category, technology, region


#: The key figures, in the order a reader asks about them; each is a field of the sections.
KEY_FIGURES: Final[tuple[KeyFigure, ...]] = (
    KeyFigure(
        "Reports sent concerning EU users — known CSAM", "4.known_csam.reports", ("reports", "known_csam", NO, "eu")
    ),
    KeyFigure(
        "Reports sent concerning EU users — possible new CSAM", "4.new_csam.reports", ("reports", "new_csam", NO, "eu")
    ),
    KeyFigure(
        "Reports sent concerning EU users — possible solicitation of children",
        "4.solicitation.reports",
        ("reports", "solicitation", NO, "eu"),
    ),
    KeyFigure(
        "Images of EU users reported as known CSAM", "4.known_csam.images", ("images_reported", "known_csam", NO, "eu")
    ),
    KeyFigure(
        "EU user accounts reported as sending known CSAM",
        "4.known_csam.sending",
        ("accounts_sending", "known_csam", NO, "eu"),
    ),
    KeyFigure(
        "EU user accounts suspended — known CSAM",
        "5.known_csam.account.suspended",
        ("accounts_suspended", "known_csam", NO, "eu"),
    ),
    KeyFigure(
        "EU user accounts suspended — solicitation of children",
        "5.solicitation.account.suspended",
        ("accounts_suspended", "solicitation", NO, "eu"),
    ),
    KeyFigure(
        "Error rate — known CSAM (content items, all regions)",
        "6.known_csam.-.rate",
        ("error_rate", "known_csam", NO, "all"),
    ),
    KeyFigure(
        "Error rate — possible new CSAM (content items, all regions)",
        "6.new_csam.-.rate",
        ("error_rate", "new_csam", NO, "all"),
    ),
    KeyFigure(
        "Error rate — solicitation of children (EU user accounts)",
        "6.solicitation.-.rate",
        ("error_rate", "solicitation", NO, "eu"),
    ),
)


def _fields(sections: Sequence[Section]) -> dict[str, tuple[int, Field]]:
    return {f.id: (s.number, f) for s in sections for g in s.groups for f in g.fields}


def _total(field: Field) -> Cell:
    return field.cells[-1]


def _number(text: str) -> float | None:
    cleaned = text.replace(",", "").replace("\u202f", "").replace("%", "").replace("days", "").replace(" ", "")
    try:
        return float(cleaned)
    except ValueError:
        return None


def change(current: str, previous: str, *, percent: bool = False) -> str:
    """'+12', '-3', '+1.25 percentage points' for a rate (``percent``, or a value printed with %); '' when either
    is not a number. The one wording of a change: the summary page and the key-figures artifact use it."""
    a, b = _number(current), _number(previous)
    if a is None or b is None:
        return ""
    delta = a - b
    if percent or "%" in current:
        return "no change" if delta == 0 else f"{delta:+.2f} percentage points"
    return "no change" if delta == 0 else f"{delta:+,.0f}"


def _previous_text(value: str, unit: str) -> str:
    """A value of the previous report.json as the sections would print it."""
    number = _number(value)
    if number is None:
        return value
    if unit == "percent":
        return f"{number:.2f} %"
    return f"{number:,.0f}"


def correction_sentence(supersedes: str, reason: str) -> str:
    """ "Correction of report R because <reason>." — said once, in the header and on the summary page."""
    why = " ".join(reason.split())
    end = "" if why.endswith((".", "!", "?")) else "."
    return f"Correction of report {supersedes} because {why}{end}"


def _comparison(previous: PreviousReport | None, changes: Sequence[str]) -> str:
    if previous is None:
        return "No previous filed report is on record for the preceding period: no comparison is given."
    what = (
        f"the filing it corrects, report {previous.report_id}"
        if previous.corrected
        else f"the previous filed report {previous.report_id} (period {previous.period})"
    )
    if not changes:
        return f"Compared with {what}, all services together: none of the key figures changed."
    n = len(changes)
    return f"Compared with {what}, all services together: {n} key figure{'s' if n > 1 else ''} changed."


def _list(names: Sequence[str]) -> str:
    """The names as "A, B and C"; each quoted when one of them holds " and " or a comma, so that no name reads as two
    (a service may be called "Chat and Mail")."""
    if len(names) > 1 and any(" and " in n or "," in n for n in names):
        names = [f"“{n}”" for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _legal_basis(header: Header) -> str:
    used = [i for i in header.instruments if i.derogation]
    form = f", on the standard form in the Annex to {FORM}" if any(FORM in i.form for i in used) else ""
    duty = (
        ", which requires the provider to publish a report on its processing every year and to submit it to the "
        "competent supervisory authority and to the European Commission"
    )
    if not used:
        return (
            f"No derogation applied during the period; the report follows {ARTICLE} of the instruments of the "
            "reference data for completeness."
        )
    if len(used) == 1:
        i = used[0]
        return f"This report is made under {ARTICLE} of {i.name}{duty}{form}."
    parts = [f"{i.name} (for {i.first_day} to {i.last_day})" for i in used]
    # "and of" repeats the preposition: the later act is not read as one more amendment of the earlier one
    acts = ", of ".join(parts[:-1]) + ", and of " + parts[-1]
    open_form = [i.name for i in used if not i.form_confirmed]
    if form and open_form:
        form += (
            f" (for the days under {_list(open_form)} the form is an open legal question: see the provider's "
            "position in the details of the report)"
        )
    return f"This report is made under {ARTICLE} of {acts}{duty.replace('requires', 'require')}{form}."


def _regimes(header: Header) -> str:
    parts = []
    for i in header.instruments:
        what = i.name if i.derogation else "no derogation in force"
        e2ee = "; end-to-end encrypted communications excluded" if i.derogation and i.excludes_e2ee else ""
        parts.append(f"{i.first_day} to {i.last_day}: {what} ({i.days} days{e2ee})")
    if not parts:
        return "No legal regime of the reference data covers the period."
    if len(parts) == 1:
        return f"One legal regime applied throughout the period: {parts[0]}."
    return f"The period spans {len(parts)} legal regimes: " + "; ".join(parts) + "."


def build_summary(
    header: Header,
    sections: Sequence[Section],
    *,
    correction: str | None = None,
    contact: ContactPoint | None = None,
    dpo: ContactPoint | None = None,
    previous: PreviousReport | None = None,
) -> ReportSummary:
    """The summary of one report. ``previous`` is the filed report it is compared with (the last filing of the
    previous period, or the filing a correction corrects), when there is one; ``correction`` the sentence of
    :func:`correction_sentence`. Pure."""
    fields = _fields(sections)
    figures: list[SummaryFigure] = []
    changes: list[str] = []
    for k in KEY_FIGURES:
        if k.field not in fields:
            continue
        number, field = fields[k.field]
        cell = _total(field)
        before = ""
        if previous is not None and not cell.na:
            raw = previous.values.get((ALL, *k.row))
            before = _previous_text(raw, cell.unit) if raw else ""
        delta = change(cell.text, before) if before else ""
        if before and before != cell.text and delta != "no change":
            changes.append(f"{k.label}: {before} → {cell.text}")
        figures.append(
            SummaryFigure(
                label=k.label,
                text=cell.text,
                section=number,
                previous=before,
                change=delta,
            )
        )
    several = len(header.services) > 1
    services = (
        f"The report covers {len(header.services)} services: {_list(list(header.services_detail))}; figures are "
        "given per service and in total."
        if several
        else f"The report covers one service: {_list(list(header.services_detail))}."
    )
    return ReportSummary(
        title=f"{header.provider}: {header.title_under}" if header.title_under else header.title,
        provider=(
            f"{header.provider}, established in {header.establishment}, provides the services below; its "
            f"competent supervisory authority is {header.supervisory_authority}."
        ),
        services=services,
        period=(
            f"The reporting period is {header.period_start} to {header.period_end}; the figures are counted from "
            f"the data as of {header.as_of}."
        ),
        regimes=_regimes(header),
        legal_basis=_legal_basis(header),
        figures=tuple(figures),
        comparison=_comparison(previous, changes),
        previous=(
            Previous(report_id=previous.report_id, period=previous.period, corrected=previous.corrected)
            if previous is not None
            else None
        ),
        changes=tuple(changes),
        correction=correction or "",
        contact=contact,
        dpo=dpo,
    )


def report_summary(context: ReportContext) -> ReportSummary:
    """The summary of a built report (the one its first page prints): the sign-off notification and the Prefect
    UI call this, then ``summary_text``, so the reviewer approves what the authority will read."""
    if context.summary is not None:
        return context.summary
    return build_summary(context.header, context.sections, correction=context.provenance.correction)


def summary_text(summary: ReportSummary) -> str:
    """The summary as plain text (an e-mail body, a Prefect description): the same sentences and figures."""
    lines = [
        summary.title,
        "",
        summary.provider,
        summary.services,
        summary.period,
        summary.regimes,
        summary.legal_basis,
    ]
    if summary.correction:
        lines += ["", summary.correction]
    lines += ["", "Key figures (all services):"]
    for f in summary.figures:
        was = f" (previous report: {f.previous}; {f.change})" if f.previous else ""
        lines.append(f"- {f.label}: {f.text}{was} [section {f.section}]")
    lines += ["", summary.comparison]
    lines += [f"- {c}" for c in summary.changes]
    if summary.contact is not None or summary.dpo is not None:
        lines.append("")
    if summary.contact is not None:
        c = summary.contact
        lines.append(f"Contact point: {c.name}{', ' + c.role if c.role else ''} <{c.email}>")
    if summary.dpo is not None:
        lines.append(f"Data protection officer: {summary.dpo.name} <{summary.dpo.email}>")
    return "\n".join(lines) + "\n"
