"""report.pdf under a time limit: the PDF layout is the one step of rendering whose time grows with the input
beyond reason (a 10,000-character name laid out in a table cell took minutes), and a thread cannot be stopped.
So the layout runs in a forked child of this process (WeasyPrint already imported, nothing to start) that hands
the PDF back through a pipe; after ``timeout_s`` the child is killed and rendering fails with exit 4 naming the
step and the setting (``CSA_RENDER_TIMEOUT_S``). The child runs the same code on the same input: the bytes are
those of an in-process render. Where ``fork`` does not exist the layout runs in-process, without a limit.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from datetime import datetime
from typing import Final

from csa_report.errors import CsaReportError, ToolError
from csa_report.render.pdf import check_fonts, check_subsetter, render_pdf

#: The default of the ``render_timeout_s`` setting (CSA_RENDER_TIMEOUT_S): far above a normal report's layout.
DEFAULT_RENDER_TIMEOUT_S: Final = 300.0

_OK, _ERROR = b"P", b"E"


def render_pdf_bounded(
    html: str, *, attachment: bytes, attachment_name: str, as_of: datetime, timeout_s: float | None = None
) -> bytes:
    """:func:`csa_report.render.pdf.render_pdf` in a child process killed after ``timeout_s`` (ToolError)."""
    limit = DEFAULT_RENDER_TIMEOUT_S if timeout_s is None else timeout_s
    check_fonts()  # a ConfigError from here, with its own message, not from the child
    check_subsetter()
    if not hasattr(os, "fork"):  # pragma: no cover - POSIX only
        return render_pdf(html, attachment=attachment, attachment_name=attachment_name, as_of=as_of)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: lay out, hand back, leave without running the parent's exit handlers
        os.close(read_end)
        try:
            try:
                pdf = render_pdf(html, attachment=attachment, attachment_name=attachment_name, as_of=as_of)
                payload = _OK + pdf
            except BaseException as exc:  # handed to the parent, which raises it
                payload = _ERROR + _pickled(exc)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        answer = _read_until(read_end, time.monotonic() + limit)
    finally:
        os.close(read_end)
    if answer is None:
        _kill(pid)
        raise ToolError(
            f"rendering report.pdf (the PDF layout) did not finish within {limit:g} s and was stopped; a very long "
            "text in the source data or the policies can cause this: shorten it, or raise CSA_RENDER_TIMEOUT_S"
        )
    os.waitpid(pid, 0)
    if answer[:1] == _OK:
        return answer[1:]
    if answer[:1] == _ERROR:
        raise _unpickled(answer[1:])
    raise ToolError("rendering report.pdf (the PDF layout) failed: its process ended without an answer")


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything written to ``fd`` until its writer closes it, or None at the deadline."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def _pickled(exc: BaseException) -> bytes:
    try:
        return pickle.dumps(exc)
    except Exception:  # an exception that does not pickle: its type and text
        return pickle.dumps(ToolError(f"rendering report.pdf failed: {type(exc).__name__}: {exc}"))


def _unpickled(data: bytes) -> BaseException:
    try:
        exc = pickle.loads(data)  # written by our own child process a moment ago
    except Exception:
        return ToolError("rendering report.pdf failed; its error could not be read back")
    if isinstance(exc, CsaReportError | Exception):
        return exc
    return ToolError(f"rendering report.pdf failed: {exc!r}")
