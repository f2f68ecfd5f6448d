"""Prefect task ``render``: a thin wrapper around csa_report.pipeline.render_artefacts (workflow.md step 3)."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from csa_report.pipeline import render_artefacts
from csa_report.render import RenderResult, ReportContext


@task(name="render", persist_result=True)
def render(context: ReportContext, out_dir: Path, template_dir: Path | None = None) -> RenderResult:
    """Render the six artefacts of ``context`` into ``out_dir``; returns their paths, SHA-256 and the report id.
    Equal contexts give byte-identical files, so a retried or cached run yields the same report id."""
    return render_artefacts(context, out_dir, template_dir)
