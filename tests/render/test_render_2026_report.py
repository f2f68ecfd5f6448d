"""Issue 22, done-when: the 2026 report on the example policies, made by the pipeline from the demo's seeded data
(seed 2026, scale 3000) with its findings, names the instruments, states what happened in the gap with its
counts, and says per service what was scanned under which regime. Every sentence is asserted literally; the
per-service days were counted independently on the seeded data (distinct days with items > 0 per service, from
processing_volumes, by hand in sqlite3): Example Chat on 2026-01-01..2026-04-03 and 2026-07-31..2026-09-30,
Example Mail on 2026-01-01..2026-04-03 and 2026-07-31..2026-12-31, neither from 2026-04-04 to 2026-07-30."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from csa_report.period import Period
from csa_report.pipeline import extract, report_context, run_checks
from csa_report.policies.loader import load_policies
from csa_report.policies.models import PolicySet
from csa_report.render import ReportContext
from csa_report.render.env import make_environment, render_template
from csa_report.render.report import template_data
from csa_report.render.scanning import ScanDays, scanning_days
from csa_report.resources import example_policies_dir
from csa_report.seed import seed
from tests.checks.check_helpers import Source, any_source

__all__ = ["any_source"]  # the fixture, on SQLite, PostgreSQL and DuckDB

AS_OF = datetime(2027, 1, 15)

TITLE = (
    "Transparency report under Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 (2026-01-01 to "
    "2026-04-03), and under Regulation (EU) 2026/1881 (2026-07-31 to 2026-12-31); no derogation in force from "
    "2026-04-04 to 2026-07-30 — Example Communications Ireland Ltd"
)
CHAT = (
    "Example Chat: under Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 (2026-01-01 to "
    "2026-04-03, 93 days): scanned on every day from 2026-01-01 to 2026-04-03 (93 days); with no derogation in "
    "force (2026-04-04 to 2026-07-30, 118 days): not scanned; under Regulation (EU) 2026/1881 (2026-07-31 to "
    "2026-12-31, 154 days): scanned on every day from 2026-07-31 to 2026-09-30 (62 days); end-to-end encrypted "
    "from 2026-10-01, so excluded from scanning from 2026-10-01 to 2026-12-31 (92 days)."
)
MAIL = (
    "Example Mail: under Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 (2026-01-01 to "
    "2026-04-03, 93 days): scanned on every day from 2026-01-01 to 2026-04-03 (93 days); with no derogation in "
    "force (2026-04-04 to 2026-07-30, 118 days): not scanned; under Regulation (EU) 2026/1881 (2026-07-31 to "
    "2026-12-31, 154 days): scanned on every day from 2026-07-31 to 2026-12-31 (154 days); not end-to-end "
    "encrypted."
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('report2026') / 'source.db'}"
    seed(url, Period.parse("2026"), scale=3000, seed=2026)
    return url


@pytest.fixture(scope="module")
def context(seeded: str) -> ReportContext:
    period = Period.parse("2026")
    policies = load_policies(example_policies_dir(), period)
    indicators = extract(seeded, period, AS_OF)
    result = run_checks(seeded, period, AS_OF, policies, indicators=indicators)
    return report_context(seeded, indicators, policies, result, date(2027, 1, 20), now=datetime(2027, 1, 20))


@pytest.fixture(scope="module")
def rendered(context: ReportContext) -> tuple[str, str]:
    env = make_environment()
    data = template_data(context)
    return render_template(env, "report.html.j2", data), render_template(env, "report.md.j2", data)


def test_scanning_days_are_counted_per_service_and_segment(seeded: str) -> None:
    from csa_report.db import read_only_source

    with read_only_source(seeded) as conn:
        got = scanning_days(conn, Period.parse("2026"))
    assert got == (
        ScanDays("Example Chat", date(2026, 1, 1), 93, date(2026, 1, 1), date(2026, 4, 3)),
        ScanDays("Example Chat", date(2026, 7, 31), 62, date(2026, 7, 31), date(2026, 9, 30)),
        ScanDays("Example Mail", date(2026, 1, 1), 93, date(2026, 1, 1), date(2026, 4, 3)),
        ScanDays("Example Mail", date(2026, 7, 31), 154, date(2026, 7, 31), date(2026, 12, 31)),
    )


def test_title_and_scanning_per_service(context: ReportContext, rendered: tuple[str, str]) -> None:
    assert context.header.title == TITLE
    assert context.header.scope_statements == (CHAT, MAIL)
    html, md = rendered
    assert f"<li>{CHAT}</li>" in html and f"<li>{MAIL}</li>" in html
    assert f"  - {CHAT}\n" in md and f"  - {MAIL}\n" in md
    field = next(f for s in context.sections for g in s.groups for f in g.fields if f.id == "1.4.e2ee")
    assert field.label == "Scanning per service and legal regime"
    assert field.cells[0].text == f"{CHAT} {MAIL}"


GAP = (
    "From 2026-04-04 to 2026-07-30 (118 days of this period) no derogation was in force (2021/1232 expired, "
    "2026/1881 not yet in force). On those days, on Example Chat, no communications were scanned; 19 reports were "
    "sent (1 report to An Garda Síochána, IE, on 2026-04-07; 18 reports to NCMEC, US, from 2026-04-04 to "
    "2026-04-07), 9 items were removed, 4 account actions were taken, 12 human reviews were completed and 686 "
    "detected items were still held un-erased. On Example Mail, no communications were scanned; 3 reports were "
    "sent (3 reports to NCMEC, US, from 2026-04-04 to 2026-04-05), 1 item was removed, 2 human reviews were "
    "completed and 191 detected items were still held un-erased. The findings in the annex "
    "list these counts for legal review. No derogation from Articles 5(1) and 6(1) of Directive 2002/58/EC was in "
    "force on these days. On what basis, if any, did the provider process communications data on them (scanning, "
    "automated flags, human review, reports, removals, account actions, keeping detected material)? Position of "
    "Example Communications Ireland Ltd (Dara Kelly, 2026-11-20): No derogation covered these days, so we stopped "
    "all automated scanning on 4 April 2026."
)


def test_gap_statement_gives_every_processing_with_its_counts(
    context: ReportContext, rendered: tuple[str, str]
) -> None:
    # counted by hand on the seeded data: reports with sent_at in 2026-04-04..2026-07-30 per service and
    # recipient, with the first and last sent_at (Chat: NCMEC 18, 04-04..04-07, An Garda Síochána 1, 04-07; Mail:
    # NCMEC 3, 04-04..04-05), and SCOPE-2's totals (22 reports, 10
    # removals, 4 account actions, 14 reviews, 877 detections held)
    assert context.header.gap_notice.startswith(GAP)
    assert context.header.gap_notice.endswith("Every such processing is counted in this report.")
    (scope_2,) = [f for f in context.findings if f.rule == "SCOPE-2"]
    assert scope_2.message.startswith(
        "processing on days with no derogation in force (2026-04-04..2026-07-30): 0 item(s) scanned (0 "
        "processing_volumes row(s)), 0 automated flag(s), 14 human review(s), 22 report(s) sent (to IE, US), 10 "
        "removal(s), 4 account action(s), 877 detection(s) held un-erased"
    )
    gap_field = next(f for s in context.sections for g in s.groups for f in g.fields if f.id == "1.4.gap")
    assert gap_field.cells[0].text == context.header.gap_notice
    html, md = rendered
    assert "(unconfirmed)" not in html and "(unconfirmed)" not in md


def test_legal_basis_names_2026_1881_as_an_act_of_its_own(context: ReportContext) -> None:
    from csa_report.render.summary import report_summary

    assert report_summary(context).legal_basis == (
        "This report is made under Article 3(1)(g)(vii) of Regulation (EU) 2021/1232, as amended by Regulation (EU) "
        "2024/1307 (for 2026-01-01 to 2026-04-03), and of Regulation (EU) 2026/1881 (for 2026-07-31 to 2026-12-31), "
        "which require the provider to publish a report on its processing every year and to submit it to the "
        "competent supervisory authority and to the European Commission, on the standard form in the Annex to "
        "Implementing Regulation (EU) 2024/2916 (for the days under Regulation (EU) 2026/1881 the form is an open "
        "legal question: see the provider's position in the details of the report)."
    )


def _policies_e2ee_from(tmp_path: Path, day: str) -> PolicySet:
    import shutil

    folder = tmp_path / "policies"
    shutil.copytree(example_policies_dir(), folder)
    provider = folder / "provider.md"
    text = provider.read_text(encoding="utf-8")
    assert "    e2ee_from: 2026-10-01\n" in text
    provider.write_text(text.replace("    e2ee_from: 2026-10-01\n", f"    e2ee_from: {day}\n", 1), encoding="utf-8")
    return load_policies(folder, Period.parse("2026"))


def test_a_service_encrypted_from_september_scanned_off_its_days(tmp_path: Path) -> None:
    """Hand-built: Example Chat turns end-to-end encrypted on 2026-09-15 (46 days in scope under 2026/1881:
    31 July..14 September), yet the data show scanning on 50 days up to 2026-09-20 (6 of them from 15 September)
    and on 2 gap days; Mail is
    not scanned at all under 2021/1232. Each segment says what the data show against the days in scope."""
    from csa_report.render.disclosures import scope_statements

    policies = _policies_e2ee_from(tmp_path, "2026-09-15")
    scanning = (
        ScanDays("Example Chat", date(2026, 1, 1), 93, date(2026, 1, 1), date(2026, 4, 3)),
        ScanDays("Example Chat", date(2026, 4, 4), 2, date(2026, 4, 4), date(2026, 4, 5)),
        ScanDays("Example Chat", date(2026, 7, 31), 50, date(2026, 7, 31), date(2026, 9, 20), encrypted=6),
        ScanDays("Example Mail", date(2026, 7, 31), 154, date(2026, 7, 31), date(2026, 12, 31)),
    )
    got = scope_statements(policies, ("Example Chat", "Example Mail"), date(2026, 1, 1), date(2026, 12, 31), scanning)
    assert got == (
        "Example Chat: under Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 (2026-01-01 to "
        "2026-04-03, 93 days): scanned on every day from 2026-01-01 to 2026-04-03 (93 days); with no derogation in "
        "force (2026-04-04 to 2026-07-30, 118 days): scanned on 2 days between 2026-04-04 and 2026-04-05 although "
        "no derogation was in force; under Regulation (EU) 2026/1881 (2026-07-31 to 2026-12-31, 154 days): scanned "
        "on 50 days between 2026-07-31 and 2026-09-20 (46 days in scope), 6 of them on days it was end-to-end "
        "encrypted; end-to-end encrypted from 2026-09-15, so excluded from scanning from 2026-09-15 to 2026-12-31 "
        "(108 days).",
        "Example Mail: under Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 (2026-01-01 to "
        "2026-04-03, 93 days): not scanned; with no derogation in force (2026-04-04 to 2026-07-30, 118 days): not "
        "scanned; under Regulation (EU) 2026/1881 (2026-07-31 to 2026-12-31, 154 days): scanned on every day from "
        "2026-07-31 to 2026-12-31 (154 days); not end-to-end encrypted.",
    )
    # without the data's days (no source database) only the days in scope are stated, never days scanned
    (chat,) = scope_statements(policies, ("Example Chat",), date(2026, 7, 31), date(2026, 12, 31))
    assert chat == (
        "Example Chat: under Regulation (EU) 2026/1881 (2026-07-31 to 2026-12-31, 154 days): in scope for scanning "
        "from 2026-07-31 to 2026-09-14 (46 days; days scanned not counted); end-to-end encrypted from 2026-09-15, so "
        "excluded from scanning from 2026-09-15 to 2026-12-31 (108 days)."
    )
    # a period under one regime that excludes nothing has no such statement
    assert scope_statements(policies, ("Example Chat",), date(2025, 1, 1), date(2025, 12, 31), ()) == ()


def test_scanning_days_at_the_segment_and_encryption_boundaries(any_source: Source) -> None:
    """Hand-built on each backend: Example Chat (encrypted from 2026-10-01) scanned on the last day of 2021/1232,
    the first and last gap days, the first day of 2026/1881, its last day before encryption and two days after
    (one of them in two rows); a row without items is no scanning; Mail scanned on 2026-12-31 only."""
    s = any_source
    chat = "Example Chat"
    days = [date(2026, 4, 3), date(2026, 4, 4), date(2026, 7, 30), date(2026, 7, 31), date(2026, 9, 30)]
    s.volumes(
        *(s.volume(d, service=chat) for d in days),
        s.volume(date(2026, 10, 1), service=chat),
        s.volume(date(2026, 10, 1), service=chat, data_type="video"),
        s.volume(date(2026, 12, 31), service=chat),
        s.volume(date(2026, 8, 15), service=chat, items=0),
        s.volume(date(2025, 12, 31), service=chat),
        s.volume(date(2026, 12, 31)),
    )
    from csa_report.db import read_only_source

    with read_only_source(s.url) as conn:
        got = scanning_days(conn, Period.parse("2026"), {chat: date(2026, 10, 1)})
    assert got == (
        ScanDays(chat, date(2026, 1, 1), 1, date(2026, 4, 3), date(2026, 4, 3)),
        ScanDays(chat, date(2026, 4, 4), 2, date(2026, 4, 4), date(2026, 7, 30)),
        ScanDays(chat, date(2026, 7, 31), 4, date(2026, 7, 31), date(2026, 12, 31), encrypted=2),
        ScanDays("Example Mail", date(2026, 7, 31), 1, date(2026, 12, 31), date(2026, 12, 31)),
    )


def test_safeguards_agree_with_the_legal_hold_exception(context: ReportContext) -> None:
    # retention.md keeps data under a legal hold until the hold is lifted: the de-identification statement
    # must not say every confirmed item becomes a hash after 12 months
    field = next(f for s in context.sections for g in s.groups for f in g.fields if f.id == "8.safeguards.deid")
    assert field.cells[0].text == (
        "Confirmed material is kept only as a non-reconvertible hash once the 12-month period ends (material under a "
        "legal hold once the hold is lifted); reviewers see content with account identifiers replaced by "
        "pseudonyms; statistics are computed on aggregates only."
    )


def test_a_ground_the_recipient_cannot_use_is_not_called_invalid_in_itself() -> None:
    # the example's Example Child Safety Foundation is not DPF-certified: the provider's own certification is
    # no ground for sending it data, although the DPF decision itself is in force
    from csa_report.render.sections.grounds import ground_validity

    period = Period.parse("2026")
    recipient = load_policies(example_policies_dir(), period).transfers.recipient("Example Child Safety Foundation")
    assert recipient is not None and recipient.dpf_certified is False
    (ground,) = recipient.grounds
    assert ground_validity(period, recipient, ground) == (
        "not a valid ground for transfers to this recipient on any day of this period"
    )
