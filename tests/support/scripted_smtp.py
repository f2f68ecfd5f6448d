"""A scripted SMTP server on loopback for the fault suite: plain SMTP, one behaviour (``mode``) per server.

Modes:
- ``accept``: a well-behaved server;
- ``quit-421``: accepts the message (250 after DATA) and answers QUIT with 421;
- ``reset-after-accept``: answers 250 after DATA, then resets the connection (RST) instead of reading QUIT;
- ``reset-before-reply``: reads the whole message, then resets the connection without answering (the sender
  cannot know whether the message was taken; it was stored here);
- ``never-greet``: accepts TCP connections and never sends the 220 greeting;
- ``slow``: every reply is delayed by ``delay_s``;
- ``tempfail-then-accept``: the first ``tempfails`` transactions get 451 to MAIL FROM, later ones are accepted;
- ``rcpt550``: answers 550 to RCPT for the addresses in ``refuse`` (every address when it is empty);
- ``data550``: reads the whole message to an address in ``refuse`` (every address when empty), then answers 550;
- ``slowdata``: reads the whole message, then waits ``delay_s`` before its 250 (a sender holds its claim).

``rcpts`` counts every RCPT each address got and ``data_for`` every message whose bytes were sent for it (taken
or not), so a test sees that a refused delivery was tried once and its attachment not sent again.

``messages`` holds every message the server took (whole DATA received), with its envelope recipients and
Message-ID, so a test counts the copies each recipient holds.
"""

from __future__ import annotations

import re
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

MODES = (
    "accept",
    "quit-421",
    "reset-after-accept",
    "reset-before-reply",
    "never-greet",
    "slow",
    "tempfail-then-accept",
    "rcpt550",
    "data550",
    "slowdata",
)


@dataclass
class Received:
    recipients: list[str]
    message_id: str
    data: bytes


@dataclass
class Script:
    mode: str = "accept"
    delay_s: float = 0.0
    tempfails: int = 1
    refuse: set[str] = field(default_factory=set)
    messages: list[Received] = field(default_factory=list)
    rcpts: list[str] = field(default_factory=list)
    data_for: list[str] = field(default_factory=list)
    transactions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Set when a message's bytes have arrived in ``slowdata`` mode, before the delayed answer.
    data_arrived: threading.Event = field(default_factory=threading.Event)

    def copies(self, recipient: str) -> int:
        return sum(1 for m in self.messages if recipient in m.recipients)

    def refuses(self, address: str) -> bool:
        return not self.refuse or address.lower() in {r.lower() for r in self.refuse}


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        if self.server.script.mode == "slow":
            time.sleep(self.server.script.delay_s)
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST: the peer sees "connection reset".
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()

    def handle(self) -> None:
        script = self.server.script
        if script.mode == "never-greet":
            self.request.settimeout(30)
            try:
                self.request.recv(1)
            except OSError:
                pass
            return
        self.reply("220 scripted ESMTP")
        rcpts: list[str] = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("ascii", "replace").strip()
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-scripted\r\n250 8BITMIME" if verb == "EHLO" else "250 scripted")
            elif verb == "MAIL":
                with script.lock:
                    script.transactions += 1
                    n = script.transactions
                if script.mode == "tempfail-then-accept" and n <= script.tempfails:
                    self.reply("451 4.3.0 try again later")
                    continue
                rcpts = []
                self.reply("250 ok")
            elif verb == "RCPT":
                m = re.search(r"<([^>]*)>", line)
                address = m.group(1) if m else line
                with script.lock:
                    script.rcpts.append(address)
                if script.mode == "rcpt550" and script.refuses(address):
                    self.reply("550 5.1.1 no such mailbox here")
                    continue
                rcpts.append(address)
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = bytearray()
                while True:
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    if chunk in (b".\r\n", b".\n"):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                mid = re.search(rb"(?mi)^Message-ID:\s*(\S+)", bytes(data))
                with script.lock:
                    script.data_for.extend(rcpts)
                if script.mode == "data550" and any(script.refuses(r) for r in rcpts):
                    self.reply("550 5.7.1 message content rejected")
                    continue
                if script.mode == "slowdata":
                    script.data_arrived.set()
                    time.sleep(script.delay_s)
                with script.lock:
                    script.messages.append(Received(list(rcpts), mid.group(1).decode() if mid else "", bytes(data)))
                if script.mode == "reset-before-reply":
                    self.reset()
                    return
                self.reply("250 2.0.0 queued")
                if script.mode == "reset-after-accept":
                    self.reset()
                    return
            elif verb == "QUIT":
                self.reply("421 4.3.2 shutting down" if script.mode == "quit-421" else "221 bye")
                return
            elif verb in ("RSET", "NOOP"):
                self.reply("250 ok")
            else:
                self.reply("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, script: Script) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = script


@contextmanager
def scripted_smtp(
    mode: str = "accept", *, delay_s: float = 0.0, tempfails: int = 1, refuse: frozenset[str] = frozenset()
) -> Iterator[tuple[int, Script]]:
    """A running server in ``mode``: yields (port, script)."""
    assert mode in MODES, mode
    script = Script(mode=mode, delay_s=delay_s, tempfails=tempfails, refuse=set(refuse))
    server = _Server(script)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], script
    finally:
        server.shutdown()
        server.server_close()
