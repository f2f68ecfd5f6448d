"""Shared fixtures of the render tests: one rendering of the fixed dataset per session (the PDF takes seconds)."""

from __future__ import annotations

import pytest

from csa_report.render import RenderResult, ReportContext, render_report
from tests.render.render_fixture import make_context


@pytest.fixture(scope="session")
def fixture_context() -> ReportContext:
    return make_context()


@pytest.fixture(scope="session")
def rendered(fixture_context: ReportContext, tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return render_report(fixture_context, tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="session")
def rendered_again(fixture_context: ReportContext, tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return render_report(make_context(), tmp_path_factory.mktemp("report-again"))
