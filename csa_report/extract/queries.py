"""The aggregate queries behind every indicator (data-contract §3).

Where a table's enumerations must be checked, or its services listed, whatever the date, one statement reads
it once over *all* rows and groups by the enumeration columns, so that the same pass both computes the figures
(conditional aggregates on the period and the as-of instant) and reveals any value outside an enumeration.
Where a statement joins tables for the period's figures (``reported`` and ``account_holders``, in
csa_report.extract.distinct, and the period's part of ``content_actions`` and ``complaints``, whose whole-table
part needs no join), it filters each table on
its own timestamp column with the bound period, never through a flag computed in a CTE, so the
planner estimates the rows from the column's statistics (a flag hid 1.25 M reports behind an estimate of
6 k and led PostgreSQL into nested loops, docs/benchmarks.md). Only group rows reach Python; where distinct
items or accounts are counted the grouping by item or account happens inside the statement, so no
``account_ref`` ever leaves the database.

Every statement returns rows of the same loose shape, tagged by ``kind``: the Python side
(csa_report.extract.compute) assembles them into indicator rows. ``service`` is NULL on rows that are already totals
across services (distinct counts cannot be summed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql import Select, Subquery
from sqlalchemy.sql.elements import ColumnElement

from csa_report.extract.tables import AA, CA, CMP, DET, PV, RA, REP, grouped, shape, when
from csa_report.source_schema import REGIONS, ROLES
from csa_report.sql_dialect import PeriodParams, flag


def _flagged(
    alias: str, table: Table, keys: Sequence[str], in_period: ColumnElement[bool], after: Sequence[str] = ()
) -> Subquery:
    """``table``'s ``keys`` columns, ``in_p`` (1 for a row in the period) and the ``after`` columns, as subquery
    ``alias``: the flag must be a column of its own to be grouped by."""
    return select(*(table.c[k] for k in keys), flag(in_period).label("in_p"), *(table.c[a] for a in after)).subquery(
        alias
    )


def processing_volumes(q: PeriodParams) -> Select[Any]:
    """Section 1: sums per service, data type, region and file type; ``k4`` tells in-period rows."""
    inner = _flagged(
        "pv", PV, ("service", "data_type", "user_region", "file_type"), q.day_in_period(PV.c.day), ("items", "bytes")
    )
    return grouped(
        "pv",
        service=inner.c.service,
        keys=(inner.c.data_type, inner.c.user_region, inner.c.file_type, inner.c.in_p),
        nums=(func.count(), func.sum(inner.c["items"]), func.sum(inner.c.bytes)),
    )


def detections(q: PeriodParams) -> Select[Any]:
    """Section 6 from one pass over detections.

    The CTE groups every detection by its enumeration columns, whether it was automated and flagged in the
    period, and — only for automated solicitation flags of EU users in the period — by account, so that
    distinct accounts can be counted per service, per technology and across services without a second scan.
    ``n1`` = detections, ``n2`` = reviewed by as-of.
    """
    d = DET.c
    in_p = flag(q.in_period(d.flagged_at) & (d.automated == true()))
    acct = when(
        (d.category == "solicitation") & (d.user_region == "eu") & (d.automated == true()) & q.in_period(d.flagged_at),
        d.account_ref,
    )
    inner = select(
        d.service,
        d.category,
        d.technology,
        d.data_type,
        d.user_region,
        d.verdict,
        in_p.label("a"),
        acct.label("acct"),
        flag(q.by_as_of(d.reviewed_at)).label("rev"),
    ).subquery("d0")
    by = [inner.c[k] for k in ("service", "category", "technology", "data_type", "user_region", "verdict", "a", "acct")]
    g = (
        select(*by, func.count().label("n"), func.sum(inner.c.rev).label("r"))
        .group_by(*by)
        .cte("g")
        .prefix_with("MATERIALIZED")
    )
    enum_rows = grouped(
        "det",
        service=g.c.service,
        category=g.c.category,
        keys=(g.c.technology, g.c.data_type, g.c.user_region, g.c.verdict),
        nums=(g.c.a, func.sum(g.c.n), func.sum(g.c.r)),
        also=(g.c.a,),
    )
    # Per account: reviewed at all, any not_abuse verdict, any confirmed verdict (verdicts only count once
    # reviewed by the as-of instant).
    reviewed = g.c.r > 0

    def accounts(kind: str, by_service: bool, by_tech: bool) -> Select[Any]:
        keys = [g.c.acct, *([g.c.service] if by_service else []), *([g.c.technology] if by_tech else [])]
        a = (
            select(
                *keys,
                func.max(flag(reviewed)).label("rev"),
                func.max(flag(reviewed & (g.c.verdict == "not_abuse"))).label("na"),
                func.max(flag(reviewed & (g.c.verdict == "confirmed"))).label("conf"),
            )
            .where(g.c.acct.is_not(None))
            .group_by(*keys)
            .subquery(kind)
        )
        outer_keys = ([a.c.service] if by_service else []) + ([a.c.technology] if by_tech else [])
        return select(
            *shape(
                kind,
                service=a.c.service if by_service else None,
                category=literal("solicitation"),
                keys=(a.c.technology,) if by_tech else (),
                nums=(func.count(), func.sum(flag((a.c.na == 1) & (a.c.conf == 0))), func.sum(a.c.rev)),
            )
        ).group_by(*outer_keys)

    return union_all(
        enum_rows,
        accounts("sol_svc_tech", True, True),
        accounts("sol_svc", True, False),
        accounts("sol_all_tech", False, True),
        accounts("sol_all", False, False),
    )  # type: ignore[return-value]


def reports(q: PeriodParams) -> Select[Any]:
    """Sections 4 and 9: reports per service, category and recipient (``n2`` tells the period's), and the
    enumerations of report_accounts, checked without grouping the whole table (csa_report.extract.compute looks
    at the values themselves only when there are any).

    Every report, because the category must be checked and every service listed whatever the date; the reports
    concerning EU users are counted by ``reported``, which reads the tables that say so. The check of
    report_accounts is a second read of that table, measured cheaper than folding it into ``reported``'s
    grouping by account (docs/benchmarks.md).
    """
    inner = _flagged("r0", REP, ("service", "category", "recipient"), q.in_period(REP.c.sent_at))
    i = inner.c
    rep_rows = grouped(
        "rep", service=i.service, category=i.category, keys=(i.recipient,), nums=(func.count(), i.in_p), also=(i.in_p,)
    )
    bad_role = or_(RA.c.role.is_(None), RA.c.role.not_in(ROLES))
    bad_region = or_(RA.c.user_region.is_(None), RA.c.user_region.not_in(REGIONS))
    acct_check = select(*shape("ra_check", nums=(func.count(), func.sum(flag(bad_role)), func.sum(flag(bad_region)))))
    return union_all(rep_rows, acct_check)  # type: ignore[return-value]


def report_account_values() -> Select[Any]:
    """Diagnosis only, when ``reports`` found values outside the enumerations of report_accounts."""
    return grouped("ra_enum", keys=(RA.c.role, RA.c.user_region), nums=(func.count(),))


def content_actions(q: PeriodParams) -> Select[Any]:
    """Section 5: the period's removals per service, category and region of the removed detection (``ca``),
    and every service with a removal whatever the date (``ca_svc``, definitions 1).

    Only the period's removals are joined to their detections: the whole-table pass lists the services and needs
    no column of another table. A removal whose detection is missing has no category (definitions 10).
    """
    services = grouped("ca_svc", service=CA.c.service, nums=(func.count(),))
    removals = (
        grouped("ca", service=CA.c.service, category=DET.c.category, keys=(DET.c.user_region,), nums=(func.count(),))
        .select_from(CA.join(DET, DET.c.id == CA.c.detection_id))
        .where(q.in_period(CA.c.removed_at))
    )
    return union_all(services, removals)  # type: ignore[return-value]


def account_actions(q: PeriodParams) -> Select[Any]:
    """Section 5: account actions per service, category, region and action."""
    inner = _flagged("aa0", AA, ("service", "category", "user_region", "action"), q.in_period(AA.c.taken_at))
    return grouped(
        "aa",
        service=inner.c.service,
        category=inner.c.category,
        keys=(inner.c.user_region, inner.c.action, inner.c.in_p),
        nums=(func.count(),),
    )


def complaints(q: PeriodParams) -> Select[Any]:
    """Section 5: the period's complaints per service, subject, channel, outcome and category of the contested
    action (``cmp_p``), and every complaint per service, subject, channel and outcome whatever the date
    (``cmp``: the enumerations are checked and the services listed over the whole table, definitions 1 and 12).

    Only the period's complaints are joined to the contested actions (the whole-table pass needs no column of
    another table). On ``cmp_p`` rows: n1 = complaints, n2 = decided by as-of, n3 = restored by as-of, n4 = Σ
    decision seconds over decided, n5 = restored and complied by as-of, n6 = Σ compliance seconds over those;
    ``k4`` is the region of the contested action (its detection's, for a removal) and ``k5`` the account action
    (Python drops complaints against restrictions: the form asks about suspensions).
    """
    c = CMP.c
    every = grouped("cmp", service=c.service, keys=(c.subject, c.channel, c.outcome), nums=(func.count(),))
    decided = q.by_as_of(c.decided_at)
    restored = decided & (c.outcome == "restored")
    complied = restored & q.by_as_of(c.complied_at)
    inner = (
        select(
            c.service,
            c.subject,
            c.channel,
            c.outcome,
            func.coalesce(DET.c.category, AA.c.category).label("category"),
            func.coalesce(DET.c.user_region, AA.c.user_region).label("region"),
            AA.c.action.label("action"),
            flag(decided).label("dec"),
            flag(restored).label("res"),
            when(decided, q.seconds(c.decided_at) - q.seconds(c.lodged_at)).label("dec_s"),
            flag(complied).label("comp"),
            when(complied, q.seconds(c.complied_at) - q.seconds(c.decided_at)).label("comp_s"),
        )
        .select_from(
            CMP.outerjoin(CA, and_(c.subject == "content", CA.c.id == c.content_action_id))
            .outerjoin(DET, DET.c.id == CA.c.detection_id)
            .outerjoin(AA, and_(c.subject == "account", AA.c.id == c.account_action_id))
        )
        .where(q.in_period(c.lodged_at))
        .subquery("c0")
    )
    i = inner.c
    period = grouped(
        "cmp_p",
        service=i.service,
        category=i.category,
        keys=(i.subject, i.channel, i.outcome, i.region, i.action),
        nums=(
            func.count(),
            func.sum(i.dec),
            func.sum(i.res),
            func.coalesce(func.sum(i.dec_s), 0),
            func.sum(i.comp),
            func.coalesce(func.sum(i.comp_s), 0),
        ),
    )
    return union_all(every, period)  # type: ignore[return-value]


ALL_QUERIES = (processing_volumes, detections, reports, content_actions, account_actions, complaints)
