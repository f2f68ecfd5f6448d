"""The report's header: who reports, on what period, under which legal instruments (reference data)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from csa_report.indicators import Indicators
from csa_report.period import format_instant
from csa_report.policies.models import PolicySet
from csa_report.reference import Regime, country_names
from csa_report.render.cells import lower_first
from csa_report.render.model import Column, Header, InstrumentInForce


def instruments_in_force(regimes: Iterable[Regime], start: date, end: date) -> tuple[InstrumentInForce, ...]:
    out: list[InstrumentInForce] = []
    for r in sorted(regimes, key=lambda r: r.applies_from):
        first = max(start, r.applies_from)
        last = min(end, r.applies_until)
        if first > last:
            continue
        out.append(
            InstrumentInForce(
                id=r.id,
                name=r.name_on(last),
                derogation=r.derogation,
                applies_from=r.applies_from.isoformat(),
                applies_until=r.applies_until.isoformat(),
                excludes_e2ee=r.excludes_e2ee,
                first_day=first.isoformat(),
                last_day=last.isoformat(),
                days=(last - first).days + 1,
                form=r.form,
                form_confirmed=r.form_confirmed,
                deadline=r.report_deadline,
                deadline_confirmed=r.deadline_confirmed,
            )
        )
    return tuple(out)


def report_title(instruments: Sequence[InstrumentInForce]) -> str:
    """'Transparency report under <the derogations that applied during the period>': from the reference data,
    so a report never names an instrument that did not apply to its period."""
    names = [i.name for i in instruments if i.derogation]
    if not names:
        return "Transparency report (no derogation applied during the period)"
    return "Transparency report under " + " and ".join(names)


def gap_notice(instruments: Sequence[InstrumentInForce], start: date, end: date) -> str:
    gaps = [i for i in instruments if not i.derogation]
    parts: list[str] = []
    if gaps:
        parts.append(
            " ".join(
                f"From {g.first_day} to {g.last_day} ({g.days} days of this period) no derogation was in force "
                # the gap's name already says "No derogation in force (…)": keep only its reason
                f"({g.name.removeprefix('No derogation in force').strip(' ()') or g.name})."
                for g in gaps
            )
        )
        parts.append("Any processing on those days needs a legal review (see the findings in the annex).")
    covered = sum(i.days for i in instruments)
    total = (end - start).days + 1
    if covered < total:
        parts.append(
            f"{total - covered} days of the period are not covered by any known legal regime in the reference data."
        )
    return " ".join(parts)


def build_header(
    indicators: Indicators,
    policies: PolicySet,
    instruments: Sequence[InstrumentInForce],
    *,
    columns: tuple[Column, ...],
    publication_date: date,
    tool_version: str,
) -> Header:
    period = indicators.period
    p = policies.provider
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
        gap_notice=gap_notice(instruments, period.start, period.end),
        tool_version=tool_version,
    )


def _service_detail(provider: Any, name: str) -> str:
    svc = provider.service(name)
    if svc is None:
        return f"{name} (not listed in provider.md)"
    if svc.e2ee and svc.e2ee_from is not None:
        return f"{name} (end-to-end encrypted from {svc.e2ee_from.isoformat()})"
    return name
