"""Prefect task ``render``: a thin wrapper around csa_report.render.render_report (workflow.md step 3)."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from csa_report.render import RenderResult, ReportContext, render_report


@task(name="render", persist_result=True)
def render(context: ReportContext, out_dir: Path, template_dir: Path | None = None) -> RenderResult:
    """Render the six artefacts of ``context`` into ``out_dir``; returns their paths, SHA-256 and the report id.
    Equal contexts give byte-identical files, so a retried or cached run yields the same report id."""
    return render_report(context, Path(out_dir), Path(template_dir) if template_dir is not None else None)
