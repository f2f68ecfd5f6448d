"""What a failed run tells its operator: retry *this* run (not a new one, which would start over), how, and
which step re-runs. One text for the run's state message and for the markdown artifact on the run page."""

from __future__ import annotations


def retry_message(flow_run_id: str | None, step: str, reason: str) -> str:
    """One line: what failed, and how to retry this run so that only ``step`` (and what follows) runs again."""
    how = f"`prefect flow-run retry {flow_run_id}`" if flow_run_id else "`prefect flow-run retry <flow run id>`"
    return (
        f"{reason.rstrip('. ')}. Retry this run from the Prefect UI (⋮ → Retry) or {how}; "
        f"only step {step} re-runs (the steps before it are kept, nothing is sent twice)."
    )


def retry_markdown(flow_run_id: str | None, step: str, reason: str, run_page: str | None = None) -> str:
    """The same advice as a markdown artifact: the reason, the two ways to retry, the run's page."""
    lines = [
        f"# Step {step} failed",
        "",
        reason.rstrip(),
        "",
        "## What to do",
        "",
        "Retry **this** run (a new run starts over and asks for the sign-off again):",
        "",
        "- in the Prefect UI: ⋮ → **Retry** on this run's page",
        f"- or: `prefect flow-run retry {flow_run_id or '<flow run id>'}`",
        "",
        f"Only step `{step}` re-runs; the steps before it keep their results and nothing is sent twice.",
    ]
    if run_page:
        lines += ["", f"Run page: <{run_page}>"]
    return "\n".join(lines) + "\n"
