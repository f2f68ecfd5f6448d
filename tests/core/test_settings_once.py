"""Settings are read once, at the entry points, and passed down as parts (csa_report/settings.py).

Greps the source tree: ``load_settings(`` is called only in entry-point files; the environment is read only
where an allow-list below says why (Prefect's own configuration, child processes, the settings loader); no
``CSA_*`` name is read from or written to the environment outside the settings loader."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("csa_report", "tasks", "flows")

#: Files whose functions are entry points: the CLI, its commands, the flow, the chat-automation script.
ENTRY_POINTS = {
    "csa_report/cli.py",
    "csa_report/commands/audit_trail.py",
    "csa_report/commands/data.py",
    "csa_report/commands/demo.py",
    "csa_report/commands/policy.py",
    "csa_report/commands/render.py",
    "csa_report/commands/runs.py",
    "csa_report/commands/storage.py",
    "flows/annual_report.py",
    "tasks/automation.py",
    # Known debt: the DuckDB connect hook reads the S3 settings of views over Parquet on S3 (issue 21 note).
    "csa_report/lake.py",
}

#: Files that may touch ``os.environ`` for something that is not a csa-report setting, and why.
ENVIRONMENT = {
    "csa_report/settings.py": "the settings loader itself (CSA_CONFIG names the config file)",
    "csa_report/cli.py": "hands Prefect's own variables (PREFECT_API_URL, …) to the private-API lookup",
    "csa_report/commands/prefect_runtime.py": "Prefect is configured through its environment variables",
    "csa_report/commands/demo.py": "the demo's Prefect home and ephemeral API (Prefect's variables)",
    "csa_report/commands/runs.py": "whether a Prefect API is configured (PREFECT_API_URL)",
    "csa_report/local/prefect_server.py": "the local Prefect server: its child process's environment",
    "csa_report/local/spark.py": "the local Spark: JAVA_HOME and its child process's environment",
    "csa_report/render/pdf.py": "SOURCE_DATE_EPOCH, WeasyPrint's interface for the PDF's dates",
}

LOAD = re.compile(r"\bload_settings\(")
ENV = re.compile(r"\bos\.(environ|getenv|putenv|unsetenv)\b|\bgetenv\(")
CSA_ENV = re.compile(r"(environ|getenv)\W[^\n]*[\"']CSA_")


def _sources() -> dict[str, str]:
    files: dict[str, str] = {}
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            files[path.relative_to(ROOT).as_posix()] = path.read_text(encoding="utf-8")
    return files


def _hits(pattern: re.Pattern[str], allowed: set[str] | dict[str, str]) -> list[str]:
    return [
        f"{name}:{number}: {line.strip()}"
        for name, text in _sources().items()
        if name not in allowed
        for number, line in enumerate(text.splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]


def test_the_scan_sees_the_known_readers() -> None:
    """The grep is not vacuous: it finds the loader's definition and the flow's one call."""
    files = _sources()
    assert len(files) > 100
    assert LOAD.search(files["csa_report/settings.py"])
    assert len(LOAD.findall(files["flows/annual_report.py"])) == 1
    assert ENV.search(files["csa_report/settings.py"])


def test_load_settings_only_at_entry_points() -> None:
    assert _hits(LOAD, ENTRY_POINTS | {"csa_report/settings.py"}) == []


def test_environment_read_only_where_allowed() -> None:
    assert _hits(ENV, ENVIRONMENT) == []


def test_no_csa_setting_through_the_environment() -> None:
    """``CSA_*`` values reach the code only through Settings: never read raw, never written (the demo and
    ``run --db`` use settings.overriding)."""
    assert _hits(CSA_ENV, {"csa_report/settings.py": ""}) == []
