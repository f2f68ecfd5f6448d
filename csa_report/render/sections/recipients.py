"""Section 9: the organisations acting in the public interest with which data has been shared."""

from __future__ import annotations

from typing import Final

from csa_report.reference import country_names
from csa_report.render.cells import na_cell, slug, value_cell
from csa_report.render.model import Cell, Group, Section
from csa_report.render.sections.base import SECTION_TITLES, FieldBuilder, names_listed

NCMEC: Final = "NCMEC"
PUBLIC_INTEREST: Final = "public_interest_organisation"


def section9(b: FieldBuilder) -> Section:
    # Item 9 asks for organisations acting in the public interest: law-enforcement recipients and
    # processors get their own lines after it (typed in transfers.md; an unlisted recipient is neither).
    types = {r.name: r.type for r in b.pol.transfers.recipients}
    public = PUBLIC_INTEREST
    ncmec: list[Cell] = []
    others: list[Cell] = []
    not_public: list[Cell] = []
    for svc in b.column_keys:
        orgs = names_listed(b.require(svc, 9, "organisations"))
        ncmec.append(value_cell(NCMEC in orgs, "bool"))
        rest = [o for o in orgs if o != NCMEC and types.get(o, public) == public]
        others.append(
            value_cell(", ".join(rest), "text")
            if rest
            else na_cell("no other organisation acting in the public interest received reports in the period")
        )
        apart = [f"{o} ({types[o].replace('_', ' ')})" for o in orgs if types.get(o, public) != public]
        not_public.append(
            value_cell(", ".join(apart), "text")
            if apart
            else na_cell("no law-enforcement authority or processor received reports in the period")
        )
    t = b.pol.transfers
    names = country_names()
    # Item 9 is about organisations data was shared with: one listed in transfers.md that received nothing
    # in the period is not named here.
    received = b.received_reports()
    recips = tuple(
        b.pol_field(
            f"9.recipient.{slug(r.name)}",
            f"Organisation that received reports — {r.name}",
            value_cell(
                f"{r.name}: {r.type.replace('_', ' ')}, {names.get(r.country, r.country)} ({r.country})", "text"
            ),
            section=9,
            indicator=f"recipient_{slug(r.name)}",
        )
        for r in sorted(t.recipients, key=lambda r: r.name)
        if r.type == public and r.name in received
    )
    g = Group(
        id="9",
        title="9 Organisations acting in the public interest",
        fields=(
            b.derived(
                "9.ncmec",
                "NCMEC (National Center for Missing & Exploited Children) (yes/no)",
                ncmec,
                section=9,
                indicator="ncmec",
            ),
            b.svc_na("9.eu_centre", "EU Centre", "the EU Centre on child sexual abuse has not been established"),
            b.derived("9.others", "Others (specify)", others, section=9, indicator="other_organisations"),
            *recips,
        ),
    )
    other_recipients = Group(
        id="9.other_recipients",
        title="Other recipients of reports (not part of item 9)",
        note=(
            "Law-enforcement authorities and processors are not organisations acting in the public interest; "
            "they are listed here so that every recipient of the period's reports is shown."
        ),
        fields=(
            b.derived(
                "9.not_public",
                "Law-enforcement authorities and processors that received reports",
                not_public,
                section=9,
                indicator="other_recipients",
            ),
            b.fig("9.all", "All recipients of reports in the period", 9, "organisations"),
        ),
    )
    return Section(
        number=9,
        title=SECTION_TITLES[9],
        intro=(
            "Organisations acting in the public interest that received reports in the period (from the reports "
            "sent), as the provider's transfer policy describes them; other recipients follow apart."
        ),
        groups=(g, other_recipients),
    )
