"""The Prefect task is a thin wrapper: same bytes and report id as render_report."""

from __future__ import annotations

from pathlib import Path

from csa_report.render import RenderResult, ReportContext
from csa_report.tasks.render import render


def test_task_wraps_render_report(fixture_context: ReportContext, rendered: RenderResult, tmp_path: Path) -> None:
    result = render.fn(fixture_context, tmp_path)
    assert result.report_id == rendered.report_id
    assert result.sha256 == rendered.sha256
    assert result.to_dict()["report_id"] == rendered.report_id
    assert render.persist_result is True
