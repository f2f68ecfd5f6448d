"""Shared fixtures of the render tests: one rendering of the fixed dataset per session (the PDF takes seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_fixture import make_context

from csa_report.render import RenderResult, ReportContext, render_report


@pytest.fixture(scope="session")
def fixture_context() -> ReportContext:
    return make_context()


@pytest.fixture(scope="session")
def rendered(fixture_context: ReportContext, tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return render_report(fixture_context, tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="session")
def rendered_again(fixture_context: ReportContext, tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return render_report(make_context(), tmp_path_factory.mktemp("report-again"))


def read(result: RenderResult, name: str) -> str:
    return Path(result.paths[name]).read_text(encoding="utf-8")
