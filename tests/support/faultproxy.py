"""A fault-injecting HTTP proxy for S3 retry tests, stdlib only.

It forwards to an upstream S3 server on loopback and keeps the ``Host`` header, so SigV4 still validates.
Rules are consumed in order; each applies ``count`` times to requests whose method and path match:

- ``"503"`` / ``"500"``: an S3 error reply (SlowDown / InternalError); the request is NOT forwarded
- ``"reset"``: the connection is reset; NOT forwarded
- ``"reset_after"``: forwarded (the write happens), then the connection is reset: a lost acknowledgement
- ``"delay:SECS"``: sleep, then forward
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)


@dataclass
class Rule:
    action: str
    count: int = 1
    method: str | None = None
    path: str = ""

    def matches(self, method: str, path: str) -> bool:
        return self.count > 0 and self.method in (None, method) and re.search(self.path, path) is not None


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    action: str


class FaultProxy:
    """``FaultProxy("127.0.0.1:8333").start()``; ``arm(Rule(...))``; ``url``; ``log``; ``stop()``."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.rsplit(":", 1)
        self.up_host, self.up_port = host, int(port)
        self.rules: list[Rule] = []
        self.log: list[Seen] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread: threading.Thread | None = None

    def arm(self, *rules: Rule) -> None:
        with self._lock:
            self.rules.extend(rules)

    def disarm(self) -> None:
        """Drop the remaining rules and forget what was seen."""
        with self._lock:
            self.rules.clear()
            self.log.clear()

    def pick(self, method: str, path: str) -> str:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    rule.count -= 1
                    self.log.append(Seen(method, path, rule.action))
                    return rule.action
            self.log.append(Seen(method, path, "forward"))
            return "forward"

    def actions(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [s.action for s in self.log if method in (None, s.method)]

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _make_handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive and automatic 100 Continue

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def handle_any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            action = proxy.pick(self.command, self.path)
            if action in ("503", "500"):
                self._error(int(action))
                return
            if action == "reset":
                self._reset()
                return
            if action.startswith("delay:"):
                time.sleep(float(action.removeprefix("delay:")))
            conn = http.client.HTTPConnection(proxy.up_host, proxy.up_port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}  # Host kept
            send_body = body if body or self.command in ("PUT", "POST") else None
            conn.request(self.command, self.path, body=send_body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            if action == "reset_after":
                self._reset()
                return
            self.send_response(resp.status, resp.reason)
            for key, value in resp.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                if self.command != "HEAD":
                    self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _error(self, status: int) -> None:
            code = "SlowDown" if status == 503 else "InternalError"
            xml = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(xml)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(xml)

        def _reset(self) -> None:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    return Handler
