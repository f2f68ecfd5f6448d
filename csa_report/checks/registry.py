"""The rules of policies.md §3: id, severity, legal reference, the tables a rule reads, and its function.

A rule function gets a :class:`CheckContext` and returns a :class:`Violation` (the rule does not hold), None
(it holds) or :class:`DoesNotApply` (its question does not arise for this report). Severity and reference
live here, once, so a finding cannot disagree with the rule table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy.engine import Connection

from csa_report.checks.findings import Finding, NotApplied, Severity
from csa_report.errors import ToolError
from csa_report.indicators import Indicators
from csa_report.period import Period
from csa_report.policies.models import PolicySet
from csa_report.sources import sql_of
from csa_report.sql_dialect import SqlDialect

Needs = Literal["policies", "data", "indicators"]


@dataclass(frozen=True)
class Violation:
    message: str
    count: int
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DoesNotApply:
    """What a rule returns when its question does not arise for this report (PLAUS-2 without a previous filed
    report): neither a pass nor a finding, listed apart with ``reason``."""

    reason: str


@dataclass(frozen=True)
class PreviousFigures:
    """The figures of the previous period's filed report (csa_report.storage.previous.previous_values): its
    report id and each indicator's value as printed, by (service, indicator, category, technology, region)."""

    report_id: str
    values: Mapping[tuple[str, str, str, str, str], str]


@dataclass(frozen=True)
class CheckContext:
    """What a rule may read. ``conn`` is a read-only connection (data rules only); ``indicators`` the
    extraction's result (COMPLETE-1, CONSIST-1)."""

    period: Period
    as_of: datetime
    policies: PolicySet
    indicators: Indicators | None = None
    conn: Connection | None = None
    #: The previous filed report's figures, when the audit trail and archive know it (PLAUS-2); None: none.
    previous: PreviousFigures | None = None

    @property
    def db(self) -> Connection:
        if self.conn is None:
            raise ToolError("internal: a data rule ran without a database connection")
        return self.conn

    @property
    def sql(self) -> SqlDialect:
        return sql_of(self.db)

    @property
    def data(self) -> Indicators:
        if self.indicators is None:
            raise ToolError("internal: an indicator rule ran without indicators")
        return self.indicators


RuleFn = Callable[[CheckContext], Violation | DoesNotApply | None]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    reference: str
    title: str
    needs: Needs
    fn: RuleFn
    #: table -> columns the rule reads (checked before it runs; missing ones are a DataError).
    tables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def outcome(self, v: Violation | DoesNotApply | None) -> Finding | NotApplied | None:
        """The rule function's result as the check run records it."""
        if v is None:
            return None
        if isinstance(v, DoesNotApply):
            return NotApplied(rule=self.id, reason=v.reason, reference=self.reference)
        return self.finding(v)

    def finding(self, v: Violation) -> Finding:
        return Finding(
            rule=self.id,
            severity=self.severity,
            message=v.message,
            count=v.count,
            reference=self.reference,
            evidence=v.evidence,
        )


#: The order rules run and are listed in (policies.md §3).
RULE_IDS: Final = (
    "COMPLETE-1",
    "CONSIST-1",
    "RET-1",
    "RET-2",
    "RET-3",
    "RET-4",
    "HUMAN-1",
    "XFER-1",
    "XFER-2",
    "XFER-3",
    "BASIS-1",
    "SCOPE-1",
    "SCOPE-2",
    "SCOPE-3",
    "NOTICE-1",
    # version 2 (policies.md "Rules, version 2")
    "RET-5",
    "DELAY-1",
    "CORRECT-1",
    "REDRESS-1",
    "TECH-1",
    "XFER-4",
    "POLICY-1",
    "DEADLINE-1",
    "SERVICE-1",  # names are identities (csa_report.checks.declared)
    # version 3 (policies.md "Version 3": legal positions, the gap, encryption, plausibility)
    "POSITION-1",
    "SCOPE-4",
    "RET-6",
    "RET-7",
    "PLAUS-1",
    "PLAUS-2",
    "PLAUS-3",
    "PLAUS-4",
)
RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    severity: Severity,
    reference: str,
    title: str,
    needs: Needs,
    tables: Mapping[str, tuple[str, ...]] | None = None,
) -> Callable[[RuleFn], RuleFn]:
    """Register a rule function under ``rule_id``."""
    if rule_id not in RULE_IDS:
        raise ValueError(f"unknown rule id {rule_id}")

    def register(fn: RuleFn) -> RuleFn:
        RULES[rule_id] = Rule(rule_id, severity, reference, title, needs, fn, dict(tables or {}))
        return fn

    return register


def all_rules() -> list[Rule]:
    """Every rule, in RULE_IDS order (imports the rule modules so they register)."""
    from csa_report.checks import (  # noqa: F401 - imported for their registrations
        calendar,
        completeness,
        declared,
        encryption,
        gap,
        holds,
        legal_basis,
        oversight,
        plausibility,
        positions,
        retention,
        scope,
        technology,
        timeliness,
        transfers,
    )

    missing = [r for r in RULE_IDS if r not in RULES]
    if missing:
        raise ToolError(f"internal: rules {', '.join(missing)} are not implemented")
    return [RULES[r] for r in RULE_IDS]
