"""A local S3-compatible store for trying the deployment on one machine (not for production).

    python infra/local_s3.py DIR [--port 8333]   # SeaweedFS: staging bucket + Object-Lock archive bucket

writes ``DIR/s3.env`` (mode 0600: ``export CSA_S3_ENDPOINT=… CSA_S3_ACCESS_KEY=… CSA_S3_SECRET_KEY=…``) for the
worker to ``source``, then keeps the store running until Ctrl-C. The secret is never printed. The S3 port is
fixed (8333 unless ``--port`` says otherwise), so a restarted store keeps the address the worker's settings
and the review links point to.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
from contextlib import ExitStack
from pathlib import Path

from csa_report.errors import CsaReportError
from csa_report.local.seaweed import local_s3

DEFAULT_PORT = 8333


def main(argv: list[str]) -> int:
    port = DEFAULT_PORT
    if len(argv) == 3 and argv[1] == "--port" and argv[2].isdigit():
        port = int(argv[2])
    elif len(argv) != 1:
        print("usage: python infra/local_s3.py DIR [--port PORT]", file=sys.stderr)
        return 2
    data = Path(argv[0]).resolve()
    data.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ExitStack() as stack:
        try:
            s3 = stack.enter_context(local_s3(data, lock_days=1, s3_port=port))
        except CsaReportError as exc:  # e.g. the port is taken: one line, not a traceback
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
        env_file = data / "s3.env"
        fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for key, value in s3.settings_overrides().items():
                fh.write(f"export CSA_{key.upper()}={shlex.quote(str(value))}\n")
        print(f"S3 at {s3.url} (buckets csa-staging, csa-archive with Object Lock); settings in {env_file}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
