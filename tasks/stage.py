"""Prefect task ``stage``: upload the rendered artefacts create-only under
``{prefix}/{provider-slug}/{period}/{report-id}/`` (workflow.md step 4). Re-staging the same bytes is a no-op,
so the task is safe to retry; different bytes under the same report id raise StorageConflict (exit 5)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from prefect import task

from csa_report.artefacts import MANIFEST
from csa_report.period import Period
from csa_report.render import RenderResult
from csa_report.services import current
from csa_report.storage import ReportRef, StoredObject, rendered_artefacts, review_links, stage
from csa_report.tasks.retry import retry_options

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StagedReport:
    """What sign-off and submission need: which report, which exact versions, and the manifest's hash."""

    provider: str
    period: str
    report_id: str
    manifest_sha256: str
    objects: tuple[StoredObject, ...]

    @property
    def ref(self) -> ReportRef:
        return ReportRef(self.provider, Period.parse(self.period), self.report_id)


def stage_artefacts(rendered: RenderResult, provider: str, period: str) -> StagedReport:
    services = current()
    settings, store = services.settings.s3, services.store
    ref = ReportRef(provider, Period.parse(period), rendered.report_id)
    # Checked against this run's manifest before the first write: a crossed run's file never reaches staging.
    artefacts = rendered_artefacts(rendered.paths, rendered.report_id)
    objects = stage(store, artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=ref)
    return StagedReport(
        provider, str(Period.parse(period)), rendered.report_id, rendered.sha256[MANIFEST], tuple(objects)
    )


@task(name="stage", persist_result=True, **retry_options())
def stage_report(rendered: RenderResult, provider: str, period: str) -> StagedReport:
    return stage_artefacts(rendered, provider, period)


def links_for(staged: StagedReport, seconds: int | None = None) -> dict[str, str]:
    """Fresh time-limited review links (computed locally by signing; never persisted, never logged), valid for
    ``seconds`` (the sign-off passes its capped lifetime) or ``CSA_REVIEW_LINK_SECONDS``."""
    services = current()
    return review_links(services.store, staged.objects, seconds or services.settings.s3.review_link_seconds)
