"""Which failures a task retries: only those that may pass on their own (a database, store, mail server or API
that is unreachable for now). Bad input, conflicts and tampering are final and fail the step at once.

How long to wait has one source, the setting ``task_retry_delays_s`` (``CSA_TASK_RETRY_DELAYS_S``): its default
is every task's schedule at import time, and the flow re-applies the run's value to its steps."""

from __future__ import annotations

from typing import Any, ParamSpec, TypeVar

from prefect import Task

from csa_report.errors import UnreachableError
from csa_report.services import current
from csa_report.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")

#: The schedule a task gets when nothing else is said: the setting's default (one source for the numbers).
DEFAULT_DELAYS_S: tuple[int, ...] = Settings.model_fields["task_retry_delays_s"].default


def transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry when the task failed with an UnreachableError."""
    try:
        state.result()
    except UnreachableError:
        return True
    except Exception:  # anything else (conflict, tampering, bad input, a bug) is final
        return False
    return False


def retry_options(delays_s: tuple[int, ...] = DEFAULT_DELAYS_S) -> dict[str, Any]:
    """``Task.with_options`` arguments: one retry per delay, transient failures only."""
    return {"retries": len(delays_s), "retry_delay_seconds": list(delays_s), "retry_condition_fn": transient_only}


def step(task: Task[P, R]) -> Task[P, R]:
    """``task`` with the current run's schedule (its ``task_retry_delays_s``, bound with its Services)."""
    return task.with_options(**retry_options(current().settings.retries.task_retry_delays_s))
