"""The operator's failure advice and the worker's code-version line (csa_report.local)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from csa_report.local.retry_hint import retry_markdown, retry_message
from csa_report.local.version_check import code_versions

RUN = "0b7c2e4e-1111-4222-8333-944445555666"


def test_retry_message_names_this_run_and_the_step() -> None:
    assert retry_message(RUN, "submit", "the SMTP server was unreachable after 4 attempts.") == (
        "the SMTP server was unreachable after 4 attempts. Retry this run from the Prefect UI (⋮ → Retry) or "
        f"`prefect flow-run retry {RUN}`; only step submit re-runs (the steps before it are kept, nothing is "
        "sent twice)."
    )


def test_retry_markdown_lists_both_ways_and_the_page() -> None:
    text = retry_markdown(RUN, "submit", "S3 unreachable", "http://127.0.0.1:4200/v2/runs/flow-run/" + RUN)
    assert text.splitlines()[0] == "# Step submit failed"
    assert f"- or: `prefect flow-run retry {RUN}`" in text
    assert "- in the Prefect UI: ⋮ → **Retry** on this run's page" in text
    assert text.endswith(f"Run page: <http://127.0.0.1:4200/v2/runs/flow-run/{RUN}>\n")


def _checkout(tmp_path: Path, version: str) -> tuple[Path, str]:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "csa-report"\nversion = "{version}"\n')
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    return tmp_path, head


def test_same_version_no_warning(tmp_path: Path) -> None:
    from importlib.metadata import version

    home, head = _checkout(tmp_path, version("csa-report"))
    found = code_versions(home)
    assert (found.checkout, found.commit) == (version("csa-report"), head)
    assert found.warning(home) is None
    assert found.log_line(home) == (
        f"csa-report installed {version('csa-report')}; checkout {home}: version {version('csa-report')}, commit {head}"
    )


def test_different_version_is_a_warning(tmp_path: Path) -> None:
    home, head = _checkout(tmp_path, "9.9.9")
    warning = code_versions(home).warning(home)
    assert warning is not None
    assert f"the checkout {home} (CSA_REPORT_HOME) is 9.9.9 (commit {head})" in warning
    assert f"`pip install {home}`" in warning


def test_a_permanent_mail_refusal_is_not_sent_to_a_retry_but_an_outage_is() -> None:
    # A 550 leaves that delivery failed for good (a Retry would not send it again); its message names the fix and
    # `delivery resend`. An unreachable server or an S3 403 is fixed in the settings, then the same run retried.
    from csa_report.errors import DeliveryRefused, RefusedError, UnreachableError
    from csa_report.tasks.orientation import retry_in_place

    assert retry_in_place(DeliveryRefused("dpa@example.org", "550 5.1.1 no such user", "transfers.md")) is False
    assert retry_in_place(UnreachableError("SMTP server 127.0.0.1:9 unreachable")) is True
    assert retry_in_place(RefusedError("S3 refused: SignatureDoesNotMatch")) is True
    assert retry_in_place(ValueError("bug")) is False
