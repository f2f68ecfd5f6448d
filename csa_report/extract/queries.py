"""The aggregate queries behind every indicator (data-contract §3).

Where a table's enumerations must be checked, or its services listed, whatever the date, one statement reads
it once over *all* rows and groups by the enumeration columns, so that the same pass both computes the figures
(conditional aggregates on the period and the as-of instant) and reveals any value outside an enumeration.
Where a statement joins tables for the period's figures (``reported``, ``account_holders``, and the period's
part of ``content_actions`` and ``complaints``, whose whole-table part needs no join), it filters each table on
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
    BigInteger,
    Column,
    MetaData,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from csa_report.source_schema import REGIONS, ROLES
from csa_report.sql_dialect import PeriodParams, flag

# Lightweight table handles: we only read, and a provider's views need not match our DDL types.
_md = MetaData()


def _table(name: str, *cols: str) -> Table:
    return Table(name, _md, *(Column(c) for c in cols))


PV = _table("processing_volumes", "id", "service", "day", "data_type", "file_type", "user_region", "items", "bytes")
DET = _table(
    "detections",
    "id",
    "service",
    "technology",
    "category",
    "data_type",
    "file_type",
    "user_region",
    "account_ref",
    "flagged_at",
    "automated",
    "reviewed_at",
    "verdict",
    "erased_at",
    "hold_ref",
)
REP = _table("reports", "id", "service", "recipient", "category", "sent_at", "human_confirmed_at")
RI = _table("report_items", "report_id", "detection_id")
RA = _table("report_accounts", "report_id", "account_ref", "role", "user_region")
CA = _table("content_actions", "id", "service", "detection_id", "removed_at", "restored_at")
AA = _table(
    "account_actions",
    "id",
    "service",
    "account_ref",
    "category",
    "user_region",
    "action",
    "taken_at",
    "user_notified_at",
    "restored_at",
)
CMP = _table(
    "complaints",
    "id",
    "service",
    "subject",
    "content_action_id",
    "account_action_id",
    "channel",
    "lodged_at",
    "decided_at",
    "outcome",
    "complied_at",
    "reason",
)

#: The columns extraction reads, per table: checked before any query runs so that a missing one is
#: reported by name rather than as a database error.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    t.name: tuple(c.name for c in t.columns) for t in (PV, DET, REP, RI, RA, CA, AA, CMP)
}

SHAPE = ("kind", "service", "category", "k1", "k2", "k3", "k4", "k5", "k6", "n1", "n2", "n3", "n4", "n5", "n6")
N_KEYS = 6


def _shape(
    kind: str, *, service: Any = None, category: Any = None, keys: Sequence[Any] = (), nums: Sequence[Any] = ()
) -> list[ColumnElement[Any]]:
    """Columns of the common result shape: kind, service, category, k1..k6 (keys), n1..n6 (numbers)."""
    # Typed NULLs: PostgreSQL resolves UNION column types pair by pair, and NULL ∪ NULL would become text.
    k = [*keys, *([cast(null(), Text)] * (N_KEYS - len(keys)))]
    n = [*nums, *([cast(null(), BigInteger)] * (6 - len(nums)))]
    cols: list[Any] = [
        literal(kind),
        service if service is not None else cast(null(), Text),
        category if category is not None else cast(null(), Text),
        *k,
        *n,
    ]
    return [c.label(name) for c, name in zip(cols, SHAPE, strict=True)]


def processing_volumes(q: PeriodParams) -> Select[Any]:
    """Section 1: sums per service, data type, region and file type; ``k4`` tells in-period rows."""
    inner = select(
        PV.c.service,
        PV.c.data_type,
        PV.c.user_region,
        PV.c.file_type,
        flag(q.day_in_period(PV.c.day)).label("in_p"),
        PV.c["items"],
        PV.c.bytes,
    ).subquery("pv")
    return select(
        *_shape(
            "pv",
            service=inner.c.service,
            keys=(inner.c.data_type, inner.c.user_region, inner.c.file_type, inner.c.in_p),
            nums=(func.count(), func.sum(inner.c["items"]), func.sum(inner.c.bytes)),
        )
    ).group_by(inner.c.service, inner.c.data_type, inner.c.user_region, inner.c.file_type, inner.c.in_p)


def detections(q: PeriodParams) -> Select[Any]:
    """Section 6 from one pass over detections.

    The CTE groups every detection by its enumeration columns, whether it was automated and flagged in the
    period, and — only for automated solicitation flags of EU users in the period — by account, so that
    distinct accounts can be counted per service, per technology and across services without a second scan.
    ``n1`` = detections, ``n2`` = reviewed by as-of.
    """
    d = DET.c
    in_p = flag(q.in_period(d.flagged_at) & (d.automated == true()))
    acct = _when(
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
    g = (
        select(
            inner.c.service,
            inner.c.category,
            inner.c.technology,
            inner.c.data_type,
            inner.c.user_region,
            inner.c.verdict,
            inner.c.a,
            inner.c.acct,
            func.count().label("n"),
            func.sum(inner.c.rev).label("r"),
        )
        .group_by(
            inner.c.service,
            inner.c.category,
            inner.c.technology,
            inner.c.data_type,
            inner.c.user_region,
            inner.c.verdict,
            inner.c.a,
            inner.c.acct,
        )
        .cte("g")
        .prefix_with("MATERIALIZED")
    )
    enum_rows = select(
        *_shape(
            "det",
            service=g.c.service,
            category=g.c.category,
            keys=(g.c.technology, g.c.data_type, g.c.user_region, g.c.verdict),
            nums=(g.c.a, func.sum(g.c.n), func.sum(g.c.r)),
        )
    ).group_by(g.c.service, g.c.category, g.c.technology, g.c.data_type, g.c.user_region, g.c.verdict, g.c.a)
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
            *_shape(
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
    inner = select(
        REP.c.service, REP.c.category, REP.c.recipient, flag(q.in_period(REP.c.sent_at)).label("in_p")
    ).subquery("r0")
    i = inner.c
    rep_rows = select(
        *_shape("rep", service=i.service, category=i.category, keys=(i.recipient,), nums=(func.count(), i.in_p))
    ).group_by(i.service, i.category, i.recipient, i.in_p)
    bad_role = or_(RA.c.role.is_(None), RA.c.role.not_in(ROLES))
    bad_region = or_(RA.c.user_region.is_(None), RA.c.user_region.not_in(REGIONS))
    acct_check = select(*_shape("ra_check", nums=(func.count(), func.sum(flag(bad_role)), func.sum(flag(bad_region)))))
    return union_all(rep_rows, acct_check)  # type: ignore[return-value]


def _period_reports(q: PeriodParams, services: Sequence[str]) -> Any:
    """The period's reports, filtered on their own ``sent_at`` with the bound bounds (so the planner estimates
    them from the column's statistics), each with ``bit`` = its service's bit (bit i = ``services[i]``),
    computed once per report so that the groupings below only OR integers."""
    r = REP.c
    return (
        select(r.id, r.service, r.category, _service_bit(r.service, services).label("bit"))
        .where(q.in_period(r.sent_at))
        .cte("rp")
    )


def _service_bit(service: ColumnElement[Any], services: Sequence[str]) -> ColumnElement[Any]:
    """The row's service as one bit (bit i = ``services[i]``), for :func:`_service_mask`."""
    bit = case(*((service == s, literal(1 << i)) for i, s in enumerate(services)), else_=literal(0))
    return cast(bit, BigInteger)


def _service_mask(q: PeriodParams, bit: ColumnElement[Any], services: Sequence[str]) -> ColumnElement[Any]:
    """The aggregate OR of the group's service bits (:func:`_service_bit`): the set of its services, as a
    bitmask over ``services``."""
    bit_or = q.sql.bit_or(bit)
    if bit_or is not None:
        return bit_or
    # No bitwise-OR aggregate (SQLite): one max per bit; a set bit is 2^i, so their sum is the OR.
    return sum((func.max(bit.op("&")(literal(1 << i))) for i in range(len(services))), literal(0))


def reported(q: PeriodParams, services: Sequence[str]) -> Select[Any]:
    """Section 4 from the period's reports: distinct reported items per data type, distinct EU accounts per role
    and the reports concerning EU users.

    Each item (account) is grouped once per category, carrying the set of services whose reports named it as a
    bitmask over ``services`` (bit i = ``services[i]``): hash-aggregable, exact, and the outer grouping by mask
    is small. Python adds each group to every service in its mask and once to ALL — no COUNT(DISTINCT), no
    second grouping per scope. ``services`` must list every service with a report in the period.
    """
    rp = _period_reports(q, services)
    mask = _service_mask(q, rp.c.bit, services)
    # Region and file type depend on the detection alone, so grouping by them too keeps one group per item.
    # The file type is only kept where it is listed (EU other files: other_file_types_reported).
    file_type = _when((DET.c.data_type == "other_file") & (DET.c.user_region == "eu"), DET.c.file_type)
    per_item = (
        select(rp.c.category, DET.c.data_type, DET.c.user_region, file_type.label("file_type"), mask.label("mask"))
        .select_from(RI.join(rp, rp.c.id == RI.c.report_id).join(DET, DET.c.id == RI.c.detection_id))
        .group_by(rp.c.category, RI.c.detection_id, DET.c.data_type, DET.c.user_region, file_type)
        .subquery("ri")
    )
    i = per_item.c
    items = select(
        *_shape(
            "items_mask",
            category=i.category,
            keys=(i.data_type, i.user_region, i.file_type),
            nums=(func.count(), i.mask),
        )
    ).group_by(i.category, i.data_type, i.user_region, i.file_type, i.mask)
    per_acct = (
        select(rp.c.category, RA.c.role, mask.label("mask"))
        .select_from(RA.join(rp, rp.c.id == RA.c.report_id))
        .where(RA.c.user_region == "eu")
        .group_by(rp.c.category, RA.c.role, RA.c.account_ref)
        .subquery("ra")
    )
    a = per_acct.c
    accts = select(*_shape("accts_mask", category=a.category, keys=(a.role,), nums=(func.count(), a.mask))).group_by(
        a.category, a.role, a.mask
    )
    # Reports concerning an EU user: one of its named accounts or one of its items' detections is in the EU
    # (data-contract §3 v2). Two IN tests, not one over a UNION: each becomes one hashed set of report ids.
    eu_item = (
        select(RI.c.report_id).select_from(RI.join(DET, DET.c.id == RI.c.detection_id)).where(DET.c.user_region == "eu")
    )
    eu_account = select(RA.c.report_id).where(RA.c.user_region == "eu")
    rep_eu = (
        select(*_shape("rep_eu", service=rp.c.service, category=rp.c.category, nums=(func.count(),)))
        .where(rp.c.id.in_(eu_account) | rp.c.id.in_(eu_item))
        .group_by(rp.c.service, rp.c.category)
    )
    return union_all(items, accts, rep_eu)  # type: ignore[return-value]


def report_account_values() -> Select[Any]:
    """Diagnosis only, when ``reports`` found values outside the enumerations of report_accounts."""
    return select(*_shape("ra_enum", keys=(RA.c.role, RA.c.user_region), nums=(func.count(),))).group_by(
        RA.c.role, RA.c.user_region
    )


def content_actions(q: PeriodParams) -> Select[Any]:
    """Section 5: the period's removals per service, category and region of the removed detection (``ca``),
    and every service with a removal whatever the date (``ca_svc``, definitions 1).

    Only the period's removals are joined to their detections: the whole-table pass lists the services and needs
    no column of another table. A removal whose detection is missing has no category (definitions 10).
    """
    services = select(*_shape("ca_svc", service=CA.c.service, nums=(func.count(),))).group_by(CA.c.service)
    removals = (
        select(
            *_shape(
                "ca", service=CA.c.service, category=DET.c.category, keys=(DET.c.user_region,), nums=(func.count(),)
            )
        )
        .select_from(CA.join(DET, DET.c.id == CA.c.detection_id))
        .where(q.in_period(CA.c.removed_at))
        .group_by(CA.c.service, DET.c.category, DET.c.user_region)
    )
    return union_all(services, removals)  # type: ignore[return-value]


def account_actions(q: PeriodParams) -> Select[Any]:
    """Section 5: account actions per service, category, region and action."""
    inner = select(
        AA.c.service,
        AA.c.category,
        AA.c.user_region,
        AA.c.action,
        flag(q.in_period(AA.c.taken_at)).label("in_p"),
    ).subquery("aa0")
    return select(
        *_shape(
            "aa",
            service=inner.c.service,
            category=inner.c.category,
            keys=(inner.c.user_region, inner.c.action, inner.c.in_p),
            nums=(func.count(),),
        )
    ).group_by(inner.c.service, inner.c.category, inner.c.user_region, inner.c.action, inner.c.in_p)


#: Account actions that the form's "accounts suspended" counts: a termination is a permanent suspension.
SUSPENSIONS = ("suspend", "terminate")


def account_holders(q: PeriodParams, services: Sequence[str]) -> Select[Any]:
    """Section 5: distinct accounts suspended (or terminated) and restricted in the period.

    Like ``reported``: one grouping by (category, kind, account) over the period's actions, carrying two
    service bitmasks — services that acted on the account at all (``n2``) and services that acted on it as an
    EU user (``n3``), each OR-ing the row's service bit (``bit_or`` where the backend has it). Python adds each
    group to every service in a mask and once to ALL, so an account acted on twice, or by two services, is one
    account. A null ``account_ref`` is never counted.
    """
    a = AA.c
    kind = case((a.action.in_(SUSPENSIONS), literal("suspended")), else_=literal("restricted"))
    eu = a.user_region == "eu"
    bit = _service_bit(a.service, services)
    mask_all = _service_mask(q, bit, services)
    mask_eu = _service_mask(q, case((eu, bit), else_=cast(literal(0), BigInteger)), services)
    per_acct = (
        select(a.category, kind.label("kind"), mask_all.label("m_all"), mask_eu.label("m_eu"))
        .where(q.in_period(a.taken_at) & a.account_ref.is_not(None) & a.action.in_((*SUSPENSIONS, "restrict")))
        .group_by(a.category, kind, a.account_ref)
        .subquery("aa1")
    )
    p = per_acct.c
    return select(
        *_shape("acct_mask", category=p.category, keys=(p.kind,), nums=(func.count(), p.m_all, p.m_eu))
    ).group_by(p.category, p.kind, p.m_all, p.m_eu)


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
    every = select(
        *_shape("cmp", service=c.service, keys=(c.subject, c.channel, c.outcome), nums=(func.count(),))
    ).group_by(c.service, c.subject, c.channel, c.outcome)
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
            _when(decided, q.seconds(c.decided_at) - q.seconds(c.lodged_at)).label("dec_s"),
            flag(complied).label("comp"),
            _when(complied, q.seconds(c.complied_at) - q.seconds(c.decided_at)).label("comp_s"),
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
    period = select(
        *_shape(
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
    ).group_by(i.service, i.category, i.subject, i.channel, i.outcome, i.region, i.action)
    return union_all(every, period)  # type: ignore[return-value]


def _when(cond: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((cond, value), else_=null())


ALL_QUERIES = (processing_volumes, detections, reports, content_actions, account_actions, complaints)
