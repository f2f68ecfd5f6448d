"""Every indicator of data-contract §3, per service and ``ALL``, from the aggregate group rows.

``compute_indicators`` runs the statements of csa_report.extract.queries on an open read-only connection, checks
the enumeration values they reveal, and hands the group rows to csa_report.extract.sections (it only ever sees
aggregates); csa_report.extract.source opens that connection.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from csa_report.errors import DataError
from csa_report.extract.distinct import account_holders, reported
from csa_report.extract.queries import ALL_QUERIES, report_account_values
from csa_report.extract.sections import Group, section1, section4, section5, section6, section9
from csa_report.extract.session import Tuning, run_statements
from csa_report.indicators import ALL, IndicatorRow, Indicators
from csa_report.period import Period
from csa_report.source_schema import ENUMERATIONS
from csa_report.sources import sql_of
from csa_report.sql_dialect import PeriodParams

#: Services are a bitmask in one BIGINT when counting distinct items and accounts (csa_report.extract.queries).
MAX_MASK_SERVICES: Final = 62
#: The services' names together, in characters: each report table has a column (or a row) per service, and the
#: PDF layout grows faster than linearly with their width (60 names of 120 characters ran past the 300 s render
#: limit; 62 short names or 16 of 120 characters lay out in well under a minute).
MAX_SERVICE_NAME_CHARS: Final = 2000


def compute_indicators(conn: Connection, period: Period, as_of: datetime, tuning: Tuning | None = None) -> Indicators:
    """Run the aggregate queries on an open (read-only) connection and assemble every indicator row."""
    q = PeriodParams.bind(sql_of(conn), period, as_of)
    # Independent statements, heaviest first (csa_report.extract.session may spread them over connections).
    queries = sorted(ALL_QUERIES, key=lambda b: b.__name__ != "detections")
    ran = run_statements(conn, {b.__name__: b(q) for b in queries}, tuning or Tuning())
    results: dict[str, list[Group]] = {name: list(rows) for name, rows in ran.items()}
    if any(g["kind"] == "ra_check" and (g["n2"] or g["n3"]) for g in results["reports"]):
        results["reports"] += _rows(conn, report_account_values())
    _validate_enumerations(results)
    _within_service_limit(results)
    reporting = sorted({str(g["service"]) for g in results["reports"] if g["kind"] == "rep" and g["n2"] == 1})
    results["reported"] = _rows(conn, reported(q, reporting)) if reporting else []
    acting = sorted({str(g["service"]) for g in results["account_actions"] if g["kind"] == "aa" and g["k3"] == 1})
    results["account_holders"] = _rows(conn, account_holders(q, acting)) if acting else []
    services = sorted({str(g["service"]) for rows in results.values() for g in rows if g["service"] is not None})
    scopes = [*services, ALL]
    out: list[IndicatorRow] = []
    out += section1(results["processing_volumes"], scopes)
    out += section4([*results["reports"], *results["reported"]], scopes, reporting)
    out += section5(results["content_actions"], results["account_holders"], results["complaints"], scopes, acting)
    out += section6(results["detections"], scopes)
    out += section9(results["reports"], scopes)
    return Indicators.build(period, as_of, services, out)


# --- validation ---------------------------------------------------------------------------------------


#: Where each enumeration's values appear among the group rows: (table, column) → (query, row kind, group key
#: holding the value, group key holding its row count).
ENUM_KEYS: Final[dict[tuple[str, str], tuple[str, str, str, str]]] = {
    ("processing_volumes", "data_type"): ("processing_volumes", "pv", "k1", "n1"),
    ("processing_volumes", "user_region"): ("processing_volumes", "pv", "k2", "n1"),
    ("detections", "category"): ("detections", "det", "category", "n2"),
    ("detections", "data_type"): ("detections", "det", "k2", "n2"),
    ("detections", "user_region"): ("detections", "det", "k3", "n2"),
    ("detections", "verdict"): ("detections", "det", "k4", "n2"),
    ("reports", "category"): ("reports", "rep", "category", "n1"),
    ("report_accounts", "role"): ("reports", "ra_enum", "k1", "n1"),
    ("report_accounts", "user_region"): ("reports", "ra_enum", "k2", "n1"),
    ("account_actions", "category"): ("account_actions", "aa", "category", "n1"),
    ("account_actions", "user_region"): ("account_actions", "aa", "k1", "n1"),
    ("account_actions", "action"): ("account_actions", "aa", "k2", "n1"),
    ("complaints", "subject"): ("complaints", "cmp", "k1", "n1"),
    ("complaints", "channel"): ("complaints", "cmp", "k2", "n1"),
    ("complaints", "outcome"): ("complaints", "cmp", "k3", "n1"),
}
NULLABLE_ENUMS: Final = {("detections", "verdict"), ("complaints", "outcome")}


def _rows(conn: Connection, statement: Select[Any]) -> list[Group]:
    return [dict(r) for r in conn.execute(statement).mappings()]


def _validate_enumerations(results: Mapping[str, Sequence[Group]]) -> None:
    """Every enumeration value seen in the group keys must be allowed; name table, column, value, rows."""
    problems: list[str] = []
    for (table, column), allowed in sorted(ENUMERATIONS.items()):
        query, kind, key, count_key = ENUM_KEYS[(table, column)]
        bad: dict[str, int] = defaultdict(int)
        for g in results[query]:
            value = g[key]
            if g["kind"] != kind or (value is None and (table, column) in NULLABLE_ENUMS):
                continue
            if value not in allowed:
                bad["NULL" if value is None else repr(value)] += int(g[count_key] or 0)
        for value, rows in sorted(bad.items()):
            problems.append(
                f"{table}.{column} has value {value} in {rows} row{'s' if rows != 1 else ''} "
                f"(allowed: {', '.join(allowed)})"
            )
    if problems:
        raise DataError("source data outside the enumerations of data-contract §1: " + "; ".join(problems))


def _within_service_limit(results: dict[str, list[Group]]) -> None:
    """A report covers at most MAX_MASK_SERVICES services (data-contract.md, "Limits"): a property of the data,
    so exit 2 naming the limit, before the queries that hold services as bits of one BIGINT run."""
    services = {str(g["service"]) for rows in results.values() for g in rows if g["service"] is not None}
    if len(services) > MAX_MASK_SERVICES:
        raise DataError(
            f"the source data names {len(services)} services in the period; one report covers at most "
            f"{MAX_MASK_SERVICES} (docs/data-contract.md, Limits): report the services in groups, e.g. through "
            "views that each show some of them"
        )
    chars = sum(len(s) for s in services)
    if chars > MAX_SERVICE_NAME_CHARS:
        raise DataError(
            f"the names of the {len(services)} services in the period hold {chars:,} characters together; one "
            f"report's tables hold at most {MAX_SERVICE_NAME_CHARS:,} (docs/data-contract.md, Limits): shorten the "
            "names in the source data (and in provider.md), or report the services in groups"
        )
