"""Build the report context (``ReportContext``) from indicators, policies, findings, regimes and provenance.

This is where the standard form (Implementing Regulation (EU) 2024/2916, regulation.md §4.2) is mapped field by
field: each field gets a value from the indicators (per service and for the total ``ALL``) or from the policy
documents, or an explicit ``N/A — reason``. No section is ever dropped. The builder is pure: no database, no
clock; the publication date and the as-of instant are inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
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
        return Field(id=fid, label=label, scope="service", optional=optional, cells=tuple(cells))

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
                           value_cell(DEFINITIONS[0][1], "text"), section=1, indicator="processed_definition"),
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
        for r in sorted(t.recipients, key=lambda r: r.name):
            where = f"{names.get(r.country, r.country)} ({r.country})"
            label = f"Chapter V ground — {r.name}, {where}, {r.type.replace('_', ' ')}"
            used = "" if r.name in received else " — no report was sent to this recipient in the period"
            if r.country in eea:
                cell = na_cell(f"{r.name} is established in the EEA ({r.country}): no transfer outside the Union")
            elif not r.grounds:
                cell = na_cell(f"no ground listed for {r.name} in transfers.md{used} (see the findings in the annex)")
            else:
                cell = value_cell(f"{r.name}: " + "; ".join(
                    f"Art. {g.article} GDPR — {' '.join(g.instrument.split())} (valid from "
                    f"{g.valid_from.isoformat()}{' to ' + g.valid_until.isoformat() if g.valid_until else ''})"
                    for g in r.grounds) + used, "text")
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

    def section4(self) -> Section:
        no_types = ("the reporting schema does not record file types of reported items; the types of other "
                    "files processed are in 1.2")
        groups: list[Group] = []
        for cat, name in (("known_csam", "Known CSAM"), ("new_csam", "Possible new CSAM")):
            groups.append(Group(id=f"4.{cat}", title=f"4 {name}", note=(
                "Material confirmed as CSAM (hash match)." if cat == "known_csam" else
                "Reported files other than known CSAM."), fields=(
                self.fig(f"4.{cat}.reports", f"Reports concerning {_lc(name)}", 4, "reports", cat),
                self.fig(f"4.{cat}.images", "Images reported", 4, "images_reported", cat),
                self.fig(f"4.{cat}.videos", "Videos reported", 4, "videos_reported", cat),
                self.fig(f"4.{cat}.other", "Other files reported", 4, "other_files_reported", cat),
                self.svc_na(f"4.{cat}.other.types", "Other files reported — file types", no_types),
                self.fig(f"4.{cat}.sending", "EU user accounts reported as sending at least one item", 4,
                         "accounts_sending", cat, region="eu"),
                self.fig(f"4.{cat}.receiving", "EU user accounts reported as receiving at least one item", 4,
                         "accounts_receiving", cat, region="eu"),
            )))
        groups.append(Group(id="4.solicitation", title="4 Solicitation of children", fields=(
            self.fig("4.solicitation.reports", "Reports of possible solicitation of children", 4, "reports",
                     "solicitation"),
            self.fig("4.solicitation.soliciting", "EU user accounts reported as possibly soliciting a child", 4,
                     "accounts_soliciting", "solicitation", region="eu"),
            self.fig("4.solicitation.solicited", "EU user accounts reported as possibly being solicited", 4,
                     "accounts_solicited", "solicitation", region="eu"),
        )))
        return Section(number=4, title=SECTION_TITLES[4], intro=(
            "Counts of reports sent in the period to the organisations of section 9, split between child "
            "sexual abuse material and solicitation of children; account counts are distinct EU user accounts."),
            groups=tuple(groups))

    def _complaint_fields(self, cat: str, subject: str) -> list[Field]:
        reasons = "optional field: complaint reasons are recorded per case and not aggregated for publication"
        what = "items" if subject == "content" else "accounts"
        p = f"5.{cat}.{subject}"
        return [
            self.fig(f"{p}.internal", "Complaints to the internal redress mechanism", 5,
                     f"{subject}_complaints_internal", cat),
            self.svc_na(f"{p}.internal.reasons", "Reasons for the internal complaints", reasons, optional=True),
            self.fig(f"{p}.internal.restored", f"{what.capitalize()} restored after an internal complaint", 5,
                     f"{subject}_restored_internal", cat),
            self.fig(f"{p}.internal.days", "Average time to decide on an internal complaint", 5,
                     f"{subject}_decision_days_internal", cat, optional=True),
            self.fig(f"{p}.judicial", "Complaints to a judicial authority", 5,
                     f"{subject}_complaints_judicial", cat),
            self.svc_na(f"{p}.judicial.reasons", "Reasons for the judicial complaints", reasons, optional=True),
            self.fig(f"{p}.judicial.restored", f"{what.capitalize()} restored after a judicial complaint", 5,
                     f"{subject}_restored_judicial", cat),
            self.fig(f"{p}.judicial.days", "Average time to comply with the judicial decision", 5,
                     f"{subject}_compliance_days_judicial", cat, optional=True),
        ]

    def section5(self) -> Section:
        groups: list[Group] = []
        for cat, name in (("known_csam", "Known CSAM"), ("new_csam", "Possible new CSAM")):
            groups.append(Group(id=f"5.{cat}.content", title=f"5 {name} — content", fields=(
                self.fig(f"5.{cat}.content.removed", "Items removed", 5, "content_removed", cat),
                *self._complaint_fields(cat, "content"))))
            groups.append(Group(id=f"5.{cat}.account", title=f"5 {name} — accounts", fields=(
                self.fig(f"5.{cat}.account.suspended", "EU user accounts suspended for sharing", 5,
                         "accounts_suspended", cat, region="eu"),
                self.fig(f"5.{cat}.account.suspended.all", "User accounts suspended for sharing — all regions", 5,
                         "accounts_suspended", cat),
                *self._complaint_fields(cat, "account"))))
        groups.append(Group(id="5.solicitation.account", title="5 Solicitation of children — accounts", fields=(
            self.fig("5.solicitation.account.suspended", "EU user accounts suspended for soliciting a child", 5,
                     "accounts_suspended", "solicitation", region="eu"),
            self.fig("5.solicitation.account.suspended.all",
                     "User accounts suspended for soliciting a child — all regions", 5,
                     "accounts_suspended", "solicitation"),
            *self._complaint_fields("solicitation", "account"))))
        return Section(number=5, title=SECTION_TITLES[5], intro=(
            "Complaints lodged in the period through the internal redress mechanism or with a judicial "
            "authority, against the removal of content or an action on an account, and their outcome at the "
            "as-of instant."), groups=tuple(groups))

    def section6(self) -> Section:
        groups: list[Group] = []
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
                        self.fig(f"6.{cat}.{tech}.A", f"A{n}: {unit_word} automatically flagged as possible "
                                 f"{_lc(name)}", 6, "flagged", cat, region, tech, missing=missing),
                        self.fig(f"6.{cat}.{tech}.B", f"B{n}: of these, {unit_word} found not to be "
                                 f"{_lc(name)} on human review", 6, "not_abuse", cat, region, tech,
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
            self.pol_field("8.safeguards.governance", "Data-governance or privacy programme (access restrictions, "
                           "ACLs, confidentiality duties)", text_or_na(s.data_governance, "none stated"),
                           section=8, indicator="data_governance"),
            self.pol_field("8.safeguards.review", "Procedures to review anonymisation and data governance",
                           text_or_na(s.governance_review, "none stated"), section=8,
                           indicator="governance_review"),
            self.pol_field("8.safeguards.incident", "Security-incident response plans (yes/no)",
                           value_cell(s.incident_response, "bool"), section=8, indicator="incident_response"),
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
        ncmec: list[Cell] = []
        others: list[Cell] = []
        for svc in self.column_keys:
            orgs_row = self.require(svc, 9, "organisations")
            orgs = [o.strip() for o in str(orgs_row.value or "").split(",") if o.strip()]
            ncmec.append(value_cell(NCMEC in orgs, "bool"))
            rest = [o for o in orgs if o != NCMEC]
            others.append(value_cell(", ".join(rest), "text") if rest
                          else na_cell("no other organisation received reports in the period"))
        t = self.pol.transfers
        names = country_names()
        recips = tuple(
            self.pol_field(f"9.recipient.{slug(r.name)}", f"Recipient listed in transfers.md — {r.name}",
                           value_cell(f"{r.name}: {r.type.replace('_', ' ')}, {names.get(r.country, r.country)} "
                                      f"({r.country})", "text"), section=9, indicator=f"recipient_{slug(r.name)}")
            for r in sorted(t.recipients, key=lambda r: r.name))
        g = Group(id="9", title="9 Organisations", fields=(
            self.derived("9.ncmec", "NCMEC (National Center for Missing & Exploited Children) (yes/no)", ncmec,
                         section=9, indicator="ncmec"),
            self.svc_na("9.eu_centre", "EU Centre", "the EU Centre on child sexual abuse has not been established"),
            self.derived("9.others", "Others (specify)", others, section=9, indicator="other_organisations"),
            self.fig("9.all", "All organisations that received reports in the period", 9, "organisations"),
            *recips,
        ))
        return Section(number=9, title=SECTION_TITLES[9], intro=(
            "Organisations that received reports in the period (from the reports sent), and the recipients the "
            "provider's transfer policy lists."), groups=(g,))


def _prose(doc: Any) -> Prose:
    body: str = doc.body
    return Prose(source=doc.path.name, version=str(doc.version), html=prose.to_html(body) if body.strip() else "",
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
            id=r.id, name=r.name, derogation=r.derogation, applies_from=r.applies_from.isoformat(),
            applies_until=r.applies_until.isoformat(), excludes_e2ee=r.excludes_e2ee,
            first_day=first.isoformat(), last_day=last.isoformat(), days=(last - first).days + 1))
    return tuple(out)


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
    correction: str | None = None,
    verification: str | None = None,
) -> ReportContext:
    """The one context object of a report. Pure: equal inputs give an equal context."""
    b = _Builder(indicators, policies)
    period = indicators.period
    p = policies.provider
    instruments = instruments_in_force(regimes, period.start, period.end)
    header = Header(
        title=f"Transparency report under Regulation (EU) 2021/1232 and Regulation (EU) 2026/1881 — {p.provider}",
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
    points = tuple(ChartPoint(month=m.month, category=m.category, flagged=m.flagged, confirmed=m.confirmed)
                   for m in series)
    title = "Automated flags and confirmed items per month and category"
    first = month_label(points[0].month) if points else ""
    last = month_label(points[-1].month) if points else ""
    desc = (f"Line charts, one per category, from {first} to {last}: the number of items automatically flagged "
            "in each month (solid line) and the number of items flagged in that month, by any channel, that human "
            "review confirmed by the as-of instant (dashed line). The same numbers are in the table below.")
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
        definitions=tuple(Definition(term=t, text=x) for t, x in DEFINITIONS), provenance=provenance,
        rows=indicators.rows, extra_rows=tuple(sorted(b.extra, key=lambda r: r.sort_key)),
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
