"""The ``--out`` folder: made if missing and checked writable before any work, so a file, a device, a path too
long for the file system or a read-only place is one clear error (exit 2) instead of a traceback at the end."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from csa_report.errors import ConfigError


def usable_out_dir(path: Path, option: str = "--out") -> Path:
    """``path``, created if needed and known writable; ConfigError naming it otherwise."""
    try:
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{option} {path} exists and is not a folder; name a folder for the output")
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".csa-write-check-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except ConfigError:
        raise
    except OSError as exc:
        reason = {
            errno.ENAMETOOLONG: "the path is too long for the file system",
            errno.ENOTDIR: "a part of the path is a file, not a folder",
            errno.EACCES: "permission denied",
            errno.EROFS: "the file system is read-only",
            errno.EEXIST: "it exists and is not a folder",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        raise ConfigError(f"{option} {path} cannot be used as the output folder: {reason}") from None
    except ValueError as exc:  # e.g. an embedded NUL character
        raise ConfigError(f"{option} {path!r} is not a usable path: {exc}") from None
    return path
