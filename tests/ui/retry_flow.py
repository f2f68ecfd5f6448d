"""A served flow of three persisted tasks whose third fails on its first execution, to test a retry the way
the Prefect UI sends it: only the failed task and what follows run again."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task


def _count(workdir: str, name: str) -> None:
    with (Path(workdir) / f"{name}.log").open("a", encoding="utf-8") as f:
        f.write("ran\n")


@task(persist_result=True)
def extract_step(workdir: str) -> int:
    _count(workdir, "extract")
    return 42


@task(persist_result=True)
def check_step(workdir: str, value: int) -> int:
    _count(workdir, "check")
    return value + 1


@task(persist_result=True)
def submit_step(workdir: str, value: int) -> str:
    _count(workdir, "submit")
    marker = Path(workdir) / "submit-failed-once"
    if not marker.exists():
        marker.write_text("x")
        raise RuntimeError("SMTP server went away (simulated, first attempt only)")
    return f"submitted {value}"


@task(persist_result=True)
def publish_step(workdir: str, receipt: str) -> str:
    _count(workdir, "publish")
    return receipt + ", published"


@flow(name="retry-demo", persist_result=True)
def retry_demo(workdir: str) -> str:
    value = check_step(workdir, extract_step(workdir))
    return publish_step(workdir, submit_step(workdir, value))
