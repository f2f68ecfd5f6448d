"""The first lines of every run: which csa-report the worker runs (the installed distribution's version, the
checkout's version and commit), and a warning on the run page when they differ (csa_report/local/version_check.py).

Best effort, like the rest of the run's orientation: a run never fails because its versions could not be read.
"""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger

import csa_report
from csa_report.local.version_check import code_versions
from csa_report.tasks.artifacts import publish_artifact

#: The artifact of a run whose installed csa-report and checkout differ.
MISMATCH_ARTIFACT = "csa-report-version-mismatch"


def code_home() -> Path:
    """The folder the running csa_report package was imported from: the checkout the worker's pull step changed
    into (CSA_REPORT_HOME), found without reading the environment; site-packages for an installed package, which
    has no pyproject.toml and so never warns."""
    return Path(csa_report.__file__).resolve().parents[1]


def log_code_versions(home: Path | None = None) -> str | None:
    """Log the versions and commit; on a mismatch, a warning and a markdown artifact. Returns the warning."""
    logger = get_run_logger()
    home = home if home is not None else code_home()
    versions = code_versions(home)
    logger.info("%s", versions.log_line(home))
    warning = versions.warning(home)
    if warning is None:
        return None
    logger.warning("%s", warning)
    try:
        publish_artifact(MISMATCH_ARTIFACT, "markdown", f"# csa-report version mismatch\n\n{warning}\n", warning[:200])
    except Exception as exc:  # the warning is in the log already; the artifact is a courtesy
        logger.warning("the version-mismatch artifact could not be created: %s", exc)
    return warning
