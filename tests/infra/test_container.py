"""The container image, as far as it can be tested without Docker (infra/README.md says what was not tried):
the Dockerfile's shape, a lock file that pins every runtime dependency, and — slow — that the lock file
installs into a clean virtualenv with --no-deps, the project installs on top, and the image's command runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "infra" / "Dockerfile"
LOCK = ROOT / "infra" / "requirements.lock"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line.strip())
        assert match, f"not an exact pin: {line!r}"
        pins[_norm(match[1])] = match[2]
    return pins


def image_command() -> list[str]:
    cmd = [line for line in DOCKERFILE.read_text(encoding="utf-8").splitlines() if line.startswith("CMD ")]
    assert len(cmd) == 1
    value = json.loads(cmd[0].removeprefix("CMD "))  # exec form, so no shell is needed
    assert isinstance(value, list)
    return [str(v) for v in value]


def test_dockerfile_shape() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert "fonts-dejavu-core" in text and "libpango-1.0-0" in text  # WeasyPrint's run-time needs
    assert "pip install --no-deps -r infra/requirements.lock" in text
    assert not re.search(r"^ENTRYPOINT", text, re.M)  # a Prefect worker supplies its own command
    assert image_command() == ["csa-report", "--help"]


def test_lock_pins_every_runtime_dependency_exactly() -> None:
    pins = lock_pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for requirement in project["dependencies"]:
        name = _norm(re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0])
        assert name in pins, f"runtime dependency {name} is not in infra/requirements.lock: run `make lock`"
        exact = re.search(r"==([^\s,;]+)", requirement)
        if exact:
            assert pins[name] == exact[1], f"{name}: pyproject pins {exact[1]}, the lock {pins[name]}"
    # Nothing from the dev extra (test tools) slips into the image.
    for dev_only in ("pytest", "moto", "mypy", "ruff", "playwright", "hypothesis"):
        assert dev_only not in pins


@pytest.mark.slow
def test_lock_installs_and_the_image_command_runs_in_a_clean_virtualenv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSA_", "PREFECT_", "VIRTUAL_ENV"))}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")

    def pip(*args: str) -> None:
        proc = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]

    pip("--no-deps", "-r", str(LOCK))  # as the Dockerfile does
    pip("--no-deps", str(ROOT))
    check = subprocess.run([str(python), "-m", "pip", "check"], env=env, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout  # the pins are complete and consistent

    bin_dir = venv / "bin"
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    command = image_command()
    proc = subprocess.run(
        [str(bin_dir / command[0]), *command[1:]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "storage" in proc.stdout and "demo" in proc.stdout
    # What a Prefect worker's `prefect flow-run execute` does first: import the flow from the installed code.
    proc = subprocess.run(
        [
            str(python),
            "-c",
            "from csa_report.flows.annual_report import annual_report; import weasyprint; print(annual_report.name)",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "annual_report"


def test_container_deployment_matches_the_process_deployment() -> None:
    """infra/prefect-docker.yaml runs the same flow on the same schedule as infra/prefect.yaml, in the image the
    Dockerfile builds (working directory /opt/csa-report), with no secret among its settings."""
    import yaml

    process = yaml.safe_load((ROOT / "infra" / "prefect.yaml").read_text(encoding="utf-8"))
    container = yaml.safe_load((ROOT / "infra" / "prefect-docker.yaml").read_text(encoding="utf-8"))
    [p], [c] = process["deployments"], container["deployments"]
    for key in ("entrypoint", "parameters", "schedules", "concurrency_limit"):
        assert c[key] == p[key], key
    assert container["prefect-version"] == process["prefect-version"] == "3.9.1"
    workdir = re.search(r"^WORKDIR (\S+)", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    assert workdir is not None
    assert container["pull"] == [{"prefect.deployments.steps.set_working_directory": {"directory": workdir[1]}}]
    variables = c["work_pool"]["job_variables"]
    assert variables["image"].endswith(":0.1.0")
    assert not [k for k in variables.get("env", {}) if re.search(r"SECRET|PASSWORD|KEY|TOKEN|_DB$", k)]
