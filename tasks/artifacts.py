"""What the operator and the reviewer see in the Prefect UI: the key figures (with the change against the
previous submitted report when csa_report.storage.previous finds one), the staged files, and the delivery receipts.

Each artifact has a stable key per report (``{provider}-{period}-{name}``, e.g.
``example-communications-ireland-ltd-2025-key-figures``) and is updated in place within a flow run: a resumed
or retried run, which executes the flow body again, leaves one artifact per key, not one per execution. A new
run of the same report adds a new version under the same key, so the Artifacts page keeps the history.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from csa_report.audit import SignoffRecord
from csa_report.errors import CsaReportError
from csa_report.filing.submit import SubmissionResult
from csa_report.indicators import ALL, Indicators
from csa_report.period import Period, format_instant
from csa_report.services import current
from csa_report.storage import slugify
from csa_report.storage.previous import Key, previous_period, previous_values
from csa_report.summary import KEY_FIGURES, change, key_figure, key_row
from csa_report.tasks.stage import StagedReport

log = logging.getLogger(__name__)


def artifact_key(provider: str, period: Period | str, name: str) -> str:
    """``example-communications-ireland-ltd-2025-key-figures`` (Prefect keys: lower-case letters, digits, dashes)."""
    from csa_report.tasks.orientation import period_label

    p = period if isinstance(period, Period) else Period.parse(period)
    return f"{slugify(provider)}-{period_label(p).replace('_', '-')}-{name}"


def publish_artifact(key: str, kind: str, data: str | list[dict[str, str]], description: str) -> None:
    """Create the artifact ``key`` of this flow run, or update it in place when an earlier execution of the same
    run created it (``kind``: markdown or table)."""
    run_id = flow_run.get_id()
    existing = None
    if run_id:
        try:
            from prefect import get_client
            from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

            with get_client(sync_client=True) as client:
                found = client.read_artifacts(
                    artifact_filter=ArtifactFilter(
                        key=ArtifactFilterKey(any_=[key]), flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])
                    )
                )
                existing = found[0] if found else None
                if existing is not None:
                    from prefect.client.schemas.actions import ArtifactUpdate

                    payload = data if isinstance(data, str) else json.dumps(data)
                    client.update_artifact(existing.id, ArtifactUpdate(data=payload, description=description))
                    return
        except Exception as exc:  # fall back to a new version rather than losing the artifact
            log.warning("artifact %s could not be updated in place: %s", key, exc)
    if kind == "table":
        assert not isinstance(data, str)
        create_table_artifact(key=key, table=data, description=description)
    else:
        assert isinstance(data, str)
        create_markdown_artifact(key=key, markdown=data, description=description)


def key_figures_markdown(ind: Indicators, previous: tuple[str, dict[Key, str]] | None, report_id: str) -> str:
    """The key figures on one page: every service, all services, and (when known) the previous submitted
    report's value and the change; otherwise a sentence saying there is none."""
    services = [*ind.services, ALL]
    head = ["Key figure", *services]
    if previous is not None:
        head += ["previous report", "change"]
    lines = [f"# Key figures of report {report_id} ({ind.period})", ""]
    if previous is not None:
        lines += [
            f"Compared with the previous submitted report {previous[0]} (period "
            f"{previous_period(ind.period)}), all services.",
            "",
        ]
    else:
        lines += [f"No previous submitted report was found for {previous_period(ind.period)}: no comparison.", ""]
    lines += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for label, indicator, selectors in KEY_FIGURES:
        cells = [key_figure(ind, indicator, s, selectors) for s in services]
        if previous is not None:
            r = key_row(ind, indicator, ALL, selectors)
            before = previous[1].get((ALL, r.indicator, r.category, r.technology, r.region), "–")
            cells += [before, change(cells[-1], before, percent=r.unit == "percent") or "–"]
        lines.append("| " + " | ".join([label, *cells]).replace("\n", " ") + " |")
    return "\n".join(lines) + "\n"


@task(name="review-artifacts")
def review_artifacts(staged: StagedReport, indicators: Indicators, links: dict[str, str]) -> None:
    """Key figures (table) and the staged files with time-limited links (markdown), for operator and reviewer."""
    try:
        services = current()
        previous = previous_values(services.audit, services.store, staged.provider, indicators.period)
    except CsaReportError as exc:  # context for the reviewer, never a reason to fail the run
        log.warning("previous report not available for comparison: %s", exc)
        previous = None
    desc = f"Key figures of report {staged.report_id} ({staged.period})"
    desc += (
        f", with the previous submitted report {previous[0]}"
        if previous is not None
        else ", no previous submitted report to compare with"
    )
    publish_artifact(
        artifact_key(staged.provider, staged.period, "key-figures"),
        "markdown",
        key_figures_markdown(indicators, previous, staged.report_id),
        desc,
    )
    lines = [
        f"# Report {staged.report_id} staged for sign-off",
        "",
        f"Manifest SHA-256: `{staged.manifest_sha256}`",
        "",
        "| file | SHA-256 | version | link |",
        "|---|---|---|---|",
    ]
    for obj in staged.objects:
        link = f"[open]({links[obj.name]})" if obj.name in links else "–"
        lines.append(f"| {obj.name} | `{obj.sha256_hex[:16]}…` | `{obj.version_id or '–'}` | {link} |")
    settings = current().settings.s3
    lines += [
        "",
        f"Links valid for {settings.review_link_seconds // 3600} h from the time this run was last "
        "started; the sign-off form always carries fresh ones.",
    ]
    publish_artifact(
        artifact_key(staged.provider, staged.period, "staged-report"),
        "markdown",
        "\n".join(lines) + "\n",
        "Staged artefacts (links are time-limited)",
    )


@task(name="delivery-receipts")
def delivery_receipts(
    staged: StagedReport, submission: SubmissionResult, recipients: Sequence[tuple[str, str]]
) -> None:
    by_address = {d.recipient: d for d in current().audit.deliveries(staged.report_id)}
    table = []
    for role, address in recipients:
        d = by_address.get(address)
        table.append(
            {
                "recipient": address,
                "role": role,
                "status": d.status if d else "–",
                "channel": d.channel if d else "–",
                "message_id": (d.message_id or "–") if d else "–",
                "attempts": str(d.attempts) if d else "0",
            }
        )
    publish_artifact(
        artifact_key(staged.provider, staged.period, "delivery-receipts"),
        "table",
        table,
        f"Deliveries of report {staged.report_id}; archived {len(submission.archived)} objects under Object Lock",
    )
    if submission.publication is not None:
        publish_artifact(
            artifact_key(staged.provider, staged.period, "publication"),
            "markdown",
            f"Published: <{submission.publication.url}>\n",
            f"Public copy of report {staged.report_id}",
        )


def signoff_markdown(staged: StagedReport, record: SignoffRecord) -> str:
    """Decision, reviewer, time, comment and, when the sign-off record carries one, its signature."""
    verb = {"approve": "Approved", "reject": "Rejected"}.get(record.decision, record.decision)
    how = "given up front on the command line" if record.automatic else "answered in the sign-off form"
    signature = getattr(record, "signature", None)
    lines = [
        f"# {verb}: report {staged.report_id} ({staged.period})",
        "",
        "| | |",
        "|---|---|",
        f"| Decision | {record.decision} |",
        f"| Reviewer | {_md(record.reviewer)} |",
        f"| Time (UTC) | {format_instant(record.decided_at)} |",
        f"| Comment | {_md(record.comment or '–')} |",
        f"| Manifest SHA-256 | `{record.manifest_sha256}` |",
        f"| How | {how} |",
        f"| Signature | {'`' + _md(str(signature)) + '`' if signature else 'none (unsigned sign-off)'} |",
        "",
    ]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


@task(name="signoff-artifact")
def signoff_artifact(staged: StagedReport, record: SignoffRecord) -> None:
    publish_artifact(
        artifact_key(staged.provider, staged.period, "signoff"),
        "markdown",
        signoff_markdown(staged, record),
        f"Sign-off of report {staged.report_id}: {record.decision} by {record.reviewer}",
    )


def failure_artifact(provider: str, period: str, step: str, reason: str) -> str:
    """The retry advice (csa_report.local.retry_hint) as this run's markdown artifact ``…-what-to-do``;
    returns the one-line message for the run's final state (``Failed(message=…)``)."""
    from csa_report.local.retry_hint import retry_markdown, retry_message
    from csa_report.tasks.links import run_url

    run_id = flow_run.get_id()
    publish_artifact(
        artifact_key(provider, period, "what-to-do"),
        "markdown",
        retry_markdown(run_id, step, reason, run_url(run_id) if run_id else None),
        f"Step {step} failed: how to retry this run",
    )
    return retry_message(run_id, step, reason)
