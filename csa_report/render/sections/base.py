"""What every section builder shares: the indicator lookups, the column layout and the ways a field is made.

A field gets its cells from the indicators (per service and for the total ``ALL``), from the policy documents
(one provider-wide cell, also recorded as an extra row of report.csv/json), or an explicit ``N/A — reason``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, cast

from csa_report.errors import ToolError
from csa_report.indicators import ALL, NO, IndicatorRow, Indicators, Unit
from csa_report.policies.models import NotApplicable, PolicyDocument, PolicySet
from csa_report.render import prose
from csa_report.render.cells import na_cell, row_cell
from csa_report.render.definitions import DEFINITIONS
from csa_report.render.model import Cell, Column, Field, Prose
from csa_report.render.sections.tense import QuotingPolicies
from csa_report.vocabulary import CATEGORIES

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
#: The sections whose fields are counted per category (a category not scanned for is N/A there).
CATEGORY_SECTIONS: Final = (4, 5, 6)


class FieldBuilder:
    """The fields of one report (or one regime segment of it); ``extra`` collects the rows it adds to the
    indicators (policy answers, derived yes/no values)."""

    def __init__(self, indicators: Indicators, policies: PolicySet) -> None:
        self.ind = indicators
        # Section builders read the policies through a view that records the documents they quote, for the
        # tense notes (sections/tense.py); ``policies`` itself is read here unrecorded.
        self.quoted: dict[str, PolicyDocument] = {}
        self._policies = policies
        self.policy_folder = policies.folder
        self.pol: PolicySet = cast(PolicySet, QuotingPolicies(policies, self.quoted))
        self.services = indicators.services
        # One column per service plus the total; a single service is its own total.
        self.column_keys: tuple[str, ...] = (
            (*self.services, ALL) if len(self.services) > 1 else (self.services[0],) if self.services else (ALL,)
        )
        self.index = {r.key: r for r in indicators.rows}
        self.extra: list[IndicatorRow] = []
        #: Field id → index in ``extra`` of the row a policy field records (a per-version statement replaces it).
        self.extra_of: dict[str, int] = {}
        #: The check findings (set by the context builder): section 1 states SCOPE-2's counts of the gap days.
        self.findings: tuple[Any, ...] = ()
        #: The days each service was scanned per regime segment (set by the context builder; None: not counted).
        self.scanning: tuple[Any, ...] | None = None
        # Categories the provider does not scan for (measures.md not_applicable): their fields show N/A with
        # that reason, not a column of zeros — unless the data shows activity in the category, which is then
        # printed as it is (the report never hides data).
        # The test is per category, over every field of sections 4-6, so that a genuine zero beside other
        # activity (no error among 14 flags) is never turned into an N/A.
        active = {
            r.category
            for r in indicators.rows
            if r.section in CATEGORY_SECTIONS
            and r.unit == "count"
            and isinstance(r.value, int)
            and not isinstance(r.value, bool)
            and r.value != 0
        }
        self.not_scanned: dict[str, str] = {}
        for cat in CATEGORIES:
            entry = policies.measures.category(cat)
            if isinstance(entry, NotApplicable) and cat not in active:
                self.not_scanned[cat] = " ".join(entry.not_applicable.split())
        # Section 1 volumes the provider does not count (provider.md volumes_not_counted), by indicator.
        p = policies.provider
        self.not_counted: dict[str, str] = {
            f"{v}_processed": " ".join(reason.split()) for v, reason in p.volumes_not_counted.items()
        }
        self._reason_in_measures: set[str] = set()
        if "text_bytes_processed" not in self.not_counted and "solicitation" in self.not_scanned:
            self.not_counted["text_bytes_processed"] = "no text is scanned: " + self.not_scanned["solicitation"]
            self._reason_in_measures.add("text_bytes_processed")
        if "metadata_processed" not in self.not_counted and not p.metadata_types:
            self.not_counted["metadata_processed"] = "no metadata about users is processed"

    @property
    def policies(self) -> PolicySet:
        """The policies, read without recording a quotation."""
        return self._policies

    def quote(self, doc: PolicyDocument) -> None:
        """Record that the section being built quotes ``doc`` (its builder read it through ``pol``)."""
        QuotingPolicies.record(self.quoted, doc)

    # -- lookups --------------------------------------------------------------------------------------
    def row(
        self, service: str, section: int, indicator: str, category: str = NO, technology: str = NO, region: str = "all"
    ) -> IndicatorRow | None:
        return self.index.get((service, section, indicator, category, technology, region))

    def require(
        self, service: str, section: int, indicator: str, category: str = NO, technology: str = NO, region: str = "all"
    ) -> IndicatorRow:
        r = self.row(service, section, indicator, category, technology, region)
        if r is None:
            raise ToolError(
                f"report context: indicator missing: service={service!r} section={section} "
                f"indicator={indicator!r} category={category!r} technology={technology!r} region={region!r}"
            )
        return r

    def columns(self) -> tuple[Column, ...]:
        return tuple(Column(key=k, label="Total (all services)" if k == ALL else k) for k in self.column_keys)

    def received_reports(self) -> set[str]:
        """Organisations that received reports in the period (all services)."""
        return set(names_listed(self.require(self.column_keys[-1], 9, "organisations")))  # the total column

    # -- fields ---------------------------------------------------------------------------------------
    def fig(
        self,
        fid: str,
        label: str,
        section: int,
        indicator: str,
        category: str = NO,
        region: str = "all",
        technology: str = NO,
        optional: bool = False,
        missing: str | None = None,
    ) -> Field:
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
        by_category = section in CATEGORY_SECTIONS
        reason = self.not_scanned.get(category) if by_category else self.not_counted.get(indicator)
        if reason is not None and (by_category or all(c.na or c.value in (0, "") for c in cells)):
            cells = [na_cell(reason, c.unit) for c in cells]
            # The N/A reason is quoted from measures.md (not scanned) or provider.md (not counted).
            self.quote(
                self._policies.measures
                if by_category or indicator in self._reason_in_measures
                else self._policies.provider
            )
        return Field(id=fid, label=label, scope="service", optional=optional, cells=tuple(cells))

    def eu_all(
        self,
        fid: str,
        label: str,
        section: int,
        indicator: str,
        category: str = NO,
        optional: bool = False,
        all_label: str | None = None,
    ) -> tuple[Field, Field]:
        """A field the form asks about EU users (data-contract §3, version 2): the form's field carries the
        ``eu`` value; the all-region value follows on its own row, labelled as such, never in its place.
        ``label`` names the form's field; unless it already says EU, "— EU users" is added."""
        eu_label = label if "EU user" in label else f"{label} — EU users"
        base = all_label or label
        return (
            self.fig(fid, eu_label, section, indicator, category, region="eu", optional=optional),
            self.fig(
                f"{fid}.all",
                f"{base} — all regions (for information, not a form field)",
                section,
                indicator,
                category,
                region="all",
            ),
        )

    def svc_na(self, fid: str, label: str, reason: str, optional: bool = False) -> Field:
        return Field(
            id=fid,
            label=label,
            scope="service",
            optional=optional,
            cells=tuple(na_cell(reason) for _ in self.column_keys),
        )

    def pol_field(
        self,
        fid: str,
        label: str,
        cell: Cell,
        *,
        section: int,
        indicator: str,
        category: str = NO,
        optional: bool = False,
    ) -> Field:
        """A provider-wide field from the policies; also recorded as an extra row of report.csv/json."""
        unit: Unit = (
            "bool"
            if isinstance(cell.value, bool)
            else ("days" if cell.unit == "days" else "count" if cell.unit == "count" else "text")
        )
        self.extra_of[fid] = len(self.extra)
        self.extra.append(
            IndicatorRow(ALL, section, indicator, category, NO, "all", _raw(cell), unit, cell.note if cell.na else "")
        )
        return Field(id=fid, label=label, scope="provider", optional=optional, cells=(cell,))

    def derived(
        self, fid: str, label: str, per_service: Sequence[Cell], *, section: int, indicator: str, category: str = NO
    ) -> Field:
        """A per-service field computed here from indicators (e.g. yes/no): recorded as extra rows too."""
        for svc, cell in zip(self.column_keys, per_service, strict=True):
            unit: Unit = "bool" if isinstance(cell.value, bool) else "text"
            self.extra.append(
                IndicatorRow(
                    svc, section, indicator, category, NO, "all", _raw(cell), unit, cell.note if cell.na else ""
                )
            )
        return Field(id=fid, label=label, scope="service", cells=tuple(per_service))


def _raw(cell: Cell) -> int | str | bool | None:
    """A cell's value as an indicator row holds it (a float is kept as its text)."""
    return cell.value if not isinstance(cell.value, float) else str(cell.value)


def names_listed(row: IndicatorRow) -> list[str]:
    """The names of a comma-separated text indicator (e.g. the organisations that received reports)."""
    return [o.strip() for o in str(row.value or "").split(",") if o.strip()]


def processed_definition(policies: PolicySet) -> str:
    """The provider's reading of "processed" (provider.md), or the default reading of the definitions."""
    own = policies.provider.processed_definition
    return " ".join(own.split()) if own and own.strip() else DEFINITIONS[0][1]


def prose_of(doc: Any) -> Prose:
    """A policy document's text, shown after its section."""
    from csa_report.policies.history import document_name

    body: str = doc.body
    return Prose(
        source=document_name(doc),
        version=str(doc.version),
        html=prose.to_html(body) if body.strip() else "",
        markdown=prose.to_markdown(body) if body.strip() else "",
    )
