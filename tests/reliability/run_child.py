"""Child process of the whole-run reliability tests: the CLI's own ``main`` (what the ``csa-report`` script runs)
with one fault placed at a step boundary of the ``annual_report`` flow.

Usage: ``python -m tests.reliability.run_child FAULT CLI-ARGS...``, FAULT one of

- ``none``: the command as a user runs it;
- ``kill-before:TASK`` / ``kill-after:TASK``: SIGKILL of the whole process group (this process and the ephemeral
  Prefect API it started) when the task named TASK is called / has returned its (persisted) result;
- ``kill-paused``: the same, once the flow run is paused waiting for sign-off;
- ``approve-paused:REVIEWER``: once the run is paused, answer the sign-off form as REVIEWER (a human sign-off,
  without a human);
- ``bug-in:TASK``: the function of task TASK raises ``KeyError`` (a bug inside a task, under Prefect's engine).

A SIGKILL runs none of our ``except``/``finally`` blocks: what is left behind is what a killed run leaves.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _die() -> None:
    os.killpg(os.getpgid(0), signal.SIGKILL)


def _out_dir(argv: list[str]) -> Path:
    return Path(argv[argv.index("--out") + 1])


def _when_paused(flow_run_id: Any, action: Any) -> None:
    """In a thread: wait until the flow run is paused for sign-off, then act (the ephemeral API is already up)."""
    from prefect import get_client

    def watch() -> None:
        with get_client(sync_client=True) as client:
            while True:
                state = client.read_flow_run(flow_run_id).state
                if state is not None and state.is_paused():
                    action(flow_run_id)
                    return
                time.sleep(0.5)

    threading.Thread(target=watch, name="signoff-watch", daemon=True).start()


def _install(fault: str, argv: list[str]) -> None:
    from prefect import Task

    kind, _, arg = fault.partition(":")
    if kind == "bug-in":
        from csa_report.flows import annual_report as module

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise KeyError("injected")

        task: Any = getattr(module, {"stage": "stage_report"}.get(arg, arg))
        task.fn = broken
        return
    original_call = Task.__call__

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if fault == f"kill-before:{self.name}":
            _die()
        result = original_call(self, *args, **kwargs)
        if fault == f"kill-after:{self.name}":
            _die()
        return result

    Task.__call__ = call  # type: ignore[method-assign]
    if kind not in ("kill-paused", "approve-paused"):
        return
    from prefect.flow_runs import resume_flow_run
    from prefect.runtime import flow_run

    from csa_report.tasks import signoff

    original_pause = signoff.pause_flow_run  # type: ignore[attr-defined]

    def answer(flow_run_id: Any) -> None:
        if kind == "kill-paused":
            _die()
        sha = hashlib.sha256((_out_dir(argv) / "manifest.json").read_bytes()).hexdigest()
        resume_flow_run(
            flow_run_id,
            run_input={"decision": "approve", "reviewer": arg, "manifest_sha256": sha, "comment": "checked"},
        )

    def pause(*args: Any, **kwargs: Any) -> Any:
        _when_paused(flow_run.get_id(), answer)
        return original_pause(*args, **kwargs)

    signoff.pause_flow_run = pause  # type: ignore[attr-defined]


def main() -> None:
    fault, argv = sys.argv[1], sys.argv[2:]
    from csa_report.cli import main as cli_main
    from csa_report.local.private_api import prepare_for

    prepare_for(argv, os.environ)  # as the CLI does, but before _install imports Prefect
    if fault != "none":
        _install(fault, argv)
    sys.exit(cli_main(argv))


if __name__ == "__main__":
    main()
