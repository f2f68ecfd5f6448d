"""Folders shipped with csa-report that live at the top of the repository: the report templates and the example
policies. In a checkout (and an editable install) they are read in place; a wheel installs them as the
data-only packages ``csa_report_templates`` and ``csa_report_example_policies`` (pyproject.toml)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from csa_report.errors import ConfigError

_REPO = Path(__file__).resolve().parents[1]


def shipped_dir(package: str, repo_relative: str) -> Path:
    in_repo = _REPO / repo_relative
    if in_repo.is_dir():
        return in_repo
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise ConfigError(f"{repo_relative} is missing: neither {in_repo} nor the installed package {package} exists")


def templates_dir() -> Path:
    return shipped_dir("csa_report_templates", "templates")


def example_policies_dir() -> Path:
    return shipped_dir("csa_report_example_policies", "policies/example")
