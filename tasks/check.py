"""The ``check`` step of the flow: load nothing, decide nothing itself; a thin Prefect task around
:func:`csa_report.pipeline.run_checks`, which extracts the indicators (unless given) and runs every rule of
policies.md §3.

The flow stops before staging (:func:`stop_if_blocked`) when :func:`blocking` returns anything, or when a rule
could not run (:func:`csa_report.checks.raise_for_errors`). The task publishes a markdown artifact (key
``findings``) listing the blocking findings, so the operator sees them in the Prefect UI.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect import task

from csa_report.checks import CheckResult, Finding, Waiver, blocking, raise_for_errors
from csa_report.checks.registry import PreviousFigures
from csa_report.errors import BlockingFindings
from csa_report.indicators import Indicators
from csa_report.period import Period, format_instant
from csa_report.pipeline import run_checks
from csa_report.policies.models import PolicySet
from csa_report.tasks.audit import record_findings, record_run
from csa_report.tasks.retry import step

__all__ = ["blocking", "check", "findings_markdown", "run_checks", "stop_if_blocked"]


def findings_markdown(result: CheckResult) -> str:
    """The artifact's text: blocking findings first, then the rest, then rules that could not run, then rules
    that do not apply."""
    lines = [f"# Compliance checks, {result.period}", "", f"As of {format_instant(result.as_of)}.", ""]
    stop = blocking(result)
    if stop:
        lines += [f"**{len(stop)} blocking finding(s): the report cannot go to sign-off.**", ""]
    else:
        lines += ["No blocking finding.", ""]
    if result.findings:
        lines += ["| severity | rule | count | finding | reference |", "|---|---|---:|---|---|"]
        lines += [_row(f) for f in result.findings]
        lines.append("")
    if result.errors:
        lines += ["## Rules that could not run", ""]
        lines += [f"- **{e.rule}** ({e.kind} error): {_cell(e.message)}" for e in result.errors]
    if result.not_applicable:
        lines += ["", "## Rules that do not apply", ""] if result.errors else ["## Rules that do not apply", ""]
        lines += [f"- **{n.rule}**: {_cell(n.text)}" for n in result.not_applicable]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(f: Finding) -> str:
    severity = f.severity + (f" (waived by {f.waived_by})" if f.waived else "")
    return f"| {severity} | {f.rule} | {f.count} | {_cell(f.message)} | {_cell(f.reference)} |"


@task(name="check", persist_result=True)
def check(
    db_url: str,
    period: str,
    as_of: datetime,
    policies: PolicySet,
    waivers: Sequence[Waiver] = (),
    indicators: Indicators | None = None,
    previous: PreviousFigures | None = None,
) -> CheckResult:
    """Prefect task: run the checks and publish the findings as a markdown artifact (key
    ``{provider}-{period}-findings``). ``previous``: the previous period's filed figures (PLAUS-2)."""
    result = run_checks(
        db_url, Period.parse(period), as_of, policies, waivers, indicators=indicators, previous=previous
    )
    from csa_report.tasks.artifacts import artifact_key, publish_artifact  # stable key per report, updated in place

    publish_artifact(
        artifact_key(policies.provider.provider, period, "findings"),
        "markdown",
        findings_markdown(result),
        f"Compliance findings for {period}",
    )
    return result


def stop_if_blocked(result: CheckResult, provider: str, period: Period, as_of: datetime) -> None:
    """Stop the run before anything is staged: a rule that could not run (exit 4), or blocking findings (exit 1),
    recorded in the audit trail as a ``blocked`` run with its findings."""
    raise_for_errors(result)
    stop = blocking(result)
    if not stop:
        return
    run_id = step(record_run)(provider, str(period), as_of, "blocked")
    step(record_findings)(run_id, result)
    from csa_report.tasks.artifacts import artifact_key

    rules = ", ".join(sorted({f.rule for f in stop}))
    raise BlockingFindings(
        f"{len(stop)} blocking finding(s) ({rules}): the report cannot go to sign-off; "
        f"see the '{artifact_key(provider, period, 'findings')}' artifact"
    )
