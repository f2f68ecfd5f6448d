"""The report's header: who reports, on what period, under which legal instruments (reference data)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from csa_report.indicators import Indicators
from csa_report.period import format_instant
from csa_report.policies.models import PolicySet
from csa_report.reference import Regime, country_names
from csa_report.reference.naming import instrument_name, instruments_phrase, relation
from csa_report.reference.naming import report_title as naming_title
from csa_report.render.cells import lower_first
from csa_report.render.disclosures import gap_statement, legal_positions, scope_statements
from csa_report.render.model import Column, Header, InstrumentInForce
from csa_report.render.scanning import ScanDays


def instruments_in_force(regimes: Iterable[Regime], start: date, end: date) -> tuple[InstrumentInForce, ...]:
    out: list[InstrumentInForce] = []
    for r in sorted(regimes, key=lambda r: r.applies_from):
        first = max(start, r.applies_from)
        last = min(end, r.applies_until)
        if first > last:
            continue
        name = instrument_name(r, last)
        rel = relation(r)
        days = (last - first).days + 1
        out.append(
            InstrumentInForce(
                id=r.id,
                name=name,
                derogation=r.derogation,
                applies_from=r.applies_from.isoformat(),
                applies_until=r.applies_until.isoformat(),
                excludes_e2ee=r.excludes_e2ee,
                first_day=first.isoformat(),
                last_day=last.isoformat(),
                days=days,
                form=r.form,
                form_confirmed=r.form_confirmed,
                deadline=r.report_deadline,
                deadline_confirmed=r.deadline_confirmed,
                relation=rel,
                description=_description(r, name, rel, first, last, days),
            )
        )
    return tuple(out)


def _description(r: Regime, name: str, rel: str, first: date, last: date, days: int) -> str:
    """The header's entry for one instrument. Where the reference data cannot confirm the form or the deadline,
    the entry points to the provider's position on it (printed with the positions) instead of a doubt."""
    text = f"{name}{' (' + rel + ')' if rel else ''}: {first.isoformat()} to {last.isoformat()} ({days} days)"
    if r.excludes_e2ee:
        text += "; end-to-end encrypted communications excluded"
    if r.form:
        text += f". Form: {r.form}"
        if not r.form_confirmed:
            text += " (an open question: see the provider's position below)"
    if r.report_deadline:
        text += f". Deadline: {r.report_deadline}"
        if not r.deadline_confirmed:
            text += " (an open question: see the provider's position below)"
    return text + "."


def report_title(instruments: Sequence[InstrumentInForce]) -> str:
    """'Transparency report under <the instruments of the period, named as the law names them>' (reference data,
    csa_report.reference.naming), so a report never names an instrument that did not apply to its period."""
    if not instruments:
        return "Transparency report (no derogation applied during the period)"
    return naming_title(date.fromisoformat(instruments[0].first_day), date.fromisoformat(instruments[-1].last_day))


def gap_notice(instruments: Sequence[InstrumentInForce], start: date, end: date) -> str:
    """Days of the period no regime of the reference data covers (the days without a derogation are told by
    csa_report.render.disclosures.gap_statement)."""
    covered = sum(i.days for i in instruments)
    total = (end - start).days + 1
    if covered < total:
        return f"{total - covered} days of the period are not covered by any known legal regime in the reference data."
    return ""


def build_header(
    indicators: Indicators,
    policies: PolicySet,
    instruments: Sequence[InstrumentInForce],
    *,
    columns: tuple[Column, ...],
    publication_date: date,
    tool_version: str,
    findings: Sequence[Any] = (),
    scanning: Sequence[ScanDays] | None = None,
) -> Header:
    period = indicators.period
    p = policies.provider
    positions = legal_positions(policies, period.start, period.end)
    gap = gap_statement(policies, period.start, period.end, findings, positions)
    uncovered = gap_notice(instruments, period.start, period.end)
    return Header(
        title=f"{report_title(instruments)} — {p.provider}",
        title_under=lower_first(report_title(instruments)),
        provider=p.provider,
        establishment=f"{country_names().get(p.establishment, p.establishment)} ({p.establishment})",
        supervisory_authority=p.supervisory_authority.name,
        services=tuple(indicators.services),
        services_detail=tuple(_service_detail(p, name) for name in indicators.services),
        columns=columns,
        period=str(period),
        period_start=period.start.isoformat(),
        period_end=period.end.isoformat(),
        as_of=format_instant(indicators.as_of),
        publication_date=publication_date.isoformat(),
        publication_url=p.publication_url,
        instruments=tuple(instruments),
        gap_notice=" ".join(x for x in (gap, uncovered) if x),
        tool_version=tool_version,
        instruments_phrase=instruments_phrase(period.start, period.end),
        positions=positions,
        scope_statements=scope_statements(policies, indicators.services, period.start, period.end, scanning),
    )


def _service_detail(provider: Any, name: str) -> str:
    svc = provider.service(name)
    if svc is None:
        return f"{name} (not listed in provider.md)"
    if svc.e2ee and svc.e2ee_from is not None:
        return f"{name} (end-to-end encrypted from {svc.e2ee_from.isoformat()})"
    return name
