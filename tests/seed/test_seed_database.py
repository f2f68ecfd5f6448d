"""Seeding real databases (SQLite and PostgreSQL): coherence invariants in SQL, one breach per violation,
identical rows on both backends, and refusal of bad input."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Date, DateTime, bindparam, select, text

from csa_report.db import make_engine
from csa_report.demo_provider import RECIPIENTS
from csa_report.errors import InputError
from csa_report.period import Period
from csa_report.seed import NO_GROUND_RECIPIENT, VIOLATIONS, seed
from csa_report.seed.violations import UNCERTIFIED_US_RECIPIENT, UNDOCUMENTED_TECHNOLOGY, UNNOTIFIED_RECIPIENT
from csa_report.source_schema import ENUMERATIONS, TABLE_ORDER, Base

PERIOD = Period.parse("2026")  # touches the 2026 gap and Example Chat's E2EE date
SCALE = 1500
END = PERIOD.end_before
SNAPSHOT = END + timedelta(days=30)


def count(conn: Connection, sql: str, **params: Any) -> int:
    binds = [
        bindparam(k, type_=DateTime)
        if isinstance(v, datetime)
        else bindparam(k, type_=Date)
        if isinstance(v, date)
        else bindparam(k)
        for k, v in params.items()
    ]
    return int(conn.execute(text(sql).bindparams(*binds), params).scalar_one())


def seconds(conn: Connection, earlier: str, later: str) -> str:
    """SQL for ``later - earlier`` in seconds, per backend."""
    if conn.dialect.name == "sqlite":
        return f"CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER)"
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


def ret1(conn: Connection, as_of: datetime) -> int:
    return count(
        conn,
        "SELECT count(*) FROM detections WHERE verdict = 'confirmed' AND hold_ref IS NULL "
        "AND flagged_at < :cutoff AND (erased_at IS NULL OR erased_at > :as_of)",
        cutoff=as_of - timedelta(days=365),
        as_of=as_of,
    )


# Offending records per violation, as the rule of policies.md defines them.
OFFENDERS: dict[str, Any] = {
    "retention": lambda c: ret1(c, END),
    "late-erasure": lambda c: count(
        c,
        "SELECT count(*) FROM detections WHERE verdict = 'not_abuse' AND "
        "reviewed_at >= :start AND "  # earlier ones are old-not-abuse's
        f"(erased_at IS NULL OR {seconds(c, 'reviewed_at', 'erased_at')} > 86400)",
        start=datetime(2026, 1, 1),
    ),
    "human-confirmation": lambda c: count(
        c,
        "SELECT count(*) FROM reports WHERE category IN "
        "('new_csam', 'solicitation') AND (human_confirmed_at IS NULL OR "
        "human_confirmed_at > sent_at)",
    ),
    "unknown-recipient": lambda c: count(
        c,
        "SELECT count(*) FROM reports WHERE recipient NOT IN (:a, :b, :c, :d, :e, :f)",
        a=RECIPIENTS[0],
        b=RECIPIENTS[1],
        c=RECIPIENTS[2],
        d=NO_GROUND_RECIPIENT,
        e=UNNOTIFIED_RECIPIENT,
        f=UNCERTIFIED_US_RECIPIENT,
    ),
    "no-transfer-ground": lambda c: count(
        c, "SELECT count(*) FROM reports WHERE recipient = :r", r=NO_GROUND_RECIPIENT
    ),
    "audio": lambda c: count(c, "SELECT count(*) FROM detections WHERE data_type = 'audio'"),
    "e2ee": lambda c: count(
        c,
        "SELECT count(*) FROM detections WHERE service = 'Example Chat' AND flagged_at >= :t",
        t=datetime(2026, 10, 1),
    ),
    "gap-processing": lambda c: count(
        c,
        "SELECT count(*) FROM detections WHERE flagged_at >= :a AND flagged_at < :b",
        a=datetime(2026, 4, 4),
        b=datetime(2026, 7, 31),
    ),
    "unnotified": lambda c: count(c, "SELECT count(*) FROM account_actions WHERE user_notified_at IS NULL"),
    # version 2
    "unreviewed-retention": lambda c: count(
        c,
        "SELECT count(*) FROM detections WHERE verdict IS NULL AND "
        "hold_ref IS NULL AND flagged_at < :cutoff AND erased_at IS NULL",
        cutoff=END - timedelta(days=365),
    ),
    "old-hold": lambda c: count(
        c,
        "SELECT count(*) FROM detections WHERE hold_ref IS NOT NULL AND flagged_at < :cutoff AND erased_at IS NULL",
        cutoff=END - timedelta(days=365),
    ),
    "old-not-abuse": lambda c: count(
        c,
        "SELECT count(*) FROM detections WHERE verdict = 'not_abuse' AND reviewed_at < :start AND erased_at IS NULL",
        start=datetime(2026, 1, 1),
    ),
    "unconfirmed-item": lambda c: count(
        c,
        "SELECT count(*) FROM report_items ri JOIN reports r ON r.id = "
        "ri.report_id JOIN detections d ON d.id = ri.detection_id WHERE "
        "r.category = 'new_csam' AND d.verdict IS NULL",
    ),
    "e2ee-volume": lambda c: count(
        c, "SELECT count(*) FROM processing_volumes WHERE service = 'Example Chat' AND day >= :d", d=date(2026, 10, 1)
    ),
    "unnotified-removal": lambda c: count(c, "SELECT count(*) FROM content_actions WHERE user_notified_at IS NULL"),
    "late-report": lambda c: count(
        c,
        "SELECT count(*) FROM report_items ri JOIN reports r ON r.id = ri.report_id "
        "JOIN detections d ON d.id = ri.detection_id WHERE "
        f"{seconds(c, 'd.reviewed_at', 'r.sent_at')} > 240 * 3600",
    ),
    "slow-restore": lambda c: count(
        c,
        "SELECT count(*) FROM complaints k JOIN content_actions a ON a.id = "
        "k.content_action_id WHERE k.outcome = 'restored' AND "
        f"{seconds(c, 'k.decided_at', 'a.restored_at')} > 240 * 3600",
    ),
    "slow-complaint": lambda c: count(
        c,
        "SELECT count(*) FROM complaints WHERE channel = 'internal' AND "
        f"{seconds(c, 'lodged_at', 'decided_at')} > 10 * 86400",
    ),
    "undocumented-technology": lambda c: count(
        c, "SELECT count(*) FROM detections WHERE technology = :t", t=UNDOCUMENTED_TECHNOLOGY
    ),
    "unnotified-organisation": lambda c: count(
        c, "SELECT count(*) FROM reports WHERE recipient = :r", r=UNNOTIFIED_RECIPIENT
    ),
    "provider-dpf": lambda c: count(c, "SELECT count(*) FROM reports WHERE recipient = :r", r=UNCERTIFIED_US_RECIPIENT),
}


def invariant_queries(conn: Connection) -> dict[str, str]:
    """Each query counts rows breaking one promise of the clean seed (expected 0)."""
    return {
        "reported item not confirmed, not reviewed by sent_at, or of another category/service": """
            SELECT count(*) FROM report_items ri JOIN detections d ON d.id = ri.detection_id
            JOIN reports r ON r.id = ri.report_id
            WHERE d.verdict IS NULL OR d.verdict <> 'confirmed' OR d.reviewed_at IS NULL
               OR d.reviewed_at > r.sent_at OR d.category <> r.category OR d.service <> r.service""",
        "report_items with a dangling reference": """
            SELECT count(*) FROM report_items ri LEFT JOIN detections d ON d.id = ri.detection_id
            LEFT JOIN reports r ON r.id = ri.report_id WHERE d.id IS NULL OR r.id IS NULL""",
        "report_accounts of a missing report": """
            SELECT count(*) FROM report_accounts ra
            WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.id = ra.report_id)""",
        "report without items": """
            SELECT count(*) FROM reports r
            WHERE NOT EXISTS (SELECT 1 FROM report_items ri WHERE ri.report_id = r.id)""",
        "new_csam/solicitation report without human confirmation between review and sending": """
            SELECT count(*) FROM reports r WHERE r.category IN ('new_csam', 'solicitation') AND (
              r.human_confirmed_at IS NULL OR r.human_confirmed_at > r.sent_at OR EXISTS (
                SELECT 1 FROM report_items ri JOIN detections d ON d.id = ri.detection_id
                WHERE ri.report_id = r.id AND d.reviewed_at > r.human_confirmed_at))""",
        "report account with a role of the wrong category": """
            SELECT count(*) FROM report_accounts ra JOIN reports r ON r.id = ra.report_id
            WHERE (r.category = 'solicitation' AND ra.role NOT IN ('soliciting', 'solicited'))
               OR (r.category <> 'solicitation' AND ra.role NOT IN ('sender', 'receiver'))""",
        "report without its sender/soliciting account": """
            SELECT count(*) FROM reports r WHERE NOT EXISTS (SELECT 1 FROM report_accounts ra
              WHERE ra.report_id = r.id AND ra.role IN ('sender', 'soliciting'))""",
        "sender/soliciting account is not the account of the reported items": """
            SELECT count(*) FROM report_accounts ra JOIN report_items ri ON ri.report_id = ra.report_id
            JOIN detections d ON d.id = ri.detection_id
            WHERE ra.role IN ('sender', 'soliciting')
              AND (ra.account_ref <> d.account_ref OR ra.user_region <> d.user_region)""",
        "removal of an item that is not a confirmed CSAM file, or before flagging/review": """
            SELECT count(*) FROM content_actions a LEFT JOIN detections d ON d.id = a.detection_id
            WHERE d.id IS NULL OR d.verdict IS NULL OR d.verdict <> 'confirmed' OR d.category = 'solicitation'
               OR d.data_type NOT IN ('image', 'video', 'other_file') OR a.removed_at < d.flagged_at
               OR a.removed_at < d.reviewed_at OR a.restored_at < a.removed_at OR a.service <> d.service""",
        "account action without notice or without a confirmed detection of that account before it": """
            SELECT count(*) FROM account_actions a WHERE a.user_notified_at IS NULL
               OR a.user_notified_at < a.taken_at OR a.restored_at < a.taken_at OR NOT EXISTS (
                 SELECT 1 FROM detections d WHERE d.account_ref = a.account_ref AND d.verdict = 'confirmed'
                 AND d.category = a.category AND d.service = a.service AND d.user_region = a.user_region
                 AND d.reviewed_at <= a.taken_at)""",
        "complaint not against an existing, earlier action of its subject, or decided before lodged": """
            SELECT count(*) FROM complaints c LEFT JOIN content_actions ca ON ca.id = c.content_action_id
            LEFT JOIN account_actions aa ON aa.id = c.account_action_id
            WHERE (c.subject = 'content' AND (ca.id IS NULL OR c.account_action_id IS NOT NULL
                     OR c.lodged_at <= ca.removed_at OR c.service <> ca.service))
               OR (c.subject = 'account' AND (aa.id IS NULL OR c.content_action_id IS NOT NULL
                     OR c.lodged_at <= aa.taken_at OR c.service <> aa.service))
               OR c.subject NOT IN ('content', 'account')
               OR c.decided_at < c.lodged_at
               OR (c.decided_at IS NULL) <> (c.outcome IS NULL)
               OR (c.complied_at IS NOT NULL AND (c.outcome <> 'restored' OR c.channel <> 'judicial'
                     OR c.complied_at <= c.decided_at))""",
        "restored complaint whose action is not restored (internal, or judicial and complied)": """
            SELECT count(*) FROM complaints c LEFT JOIN content_actions ca ON ca.id = c.content_action_id
            LEFT JOIN account_actions aa ON aa.id = c.account_action_id
            WHERE c.outcome = 'restored' AND (c.channel = 'internal' OR c.complied_at IS NOT NULL)
              AND COALESCE(ca.restored_at, aa.restored_at) IS NULL""",
        "restored action without a restored complaint": """
            SELECT (SELECT count(*) FROM content_actions a WHERE a.restored_at IS NOT NULL AND NOT EXISTS (
                      SELECT 1 FROM complaints c WHERE c.content_action_id = a.id AND c.outcome = 'restored'))
                 + (SELECT count(*) FROM account_actions a WHERE a.restored_at IS NOT NULL AND NOT EXISTS (
                      SELECT 1 FROM complaints c WHERE c.account_action_id = a.id AND c.outcome = 'restored'))""",
        "not_abuse item not erased within a day of review": f"""
            SELECT count(*) FROM detections WHERE verdict = 'not_abuse' AND (erased_at IS NULL
              OR erased_at < reviewed_at OR {seconds(conn, "reviewed_at", "erased_at")} >= 86400)""",
        "not_abuse item reviewed in the period but erased after it": """
            SELECT count(*) FROM detections WHERE verdict = 'not_abuse' AND reviewed_at < :end AND erased_at >= :end""",
        "confirmed item erased more than 90 days after flagging": f"""
            SELECT count(*) FROM detections WHERE verdict = 'confirmed' AND hold_ref IS NULL
              AND {seconds(conn, "flagged_at", "erased_at")} > 90 * 86400""",
        # a legal hold lapses (and the item is erased) before the item is a year old (RET-5)
        "held item erased 365 days or more after flagging": f"""
            SELECT count(*) FROM detections WHERE hold_ref IS NOT NULL
              AND {seconds(conn, "flagged_at", "erased_at")} >= 365 * 86400""",
        "item never reviewed erased more than 181 days after flagging": f"""
            SELECT count(*) FROM detections WHERE verdict IS NULL
              AND {seconds(conn, "flagged_at", "erased_at")} > 181 * 86400""",
        "audio detection": "SELECT count(*) FROM detections WHERE data_type = 'audio'",
        "detection or volume on a day without derogation": """
            SELECT (SELECT count(*) FROM detections WHERE flagged_at >= :gap_from AND flagged_at < :gap_to)
                 + (SELECT count(*) FROM processing_volumes WHERE day >= :gap_first AND day <= :gap_last)""",
        "Example Chat scanned after its E2EE date": """
            SELECT (SELECT count(*) FROM detections WHERE service = 'Example Chat' AND flagged_at >= :e2ee)
                 + (SELECT count(*) FROM processing_volumes WHERE service = 'Example Chat' AND day >= :e2ee_day)""",
        "detection in the period on a day/type without processing volume": """
            SELECT count(*) FROM detections d WHERE d.flagged_at >= :start AND d.flagged_at < :end
              AND NOT EXISTS (SELECT 1 FROM processing_volumes v WHERE v.service = d.service
                AND v.day = date(d.flagged_at) AND v.data_type = d.data_type
                AND (v.file_type = d.file_type OR (v.file_type IS NULL AND d.file_type IS NULL)))""",
        "detection flagged outside the period and its 3 lead-in days": """
            SELECT count(*) FROM detections WHERE flagged_at < :lead_in OR flagged_at >= :end""",
        "report sent before the period or after the snapshot": """
            SELECT count(*) FROM reports WHERE sent_at < :start OR sent_at > :snapshot""",
        "event after the snapshot": """
            SELECT (SELECT count(*) FROM detections WHERE reviewed_at > :snapshot OR erased_at > :snapshot)
                 + (SELECT count(*) FROM complaints WHERE decided_at > :snapshot OR complied_at > :snapshot)
                 + (SELECT count(*) FROM account_actions WHERE taken_at > :snapshot)
                 + (SELECT count(*) FROM content_actions WHERE removed_at > :snapshot)""",
        "account_ref not pseudonymous": """
            SELECT (SELECT count(*) FROM detections WHERE account_ref NOT LIKE 'acct-%')
                 + (SELECT count(*) FROM report_accounts WHERE account_ref NOT LIKE 'acct-%')
                 + (SELECT count(*) FROM account_actions WHERE account_ref NOT LIKE 'acct-%')""",
        "account with two regions": """
            SELECT count(*) FROM (SELECT account_ref FROM detections GROUP BY account_ref
              HAVING count(DISTINCT user_region) > 1) x""",
        "user reports automated or technologies not automated": """
            SELECT count(*) FROM detections WHERE (technology = 'user_report') = automated""",
        "technology of another category": """
            SELECT count(*) FROM detections WHERE NOT (technology = 'user_report'
              OR (technology IN ('photodna', 'csai_match') AND category = 'known_csam')
              OR (technology = 'new_csam_classifier' AND category = 'new_csam')
              OR (technology = 'grooming_classifier' AND category = 'solicitation' AND data_type = 'text'))""",
        "verdict without review or review without verdict": """
            SELECT count(*) FROM detections WHERE (verdict IS NULL) <> (reviewed_at IS NULL)
              OR reviewed_at < flagged_at""",
    }


def invariant_params() -> dict[str, Any]:
    return {
        "start": PERIOD.start_at,
        "end": END,
        "snapshot": SNAPSHOT,
        "lead_in": PERIOD.start_at - timedelta(days=3),
        "gap_from": datetime(2026, 4, 4),
        "gap_to": datetime(2026, 7, 31),
        "gap_first": date(2026, 4, 4),
        "gap_last": date(2026, 7, 30),
        "e2ee": datetime(2026, 10, 1),
        "e2ee_day": date(2026, 10, 1),
    }


def test_clean_seed_is_coherent_and_trips_no_rule(new_db_url: str) -> None:
    summary = seed(new_db_url, PERIOD, scale=SCALE, seed=3)
    assert summary.violations == ()
    engine = make_engine(new_db_url)
    try:
        with engine.connect() as conn:
            assert {t: count(conn, f"SELECT count(*) FROM {t}") for t in TABLE_ORDER} == summary.rows
            params = invariant_params()
            broken = {}
            for what, sql in invariant_queries(conn).items():
                wanted = {k: v for k, v in params.items() if f":{k}" in sql}
                n = count(conn, sql, **wanted)
                if n:
                    broken[what] = n
            for name, offenders in OFFENDERS.items():
                if offenders(conn):
                    broken[f"violation {name}"] = offenders(conn)
            for as_of in (END, END + timedelta(days=10), SNAPSHOT):
                if ret1(conn, as_of):
                    broken[f"RET-1 at {as_of}"] = ret1(conn, as_of)
            for (table, column), allowed in ENUMERATIONS.items():
                marks = ", ".join(f":v{i}" for i in range(len(allowed)))
                n = count(
                    conn,
                    f"SELECT count(*) FROM {table} WHERE {column} NOT IN ({marks})",
                    **{f"v{i}": v for i, v in enumerate(allowed)},
                )
                if n:
                    broken[f"{table}.{column} outside its enumeration"] = n
            assert broken == {}
            check_proportions(conn)
    finally:
        engine.dispose()


def check_proportions(conn: Connection) -> None:
    def share(where: str, of: str = "detections", base: str = "1 = 1") -> float:
        return count(conn, f"SELECT count(*) FROM {of} WHERE {base} AND {where}") / max(
            1, count(conn, f"SELECT count(*) FROM {of} WHERE {base}")
        )

    assert SCALE <= count(conn, "SELECT count(*) FROM detections") <= SCALE + 12
    assert share("category = 'known_csam'") > 0.6
    assert share("category = 'new_csam'") > 0.03 and share("category = 'solicitation'") > 0.03
    assert 0.03 < share("technology = 'user_report'") < 0.2
    # Error rate about 1 %.
    assert 0.004 < share("verdict = 'not_abuse'", base="automated = TRUE AND reviewed_at IS NOT NULL") < 0.025
    assert 0.9 < share("reviewed_at IS NOT NULL", base="automated = TRUE") < 0.995
    assert count(conn, "SELECT count(*) FROM detections WHERE reviewed_at IS NULL AND flagged_at < :e", e=END) > 0
    assert 0.55 < share("user_region = 'eu'") < 0.9
    assert share("recipient = 'NCMEC'", of="reports") > 0.9
    assert count(conn, "SELECT count(DISTINCT recipient) FROM reports") == len(RECIPIENTS)
    assert share("action = 'suspend'", of="account_actions") > 0.7
    assert count(conn, "SELECT count(DISTINCT action) FROM account_actions") == 3
    actions = count(conn, "SELECT count(*) FROM content_actions") + count(conn, "SELECT count(*) FROM account_actions")
    assert 0.01 < count(conn, "SELECT count(*) FROM complaints") / actions < 0.1  # a few per cent are contested
    assert count(conn, "SELECT count(*) FROM complaints WHERE outcome = 'restored'") > 0
    assert count(conn, "SELECT count(*) FROM complaints WHERE outcome = 'upheld'") > 0
    assert count(conn, "SELECT count(*) FROM complaints WHERE decided_at IS NULL OR decided_at >= :e", e=END) > 0
    assert share("channel = 'judicial'", of="complaints") < 0.15
    # Lead-in: reports early in the period about items flagged before it.
    assert (
        count(
            conn,
            """SELECT count(*) FROM reports r JOIN report_items ri ON ri.report_id = r.id
        JOIN detections d ON d.id = ri.detection_id WHERE r.sent_at >= :s AND d.flagged_at < :s""",
            s=PERIOD.start_at,
        )
        > 0
    )
    # Reports after the period end about items flagged in it.
    assert count(conn, "SELECT count(*) FROM reports WHERE sent_at >= :e", e=END) > 0
    # Accounts recur across reports and roles.
    assert (
        count(
            conn,
            """SELECT count(*) FROM (SELECT account_ref FROM report_accounts GROUP BY account_ref
        HAVING count(DISTINCT role) = 2) x""",
        )
        > 0
    )
    assert (
        count(
            conn,
            """SELECT count(*) FROM (SELECT account_ref FROM report_accounts GROUP BY account_ref
        HAVING count(DISTINCT report_id) > 1) x""",
        )
        > 0
    )
    # Processing is orders of magnitude above detections.
    images = count(conn, "SELECT sum(items) FROM processing_volumes WHERE data_type = 'image'")
    assert images > 1000 * count(conn, "SELECT count(*) FROM detections WHERE data_type = 'image'")
    assert count(conn, "SELECT count(DISTINCT file_type) FROM processing_volumes WHERE data_type = 'other_file'") >= 3


def test_each_violation_injects_exactly_its_count(new_db_url: str) -> None:
    names = tuple(VIOLATIONS)
    summary = seed(new_db_url, PERIOD, scale=400, seed=5, violations=",".join(names).split(","))
    assert summary.violations == tuple((n, 3) for n in names)
    engine = make_engine(new_db_url)
    try:
        with engine.connect() as conn:
            found = {name: offenders(conn) for name, offenders in OFFENDERS.items()}
            assert found == {name: VIOLATIONS[name].count for name in names}
            assert ret1(conn, SNAPSHOT) == 3
            assert (
                count(
                    conn,
                    "SELECT count(*) FROM processing_volumes WHERE day >= :a AND day <= :b",
                    a=date(2026, 4, 4),
                    b=date(2026, 7, 30),
                )
                == 3
            )
    finally:
        engine.dispose()


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for name in TABLE_ORDER:
                table = Base.metadata.tables[name]
                out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
                # A checksum in SQL, independent of how the driver returns values.
                key = next(iter(table.primary_key.columns)).name
                assert count(conn, f"SELECT count(*) FROM {name}") == len(out[name])
                assert count(conn, f"SELECT COALESCE(sum({key}), 0) FROM {name}") == sum(r[0] for r in out[name])
            return out
    finally:
        engine.dispose()


def test_identical_rows_on_sqlite_and_postgresql(new_sqlite_url: str, new_pg_url: str) -> None:
    period = Period.parse("2026-09-01/2026-12-31")
    a = seed(new_sqlite_url, period, scale=600, seed=11, violations=("e2ee", "unnotified"))
    b = seed(new_pg_url, period, scale=600, seed=11, violations=("unnotified", "e2ee"))
    assert a == b
    rows_a, rows_b = table_rows(new_sqlite_url), table_rows(new_pg_url)
    assert rows_a == rows_b
    for table, rows in rows_a.items():
        for row in rows:
            for value in row:
                assert not isinstance(value, datetime) or value.microsecond == 0, table
    assert hashlib.sha256(repr(rows_a).encode()).hexdigest() == hashlib.sha256(repr(rows_b).encode()).hexdigest()


def test_non_empty_database_is_refused(new_db_url: str) -> None:
    seed(new_db_url, Period.parse("2025-03-01/2025-03-31"), scale=50)
    with pytest.raises(InputError, match="is not empty"):
        seed(new_db_url, Period.parse("2025-03-01/2025-03-31"), scale=50)


def test_bad_input_is_refused_before_touching_the_database(new_sqlite_url: str) -> None:
    with pytest.raises(InputError, match="scale"):
        seed(new_sqlite_url, PERIOD, scale=0)
    with pytest.raises(InputError, match="unknown violation"):
        seed(new_sqlite_url, PERIOD, violations=("audio", "typo"))
    with pytest.raises(InputError, match="e2ee"):
        seed(new_sqlite_url, Period.parse("2025"), violations=("e2ee",))
    assert not Path(new_sqlite_url.removeprefix("sqlite:///")).exists()


def test_existing_empty_schema_is_used(new_sqlite_url: str) -> None:
    from csa_report.migrate import upgrade

    upgrade(new_sqlite_url, "source")
    summary = seed(new_sqlite_url, Period.parse("2025-01-01/2025-01-31"), scale=100, progress=True)
    assert summary.detections >= 100


def test_retention_breach_skips_days_the_provider_could_not_scan(new_sqlite_url: str) -> None:
    # 370 days before this period's end falls in the 2026 gap: the old items move to the last lawful day.
    period = Period.parse("2027-07-01/2027-07-31")
    summary = seed(new_sqlite_url, period, scale=200, violations="retention,audio")
    assert summary.violations == (("retention", 3), ("audio", 3))
    engine = make_engine(new_sqlite_url)
    try:
        with engine.connect() as conn:
            assert ret1(conn, period.end_before) == 3
            assert count(conn, "SELECT count(*) FROM detections WHERE flagged_at < :d", d=datetime(2026, 4, 4)) == 3
            assert OFFENDERS["gap-processing"](conn) == 0
            assert OFFENDERS["audio"](conn) == 3
            assert count(conn, "SELECT count(*) FROM detections WHERE service = 'Example Chat'") == 0
    finally:
        engine.dispose()
