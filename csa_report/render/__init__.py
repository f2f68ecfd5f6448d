"""Rendering: the report context, the sandboxed templates, the SVG figure, the PDF and the manifest."""

from __future__ import annotations

from csa_report.render.context import build_context
from csa_report.render.model import ReportContext
from csa_report.render.report import RenderResult, render_report, report_id

__all__ = ["RenderResult", "ReportContext", "build_context", "render_report", "report_id"]
