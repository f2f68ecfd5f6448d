"""Run every rule of policies.md §3 and apply the waivers.

Data rules run on one read-only connection, each in its own transaction (rolled back after it), so one rule's
failed query cannot poison the next. A rule that cannot run becomes a :class:`CheckFailure` (``data`` for a
missing table or column, ``tool`` for a query error) and never a pass or a finding.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from csa_report.checks.findings import CheckFailure, CheckResult, Finding, NotApplied
from csa_report.checks.registry import CheckContext, PreviousFigures, Rule, all_rules
from csa_report.checks.waivers import Waiver, apply_waivers
from csa_report.db import read_only_source, require_tables
from csa_report.errors import DataError, UnreachableError
from csa_report.indicators import Indicators
from csa_report.period import Period, check_as_of
from csa_report.policies.models import PolicySet
from csa_report.source_names import check_source_names

log = logging.getLogger(__name__)


def evaluate(
    db_url: str,
    period: Period,
    as_of: datetime,
    policies: PolicySet,
    waivers: Sequence[Waiver] = (),
    *,
    indicators: Indicators | None,
    previous: PreviousFigures | None = None,
) -> CheckResult:
    """Every rule on the source database at ``db_url`` (read-only), the policies and the indicators;
    ``previous``: the previous filed report's figures, if known (PLAUS-2 does not apply without them)."""
    check_as_of(period, as_of)
    rules = all_rules()
    ctx = CheckContext(period=period, as_of=as_of, policies=policies, indicators=indicators, previous=previous)
    findings: list[Finding] = []
    errors: list[CheckFailure] = []
    not_applied: list[NotApplied] = []
    for r in rules:
        if r.needs == "policies" or (r.needs == "indicators" and indicators is not None):
            v = r.outcome(r.fn(ctx))
            if isinstance(v, NotApplied):
                not_applied.append(v)
            elif v is not None:
                findings.append(v)
        elif r.needs == "indicators":
            errors.append(CheckFailure(r.id, "tool", f"check {r.id} could not run: no indicators were extracted"))
    data_rules = [r for r in rules if r.needs == "data"]
    if data_rules:
        with read_only_source(db_url) as conn:
            check_source_names(conn)  # every rule compares valid names only (exit 2 otherwise)
            for r in data_rules:
                outcome = _run_data_rule(r, replace(ctx, conn=conn), conn)
                if isinstance(outcome, CheckFailure):
                    errors.append(outcome)
                elif isinstance(outcome, NotApplied):
                    not_applied.append(outcome)
                elif outcome is not None:
                    findings.append(outcome)
    applied, uses = apply_waivers(findings, waivers, as_of)
    return CheckResult.build(
        period,
        as_of,
        applied,
        errors=errors,
        waivers=uses,
        rules=[r.id for r in rules],
        policies=policies.provenance(),
        not_applicable=not_applied,
    )


def run_rule(
    rule_id: str,
    db_url: str | None,
    period: Period,
    as_of: datetime,
    policies: PolicySet,
    *,
    indicators: Indicators | None = None,
    previous: PreviousFigures | None = None,
) -> Finding | CheckFailure | NotApplied | None:
    """One rule on its own (tests, debugging): its finding, the reason it could not run, why it does not
    apply, or None if it holds."""
    r = next((x for x in all_rules() if x.id == rule_id), None)
    if r is None:
        raise ValueError(f"unknown rule {rule_id}")
    ctx = CheckContext(period=period, as_of=as_of, policies=policies, indicators=indicators, previous=previous)
    if r.needs != "data":
        return r.outcome(r.fn(ctx))
    if db_url is None:
        raise ValueError(f"rule {rule_id} reads the database: give db_url")
    with read_only_source(db_url) as conn:
        return _run_data_rule(r, replace(ctx, conn=conn), conn)


def _run_data_rule(r: Rule, ctx: CheckContext, conn: Connection) -> Finding | CheckFailure | NotApplied | None:
    try:
        require_tables(conn, dict(r.tables))
        return r.outcome(r.fn(ctx))
    except DataError as exc:
        return CheckFailure(r.id, "data", f"check {r.id} could not run: {exc}")
    except OperationalError as exc:
        if exc.connection_invalidated:
            raise UnreachableError(f"source database connection lost during check {r.id}") from None
        return CheckFailure(r.id, "tool", f"check {r.id} could not run: {_first_line(exc)}")
    except SQLAlchemyError as exc:
        return CheckFailure(r.id, "tool", f"check {r.id} could not run: {_first_line(exc)}")
    finally:
        try:
            conn.rollback()
        except SQLAlchemyError:  # the connection is gone; the next rule reports it
            log.debug("rollback after %s failed", r.id)


def _first_line(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
