"""Settings are read once, at the entry points, and passed down as parts (csa_report/settings.py).

Greps the source tree: ``load_settings(`` is called only in entry-point files (and, where a file is more than
an entry point, only in its entry function); the environment is read only where an allow-list below says why
(Prefect's own configuration, child processes, the settings loader) and written only by the CLI's own set-up of
its in-process Prefect; no ``CSA_*`` name is read from or written to the environment outside the settings
loader. Every allow-list entry must still be needed: an entry whose file no longer does what it excuses fails."""

from __future__ import annotations

import ast
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
}

#: Entry-point files that also hold other code: there only the named function reads the settings.
ENTRY_FUNCTIONS = {"flows/annual_report.py": "annual_report", "tasks/automation.py": "main"}

#: Files that may touch ``os.environ`` for something that is not a csa-report setting, and why.
ENVIRONMENT = {
    "csa_report/settings.py": "the settings loader itself (CSA_CONFIG names the config file)",
    "csa_report/cli.py": "hands Prefect's own variables (PREFECT_API_URL, …) to the private-API lookup",
    "csa_report/commands/prefect_runtime.py": "Prefect is configured through its environment variables",
    "csa_report/commands/demo.py": "the demo's Prefect home and ephemeral API (Prefect's variables)",
    "csa_report/commands/runs.py": "whether a Prefect API is configured (PREFECT_API_URL)",
    "csa_report/local/prefect_server.py": "the local Prefect server: its child process's environment",
    "csa_report/local/spark.py": "the local Spark: JAVA_HOME and its child process's environment",
}

#: The only files that write the environment: the CLI configuring the Prefect it imports next (Prefect reads its
#: settings from the environment at import), never a csa-report setting. Library code is handed the mapping.
ENVIRONMENT_WRITERS = {
    "csa_report/commands/prefect_runtime.py": "the ephemeral API's start-up time-out, before Prefect is imported",
    "csa_report/commands/demo.py": "the demo's own Prefect home, and the client settings of its local server",
}

LOAD = re.compile(r"\bload_settings\(")
ENV = re.compile(r"\bos\.(environ|getenv|putenv|unsetenv)\b|\bgetenv\(")
ENV_WRITE = re.compile(
    r"\bos\.environ(\[[^\]]*\]\s*=(?!=)|\.(update|setdefault|pop|popitem|clear|__setitem__|__delitem__)\()"
    r"|\bdel\s+os\.environ\b|\bos\.(putenv|unsetenv)\("
)
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


def test_every_entry_point_on_the_list_reads_the_settings() -> None:
    """No stale entry: a file that stopped reading the settings leaves the list (lake.py did)."""
    files = _sources()
    assert sorted(name for name in ENTRY_POINTS if not LOAD.search(files[name])) == []


def _loading_functions(text: str) -> set[str]:
    """The names of the top-level functions of a module that call ``load_settings`` ("<module>" for a call outside
    any function)."""
    found: set[str] = set()
    tree = ast.parse(text)
    for top in tree.body:
        name = top.name if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef) else "<module>"
        for node in ast.walk(top):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "load_settings":
                found.add(name)
    return found


def test_settings_are_read_in_the_entry_function_only() -> None:
    """The flow reads them in its body, not in a helper a task could call; the automation script in ``main``."""
    files = _sources()
    assert {name: _loading_functions(files[name]) for name in ENTRY_FUNCTIONS} == {
        name: {function} for name, function in ENTRY_FUNCTIONS.items()
    }


def test_environment_read_only_where_allowed() -> None:
    assert _hits(ENV, ENVIRONMENT) == []


def test_every_environment_entry_is_still_needed() -> None:
    files = _sources()
    assert sorted(name for name in ENVIRONMENT if not ENV.search(files[name])) == []
    assert sorted(name for name in ENVIRONMENT_WRITERS if not ENV_WRITE.search(files[name])) == []


def test_environment_written_only_by_the_cli_set_up() -> None:
    """The environment is never written below the entry points: not for a setting, not for a library's knob
    (report.pdf no longer pins fontTools' clock through SOURCE_DATE_EPOCH, the local Prefect server returns its
    client settings instead of exporting them)."""
    assert set(ENVIRONMENT_WRITERS) <= set(ENVIRONMENT)
    assert all(name.startswith("csa_report/commands/") for name in ENVIRONMENT_WRITERS)
    assert _hits(ENV_WRITE, ENVIRONMENT_WRITERS) == []


def test_the_write_pattern_sees_each_form() -> None:
    """The write grep is not vacuous: every way of writing the environment is caught, a read is not."""
    writes = [
        'os.environ["X"] = "1"',
        "os.environ.update(values)",
        'os.environ.setdefault("X", "1")',
        'os.environ.pop("X", None)',
        'del os.environ["X"]',
        'os.putenv("X", "1")',
    ]
    reads = ['os.environ.get("X")', 'os.environ["X"] == "1"', "dict(os.environ)", "{**os.environ}"]
    assert [w for w in writes if not ENV_WRITE.search(w)] == []
    assert [r for r in reads if ENV_WRITE.search(r)] == []


def test_no_csa_setting_through_the_environment() -> None:
    """``CSA_*`` values reach the code only through Settings: never read raw, never written (the demo and
    ``run --db`` use settings.overriding)."""
    assert _hits(CSA_ENV, {"csa_report/settings.py": ""}) == []
