"""Names and helpers shared by the flow tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

EXAMPLE_POLICIES = Path(__file__).resolve().parents[2] / "policies" / "example"
AUTHORITY = "supervisory-authority@example.org"
COMMISSION = "commission-csa@example.org"


def wait_paused(flow_name: str, *, since: float, not_key: str | None = None,
                timeout: float = 120.0) -> tuple[uuid.UUID, str]:
    """The paused run of ``flow_name`` whose current pause key differs from ``not_key``, among the runs that
    started after ``since`` (``time.time()`` before the test started its run: the session's server also holds
    other tests' runs). Raises AssertionError at once if that run reached a final state instead of pausing, and
    when ``timeout`` passes."""
    from datetime import UTC, datetime

    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterStartTime
    from prefect.client.schemas.objects import StateType

    after = datetime.fromtimestamp(since, UTC)
    deadline = time.monotonic() + timeout
    seen = "no run"
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=after)),
            )
            for run in runs:
                state = run.state
                if state is None:
                    continue
                seen = f"run {run.name} in state {state.name}"
                if state.type == StateType.PAUSED:
                    keyset = state.state_details.run_input_keyset
                    if keyset and keyset["response"] != not_key:
                        return run.id, keyset["response"]
                elif state.is_final():
                    raise AssertionError(f"{flow_name} ended {state.name} instead of pausing for sign-off: "
                                         f"{state.message}")
            time.sleep(0.5)
    raise AssertionError(f"{flow_name} did not pause for sign-off within {timeout:.0f} s (last seen: {seen})")
