"""REST helpers for the real-server tests (plain httpx: independent of the prefect settings of this process)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.ui.signoff_flow import APPROVERS, PREPARER

__all__ = [
    "APPROVERS",
    "PREPARER",
    "demo_sha",
    "lines",
    "open_ui",
    "read_run",
    "state_names",
    "submit_resume_dialog",
    "task_states",
    "wait_run",
]

Run = dict[str, Any]


def demo_sha(period: str = "2025") -> str:
    """The fake manifest hash tests/ui/signoff_flow.py computes."""
    return hashlib.sha256(f"manifest of {period}".encode()).hexdigest()


def read_run(api: httpx.Client, run_id: str) -> Run:
    r = api.get(f"/flow_runs/{run_id}")
    r.raise_for_status()
    return dict(r.json())


def wait_run(api: httpx.Client, run_id: str, until: Callable[[Run], bool], timeout: float = 60, what: str = "") -> Run:
    """Poll the run until ``until(run)``. AssertionError, naming ``what``, when the deadline passes, or at once
    when the run reached a final state that is not the awaited one (a Failed run never becomes Paused)."""
    deadline = time.monotonic() + timeout
    while True:
        run = read_run(api, run_id)
        if until(run):
            return run
        state = run["state"] or {}
        if final(run):
            raise AssertionError(
                f"run {run_id} ended {state.get('type')} {state.get('name')} while waiting to be "
                f"{what or 'as expected'}: {state.get('message')}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(
                f"run {run_id} not {what or 'as expected'} within {timeout} s: "
                f"{state.get('type')} {state.get('name')} {state.get('message')}"
            )
        time.sleep(0.5)


def waiting_for(key: str) -> Callable[[Run], bool]:
    """The run is paused/suspended on sign-off request ``key`` (e.g. signoff-2)."""

    def check(run: Run) -> bool:
        state = run["state"] or {}
        keyset = (state.get("state_details") or {}).get("run_input_keyset") or {}
        return state.get("type") == "PAUSED" and keyset.get("response", "").endswith(f"-{key}-response")

    return check


def final(run: Run) -> bool:
    return (run["state"] or {}).get("type") in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def state_names(api: httpx.Client, run_id: str) -> list[str]:
    r = api.get("/flow_run_states/", params={"flow_run_id": run_id})
    r.raise_for_status()
    return [s["name"] for s in sorted(r.json(), key=lambda s: s["timestamp"])]


def task_states(api: httpx.Client, run_id: str, settle_s: float = 15) -> dict[str, list[str]]:
    """Task name → state names of its task runs in this flow run, oldest first. Task-run states reach the
    server as events, a moment after the flow run's own state: wait until none is Pending/Running, and raise
    AssertionError naming the busy ones if some still are after ``settle_s``."""
    deadline = time.monotonic() + settle_s
    while True:
        out = _task_states(api, run_id)
        busy = {
            name: states
            for name, states in out.items()
            if any(s in {"Pending", "Running", "(no state yet)"} for s in states)
        }
        if not busy:
            return out
        if time.monotonic() > deadline:
            raise AssertionError(f"task runs of flow run {run_id} still not settled after {settle_s} s: {busy}")
        time.sleep(0.3)


def _task_states(api: httpx.Client, run_id: str) -> dict[str, list[str]]:
    r = api.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [run_id]}}, "sort": "EXPECTED_START_TIME_ASC"})
    r.raise_for_status()
    out: dict[str, list[str]] = {}
    for tr in r.json():
        # A task run created from an event may reach the server before its first state does.
        state = tr["state"]["name"] if tr.get("state") else "(no state yet)"
        out.setdefault(tr["name"].rsplit("-", 1)[0], []).append(state)
    return out


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def submit_resume_dialog(dialog: Any) -> None:
    """Press the dialog's Resume button and wait until the dialog closes. On a loaded machine the first click
    can land before the form has wired its handler; press once more then. A second answer cannot do harm:
    the server refuses input for a run that is no longer paused."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    button = dialog.get_by_role("button", name="Resume")
    button.click()
    try:
        dialog.wait_for(state="hidden", timeout=20_000)
        return
    except PlaywrightTimeout:
        pass
    if dialog.is_visible():
        button.click()
    try:
        dialog.wait_for(state="hidden", timeout=40_000)
    except PlaywrightTimeout:
        raise AssertionError(f"the resume dialog stayed open: {dialog.inner_text()[-500:]!r}") from None


def open_ui(page: Any, url: str, auth: str | None, path: str) -> None:
    """Open ``path`` (e.g. ``/runs/flow-run/<id>``) of the V2 UI at ``url``. When the API requires an auth string,
    the UI first shows its login page (one password field): type the string there as an operator would; the UI
    then goes on to the page asked for."""
    target = f"{url}/v2{path}"
    page.goto(target)
    if auth is None:
        return
    field = page.get_by_placeholder("admin:pass")
    field.wait_for(timeout=30_000)
    assert "/login" in page.url, page.url
    field.fill(auth)
    page.get_by_role("button", name="Login").click()
    page.wait_for_url(lambda u: "/login" not in u and u.split("?")[0].endswith(path), timeout=30_000)


def read_input(api: httpx.Client, run_id: str, key: str, timeout: float = 30) -> Any:
    """A run input by key. The server may show the run suspended a moment before the form's description is
    stored, so a 404 is waited out; AssertionError naming the key when the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(f"/flow_runs/{run_id}/input/{key}")
        if response.status_code != 404:
            return response.json()
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id}: input {key!r} was never stored ({timeout:.0f} s)")
        time.sleep(0.5)
