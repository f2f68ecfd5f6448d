"""A small, fixed dataset for the render tests: indicators built by hand (every row of data-contract §3 for two
services and ALL), a monthly series, and the fixture policy folder. Deterministic by construction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from csa_report.checks.findings import Finding
from csa_report.indicators import ALL, NO, IndicatorRow, Indicators, mean_days, ratio_percent
from csa_report.period import Period
from csa_report.policies.loader import load_policies
from csa_report.policies.models import PolicySet
from csa_report.reference import regimes
from csa_report.render import RenderResult, ReportContext, build_context
from csa_report.render.series import MonthPoint, months_of

HERE = Path(__file__).parent
POLICIES = HERE / "fixtures" / "policies"
PERIOD = Period.parse("2025")
AS_OF = datetime(2026, 1, 8)
PUBLICATION = date(2026, 1, 20)
SERVICES = ("Example Chat", "Example Mail")
CATS = ("known_csam", "new_csam", "solicitation")
CSAM = ("known_csam", "new_csam")
TECHS = {
    "known_csam": ("csai_match", "photodna"),
    "new_csam": ("new_csam_classifier",),
    "solicitation": ("grooming_classifier",),
}


def _svc_rows(s: str, k: int) -> list[IndicatorRow]:
    """Rows for one service; ``k`` scales the numbers (1 = Example Chat, 2 = Example Mail)."""
    r: list[IndicatorRow] = []

    def add(
        section: int,
        ind: str,
        value: object,
        unit: str,
        cat: str = NO,
        tech: str = NO,
        region: str = "all",
        note: str = "",
    ) -> None:
        r.append(IndicatorRow(s, section, ind, cat, tech, region, value, unit, note))  # type: ignore[arg-type]

    vols = {
        "images_processed": 1_200_000,
        "videos_processed": 84_000,
        "other_files_processed": 9_100,
        "metadata_processed": 2_500_000,
    }
    for ind, base in vols.items():
        add(1, ind, base * k, "count", region="eu")
        add(1, ind, base * k // 10, "count", region="non_eu")
    text = 0 if s == "Example Mail" else 5_000_000_000
    add(1, "text_bytes_processed", text, "bytes", region="eu")
    add(1, "text_bytes_processed", text // 20, "bytes", region="non_eu")
    add(1, "other_file_types", "gif, pdf" if k == 1 else "docx, pdf", "text")
    for c in CATS:
        add(
            4,
            "reports",
            {"known_csam": 380, "new_csam": 41, "solicitation": 7}[c] * k if (c != "solicitation" or k == 1) else 0,
            "count",
            c,
        )
    for c in CSAM:
        add(4, "images_reported", 1400 * k if c == "known_csam" else 52 * k, "count", c)
        add(4, "videos_reported", 92 * k if c == "known_csam" else 3 * k, "count", c)
        add(4, "other_files_reported", 4 * k if c == "known_csam" else 0, "count", c)
        add(4, "accounts_sending", 350 * k if c == "known_csam" else 30 * k, "count", c, region="eu")
        add(4, "accounts_receiving", 120 * k if c == "known_csam" else 9 * k, "count", c, region="eu")
    add(4, "accounts_soliciting", 6 if k == 1 else 0, "count", "solicitation", region="eu")
    add(4, "accounts_solicited", 8 if k == 1 else 0, "count", "solicitation", region="eu")
    for c in CSAM:
        add(5, "content_removed", 483 * k if c == "known_csam" else 55 * k, "count", c)
    for c in CATS:
        add(5, "accounts_suspended", 114 * k if c != "solicitation" else (6 if k == 1 else 0), "count", c, region="eu")
        add(5, "accounts_suspended", 130 * k if c != "solicitation" else (7 if k == 1 else 0), "count", c)
    for subject, cats in (("content", CSAM), ("account", CATS)):
        for c in cats:
            n = 0 if c == "solicitation" and k == 2 else (12 * k if subject == "content" else 25 * k)
            add(5, f"{subject}_complaints_internal", n, "count", c)
            add(5, f"{subject}_restored_internal", n // 6, "count", c)
            add(5, f"{subject}_complaints_judicial", 1 if (k == 1 and c == "known_csam") else 0, "count", c)
            add(5, f"{subject}_restored_judicial", 0, "count", c)
            if n:
                add(5, f"{subject}_decision_days_internal", mean_days(n * 86400 * 3 + 3600, n), "days", c)
            else:
                add(5, f"{subject}_decision_days_internal", None, "days", c, note="N/A: no internal complaint decided")
            add(
                5,
                f"{subject}_compliance_days_judicial",
                None,
                "days",
                c,
                note="N/A: no judicial decision to restore complied with",
            )
    for c in CATS:
        region = "eu" if c == "solicitation" else "all"
        techs = TECHS[c] if (c != "solicitation" or k == 1) else ()
        total = [0, 0, 0]
        for i, t in enumerate(techs):
            a = (1604 if c == "known_csam" else 300 if c == "new_csam" else 14) * k // (i + 1)
            b = a // 50
            rev = a // 4
            total = [total[0] + a, total[1] + b, total[2] + rev]
            add(6, "flagged", a, "count", c, t, region)
            add(6, "not_abuse", b, "count", c, t, region)
            add(6, "human_reviewed", rev, "count", c, t, region)
            add(6, "error_rate", ratio_percent(b, a), "percent", c, t, region)
        a, b, rev = total
        add(6, "flagged", a, "count", c, NO, region)
        add(6, "not_abuse", b, "count", c, NO, region)
        add(6, "human_reviewed", rev, "count", c, NO, region)
        if a:
            add(6, "error_rate", ratio_percent(b, a), "percent", c, NO, region)
        else:
            add(
                6,
                "error_rate",
                None,
                "percent",
                c,
                NO,
                region,
                note=f"N/A: no {'accounts' if c == 'solicitation' else 'items'} flagged",
            )
    add(9, "organisations", "Internet Watch Foundation, NCMEC" if k == 1 else "NCMEC", "text")
    # Indicators schema 2: restrictions apart, file types of reported EU other files, and an EU row beside every
    # all-region row of sections 4 and 5 (nine tenths of the count; means and empty values as they are).
    for c in CATS:
        add(5, "accounts_restricted", 3 * k if c != "solicitation" else 0, "count", c)
    for c in CSAM:
        add(
            4,
            "other_file_types_reported",
            "pdf" if c == "known_csam" else "",
            "text",
            c,
            region="eu",
            note="" if c == "known_csam" else "N/A: no other files of EU users reported",
        )
    has_eu = {(row.indicator, row.category) for row in r if row.region == "eu"}
    for row in list(r):
        if row.section in (4, 5) and row.region == "all" and (row.indicator, row.category) not in has_eu:
            v = row.value
            eu = v * 9 // 10 if row.unit == "count" and isinstance(v, int) else v
            add(row.section, row.indicator, eu, row.unit, row.category, row.technology, "eu", row.note)
    return r


def _sum_rows(rows: list[IndicatorRow]) -> list[IndicatorRow]:
    """ALL = sum over services for counts; recomputed rates; union of text lists; means re-derived simply."""
    by_key: dict[tuple[object, ...], list[IndicatorRow]] = {}
    for row in rows:
        by_key.setdefault((row.section, row.indicator, row.category, row.technology, row.region), []).append(row)
    out: list[IndicatorRow] = []
    for (section, ind, cat, tech, region), group in by_key.items():
        unit = group[0].unit
        value: object
        note = ""
        if unit in ("count", "bytes"):
            value = sum(int(str(g.value)) for g in group)
        elif unit == "text":
            items = sorted({x.strip() for g in group for x in str(g.value).split(",") if x.strip()})
            value = ", ".join(items)
        elif unit == "days":
            vals = [g.value for g in group if g.value is not None]
            value = vals[0] if vals else None
            note = "" if vals else group[0].note
        else:
            value = None  # rates recomputed below
        out.append(IndicatorRow(ALL, section, ind, cat, tech, region, value, unit, note))  # type: ignore[arg-type]
    index = {(r.indicator, r.category, r.technology, r.region): r for r in out}
    final: list[IndicatorRow] = []
    for r in out:
        if r.indicator == "error_rate":
            a = int(str(index[("flagged", r.category, r.technology, r.region)].value or 0))
            b = int(str(index[("not_abuse", r.category, r.technology, r.region)].value or 0))
            r = IndicatorRow(
                ALL,
                6,
                "error_rate",
                r.category,
                r.technology,
                r.region,
                ratio_percent(b, a) if a else None,
                "percent",
                "" if a else "N/A: no items flagged",
            )
        final.append(r)
    return final


def make_indicators() -> Indicators:
    rows = _svc_rows(SERVICES[0], 1) + _svc_rows(SERVICES[1], 2)
    return Indicators.build(PERIOD, AS_OF, SERVICES, rows + _sum_rows(rows))


def make_series() -> tuple[MonthPoint, ...]:
    out: list[MonthPoint] = []
    for i, m in enumerate(months_of(PERIOD)):
        for j, c in enumerate(CATS):
            flagged = (400 - 10 * i, 70 + 5 * (i % 3), 1 + i % 2)[j]
            out.append(MonthPoint(m, c, flagged, flagged * (9 - j) // 10))
    return tuple(out)


def make_findings() -> tuple[Finding, ...]:
    return (
        Finding(
            "RET-4",
            "review",
            "the policy keeps report_metadata 730 days and complaint data 1095 days, longer than 365 days",
            2,
            "Art. 3(1)(i) Reg. (EU) 2021/1232",
        ),
        Finding(
            "NOTICE-1",
            "warning",
            "3 account actions have no user_notified_at",
            3,
            "Art. 3(1)(g)(vi) Reg. (EU) 2021/1232",
        ),
        Finding("XFER-2", "blocking", "1 report to a recipient without a valid ground", 1, "GDPR Chapter V").waive(
            "Dara Kelly", "ground confirmed by counsel on 2026-01-07"
        ),
    )


def read(result: RenderResult, name: str) -> str:
    return Path(result.paths[name]).read_text(encoding="utf-8")


def load_fixture_policies(folder: Path = POLICIES) -> PolicySet:
    return load_policies(folder)


def make_context(policies: PolicySet | None = None, indicators: Indicators | None = None) -> ReportContext:
    return build_context(
        indicators or make_indicators(),
        policies or load_fixture_policies(),
        findings=make_findings(),
        regimes=regimes(),
        series=make_series(),
        publication_date=PUBLICATION,
        tool_version="0.1.0",
    )


_ = Decimal  # re-exported for tests that compare decimals
