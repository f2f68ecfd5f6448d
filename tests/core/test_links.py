"""Links into the Prefect UI (tasks/links.py) open the current (V2) UI's run page, whichever base is configured:
the API's root, PREFECT_UI_URL, or a PREFECT_UI_URL ending in /v2 (docs/operators.md sets that one so that
Prefect's own printed links open V2 as well)."""

from __future__ import annotations

import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

from csa_report.tasks.links import run_url, ui_base

RUN = "9c8ba40a-4b8a-44c0-b121-4a6c6360ec96"


@pytest.mark.parametrize(
    "base",
    ["http://127.0.0.1:4200", "http://127.0.0.1:4200/", "http://127.0.0.1:4200/v2", "http://127.0.0.1:4200/v2/"],
)
def test_every_base_gives_the_v2_run_page(base: str) -> None:
    assert run_url(RUN, base) == f"http://127.0.0.1:4200/v2/runs/flow-run/{RUN}"


def test_prefect_ui_url_pointing_at_v2_is_not_doubled() -> None:
    with temporary_settings({PREFECT_UI_URL: "https://prefect.example.ie/v2", PREFECT_API_URL: None}):
        assert ui_base() == "https://prefect.example.ie"
        assert run_url(RUN) == f"https://prefect.example.ie/v2/runs/flow-run/{RUN}"


def test_without_a_ui_url_the_api_root_is_used() -> None:
    with temporary_settings({PREFECT_UI_URL: None, PREFECT_API_URL: "http://10.0.0.5:4300/api"}):
        assert run_url(RUN) == f"http://10.0.0.5:4300/v2/runs/flow-run/{RUN}"
