"""Sections 2 and 3: the ground for the processing (GDPR Art. 6) and for transfers outside the Union (Chapter V)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from csa_report.period import Period
from csa_report.reference import country_names, eea_members
from csa_report.render.cells import na_cell, slug, text_or_na, value_cell
from csa_report.render.model import Field, Group, Section
from csa_report.render.sections.base import SECTION_TITLES, FieldBuilder, prose_of
from csa_report.vocabulary import LAW_BASED_POINTS, LEGITIMATE_INTEREST


def section2(b: FieldBuilder) -> Section:
    lb = b.pol.legal_basis
    points = lb.gdpr_article_6
    needs_law = any(p in LAW_BASED_POINTS for p in points)
    law = (
        text_or_na(
            lb.member_state_law,
            "not stated by the provider although Art. 6(1)(c) or (e) is relied on (see the findings in the annex)",
        )
        if needs_law
        else na_cell("neither Art. 6(1)(c) nor Art. 6(1)(e) is relied on")
    )
    lia = (
        text_or_na(
            lb.legitimate_interest_assessment,
            "not stated by the provider although Art. 6(1)(f) is relied on (see the findings in the annex)",
        )
        if LEGITIMATE_INTEREST in points
        else na_cell("Art. 6(1)(f) is not relied on")
    )
    basis = (
        value_cell(", ".join(f"Art. {p} GDPR" for p in points), "text")
        if points
        else na_cell("no point of Art. 6(1) is named in legal-basis.md (see the findings in the annex)")
    )
    g = Group(
        id="2",
        title="2 Legal basis",
        fields=(
            b.pol_field(
                "2.basis", "Legal basis (GDPR Art. 6(1) point(s))", basis, section=2, indicator="gdpr_article_6"
            ),
            b.pol_field(
                "2.law",
                "Union or Member State law relied on (GDPR Art. 6(3), for Art. 6(1)(c) or (e))",
                law,
                section=2,
                indicator="member_state_law",
            ),
            b.pol_field(
                "2.lia",
                "Legitimate interest assessment (for Art. 6(1)(f))",
                lia,
                section=2,
                indicator="legitimate_interest_assessment",
            ),
        ),
    )
    return Section(number=2, title=SECTION_TITLES[2], intro="", groups=(g,), prose=(prose_of(lb),))


def section3(b: FieldBuilder) -> Section:
    t = b.pol.transfers
    eea = eea_members()
    names = country_names()
    received = b.received_reports()
    listed = {r.name for r in t.recipients}
    sent_outside = sorted(r.name for r in t.recipients if r.country not in eea and r.name in received)
    unlisted = sorted(received - listed)
    if sent_outside:
        any_cell = value_cell(True, "bool", f"reports sent to {', '.join(sent_outside)}")
    elif unlisted:
        any_cell = na_cell(
            f"reports went to recipients not listed in transfers.md ({', '.join(unlisted)}); "
            "see the findings in the annex"
        )
    else:
        any_cell = value_cell(False, "bool")
    fields: list[Field] = [
        b.pol_field(
            "3.any",
            "Personal data transferred outside the Union in the period (yes/no)",
            any_cell,
            section=3,
            indicator="transfers_outside_union",
        )
    ]
    if not any(r.country not in eea for r in t.recipients) and not unlisted:
        fields.append(
            b.pol_field(
                "3.grounds",
                "Chapter V grounds relied on",
                na_cell("no recipient is established outside the EEA"),
                section=3,
                indicator="transfer_grounds",
            )
        )
    # Only recipients that received data in the period; each ground is stated as valid or expired over the
    # period's days, with the same reading of validity as the transfer rules (XFER-2).
    for r in sorted((r for r in t.recipients if r.name in received), key=lambda r: r.name):
        where = f"{names.get(r.country, r.country)} ({r.country})"
        label = f"Chapter V ground — {r.name}, {where}, {r.type.replace('_', ' ')}"
        if r.country in eea:
            cell = na_cell(f"{r.name} is established in the EEA ({r.country}): no transfer outside the Union")
        elif not r.grounds:
            cell = na_cell(f"no ground listed for {r.name} in transfers.md (see the findings in the annex)")
        else:
            purpose = " ".join(r.purpose.split()) if r.purpose else "not stated by the provider"
            cell = value_cell(
                f"{r.name}: purpose: {purpose}; ground: "
                + "; ".join(
                    f"Art. {g.article} GDPR — {' '.join(g.instrument.split())} ({ground_validity(b.ind.period, r, g)})"
                    for g in r.grounds
                ),
                "text",
            )
        fields.append(
            b.pol_field(f"3.ground.{slug(r.name)}", label, cell, section=3, indicator=f"transfer_ground_{slug(r.name)}")
        )
    for name in unlisted:
        fields.append(
            b.pol_field(
                f"3.ground.{slug(name)}",
                f"Chapter V ground — {name}",
                na_cell(f"{name} received reports but is not listed in transfers.md (see the findings in the annex)"),
                section=3,
                indicator=f"transfer_ground_{slug(name)}",
            )
        )
    g = Group(
        id="3",
        title="3 Transfers outside the Union",
        note=(
            "In what cases data went outside the Union, for what purpose, and on which ground: the recipients "
            "below, and the policy text that follows."
        ),
        fields=tuple(fields),
    )
    return Section(number=3, title=SECTION_TITLES[3], intro="", groups=(g,), prose=(prose_of(t),))


def ground_validity(reporting: Period, recipient: Any, ground: Any) -> str:
    """'valid throughout the period', 'valid from … to … of the period' or 'expired on …: not a valid ground
    for transfers in this period' — an expired ground is never printed as valid."""
    from csa_report.checks.intervals import Span
    from csa_report.checks.transfers import _listed_ground_spans, ground_spans

    period = Span(reporting.start, reporting.end)
    period_last: date = reporting.end
    spans = (
        ground_spans(recipient.model_copy(update={"grounds": (ground,)}))
        if ground.article == "45"
        else _listed_ground_spans(ground)
    )
    inside: list[Span] = []
    for x in sorted((x for sp in spans if (x := sp.intersect(period)) is not None), key=lambda x: x.first):
        # Overlapping or touching spans (a decision extended, then renewed) read as one stretch of days.
        if inside and inside[-1].last is not None and x.first <= inside[-1].last + timedelta(days=1):
            lasts = [d for d in (inside[-1].last, x.last) if d is not None]
            inside[-1] = Span(inside[-1].first, max(lasts) if len(lasts) == 2 else None)
        else:
            inside.append(x)
    if not inside:
        ends = [sp.last for sp in spans if sp.last is not None and sp.last < period.first]
        if ends:
            return f"expired on {max(ends).isoformat()}: not a valid ground for transfers in this period"
        return "not a valid ground for transfers to this recipient on any day of this period"
    if len(inside) == 1 and inside[0].first == period.first and inside[0].last == period.last:
        return "valid throughout the period"
    return "valid in this period only " + ", ".join(
        f"from {x.first.isoformat()} to {(x.last or period_last).isoformat()}" for x in inside
    )
