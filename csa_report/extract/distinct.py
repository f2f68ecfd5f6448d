"""Distinct items and accounts across services, counted once (data-contract §3, sections 4 and 5).

Each item (account) is grouped once inside the statement and carries the set of services that named (acted on)
it as a bitmask; Python adds each group to every service in its mask and once to ALL. No ``account_ref`` leaves
the database, and no COUNT(DISTINCT) per scope is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from csa_report.extract.tables import AA, DET, RA, REP, RI, shape, when
from csa_report.sql_dialect import PeriodParams


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
    file_type = when((DET.c.data_type == "other_file") & (DET.c.user_region == "eu"), DET.c.file_type)
    per_item = (
        select(rp.c.category, DET.c.data_type, DET.c.user_region, file_type.label("file_type"), mask.label("mask"))
        .select_from(RI.join(rp, rp.c.id == RI.c.report_id).join(DET, DET.c.id == RI.c.detection_id))
        .group_by(rp.c.category, RI.c.detection_id, DET.c.data_type, DET.c.user_region, file_type)
        .subquery("ri")
    )
    i = per_item.c
    items = select(
        *shape(
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
    accts = select(*shape("accts_mask", category=a.category, keys=(a.role,), nums=(func.count(), a.mask))).group_by(
        a.category, a.role, a.mask
    )
    # Reports concerning an EU user: one of its named accounts or one of its items' detections is in the EU
    # (data-contract §3 v2). Two IN tests, not one over a UNION: each becomes one hashed set of report ids.
    eu_item = (
        select(RI.c.report_id).select_from(RI.join(DET, DET.c.id == RI.c.detection_id)).where(DET.c.user_region == "eu")
    )
    eu_account = select(RA.c.report_id).where(RA.c.user_region == "eu")
    rep_eu = (
        select(*shape("rep_eu", service=rp.c.service, category=rp.c.category, nums=(func.count(),)))
        .where(rp.c.id.in_(eu_account) | rp.c.id.in_(eu_item))
        .group_by(rp.c.service, rp.c.category)
    )
    return union_all(items, accts, rep_eu)  # type: ignore[return-value]


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
        *shape("acct_mask", category=p.category, keys=(p.kind,), nums=(func.count(), p.m_all, p.m_eu))
    ).group_by(p.category, p.kind, p.m_all, p.m_eu)
