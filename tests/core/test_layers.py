"""The layering rule (docs/architecture.md): cli/commands → flows → tasks → library, and the library imports no
Prefect. `lint-imports` (import-linter, configured in pyproject.toml) enforces it; these tests run it on the
repository, check that the contract lists every library module, and plant violations in a copy of the package to
prove they are caught, including inside tasks/ and flows/, which csa_report reaches through links."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
#: The layers above the library; everything else in csa_report is library.
UPPER = {"cli", "commands", "tasks", "flows"}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the package found first on the path from ``cwd`` (with ``cwd`` itself put first)."""
    env = {**os.environ, "PYTHONPATH": str(cwd), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def library_contract(pyproject: Path) -> dict[str, list[str]]:
    contracts = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    [library] = [c for c in contracts if c["type"] == "forbidden" and "csa_report.tasks" in c["forbidden_modules"]]
    return library


def test_the_repository_keeps_the_layering_rule() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_the_contract_names_every_library_module() -> None:
    """The forbidden contract lists the library explicitly: a new library module must be added, or the rule
    would silently not apply to it."""
    on_disk = {
        f"csa_report.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "csa_report").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").is_file())
        if (p.stem if p.is_file() else p.name) not in UPPER
    }
    contract = library_contract(ROOT / "pyproject.toml")
    assert set(contract["source_modules"]) == on_disk
    assert {"prefect", "prefect_aws"} <= set(contract["forbidden_modules"])
    assert {f"csa_report.{name}" for name in UPPER} <= set(contract["forbidden_modules"])


def _copy_of_the_repository(tmp_path: Path) -> Path:
    """The package as the repository lays it out: csa_report/ with its tasks and flows links to the top-level
    folders (copied as links, so lint-imports has to follow them as it does in the repository)."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    copy = tmp_path / "repo"
    for top in ("csa_report", "tasks", "flows"):
        shutil.copytree(ROOT / top, copy / top, symlinks=True, ignore=skip)
    assert (copy / "csa_report" / "tasks").is_symlink() and (copy / "csa_report" / "flows").is_symlink()
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def _plant(path: Path, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    assert sep, f"{path} has no __future__ import to plant after"
    path.write_text(f"{head}{sep}{line}\n{rest}", encoding="utf-8")


def test_planted_violations_are_caught(tmp_path: Path) -> None:
    copy = _copy_of_the_repository(tmp_path)
    assert lint_imports(copy).returncode == 0  # the copy is as clean as the repository

    _plant(copy / "csa_report" / "period.py", "import prefect  # noqa")  # library → Prefect
    _plant(copy / "csa_report" / "summary.py", "import csa_report.tasks.retry  # noqa")  # library → tasks
    _plant(copy / "tasks" / "retry.py", "import csa_report.flows.annual_report  # noqa")  # tasks → flows, via the link
    result = lint_imports(copy)

    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "cli/commands above flows above tasks BROKEN" in out
    assert "the library imports no Prefect and no layer above it BROKEN" in out
    assert "csa_report.period -> prefect" in out
    assert "csa_report.summary -> csa_report.tasks.retry" in out
    assert "csa_report.tasks.retry -> csa_report.flows.annual_report" in out
