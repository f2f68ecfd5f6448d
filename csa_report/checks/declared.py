"""SERVICE-1: every service in the source data is a service provider.md declares.

The rules that key on provider.md's services (SCOPE-3: the end-to-end encrypted ones) compare names exactly. A
service spelled differently in the database ("example chat" for "Example Chat") would match no declared service
and silently escape them; here it is a blocking finding naming the value as found (escaped), with the declared
name it resembles. Invalid spellings (a trailing space, a zero-width character, NFD) never get this far: the
check step refuses them first (csa_report.source_names, exit 2).

Every row counts, whatever its date: the extraction lists a service with rows at any time, so the report would
print it, and a service the provider left undeclared is exactly what the reviewer must see.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from csa_report.checks.registry import CheckContext, Violation, rule
from csa_report.names import MAX_NAME_CHARS, escaped
from csa_report.source_names import CUT, distinct_names
from csa_report.source_types import NAMES

#: Tables with a ``service`` column (data-contract §1).
SERVICE_TABLES = tuple(sorted(t for t, cols in NAMES.items() if "service" in cols))


def resemblance(name: str) -> str:
    """The form under which two names look alike to a reader: compatibility-normalised, case ignored, spaces
    collapsed (only to point at the declared name meant; identity stays the exact string)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


@rule(
    "SERVICE-1",
    "blocking",
    "Reg. (EU) 2021/1232 and 2026/1881 Art. 3(1)(a) (the services concerned); form §1",
    "every service in the source data is declared in provider.md",
    "data",
    {t: ("service",) for t in SERVICE_TABLES},
)
def service_1(ctx: CheckContext) -> Violation | None:
    declared = {s.name for s in ctx.policies.provider.services}
    alike = {resemblance(n): n for n in sorted(declared)}
    found: dict[str, dict[str, Any]] = {}
    for table_name in SERVICE_TABLES:
        for value, length, rows in distinct_names(ctx.db, table_name, "service"):
            if length <= MAX_NAME_CHARS and value in declared:
                continue
            entry = found.setdefault(value, {"service": value, "shown": _shown(value, length), "rows": 0, "tables": {}})
            entry["rows"] += rows
            entry["tables"][table_name] = rows
            if resemblance(value) in alike:
                entry["resembles"] = alike[resemblance(value)]
    if not found:
        return None
    undeclared = [found[k] for k in sorted(found)]
    total = sum(int(e["rows"]) for e in undeclared)
    parts = []
    for e in undeclared:
        hint = f"; provider.md declares {escaped(e['resembles'])}" if "resembles" in e else ""
        parts.append(f"{e['shown']} ({e['rows']} row{'s' if e['rows'] != 1 else ''}{hint})")
    return Violation(
        f"{len(undeclared)} service(s) in the source data are not declared in provider.md services, so no rule "
        f"on declared services covers them: {', '.join(parts)}; declare them, or correct the name in the data",
        total,
        {"services": undeclared},
    )


def _shown(value: str, length: int) -> str:
    return escaped(value) if length <= MAX_NAME_CHARS else escaped(value[:CUT]) + "…"
