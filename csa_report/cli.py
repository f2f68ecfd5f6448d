"""``csa-report``: the operator's entry point. Errors a user can cause print one line and exit with the
documented code (see csa_report.errors). Anything else is a bug: one line naming the command and the place it
failed, exit 4, and the traceback written to a log file (``CSA_ERROR_LOG_DIR``) rather than the terminal."""

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from csa_report.commands import MODULES
from csa_report.errors import ConfigError, CsaReportError
from csa_report.settings import Settings, load_settings

app = typer.Typer(
    name="csa-report",
    help="Produce, check, sign off and submit the annual transparency report under Regulation (EU) 2021/1232 "
    "and 2026/1881.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _register_commands() -> None:
    for name in MODULES:
        try:
            module = importlib.import_module(f"csa_report.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"csa_report.commands.{name}":
                continue
            raise
        module.register(app)


_register_commands()


def _prepare_demo(argv: list[str]) -> None:
    """The demo runs on Prefect's ephemeral API with a home in its output folder; that must be set before
    prefect is first imported, which happens inside the command."""
    if not argv or argv[0] != "demo":
        return
    from pathlib import Path

    from csa_report.commands.demo import prepare_environment

    out = Path("demo-output")
    for i, arg in enumerate(argv):
        if arg == "--out" and i + 1 < len(argv):
            out = Path(argv[i + 1])
        elif arg.startswith("--out="):
            out = Path(arg.split("=", 1)[1])
    prepare_environment(out, wait="--wait" in argv)


@functools.cache
def _click_command() -> Any:
    """The click command built from the typer app once: typer rebuilds it (~0.1 s of signature inspection) on
    every call, which in-process callers (tests, the fuzzers) pay thousands of times."""
    return typer.main.get_command(app)


def _startup_settings() -> Settings:
    """The settings the CLI itself needs before a command runs (start-up time-out, log level, crash log).
    Settings that do not load fall back to the defaults here: the command loads them again and reports the
    problem as the configuration error it is (exit 2)."""
    try:
        return load_settings()
    except ConfigError:
        return Settings.model_construct()


def main(argv: list[str] | None = None) -> int:
    from csa_report.commands.prefect_runtime import prepare_environment
    from csa_report.tasks.credentials import install as install_credential_blocks

    settings = _startup_settings()
    prepare_environment(settings.prefect_startup_timeout_s)
    install_credential_blocks()  # credentials named as Prefect blocks (the library never imports Prefect)
    args = sys.argv[1:] if argv is None else argv
    _prepare_demo(args)
    from csa_report.local.private_api import prepare_for

    prepare_for(args, os.environ)  # an ephemeral API closed to strangers, or the one a waiting run opened
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(levelname)s %(name)s: %(message)s",
        force=True,  # bind to the current stderr (tests and embedding callers swap it)
    )
    try:
        # Standalone mode: click prints usage errors itself and exits 2; only our own errors arrive here.
        _click_command()(args=argv, standalone_mode=True)
    except CsaReportError as exc:
        # The message may quote user input such as "[/]": escaped, so it is never read as Rich markup.
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        err_console.print("[bold red]error:[/] interrupted", markup=True)
        return 130
    except Exception as exc:  # the one place a bug is caught: one line here, the traceback in a file
        from csa_report.commands.prefect_runtime import known_failure
        from csa_report.crashlog import report_unexpected

        known = known_failure(exc)
        if known is not None:
            err_console.print(f"[bold red]error:[/] {escape(str(known))}", markup=True)
            return known.exit_code

        line = report_unexpected(exc, args, settings.error_log_dir)
        err_console.print(f"[bold red]error:[/] {escape(line)}", markup=True)
        return 4
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
