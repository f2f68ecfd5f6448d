"""Assembly of the indicator rows of form sections 1, 4, 5, 6 and 9 from the extraction's group rows.

Each ``section*`` function takes the group rows of csa_report.extract.queries (aggregates only, tagged by
``kind``) and the scopes (every service, then ``ALL``) and returns that section's rows in form order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from csa_report.extract.distinct import SUSPENSIONS
from csa_report.indicators import ALL, NO, IndicatorRow, Unit, mean_days, ratio_percent
from csa_report.source_schema import CATEGORIES

CSAM: Final = ("known_csam", "new_csam")
SOL: Final = "solicitation"
REGIONS: Final = ("eu", "non_eu")
#: Sections 4 and 5 (v2): the form asks for EU users; the all-region value is kept beside it.
EU_ALL: Final = ("eu", "all")

#: Section 1 volume indicators: (indicator, data_type, summed column, unit).
VOLUMES: Final[tuple[tuple[str, str, str, Unit], ...]] = (
    ("images_processed", "image", "items", "count"),
    ("videos_processed", "video", "items", "count"),
    ("other_files_processed", "other_file", "items", "count"),
    ("text_bytes_processed", "text", "bytes", "bytes"),
    ("metadata_processed", "metadata", "items", "count"),
)
#: Section 4 reported items: (indicator, data_type).
REPORTED: Final = (("images_reported", "image"), ("videos_reported", "video"), ("other_files_reported", "other_file"))
#: Section 4 accounts: (indicator, role, categories).
ACCOUNTS: Final = (
    ("accounts_sending", "sender", CSAM),
    ("accounts_receiving", "receiver", CSAM),
    ("accounts_soliciting", "soliciting", (SOL,)),
    ("accounts_solicited", "solicited", (SOL,)),
)

Group = Mapping[str, Any]


class _Sums:
    """Integer sums keyed by tuples, with every service's value also added to ``ALL``."""

    def __init__(self) -> None:
        self.data: dict[tuple[Any, ...], int] = defaultdict(int)

    def add(self, service: str, key: tuple[Any, ...], value: Any) -> None:
        n = int(value or 0)
        self.data[(service, *key)] += n
        self.data[(ALL, *key)] += n

    def get(self, service: str, *key: Any) -> int:
        return self.data.get((service, *key), 0)


def _row(
    service: str,
    section: int,
    indicator: str,
    value: Any,
    unit: Unit,
    *,
    category: str = NO,
    technology: str = NO,
    region: str = "all",
    note: str = "",
) -> IndicatorRow:
    return IndicatorRow(service, section, indicator, category, technology, region, value, unit, note)


def _text_list(items: Iterable[str], none_note: str) -> tuple[str, str]:
    values = sorted(set(items))
    return (", ".join(values), "" if values else none_note)


def section1(groups: Sequence[Group], scopes: Sequence[str]) -> list[IndicatorRow]:
    sums = _Sums()
    file_types: dict[str, set[str]] = defaultdict(set)
    for g in groups:
        if g["k4"] != 1:
            continue
        service, data_type, region = g["service"], g["k1"], g["k2"]
        sums.add(service, (data_type, region, "items"), g["n2"])
        sums.add(service, (data_type, region, "bytes"), g["n3"])
        if data_type == "other_file" and g["k3"] is not None:
            file_types[service].add(str(g["k3"]))
            file_types[ALL].add(str(g["k3"]))
    rows: list[IndicatorRow] = []
    for s in scopes:
        for indicator, data_type, column, unit in VOLUMES:
            for region in REGIONS:
                rows.append(_row(s, 1, indicator, sums.get(s, data_type, region, column), unit, region=region))
        value, note = _text_list(file_types[s], "N/A: no other files processed")
        rows.append(_row(s, 1, "other_file_types", value, "text", note=note))
    return rows


def section4(groups: Sequence[Group], scopes: Sequence[str], reporting: Sequence[str]) -> list[IndicatorRow]:
    reports = _Sums()
    items: dict[tuple[str, str, str, str], int] = defaultdict(int)
    accounts: dict[tuple[str, str, str], int] = defaultdict(int)
    file_types: dict[tuple[str, str], set[str]] = defaultdict(set)
    for g in groups:
        kind = g["kind"]
        if kind == "rep" and g["n2"] == 1:
            reports.add(g["service"], (g["category"], "all"), g["n1"])
        elif kind == "rep_eu":  # the period's reports concerning EU users
            reports.add(g["service"], (g["category"], "eu"), g["n1"])
        elif kind in ("items_mask", "accts_mask"):
            # n1 distinct items (accounts) named by exactly the services whose bits are set in n2.
            n, mask = int(g["n1"]), int(g["n2"])
            in_scope = [*(s for i, s in enumerate(reporting) if mask >> i & 1), ALL]
            for service in in_scope:
                if kind == "accts_mask":
                    accounts[(service, g["category"], g["k1"])] += n
                    continue
                items[(service, g["category"], g["k1"], "all")] += n
                if g["k2"] == "eu":
                    items[(service, g["category"], g["k1"], "eu")] += n
                    if g["k3"] is not None:
                        file_types[(service, g["category"])].add(str(g["k3"]))
    rows: list[IndicatorRow] = []
    for s in scopes:
        for c in CATEGORIES:
            for region in EU_ALL:
                rows.append(_row(s, 4, "reports", reports.get(s, c, region), "count", category=c, region=region))
        for c in CSAM:
            for indicator, data_type in REPORTED:
                for region in EU_ALL:
                    rows.append(
                        _row(
                            s, 4, indicator, items.get((s, c, data_type, region), 0), "count", category=c, region=region
                        )
                    )
            value, note = _text_list(file_types[(s, c)], "N/A: no other files of EU users reported")
            rows.append(_row(s, 4, "other_file_types_reported", value, "text", category=c, region="eu", note=note))
        for indicator, role, categories in ACCOUNTS:
            for c in categories:
                rows.append(_row(s, 4, indicator, accounts.get((s, c, role), 0), "count", category=c, region="eu"))
    return rows


def section5(
    removals: Sequence[Group],
    holders: Sequence[Group],
    complaints: Sequence[Group],
    scopes: Sequence[str],
    acting: Sequence[str],
) -> list[IndicatorRow]:
    removed = _Sums()
    for g in removals:
        if g["kind"] == "ca":  # the period's removals (``ca_svc`` only lists services)
            removed.add(g["service"], (g["category"], "all"), g["n1"])
            if g["k1"] == "eu":
                removed.add(g["service"], (g["category"], "eu"), g["n1"])
    # (scope, category, suspended|restricted, region) -> distinct accounts; n2/n3 are service bitmasks.
    holders_n: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for g in holders:
        n = int(g["n1"])
        for region, mask in (("all", int(g["n2"])), ("eu", int(g["n3"]))):
            if not mask:
                continue
            for service in [*(s for i, s in enumerate(acting) if mask >> i & 1), ALL]:
                holders_n[(service, g["category"], g["k1"], region)] += n
    cmp = _Sums()
    for g in complaints:
        if g["kind"] != "cmp_p" or g["category"] is None:
            continue  # ``cmp`` rows are every complaint, for the enumeration check and the services
        if g["k1"] == "account" and g["k5"] not in SUSPENSIONS:
            continue  # a complaint against a restriction is not one against a suspension
        for region in ("all", "eu") if g["k4"] == "eu" else ("all",):
            key = (g["k1"], g["k2"], g["category"], region)  # subject, channel, category, region
            for name, col in (
                ("n", "n1"),
                ("decided", "n2"),
                ("restored", "n3"),
                ("dec_s", "n4"),
                ("complied", "n5"),
                ("comp_s", "n6"),
            ):
                cmp.add(g["service"], (*key, name), g[col])
    rows: list[IndicatorRow] = []
    for s in scopes:
        for c in CSAM:
            for region in EU_ALL:
                rows.append(
                    _row(s, 5, "content_removed", removed.get(s, c, region), "count", category=c, region=region)
                )
        for c in CATEGORIES:
            for region in EU_ALL:
                for indicator, kind in (("accounts_suspended", "suspended"), ("accounts_restricted", "restricted")):
                    rows.append(
                        _row(
                            s, 5, indicator, holders_n.get((s, c, kind, region), 0), "count", category=c, region=region
                        )
                    )
        for subject, categories in (("content", CSAM), ("account", CATEGORIES)):
            for c in categories:
                for region in EU_ALL:
                    rows += _complaint_rows(cmp, s, subject, c, region)
    return rows


def _complaint_rows(cmp: _Sums, s: str, subject: str, c: str, region: str) -> list[IndicatorRow]:
    rows: list[IndicatorRow] = []
    for channel in ("internal", "judicial"):
        for indicator, total in (("complaints", "n"), ("restored", "restored")):
            rows.append(
                _row(
                    s,
                    5,
                    f"{subject}_{indicator}_{channel}",
                    cmp.get(s, subject, channel, c, region, total),
                    "count",
                    category=c,
                    region=region,
                )
            )

    def internal(name: str) -> int:
        return cmp.get(s, subject, "internal", c, region, name)

    def judicial(name: str) -> int:
        return cmp.get(s, subject, "judicial", c, region, name)

    rows.append(
        _mean_days_row(
            s,
            f"{subject}_decision_days_internal",
            c,
            region,
            internal("dec_s"),
            internal("decided"),
            "N/A: no internal complaint decided",
        )
    )
    rows.append(
        _mean_days_row(
            s,
            f"{subject}_compliance_days_judicial",
            c,
            region,
            judicial("comp_s"),
            judicial("complied"),
            "N/A: no judicial decision to restore complied with",
        )
    )
    return rows


def _mean_days_row(
    s: str, indicator: str, c: str, region: str, total_seconds: int, n: int, none_note: str
) -> IndicatorRow:
    if n:
        return _row(s, 5, indicator, mean_days(total_seconds, n), "days", category=c, region=region)
    return _row(s, 5, indicator, None, "days", category=c, region=region, note=none_note)


def section6(groups: Sequence[Group], scopes: Sequence[str]) -> list[IndicatorRow]:
    # (scope, category, technology) -> [A, B, C]; technology NO is the category total.
    abc: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    techs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for g in groups:
        kind = g["kind"]
        if kind == "det":
            if g["n1"] != 1:  # not automated-and-flagged-in-the-period
                continue
            service, category, tech = g["service"], g["category"], g["k1"]
            techs[(service, category)].add(tech)
            techs[(ALL, category)].add(tech)
            if category == SOL:
                continue  # solicitation counts accounts, below
            n, reviewed = int(g["n2"]), int(g["n3"] or 0)
            na = reviewed if g["k4"] == "not_abuse" else 0
            for key in ((service, category, tech), (service, category, NO), (ALL, category, tech), (ALL, category, NO)):
                v = abc[key]
                v[0] += n
                v[1] += na
                v[2] += reviewed
        elif kind.startswith("sol_"):
            scope = ALL if kind.startswith("sol_all") else g["service"]
            tech = g["k1"] if kind.endswith("_tech") else NO
            abc[(scope, SOL, tech)] = [int(g["n1"]), int(g["n2"] or 0), int(g["n3"] or 0)]
    rows: list[IndicatorRow] = []
    for s in scopes:
        for c in CATEGORIES:
            region = "eu" if c == SOL else "all"
            for tech in [NO, *sorted(techs[(s, c)])]:
                a, b, rev = abc.get((s, c, tech), [0, 0, 0])
                rows.append(_row(s, 6, "flagged", a, "count", category=c, technology=tech, region=region))
                rows.append(_row(s, 6, "not_abuse", b, "count", category=c, technology=tech, region=region))
                rows.append(_row(s, 6, "human_reviewed", rev, "count", category=c, technology=tech, region=region))
                if a:
                    rows.append(
                        _row(
                            s,
                            6,
                            "error_rate",
                            ratio_percent(b, a),
                            "percent",
                            category=c,
                            technology=tech,
                            region=region,
                        )
                    )
                else:
                    what = "accounts" if c == SOL else "items"
                    rows.append(
                        _row(
                            s,
                            6,
                            "error_rate",
                            None,
                            "percent",
                            category=c,
                            technology=tech,
                            region=region,
                            note=f"N/A: no {what} flagged",
                        )
                    )
    return rows


def section9(groups: Sequence[Group], scopes: Sequence[str]) -> list[IndicatorRow]:
    recipients: dict[str, set[str]] = defaultdict(set)
    for g in groups:
        if g["kind"] == "rep" and g["n2"] == 1:
            recipients[g["service"]].add(str(g["k1"]))
            recipients[ALL].add(str(g["k1"]))
    rows: list[IndicatorRow] = []
    for s in scopes:
        value, note = _text_list(recipients[s], "N/A: no reports sent in the period")
        rows.append(_row(s, 9, "organisations", value, "text", note=note))
    return rows
