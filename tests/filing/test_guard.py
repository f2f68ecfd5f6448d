"""One filing per (provider, period): the unique constraint lets exactly one of two racing runs file a period
(or correct a given filing), on SQLite and PostgreSQL; corrections need a reason and a known, latest report."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

import csa_report.filing.guard as filing
from csa_report.audit import AuditLog
from csa_report.errors import InputError
from csa_report.filing.guard import AlreadyFiled, Correction, check_not_filed, claim_filing, correction_of, filings

P = "Example Communications Ireland Ltd"
PERIOD = "2025-01-01/2025-12-31"
AT = datetime(2026, 1, 20, 9, 0, 0)
A, B, C = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"


def claim(audit: AuditLog, report_id: str, correction: Correction | None = None) -> filing.FilingRecord:
    return claim_filing(
        audit,
        provider=P,
        period=PERIOD,
        report_id=report_id,
        manifest_sha256=report_id * 4,
        correction=correction,
        run_id=None,
        at=AT,
    )


def race(
    audit: AuditLog, monkeypatch: pytest.MonkeyPatch, reports: tuple[str, str], correction: Correction | None = None
) -> tuple[list[int], list[str], list[str]]:
    """Both claims read the period's filings before either inserts (a barrier holds the first reader until the
    second has read too), so both pass the query and only the constraint can decide."""
    barrier = threading.Barrier(2, timeout=30)
    seen: list[int] = []
    waited: set[str] = set()
    real = filing.filings

    def read_then_wait(*args: object) -> list[filing.FilingRecord]:
        found = real(*args)  # type: ignore[arg-type]
        me = threading.current_thread().name
        if me.startswith("racer") and me not in waited:  # each racer's first read only
            waited.add(me)
            seen.append(len(found))
            barrier.wait()
        return found

    monkeypatch.setattr(filing, "filings", read_then_wait)
    won: list[str] = []
    lost: list[str] = []

    def run(report_id: str) -> None:
        try:
            claim(audit, report_id, correction)
            won.append(report_id)
        except AlreadyFiled as exc:
            lost.append(str(exc))

    threads = [threading.Thread(target=run, args=(r,), name=f"racer-{r}") for r in reports]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    monkeypatch.setattr(filing, "filings", real)
    return seen, won, lost


def test_two_concurrent_first_filings_one_wins(new_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    audit = AuditLog.open(new_db_url)
    seen, won, lost = race(audit, monkeypatch, (A, B))
    assert seen[:2] == [0, 0]  # the race happened: both saw an unfiled period
    assert len(won) == 1 and len(lost) == 1
    loser = B if won == [A] else A
    assert (
        f"report {won[0]} was filed by a concurrent run first; report {loser} stays staged for reference only "
        "and is not archived" in lost[0]
    )
    assert [(f.seq, f.report_id, f.supersedes) for f in filings(audit, P, PERIOD)] == [(0, won[0], None)]


def test_two_concurrent_corrections_of_the_same_filing_one_wins(
    new_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit = AuditLog.open(new_db_url)
    claim(audit, A)
    seen, won, lost = race(audit, monkeypatch, (B, C), Correction(A, "a figure was wrong"))
    assert seen[:2] == [1, 1]
    assert len(won) == 1 and len(lost) == 1
    assert [(f.seq, f.report_id, f.supersedes, f.reason) for f in filings(audit, P, PERIOD)] == [
        (0, A, None, None),
        (1, won[0], A, "a figure was wrong"),
    ]


def test_same_report_again_is_its_own_filing(new_db_url: str) -> None:
    audit = AuditLog.open(new_db_url)
    first = claim(audit, A)
    again = claim(audit, A)
    assert (first.seq, again.seq, again.report_id) == (0, 0, A)
    assert check_not_filed(audit, P, PERIOD, A, None) is not None


def test_a_completed_filing_goes_on_only_in_the_flow_run_that_filed_it(new_db_url: str) -> None:
    """Same bytes are not the same run: once every delivery went out, only the claiming flow run (a Retry, a
    resume) continues the filing; before that, a re-run of the same report finishes it (after a crash)."""
    audit = AuditLog.open(new_db_url)
    run_id = audit.record_run(
        provider=P, period=PERIOD, as_of=AT, status="approved", at=AT, report_id=A, flow_run_id="flow-run-1"
    )
    claim_filing(
        audit,
        provider=P,
        period=PERIOD,
        report_id=A,
        manifest_sha256=A * 4,
        correction=None,
        run_id=run_id,
        at=AT,
        flow_run_id="flow-run-1",
    )
    # Unfinished (submitting): the claiming run, and a re-run of the same report, both finish it.
    for who in ("flow-run-1", "flow-run-2"):
        mine = check_not_filed(audit, P, PERIOD, A, None, who)
        assert mine is not None and (mine.seq, mine.status, mine.run_id, mine.flow_run_id) == (
            0,
            "submitting",
            run_id,
            "flow-run-1",
        )
    filing.mark_filed(audit, P, PERIOD, A, datetime(2026, 1, 20, 9, 5, 0))
    done = check_not_filed(audit, P, PERIOD, A, None, "flow-run-1")
    assert done is not None and (done.status, done.filed_at) == ("submitted", AT)
    for other in ("flow-run-2", None):
        with pytest.raises(AlreadyFiled) as err:
            check_not_filed(audit, P, PERIOD, A, None, other)
        assert str(err.value) == (
            f"{P}, period {PERIOD}: already filed as report {A} (filed 2026-01-20T09:00:00Z, submitted); nothing "
            f"is staged or sent again. To file a correction, run again with --supersedes {A} --reason TEXT"
        )
        assert err.value.exit_code == 2


def test_filed_period_without_correction_is_exit_2(new_db_url: str) -> None:
    audit = AuditLog.open(new_db_url)
    claim(audit, A)
    with pytest.raises(AlreadyFiled, match=f"already filed as report {A}.*--supersedes {A} --reason") as err:
        check_not_filed(audit, P, PERIOD, B, None)
    assert err.value.exit_code == 2


def test_corrections_must_name_the_latest_known_report(new_db_url: str) -> None:
    audit = AuditLog.open(new_db_url)
    claim(audit, A)
    claim(audit, B, Correction(A, "typo"))
    with pytest.raises(InputError, match="no such report was filed") as err:
        check_not_filed(audit, P, PERIOD, C, Correction("0123456789abcdef", "x"))
    assert err.value.exit_code == 2
    with pytest.raises(InputError, match=f"already superseded by report {B}"):
        check_not_filed(audit, P, PERIOD, C, Correction(A, "again"))
    assert check_not_filed(audit, P, PERIOD, C, Correction(B, "second correction")) is None


def test_a_superseded_report_is_never_staged_or_sent_again(new_db_url: str) -> None:
    """A re-run or retry of the original after its correction would complete the original's deliveries after
    the corrected version went out: both the guard before staging and the claim stop it (exit 2)."""
    audit = AuditLog.open(new_db_url)
    claim(audit, A)
    claim(audit, B, Correction(A, "typo"))
    for attempt in (lambda: check_not_filed(audit, P, PERIOD, A, None), lambda: claim(audit, A)):
        with pytest.raises(AlreadyFiled, match=f"report {A} was superseded by report {B}") as err:
            attempt()
        assert err.value.exit_code == 2
    assert check_not_filed(audit, P, PERIOD, B, None) is not None  # the correction itself may resume


@pytest.mark.parametrize(
    ("supersedes", "reason", "message"),
    [
        (A, None, "needs --reason"),
        (A, "   ", "needs --reason"),
        (None, "because", "without --supersedes"),
    ],
)
def test_malformed_corrections(supersedes: str | None, reason: str | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        correction_of(supersedes, reason)


def test_correction_text() -> None:
    c = correction_of(A.upper(), "  the  number of   appeals was wrong ")
    assert c == Correction(A, "the number of appeals was wrong")
    assert c.describe() == f"corrected version, supersedes report {A}, because: the number of appeals was wrong"


@pytest.mark.parametrize("url", ["sqlite", "postgresql"])
def test_a_run_that_loses_the_period_after_staging_says_its_report_stays_staged(
    url: str, request: pytest.FixtureRequest
) -> None:
    """Found by the round-3 replay: two runs of one period with different as-of both passed the guard before
    staging; the one that lost the claim afterwards said "nothing is staged" although its report was staged."""
    audit = AuditLog.open(str(request.getfixturevalue({"sqlite": "new_sqlite_url", "postgresql": "new_pg_url"}[url])))
    assert check_not_filed(audit, P, PERIOD, B, None) is None  # B passes the guard, then is staged
    claim(audit, A)  # meanwhile A files the period
    with pytest.raises(AlreadyFiled) as lost:
        claim(audit, B)
    assert str(lost.value) == (
        f"{P}, period {PERIOD}: already filed as report {A} (filed 2026-01-20T09:00:00Z, submitting); "
        f"report {B} stays staged for reference only and is not archived or sent. To file a correction, run "
        f"again with --supersedes {A} --reason TEXT"
    )
    with pytest.raises(AlreadyFiled) as before:  # the guard before staging still says nothing is staged
        check_not_filed(audit, P, PERIOD, C, None)
    assert "; nothing is staged or sent again. To file a correction" in str(before.value)
