"""The built wheel installs only csa_report* packages: tasks/ and flows/ at the top of the repository are
mapped to csa_report.tasks and csa_report.flows, so no generic `tasks` or `flows` lands in site-packages."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_wheel_installs_only_csa_report_packages(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("csa_report-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {
        "csa_report",
        "csa_report_templates",
        "csa_report_example_policies",
        f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info",
    }
    assert "csa_report/tasks/extract.py" in names
    assert "csa_report/flows/annual_report.py" in names
    assert not any(name.startswith(("tasks/", "flows/")) for name in names)
