"""Build the report context (``ReportContext``) from indicators, policies, findings, regimes and provenance.

This is where the standard form (Implementing Regulation (EU) 2024/2916) is mapped field by
field: each field gets a value from the indicators (per service and for the total ``ALL``) or from the policy
documents, or an explicit ``N/A — reason``. No section is ever dropped. The builder is pure: no database, no
clock; the publication date and the as-of instant are inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Protocol

from csa_report import __version__
from csa_report.errors import ToolError
from csa_report.indicators import ALL, NO, SCHEMA_ID, IndicatorRow, Indicators, Unit
from csa_report.period import format_instant
from csa_report.policies.models import CategoryMeasures, NotApplicable, PolicySet
from csa_report.reference import Regime, country_names, eea_members
from csa_report.render import prose
from csa_report.render.chart import CATEGORY_LABELS, month_label, render_svg
from csa_report.render.definitions import DEFINITIONS
from csa_report.render.model import (
    HUMAN_SIGNOFF,
    Cell,
    Chart,
    ChartPoint,
    Column,
    Definition,
    Field,
    FindingEntry,
    Group,
    Header,
    InstrumentInForce,
    PolicyProvenance,
    Prose,
    Provenance,
    ReportContext,
    Section,
    WaiverEntry,
)
from csa_report.render.series import MonthPoint

CATEGORIES: Final = ("known_csam", "new_csam", "solicitation")
CSAM: Final = ("known_csam", "new_csam")
NA: Final = "N/A — "
#: Section 6 wording per category, written out so that no label says "possible possible".
FLAGGED_AS: Final = {"known_csam": "possible known CSAM", "new_csam": "possible new CSAM",
                     "solicitation": "possible solicitation of children"}
NOT_ABUSE: Final = {"known_csam": "CSAM", "new_csam": "CSAM", "solicitation": "solicitation of children"}
NCMEC: Final = "NCMEC"

SECTION_TITLES: Final = {
    1: "Type and volume of data processed",
    2: "Ground for the processing under Regulation (EU) 2016/679",
    3: "Ground for transfers of personal data outside the Union (GDPR Chapter V)",
    4: "Cases of online child sexual abuse identified",
    5: "Complaints and their outcome",
    6: "Numbers and ratios of errors (false positives) per technology",
    7: "Measures applied to limit the error rate, and the error rate achieved",
    8: "Retention policy and data-protection safeguards",
    9: "Organisations acting in the public interest with which data has been shared",
}


class FindingLike(Protocol):
    """What the report needs of a check finding (csa_report.checks.Finding)."""

    @property
    def rule(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def reference(self) -> str: ...


class WaiverLike(Protocol):
    """What the report needs of a waiver (csa_report.checks.findings.WaiverUse; ``status`` and ``expires``
    are read when present)."""

    @property
    def rule(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def waived_by(self) -> str: ...


# ---------------------------------------------------------------------------------------------------------
# Cells


def _plain_number(value: int | Decimal) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,}"


def format_value(value: Any, unit: str) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if unit == "count" and isinstance(value, int):
        return f"{value:,}"
    if unit == "bytes" and isinstance(value, int):
        return f"{value:,} bytes"
    if unit == "percent" and isinstance(value, Decimal | int | float):
        return f"{value} %"
    if unit == "days" and isinstance(value, Decimal | int | float):
        return f"{value} days"
    return str(value)


def _json_value(value: Any) -> int | float | str | bool | None:
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, int | float | str | bool):
        return value
    raise ToolError(f"report context: unexpected value type {type(value).__name__}")


def na_cell(reason: str, unit: str = "text") -> Cell:
    reason = reason.strip()
    for prefix in ("N/A:", "N/A —", "N/A -", "N/A"):
        if reason.startswith(prefix):
            reason = reason[len(prefix):].strip()
            break
    return Cell(text=NA + reason, value=None, unit=unit, note=reason, na=True)


def value_cell(value: Any, unit: str, note: str = "") -> Cell:
    if value is None:
        return na_cell(note or "no value", unit)
    if isinstance(value, str) and not value.strip():
        return na_cell(note or "none", unit)
    return Cell(text=format_value(value, unit), value=_json_value(value), unit=unit, note=note)


def row_cell(row: IndicatorRow) -> Cell:
    if row.value is None or (isinstance(row.value, str) and row.value == ""):
        return na_cell(row.note or ("none" if row.unit == "text" else "no value"), row.unit)
    return value_cell(row.value, row.unit, row.note)


def text_or_na(value: str | None, reason: str) -> Cell:
    if value is None or not value.strip():
        return na_cell(reason)
    return value_cell(" ".join(value.split()), "text")


# ---------------------------------------------------------------------------------------------------------
# The builder


class _Builder:
    def __init__(self, indicators: Indicators, policies: PolicySet) -> None:
        self.ind = indicators
        self.pol = policies
        self.services = indicators.services
        # One column per service plus the total; a single service is its own total.
        self.column_keys: tuple[str, ...] = (
            (*self.services, ALL) if len(self.services) > 1 else (self.services[0],) if self.services else (ALL,)
        )
        self.index = {r.key: r for r in indicators.rows}
        self.extra: list[IndicatorRow] = []
        # Categories the provider does not scan for (measures.md not_applicable): their fields show N/A with
        # that reason, not a column of zeros — unless the data shows activity in the category, which is then
        # printed as it is (the report never hides data).
        # The test is per category, over every field of sections 4-6, so that a genuine zero beside other
        # activity (no error among 14 flags) is never turned into an N/A.
        active = {r.category for r in indicators.rows if r.section in (4, 5, 6) and r.unit == "count"
                  and isinstance(r.value, int) and not isinstance(r.value, bool) and r.value != 0}
        self.not_scanned: dict[str, str] = {}
        for cat in CATEGORIES:
            entry = policies.measures.category(cat)
            if isinstance(entry, NotApplicable) and cat not in active:
                self.not_scanned[cat] = " ".join(entry.not_applicable.split())
        # Section 1 volumes the provider does not count (provider.md volumes_not_counted), by indicator.
        p = policies.provider
        self.not_counted: dict[str, str] = {
            f"{v}_processed": " ".join(reason.split()) for v, reason in p.volumes_not_counted.items()}
        if "text_bytes_processed" not in self.not_counted and "solicitation" in self.not_scanned:
            self.not_counted["text_bytes_processed"] = "no text is scanned: " + self.not_scanned["solicitation"]
        if "metadata_processed" not in self.not_counted and not p.metadata_types:
            self.not_counted["metadata_processed"] = "no metadata about users is processed"

    # -- lookups --------------------------------------------------------------------------------------
    def row(self, service: str, section: int, indicator: str, category: str = NO, technology: str = NO,
            region: str = "all") -> IndicatorRow | None:
        return self.index.get((service, section, indicator, category, technology, region))

    def require(self, service: str, section: int, indicator: str, category: str = NO, technology: str = NO,
                region: str = "all") -> IndicatorRow:
        r = self.row(service, section, indicator, category, technology, region)
        if r is None:
            raise ToolError(
                f"report context: indicator missing: service={service!r} section={section} "
                f"indicator={indicator!r} category={category!r} technology={technology!r} region={region!r}"
            )
        return r

    def columns(self) -> tuple[Column, ...]:
        return tuple(Column(key=k, label="Total (all services)" if k == ALL else k) for k in self.column_keys)

    def fig(self, fid: str, label: str, section: int, indicator: str, category: str = NO,
            region: str = "all", technology: str = NO, optional: bool = False,
            missing: str | None = None) -> Field:
        """A per-service field from the indicators; ``missing`` allows an absent row (N/A with that reason)."""
        cells: list[Cell] = []
        for svc in self.column_keys:
            r = self.row(svc, section, indicator, category, technology, region)
            if r is None:
                if missing is None:
                    r = self.require(svc, section, indicator, category, technology, region)
                else:
                    cells.append(na_cell(missing))
                    continue
            cells.append(row_cell(r))
        reason = self.not_scanned.get(category) if section in (4, 5, 6) else self.not_counted.get(indicator)
        if reason is not None and (section in (4, 5, 6) or all(c.na or c.value in (0, "") for c in cells)):
            cells = [na_cell(reason, c.unit) for c in cells]
        return Field(id=fid, label=label, scope="service", optional=optional, cells=tuple(cells))

    def eu_all(self, fid: str, label: str, section: int, indicator: str, category: str = NO,
               optional: bool = False, all_label: str | None = None) -> tuple[Field, Field]:
        """A field the form asks about EU users (data-contract §3, version 2): the form's field carries the
        ``eu`` value; the all-region value follows on its own row, labelled as such, never in its place.
        ``label`` names the form's field; unless it already says EU, "— EU users" is added."""
        eu_label = label if "EU user" in label else f"{label} — EU users"
        base = all_label or label
        return (
            self.fig(fid, eu_label, section, indicator, category, region="eu", optional=optional),
            self.fig(f"{fid}.all", f"{base} — all regions (for information, not a form field)", section,
                     indicator, category, region="all", optional=optional),
        )

    def svc_na(self, fid: str, label: str, reason: str, optional: bool = False) -> Field:
        return Field(id=fid, label=label, scope="service", optional=optional,
                     cells=tuple(na_cell(reason) for _ in self.column_keys))

    def pol_field(self, fid: str, label: str, cell: Cell, *, section: int, indicator: str,
                  category: str = NO, optional: bool = False) -> Field:
        """A provider-wide field from the policies; also recorded as an extra row of report.csv/json."""
        unit: Unit = "bool" if isinstance(cell.value, bool) else (
            "days" if cell.unit == "days" else "count" if cell.unit == "count" else "text")
        raw: int | str | bool | None = cell.value if not isinstance(cell.value, float) else str(cell.value)
        self.extra.append(IndicatorRow(ALL, section, indicator, category, NO, "all", raw, unit,
                                       cell.note if cell.na else ""))
        return Field(id=fid, label=label, scope="provider", optional=optional, cells=(cell,))

    def derived(self, fid: str, label: str, per_service: Sequence[Cell], *, section: int, indicator: str,
                category: str = NO) -> Field:
        """A per-service field computed here from indicators (e.g. yes/no): recorded as extra rows too."""
        for svc, cell in zip(self.column_keys, per_service, strict=True):
            unit: Unit = "bool" if isinstance(cell.value, bool) else "text"
            raw = cell.value if not isinstance(cell.value, float) else str(cell.value)
            self.extra.append(IndicatorRow(svc, section, indicator, category, NO, "all", raw, unit,
                                           cell.note if cell.na else ""))
        return Field(id=fid, label=label, scope="service", cells=tuple(per_service))

    # -- sections -------------------------------------------------------------------------------------
    def section1(self) -> Section:
        p = self.pol.provider
        has_meta = bool(p.metadata_types)
        g11 = Group(id="1.1", title="1.1 Metadata about the users in the exchange", note=(
            "Any non-content data about the users and their accounts."), fields=(
            self.pol_field("1.1.processed", "Metadata processed (yes/no)", value_cell(has_meta, "bool"),
                           section=1, indicator="metadata_processing"),
            self.pol_field("1.1.types", "Types of metadata processed",
                           value_cell(", ".join(p.metadata_types), "text") if has_meta
                           else na_cell("no metadata about users is processed"),
                           section=1, indicator="metadata_types"),
            self.fig("1.1.volume.eu", "Volume of metadata processed — EU users", 1, "metadata_processed",
                     region="eu"),
            self.fig("1.1.volume.non_eu", "Volume of metadata processed — non-EU users", 1,
                     "metadata_processed", region="non_eu"),
        ))
        content_cells: list[Cell] = []
        for svc in self.column_keys:
            total = 0
            for ind in ("images_processed", "videos_processed", "other_files_processed", "text_bytes_processed"):
                for region in ("eu", "non_eu"):
                    v = self.require(svc, 1, ind, region=region).value
                    total += v if isinstance(v, int) and not isinstance(v, bool) else 0
            content_cells.append(value_cell(total > 0, "bool"))
        g12 = Group(id="1.2", title="1.2 Content data of the exchange", fields=(
            self.derived("1.2.processed", "Content data processed (yes/no)", content_cells, section=1,
                         indicator="content_processing"),
            self.fig("1.2.images.eu", "Images processed — EU users", 1, "images_processed", region="eu"),
            self.fig("1.2.images.non_eu", "Images processed — non-EU users", 1, "images_processed",
                     region="non_eu"),
            self.fig("1.2.videos.eu", "Videos processed — EU users", 1, "videos_processed", region="eu"),
            self.fig("1.2.videos.non_eu", "Videos processed — non-EU users", 1, "videos_processed",
                     region="non_eu"),
            self.fig("1.2.other.eu", "Other files processed — EU users", 1, "other_files_processed",
                     region="eu"),
            self.fig("1.2.other.non_eu", "Other files processed — non-EU users", 1, "other_files_processed",
                     region="non_eu"),
            self.fig("1.2.other.types", "Other files processed — file types", 1, "other_file_types"),
            self.fig("1.2.text.eu", "Bytes of text processed to detect solicitation — EU users", 1,
                     "text_bytes_processed", region="eu"),
            self.fig("1.2.text.non_eu", "Bytes of text processed to detect solicitation — non-EU users", 1,
                     "text_bytes_processed", region="non_eu"),
        ))
        g13 = Group(id="1.3", title="1.3 Other relevant information on types and volumes", fields=(
            self.pol_field("1.3.definition", "Definition of \"processed\" applied",
                           value_cell(processed_definition(self.pol), "text"), section=1,
                           indicator="processed_definition"),
            self.pol_field("1.3.audio", "Audio communications scanned", value_cell(False, "bool"),
                           section=1, indicator="audio_scanned"),
        ))
        return Section(number=1, title=SECTION_TITLES[1], intro=(
            "Volumes are counted per service and for all services together; EU and non-EU users are "
            "defined in the annex."), groups=(g11, g12, g13), prose=(_prose(self.pol.provider),))

    def section2(self) -> Section:
        lb = self.pol.legal_basis
        points = lb.gdpr_article_6
        needs_law = any(p in ("6(1)(c)", "6(1)(e)") for p in points)
        law = (text_or_na(lb.member_state_law, "not stated in legal-basis.md although Art. 6(1)(c) or (e) is "
                          "relied on (see the findings in the annex)") if needs_law
               else na_cell("neither Art. 6(1)(c) nor Art. 6(1)(e) is relied on"))
        lia = (text_or_na(lb.legitimate_interest_assessment, "not stated in legal-basis.md although "
                          "Art. 6(1)(f) is relied on (see the findings in the annex)") if "6(1)(f)" in points
               else na_cell("Art. 6(1)(f) is not relied on"))
        basis = (value_cell(", ".join(f"Art. {p} GDPR" for p in points), "text") if points
                 else na_cell("no point of Art. 6(1) is named in legal-basis.md (see the findings in the annex)"))
        g = Group(id="2", title="2 Legal basis", fields=(
            self.pol_field("2.basis", "Legal basis (GDPR Art. 6(1) point(s))", basis, section=2,
                           indicator="gdpr_article_6"),
            self.pol_field("2.law", "Union or Member State law relied on (GDPR Art. 6(3), for Art. 6(1)(c) or (e))",
                           law, section=2, indicator="member_state_law"),
            self.pol_field("2.lia", "Legitimate interest assessment (for Art. 6(1)(f))", lia, section=2,
                           indicator="legitimate_interest_assessment"),
        ))
        return Section(number=2, title=SECTION_TITLES[2], intro="", groups=(g,), prose=(_prose(lb),))

    def received_reports(self) -> set[str]:
        """Organisations that received reports in the period (all services)."""
        row = self.require(self.column_keys[-1], 9, "organisations")  # the total column
        return {o.strip() for o in str(row.value or "").split(",") if o.strip()}

    def section3(self) -> Section:
        t = self.pol.transfers
        eea = eea_members()
        names = country_names()
        received = self.received_reports()
        listed = {r.name for r in t.recipients}
        sent_outside = sorted(r.name for r in t.recipients if r.country not in eea and r.name in received)
        unlisted = sorted(received - listed)
        if sent_outside:
            any_cell = value_cell(True, "bool", f"reports sent to {', '.join(sent_outside)}")
        elif unlisted:
            any_cell = na_cell(f"reports went to recipients not listed in transfers.md ({', '.join(unlisted)}); "
                               "see the findings in the annex")
        else:
            any_cell = value_cell(False, "bool")
        fields: list[Field] = [self.pol_field(
            "3.any", "Personal data transferred outside the Union in the period (yes/no)", any_cell,
            section=3, indicator="transfers_outside_union")]
        if not any(r.country not in eea for r in t.recipients) and not unlisted:
            fields.append(self.pol_field("3.grounds", "Chapter V grounds relied on",
                                         na_cell("no recipient is established outside the EEA"),
                                         section=3, indicator="transfer_grounds"))
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
                cell = value_cell(f"{r.name}: " + "; ".join(
                    f"Art. {g.article} GDPR — {' '.join(g.instrument.split())} ({self.ground_validity(r, g)})"
                    for g in r.grounds), "text")
            fields.append(self.pol_field(f"3.ground.{slug(r.name)}", label, cell, section=3,
                                         indicator=f"transfer_ground_{slug(r.name)}"))
        for name in unlisted:
            fields.append(self.pol_field(
                f"3.ground.{slug(name)}", f"Chapter V ground — {name}",
                na_cell(f"{name} received reports but is not listed in transfers.md (see the findings in the annex)"),
                section=3, indicator=f"transfer_ground_{slug(name)}"))
        g = Group(id="3", title="3 Transfers outside the Union", note=(
            "In what cases data went outside the Union, for what purpose, and on which ground: the recipients "
            "below, and the policy text that follows."), fields=tuple(fields))
        return Section(number=3, title=SECTION_TITLES[3], intro="", groups=(g,), prose=(_prose(t),))

    def ground_validity(self, recipient: Any, ground: Any) -> str:
        """'valid throughout the period', 'valid from … to … of the period' or 'expired on …: not a valid ground
        for transfers in this period' — an expired ground is never printed as valid."""
        from csa_report.checks.intervals import Span
        from csa_report.checks.transfers import _listed_ground_spans, ground_spans

        period = Span(self.ind.period.start, self.ind.period.end)
        period_last: date = self.ind.period.end
        spans = (ground_spans(recipient.model_copy(update={"grounds": (ground,)})) if ground.article == "45"
                 else _listed_ground_spans(ground))
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
            return "not valid on any day of this period"
        if len(inside) == 1 and inside[0].first == period.first and inside[0].last == period.last:
            return "valid throughout the period"
        return "valid in this period only " + ", ".join(
            f"from {x.first.isoformat()} to {(x.last or period_last).isoformat()}" for x in inside)

    def section4(self) -> Section:
        distinct = (" The total column counts distinct items and accounts across services, so it can be less "
                    "than the sum of the services.") if len(self.column_keys) > 1 else ""
        groups: list[Group] = []
        for cat, name in (("known_csam", "Known CSAM"), ("new_csam", "Possible new CSAM")):
            groups.append(Group(id=f"4.{cat}", title=f"4 {name}", note=(
                ("Material confirmed as CSAM (hash match)." if cat == "known_csam" else
                 "Reported files other than known CSAM.") + distinct), fields=(
                *self.eu_all(f"4.{cat}.reports", f"Reports concerning {_lc(name)}", 4, "reports",
                             cat),
                *self.eu_all(f"4.{cat}.images", "Images reported", 4, "images_reported", cat),
                *self.eu_all(f"4.{cat}.videos", "Videos reported", 4, "videos_reported", cat),
                *self.eu_all(f"4.{cat}.other", "Other files reported", 4, "other_files_reported",
                             cat),
                self.fig(f"4.{cat}.other.types", "Other files reported — file types (EU users)", 4,
                         "other_file_types_reported", cat, region="eu"),
                self.fig(f"4.{cat}.sending", "EU user accounts reported as sending at least one item", 4,
                         "accounts_sending", cat, region="eu"),
                self.fig(f"4.{cat}.receiving", "EU user accounts reported as receiving at least one item", 4,
                         "accounts_receiving", cat, region="eu"),
            )))
        groups.append(Group(id="4.solicitation", title="4 Solicitation of children", note=distinct.strip().replace(
            "distinct items and accounts", "distinct accounts"),
                            fields=(
            *self.eu_all("4.solicitation.reports", "Reports of possible solicitation of children", 4, "reports",
                         "solicitation"),
            self.fig("4.solicitation.soliciting", "EU user accounts reported as possibly soliciting a child", 4,
                     "accounts_soliciting", "solicitation", region="eu"),
            self.fig("4.solicitation.solicited", "EU user accounts reported as possibly being solicited", 4,
                     "accounts_solicited", "solicitation", region="eu"),
        )))
        return Section(number=4, title=SECTION_TITLES[4], intro=(
            "Reports sent in the period to the organisations of section 9, split between child sexual abuse "
            "material and solicitation of children. The form asks about EU users: a report concerns EU users "
            "when one of its items or named accounts belongs to an EU user, and items and accounts are those of "
            "EU users. The value for all regions follows each such field, marked as such."),
            groups=tuple(groups))

    def _complaint_fields(self, cat: str, subject: str) -> list[Field]:
        reasons = "optional field: complaint reasons are recorded per case and not aggregated for publication"
        what = "items" if subject == "content" else "accounts"
        p = f"5.{cat}.{subject}"
        return [
            *self.eu_all(f"{p}.internal", "Complaints to the internal redress mechanism", 5,
                         f"{subject}_complaints_internal", cat),
            self.svc_na(f"{p}.internal.reasons", "Reasons for the internal complaints", reasons, optional=True),
            *self.eu_all(f"{p}.internal.restored", f"{what.capitalize()} restored after an internal complaint", 5,
                         f"{subject}_restored_internal", cat),
            *self.eu_all(f"{p}.internal.days", "Average time to decide on an internal complaint", 5,
                         f"{subject}_decision_days_internal", cat, optional=True),
            *self.eu_all(f"{p}.judicial", "Complaints to a judicial authority", 5,
                         f"{subject}_complaints_judicial", cat),
            self.svc_na(f"{p}.judicial.reasons", "Reasons for the judicial complaints", reasons, optional=True),
            *self.eu_all(f"{p}.judicial.restored", f"{what.capitalize()} restored after a judicial complaint", 5,
                         f"{subject}_restored_judicial", cat),
            *self.eu_all(f"{p}.judicial.days", "Average time to comply with the judicial decision", 5,
                         f"{subject}_compliance_days_judicial", cat, optional=True),
        ]

    def section5(self) -> Section:
        distinct = (" The total column counts distinct accounts across services, so it can be less than the "
                    "sum of the services.") if len(self.column_keys) > 1 else ""
        restricted_note = ("Restrictions are not suspensions: they are shown apart, for information, and "
                           "complaints against them are not counted.")
        groups: list[Group] = []
        for cat, name in (("known_csam", "Known CSAM"), ("new_csam", "Possible new CSAM")):
            groups.append(Group(id=f"5.{cat}.content", title=f"5 {name} — content", fields=(
                *self.eu_all(f"5.{cat}.content.removed", "Items removed", 5, "content_removed", cat),
                *self._complaint_fields(cat, "content"))))
            groups.append(Group(id=f"5.{cat}.account", title=f"5 {name} — accounts",
                                note=restricted_note + distinct, fields=(
                *self.eu_all(f"5.{cat}.account.suspended", "EU user accounts suspended for sharing", 5,
                             "accounts_suspended", cat, all_label="User accounts suspended for sharing"),
                *self.eu_all(f"5.{cat}.account.restricted", "EU user accounts restricted (not suspended)", 5,
                             "accounts_restricted", cat, all_label="User accounts restricted (not suspended)"),
                *self._complaint_fields(cat, "account"))))
        groups.append(Group(id="5.solicitation.account", title="5 Solicitation of children — accounts",
                            note=restricted_note + distinct, fields=(
            *self.eu_all("5.solicitation.account.suspended", "EU user accounts suspended for soliciting a child",
                         5, "accounts_suspended", "solicitation",
                         all_label="User accounts suspended for soliciting a child"),
            *self.eu_all("5.solicitation.account.restricted", "EU user accounts restricted (not suspended) for "
                         "soliciting a child", 5, "accounts_restricted", "solicitation",
                         all_label="User accounts restricted (not suspended) for soliciting a child"),
            *self._complaint_fields("solicitation", "account"))))
        return Section(number=5, title=SECTION_TITLES[5], intro=(
            "Removals and account suspensions (a termination counts as a permanent suspension) in the period, "
            "and complaints lodged in the period through the internal redress mechanism or with a judicial "
            "authority against them, with their outcome at the as-of instant. The form asks about EU users; "
            "the value for all regions follows each such field, marked as such."), groups=tuple(groups))

    def technologies(self) -> Group:
        """The plain-words overview of the technologies used (measures.md ``technologies``), shown at the start
        of section 6 so the error rates that follow can be read; also extra rows of report.csv/json."""
        used = sorted({(r.technology, r.category) for r in self.ind.rows if r.section == 6 and r.technology != NO})
        fields: list[Field] = []
        for tech_id, cat in used:
            tech = self.pol.measures.technology(tech_id)
            cell = (text_or_na(tech.description, "no description") if tech is not None
                    else na_cell("not described in measures.md (see finding TECH-1)"))
            self.extra.append(IndicatorRow(ALL, 6, "technology_description", cat, tech_id, "all",
                                           None if cell.na else str(cell.value), "text",
                                           cell.note if cell.na else ""))
            fields.append(Field(id=f"6.technology.{slug(tech_id)}.{cat}",
                                label=f"{tech_id} ({CATEGORY_LABELS[cat]})", scope="provider", cells=(cell,)))
        if not fields:
            fields.append(Field(id="6.technology.none", label="Technologies", scope="provider",
                                cells=(na_cell("no automated detection in the period"),)))
        return Group(id="6.technologies", title="6 The technologies used, in plain words", fields=tuple(fields))

    def section6(self) -> Section:
        groups: list[Group] = [self.technologies()]
        letters = {"known_csam": "1", "new_csam": "2", "solicitation": "3"}
        for cat in CATEGORIES:
            n = letters[cat]
            name = CATEGORY_LABELS[cat]
            region = "eu" if cat == "solicitation" else "all"
            unit_word = "EU accounts" if cat == "solicitation" else "items"
            techs = sorted({r.technology for r in self.ind.rows
                            if r.section == 6 and r.category == cat and r.technology != NO})
            for tech in (NO, *techs):
                tlabel = "all technologies" if tech == NO else f"technology: {tech}"
                missing = None if tech == NO else "technology not used on this service in the period"
                groups.append(Group(
                    id=f"6.{cat}.{tech}", title=f"6 {name} — {tlabel}",
                    note=("Solicitation counts EU user accounts automatically flagged as soliciting or being "
                          "solicited." if cat == "solicitation" else ""),
                    fields=(
                        self.fig(f"6.{cat}.{tech}.A", f"A{n}: {unit_word} automatically flagged as "
                                 f"{FLAGGED_AS[cat]}", 6, "flagged", cat, region, tech, missing=missing),
                        self.fig(f"6.{cat}.{tech}.B", f"B{n}: of these, {unit_word} that human review found "
                                 f"not to be {NOT_ABUSE[cat]}", 6, "not_abuse", cat, region, tech,
                                 missing=missing),
                        self.fig(f"6.{cat}.{tech}.rate", f"B{n}/A{n}: error rate (%)", 6, "error_rate", cat,
                                 region, tech, missing=missing),
                        self.fig(f"6.{cat}.{tech}.C", f"C{n}: {unit_word} that went to human review", 6,
                                 "human_reviewed", cat, region, tech, missing=missing),
                        self.svc_na(f"6.{cat}.{tech}.other", "Other findings",
                                    "no other findings recorded for this technology"),
                    )))
        return Section(number=6, title=SECTION_TITLES[6], intro=(
            "Error rate = items automatically flagged as possible abuse that human review found not to be "
            "abuse ÷ items automatically flagged (see the annex). Items not yet reviewed at the as-of instant "
            "count in A only."), groups=tuple(groups))

    def section7(self) -> Section:
        m = self.pol.measures
        groups: list[Group] = []
        indicator_kind = {"known_csam": "hashes", "new_csam": "AI classifiers", "solicitation": "AI classifiers"}
        none = "none stated in measures.md"
        for cat in CATEGORIES:
            entry = m.category(cat)
            name = CATEGORY_LABELS[cat]
            kind = indicator_kind[cat]
            specs: list[tuple[str, str, str, bool]] = [
                ("indicator_quality_checks", f"Indicators ({kind}): how the quality of existing indicators is "
                 "checked", "text", False),
                ("indicator_vetting", f"Indicators ({kind}): how indicators are vetted before being added",
                 "text", False),
                ("other_indicator_measures", "Indicators: other measures", "text", True),
                ("independent_third_party_vetting", "Deployment: implementation plan vetted by an independent "
                 "third party (yes/no)", "bool", False),
                ("other_deployment_measures", "Deployment: other measures", "text", True),
                ("all_reviewed_before_reporting", "Human review: every flagged item reviewed before reporting "
                 "(yes/no)", "bool", False),
                ("sample_reviewed_before_reporting", "Human review: a sample reviewed before reporting (yes/no)",
                 "bool", False),
                ("training", "Human review: reviewer training (type and length; refreshers)", "text", False),
                ("quality_control", "Human review: periodic quality control of reviewers and verdicts", "text",
                 False),
                ("feedback_organisations", "Feedback from NCMEC or other public-interest organisations", "text",
                 False),
                ("feedback_law_enforcement", "Feedback from law enforcement", "text", False),
                ("feedback_complaints", "Feedback from outcomes of internal or judicial complaints", "text",
                 False),
                ("feedback_other", "Other feedback", "text", True),
                ("error_rate_after_measures", "Error rate achieved after any new measures", "text", False),
            ]
            fields: list[Field] = []
            for attr, label, _unit, optional in specs:
                if isinstance(entry, NotApplicable):
                    cell = na_cell(" ".join(entry.not_applicable.split()))
                else:
                    assert isinstance(entry, CategoryMeasures)
                    raw = getattr(entry, attr)
                    cell = value_cell(raw, "bool") if isinstance(raw, bool) else text_or_na(raw, none)
                fields.append(self.pol_field(f"7.{cat}.{attr}", label, cell, section=7, indicator=attr,
                                             category=cat, optional=optional))
            groups.append(Group(id=f"7.{cat}", title=f"7 {name}", fields=tuple(fields)))
        return Section(number=7, title=SECTION_TITLES[7], intro=(
            "For known CSAM the indicators are hashes; for possible new CSAM and solicitation they are AI "
            "classifiers. The error rates achieved in the period are in section 6."),
            groups=tuple(groups), prose=(_prose(m),))

    def section8(self) -> Section:
        r = self.pol.retention
        data_labels = (
            ("confirmed_content", "Retention: content items identified as child sexual abuse"),
            ("report_metadata", "Retention: non-content data about reports (including after the user deactivates "
             "the account)"),
            ("complaint", "Retention: data about complaints and policy violations"),
            ("not_abuse", "Retention: items found not to be abuse"),
        )
        ret: list[Field] = []
        for data, label in data_labels:
            rule = r.rule(data)
            days = "erased within one day" if rule.max_days == 0 else f"at most {rule.max_days:,} days"
            purposes = ", ".join(p.replace("_", " ") for p in rule.purposes)
            ret.append(self.pol_field(f"8.retention.{data}", label,
                                      value_cell(f"{days}; purposes: {purposes}", "text"),
                                      section=8, indicator=f"retention_{data}"))
            self.extra.append(IndicatorRow(ALL, 8, f"retention_max_days_{data}", NO, NO, "all", rule.max_days,
                                           "days"))
        ret.append(self.pol_field("8.retention.other", "Other retention policies",
                                  text_or_na(r.other_retention_policies, "none stated in retention.md"),
                                  section=8, indicator="other_retention_policies", optional=True))
        s = r.safeguards
        safe = (
            self.pol_field("8.safeguards.deid", "De-identification, pseudonymisation and anonymisation (techniques, "
                           "where used)", text_or_na(s.de_identification, "none stated"), section=8,
                           indicator="de_identification"),
            self.pol_field("8.safeguards.encryption", "Industry-standard encryption of data in transit between "
                           "private infrastructure and public networks (yes/no)",
                           value_cell(s.encryption_in_transit, "bool"), section=8, indicator="encryption_in_transit"),
            self.pol_field("8.safeguards.encryption.specify", "Encryption in transit: protocols and algorithms "
                           "(please specify)", _specify(s.encryption_in_transit, s.encryption_in_transit_specify,
                                                        "encryption in transit"),
                           section=8, indicator="encryption_in_transit_specify"),
            self.pol_field("8.safeguards.governance", "Data-governance or privacy programme (access restrictions, "
                           "ACLs, confidentiality duties)", text_or_na(s.data_governance, "none stated"),
                           section=8, indicator="data_governance"),
            self.pol_field("8.safeguards.review", "Procedures to review anonymisation and data governance",
                           text_or_na(s.governance_review, "none stated"), section=8,
                           indicator="governance_review"),
            self.pol_field("8.safeguards.incident", "Security-incident response plans (yes/no)",
                           value_cell(s.incident_response, "bool"), section=8, indicator="incident_response"),
            self.pol_field("8.safeguards.incident.specify", "Security-incident response: the plan and how often it "
                           "is tested (please specify)", _specify(s.incident_response, s.incident_response_specify,
                                                                  "incident response plans"),
                           section=8, indicator="incident_response_specify"),
            self.pol_field("8.safeguards.other_security", "Other technical and organisational security measures",
                           text_or_na(s.other_security_measures, "none stated"), section=8,
                           indicator="other_security_measures"),
        )
        rd = r.redress
        redress = (
            self.pol_field("8.redress.facts", "Internal redress: the person is told the facts behind the "
                           "decision (yes/no)", value_cell(rd.facts_told, "bool"), section=8,
                           indicator="redress_facts_told"),
            self.pol_field("8.redress.procedure", "Internal redress: procedures to assess the user's enquiries "
                           "(yes/no)", value_cell(rd.enquiry_procedure, "bool"), section=8,
                           indicator="redress_enquiry_procedure"),
            self.pol_field("8.redress.channel", "Internal redress: a dedicated communication channel (yes/no)",
                           value_cell(rd.dedicated_channel, "bool"), section=8,
                           indicator="redress_dedicated_channel"),
            self.pol_field("8.redress.completion", "Internal redress: the user is told when the assessment is "
                           "complete (yes/no)", value_cell(rd.completion_notified, "bool"), section=8,
                           indicator="redress_completion_notified"),
            self.pol_field("8.redress.recipients", "Internal redress: extra information sent to the Art. "
                           "3(1)(h)(i) recipients depending on the outcome of the complaint (yes/no)",
                           value_cell(rd.recipients_updated, "bool"), section=8,
                           indicator="redress_recipients_updated"),
        )
        access = (
            self.pol_field("8.access", "Right of access: whether, how and when users get access to their data "
                           "when their account is suspended or deleted", text_or_na(r.right_of_access, "none stated"),
                           section=8, indicator="right_of_access"),
            self.pol_field("8.other", "Other safeguards", text_or_na(r.other_safeguards,
                                                                     "none stated in retention.md"),
                           section=8, indicator="other_safeguards", optional=True),
        )
        return Section(number=8, title=SECTION_TITLES[8], intro="", groups=(
            Group(id="8.retention", title="8 Retention policy", fields=tuple(ret)),
            Group(id="8.safeguards", title="8 Data-protection safeguards", fields=safe),
            Group(id="8.redress", title="8 Internal redress mechanism", fields=redress),
            Group(id="8.access", title="8 Right of access and other safeguards", fields=access),
        ), prose=(_prose(r),))

    def section9(self) -> Section:
        # Item 9 asks for organisations acting in the public interest: law-enforcement recipients and
        # processors get their own lines after it (typed in transfers.md; an unlisted recipient is neither).
        types = {r.name: r.type for r in self.pol.transfers.recipients}
        public = "public_interest_organisation"
        ncmec: list[Cell] = []
        others: list[Cell] = []
        not_public: list[Cell] = []
        for svc in self.column_keys:
            orgs_row = self.require(svc, 9, "organisations")
            orgs = [o.strip() for o in str(orgs_row.value or "").split(",") if o.strip()]
            ncmec.append(value_cell(NCMEC in orgs, "bool"))
            rest = [o for o in orgs if o != NCMEC and types.get(o, public) == public]
            others.append(value_cell(", ".join(rest), "text") if rest
                          else na_cell("no other organisation acting in the public interest received reports "
                                       "in the period"))
            apart = [f"{o} ({types[o].replace('_', ' ')})" for o in orgs if types.get(o, public) != public]
            not_public.append(value_cell(", ".join(apart), "text") if apart
                              else na_cell("no law-enforcement authority or processor received reports in the "
                                           "period"))
        t = self.pol.transfers
        names = country_names()
        # Item 9 is about organisations data was shared with: one listed in transfers.md that received nothing
        # in the period is not named here.
        received = self.received_reports()
        recips = tuple(
            self.pol_field(f"9.recipient.{slug(r.name)}", f"Organisation that received reports — {r.name}",
                           value_cell(f"{r.name}: {r.type.replace('_', ' ')}, {names.get(r.country, r.country)} "
                                      f"({r.country})", "text"), section=9, indicator=f"recipient_{slug(r.name)}")
            for r in sorted(t.recipients, key=lambda r: r.name) if r.type == public and r.name in received)
        g = Group(id="9", title="9 Organisations acting in the public interest", fields=(
            self.derived("9.ncmec", "NCMEC (National Center for Missing & Exploited Children) (yes/no)", ncmec,
                         section=9, indicator="ncmec"),
            self.svc_na("9.eu_centre", "EU Centre", "the EU Centre on child sexual abuse has not been established"),
            self.derived("9.others", "Others (specify)", others, section=9, indicator="other_organisations"),
            *recips,
        ))
        other_recipients = Group(
            id="9.other_recipients", title="Other recipients of reports (not part of item 9)", note=(
            "Law-enforcement authorities and processors are not organisations acting in the public interest; "
            "they are listed here so that every recipient of the period's reports is shown."), fields=(
            self.derived("9.not_public", "Law-enforcement authorities and processors that received reports",
                         not_public, section=9, indicator="other_recipients"),
            self.fig("9.all", "All recipients of reports in the period", 9, "organisations"),
        ))
        return Section(number=9, title=SECTION_TITLES[9], intro=(
            "Organisations acting in the public interest that received reports in the period (from the reports "
            "sent), as the provider's transfer policy describes them; other recipients follow apart."),
            groups=(g, other_recipients))


def processed_definition(policies: PolicySet) -> str:
    """The provider's reading of "processed" (provider.md), or the default reading of the definitions."""
    own = policies.provider.processed_definition
    return " ".join(own.split()) if own and own.strip() else DEFINITIONS[0][1]


def _specify(answer: bool, text: str | None, what: str) -> Cell:
    """A form's "please specify" beside a yes/no: the text, or N/A saying why there is none."""
    if not answer:
        return na_cell(f"the provider answers no to {what}")
    return text_or_na(text, "not specified in retention.md (safeguards)")


def _prose(doc: Any) -> Prose:
    from csa_report.policies.history import document_name

    body: str = doc.body
    return Prose(source=document_name(doc), version=str(doc.version), html=prose.to_html(body) if body.strip() else "",
                 markdown=prose.to_markdown(body) if body.strip() else "")


# ---------------------------------------------------------------------------------------------------------
# Header, regimes, annex


def instruments_in_force(regimes: Iterable[Regime], start: date, end: date) -> tuple[InstrumentInForce, ...]:
    out: list[InstrumentInForce] = []
    for r in sorted(regimes, key=lambda r: r.applies_from):
        first = max(start, r.applies_from)
        last = min(end, r.applies_until)
        if first > last:
            continue
        out.append(InstrumentInForce(
            id=r.id, name=r.name_on(last), derogation=r.derogation, applies_from=r.applies_from.isoformat(),
            applies_until=r.applies_until.isoformat(), excludes_e2ee=r.excludes_e2ee,
            first_day=first.isoformat(), last_day=last.isoformat(), days=(last - first).days + 1,
            form=r.form, form_confirmed=r.form_confirmed, deadline=r.report_deadline,
            deadline_confirmed=r.deadline_confirmed))
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
        parts.append(" ".join(
            f"From {g.first_day} to {g.last_day} ({g.days} days of this period) no derogation was in force "
            f"({g.name})." for g in gaps))
        parts.append("Any processing on those days needs a legal review (rule SCOPE-2; see the findings in the "
                     "annex).")
    covered = sum(i.days for i in instruments)
    total = (end - start).days + 1
    if covered < total:
        parts.append(f"{total - covered} days of the period are not covered by any known legal regime in the "
                     "reference data.")
    return " ".join(parts)


SEVERITY_ORDER: Final = {"blocking": 0, "review": 1, "warning": 2}


def _waiver_entries(findings: Sequence[FindingLike], waivers: Sequence[WaiverLike]) -> tuple[WaiverEntry, ...]:
    """The waivers file's entries (with their status), or else the waivers recorded on the findings."""
    entries: set[WaiverEntry] = set()
    for w in waivers:
        expires = getattr(w, "expires", None)
        entries.add(WaiverEntry(rule=w.rule, reason=w.reason, waived_by=w.waived_by,
                                status=str(getattr(w, "status", "applied")),
                                expires=expires.isoformat() if isinstance(expires, date) else ""))
    if not waivers:
        for f in findings:
            by = getattr(f, "waived_by", None)
            if by is not None:
                entries.add(WaiverEntry(rule=f.rule, reason=str(getattr(f, "waiver_reason", "") or ""),
                                        waived_by=str(by), status="applied", expires=""))
    return tuple(sorted(entries, key=lambda w: (w.rule, w.waived_by, w.reason)))


def segment_figures(whole: Sequence[Section], instruments: Sequence[InstrumentInForce], segments: Sequence[Indicators],
                    policies: PolicySet) -> tuple[tuple[Column, ...], tuple[Group, ...]]:
    """Every data-driven field of sections 1, 4, 5 and 6 (total over services), one value per regime segment
    beside the whole period's. ``segments`` are the indicators of each segment, in the order of
    ``instruments``; the days without a derogation are a segment of their own, apart from the others."""
    if len(instruments) < 2 or len(segments) != len(instruments):
        return (), ()
    columns = (
        *(Column(key=i.id, label=(f"{i.first_day} to {i.last_day}: " + (i.name if i.derogation else
                                                                          "no derogation in force")))
          for i in instruments),
        Column(key=ALL, label="Whole period"))
    per_segment: list[dict[str, Field]] = []
    for ind in segments:
        b = _Builder(ind, policies)
        per_segment.append({f.id: f for sec in (b.section1(), b.section4(), b.section5(), b.section6())
                            for g in sec.groups for f in g.fields})
    groups: list[Group] = []
    for sec in whole:
        if sec.number not in (1, 4, 5, 6):
            continue
        for g in sec.groups:
            fields = [
                Field(id=f.id, label=f.label, scope="service", optional=f.optional, cells=(
                    *((seg[f.id].cells[-1] if f.id in seg else na_cell("not used in this segment"))
                      for seg in per_segment),
                    f.cells[-1]))
                for f in g.fields if f.scope == "service"]
            if fields:
                groups.append(Group(id=f"segments.{g.id}", title=g.title, fields=tuple(fields)))
    return columns, tuple(groups)


def build_context(
    indicators: Indicators,
    policies: PolicySet,
    *,
    findings: Sequence[FindingLike] = (),
    waivers: Sequence[WaiverLike] = (),
    regimes: Sequence[Regime],
    series: Sequence[MonthPoint],
    publication_date: date,
    tool_version: str = __version__,
    signoff: str = HUMAN_SIGNOFF,
    segments: Sequence[Indicators] = (),
    correction: str | None = None,
    verification: str | None = None,
) -> ReportContext:
    """The one context object of a report. Pure: equal inputs give an equal context."""
    b = _Builder(indicators, policies)
    period = indicators.period
    p = policies.provider
    instruments = instruments_in_force(regimes, period.start, period.end)
    header = Header(
        title=f"{report_title(instruments)} — {p.provider}",
        title_under=_lc(report_title(instruments)),
        provider=p.provider,
        establishment=f"{country_names().get(p.establishment, p.establishment)} ({p.establishment})",
        supervisory_authority=p.supervisory_authority.name,
        services=tuple(indicators.services),
        services_detail=tuple(_service_detail(p, name) for name in indicators.services),
        columns=b.columns(),
        period=str(period),
        period_start=period.start.isoformat(),
        period_end=period.end.isoformat(),
        as_of=format_instant(indicators.as_of),
        publication_date=publication_date.isoformat(),
        publication_url=p.publication_url,
        instruments=instruments,
        gap_notice=gap_notice(instruments, period.start, period.end),
        tool_version=tool_version,
    )
    sections = (b.section1(), b.section2(), b.section3(), b.section4(), b.section5(), b.section6(),
                b.section7(), b.section8(), b.section9())
    segment_columns, segment_groups = segment_figures(sections, instruments, segments, policies)
    points = tuple(ChartPoint(month=m.month, category=m.category, flagged=m.flagged, confirmed=m.confirmed)
                   for m in series)
    title = "Automated flags and confirmed automated flags per month and category"
    first = month_label(points[0].month) if points else ""
    last = month_label(points[-1].month) if points else ""
    desc = (f"Line charts, one per category, from {first} to {last}: the number of items automatically flagged "
            "in each month (solid line) and how many of those automated flags human review confirmed by the as-of "
            "instant (dashed line). User reports are in neither line. The same numbers are in the table below.")
    chart = Chart(title=title, desc=desc, svg=render_svg(points, title=title, desc=desc), points=points)
    finding_entries = tuple(sorted(
        (FindingEntry(rule=f.rule, severity=str(f.severity), message=f.message, count=int(f.count),
                      reference=f.reference, waived=getattr(f, "waived_by", None) is not None)
         for f in findings),
        key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.rule, f.message)))
    waiver_entries = _waiver_entries(findings, waivers)
    provenance = Provenance(
        period=str(period), as_of=format_instant(indicators.as_of), publication_date=publication_date.isoformat(),
        tool_version=tool_version, schema_version=SCHEMA_ID,
        policies=tuple(PolicyProvenance(**entry) for entry in policies.provenance()), signoff=signoff,
        correction=correction, verification=verification,
    )
    return ReportContext(
        header=header, sections=sections, chart=chart, findings=finding_entries, waivers=waiver_entries,
        definitions=tuple(Definition(term=t, text=processed_definition(policies) if t == "Processed" else x)
                          for t, x in DEFINITIONS), provenance=provenance,
        rows=indicators.rows, extra_rows=tuple(sorted(b.extra, key=lambda r: r.sort_key)),
        segment_columns=segment_columns, segment_groups=segment_groups,
    )


def as_of_datetime(context: ReportContext) -> datetime:
    from csa_report.period import parse_as_of

    return parse_as_of(context.provenance.as_of)


def _lc(name: str) -> str:
    """'Known CSAM' → 'known CSAM' (lower-case the first letter only, keep acronyms)."""
    return name[:1].lower() + name[1:]


def slug(name: str) -> str:
    """An indicator-safe form of a name: 'An Garda Síochána' → 'an_garda_siochana'."""
    import re
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_") or "unnamed"


def _service_detail(provider: Any, name: str) -> str:
    svc = provider.service(name)
    if svc is None:
        return f"{name} (not listed in provider.md)"
    if svc.e2ee and svc.e2ee_from is not None:
        return f"{name} (end-to-end encrypted from {svc.e2ee_from.isoformat()})"
    return name
