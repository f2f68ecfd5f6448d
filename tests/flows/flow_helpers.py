"""Names and helpers shared by the flow tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from csa_report.local.seaweed import S3Endpoint
from tests.support.example_policies import unsigned_example

#: The typed sign-off: the example policies without their signing keys.
EXAMPLE_POLICIES = unsigned_example()
AUTHORITY = "supervisory-authority@example.org"
COMMISSION = "commission-csa@example.org"


def flow_env(tmp_path: Path, s3: S3Endpoint, smtp_port: int, **extra: str) -> dict[str, str]:
    """The CSA_* settings of one flow test: the S3 store and SMTP server given, an audit DB and an output folder
    in ``tmp_path``, and prefixes of its own, so reports of different tests never meet in shared buckets."""
    values = {f"CSA_{k.upper()}": str(v) for k, v in s3.settings_overrides().items()}
    values.update(
        {
            "CSA_AUDIT_DB": f"sqlite:///{tmp_path / 'audit.db'}",
            "CSA_POLICIES": str(EXAMPLE_POLICIES),
            "CSA_OUTPUT_DIR": str(tmp_path / "work"),
            "CSA_SMTP_HOST": "127.0.0.1",
            "CSA_SMTP_FROM": "transparency@example-communications.ie",
            "CSA_SMTP_PORT": str(smtp_port),
            "CSA_SMTP_TLS": "none",
            "CSA_OBJECT_LOCK_DAYS": "1",
            "CSA_STAGING_PREFIX": f"pending-{tmp_path.name}",
            "CSA_ARCHIVE_PREFIX": f"submitted-{tmp_path.name}",
            "CSA_PUBLICATION_PREFIX": f"public-{tmp_path.name}",
            **extra,
        }
    )
    return values


def wait_paused(
    flow_name: str, *, since: float, not_key: str | None = None, timeout: float = 120.0
) -> tuple[uuid.UUID, str]:
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
                    raise AssertionError(
                        f"{flow_name} ended {state.name} instead of pausing for sign-off: {state.message}"
                    )
            time.sleep(0.5)
    raise AssertionError(f"{flow_name} did not pause for sign-off within {timeout:.0f} s (last seen: {seen})")


class FlowInBackground:
    """A flow called on a thread of its own, so the test can answer its sign-off while it waits."""

    def __init__(self, name: str, call: Callable[[], Any]) -> None:
        self.name = name
        self.outcome: dict[str, Any] = {}
        self.started = time.time()
        self.thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self.thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.outcome["result"] = call()
        except Exception as exc:  # surfaced by result() and wait_paused()
            self.outcome["error"] = exc

    def wait_paused(self, not_key: str | None = None, timeout: float = 120.0) -> tuple[uuid.UUID, str]:
        """The run paused for (another) sign-off: see wait_paused; the flow's own error is named if it has one."""
        try:
            return wait_paused(self.name, since=self.started, not_key=not_key, timeout=timeout)
        except AssertionError as exc:
            self.thread.join(5)
            raise AssertionError(f"{exc}; the flow call raised: {self.outcome.get('error')!r}") from None

    def result(self, timeout: float = 180.0) -> Any:
        """The flow's return value; AssertionError if it raised or is still running after ``timeout``."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"{self.name} did not finish within {timeout:.0f} s"
        assert "error" not in self.outcome, self.outcome.get("error")
        return self.outcome["result"]


def seeded_annual_report(tmp_path: Path, seed_value: int) -> tuple[str, FlowInBackground]:
    """A 2025 source seeded with ``seed_value`` (scale 200) in ``tmp_path``, and the flow started on it in the
    background (as of 2026-01-15): the source URL and the running flow."""
    from csa_report.flows.annual_report import annual_report
    from csa_report.period import Period
    from csa_report.seed import seed

    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=seed_value)
    flow = FlowInBackground(
        "annual_report", lambda: annual_report(period="2025", as_of="2026-01-15T00:00:00Z", source_db=url)
    )
    return url, flow
