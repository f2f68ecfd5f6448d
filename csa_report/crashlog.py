"""What the CLI does with an exception it did not expect (a bug): the user gets one line naming the command and
the step (the innermost frame of csa-report's own code) and the path of a log file holding the full traceback;
the exit code is 4. The line never carries the exception's text, which may quote data values."""

from __future__ import annotations

import os
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

_OWN = ("csa_report", "tasks", "flows")


def log_dir(configured: Path | None = None) -> Path:
    """``configured`` (the setting ``error_log_dir``, ``CSA_ERROR_LOG_DIR``), or ``csa-report`` under the
    system's temporary folder."""
    return configured if configured else Path(tempfile.gettempdir()) / "csa-report"


def step_of(exc: BaseException) -> str:
    """``module.function`` of the innermost frame in csa-report's own packages, else of the innermost frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if any(f"{os.sep}{pkg}{os.sep}" in f.filename for pkg in _OWN)]
    if not (own or frames):
        return "start-up"
    frame = (own or frames)[-1]
    path = Path(frame.filename)
    module = path.stem if not own else ".".join(path.with_suffix("").parts[-2:])
    return f"{module}.{frame.name}"


def report_unexpected(exc: BaseException, argv: list[str], folder: Path | None = None) -> str:
    """Write the traceback to a new log file (in ``folder``, see :func:`log_dir`) and return the one line to
    show."""
    command = next((a for a in argv if not a.startswith("-")), "csa-report")
    step = step_of(exc)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = "".join(traceback.format_exception(exc))
    where = "(no log file could be written)"
    try:
        where_to = log_dir(folder)
        where_to.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"crash-{stamp}-", suffix=".log", dir=where_to)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"csa-report {command}: unexpected {type(exc).__name__} in {step}\n\n{text}")
        where = f"traceback in {name}"
    except OSError:
        pass
    return (
        f"{command}: internal error ({type(exc).__name__}) in step {step}; this is a bug in csa-report, "
        f"please report it with the log file ({where})"
    )
