"""The wheel lists its packages explicitly (pyproject.toml), because the templates and example policies are
mapped from top-level folders; a new subpackage must be added there or it would be missing from the wheel."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_python_package_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    # tasks/ and flows/ install as csa_report.tasks and csa_report.flows (package-dir); rglob does not follow the
    # csa_report/tasks and csa_report/flows links, so they are walked from the top-level folders.
    found = {
        ".".join((prefix, *p.parent.relative_to(ROOT / top).parts)).strip(".")
        for top, prefix in (("csa_report", "csa_report"), ("tasks", "csa_report.tasks"), ("flows", "csa_report.flows"))
        for p in (ROOT / top).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert found <= listed, sorted(found - listed)
