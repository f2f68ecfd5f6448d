"""The one claim → send → record state machine every e-mail goes through: the report's deliveries (submission),
the operator's resend, and the sign-off notifications.

A message is claimed in the audit DB before it is sent (one winner across threads, processes and re-runs), then
handed to the transport, and what happened is recorded the moment it is known:

- ``accepted`` as soon as the server answers 250 (before QUIT), then ``sent``: never sent again;
- ``failed`` when nothing was handed over (the server could not be reached, or deferred it): claimable again;
- ``failed`` as *refused* when the server refused it for good (5xx): never retried by the schedule, and the
  attachment is not sent again within the run;
- ``unknown`` when the message went out and no answer arrived: never counted as sent, never sent again on its
  own; an operator confirms or resends it.

Where the records go is a :class:`Ledger` (one per kind of message); the SQL behind both is in csa_report/audit.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from csa_report.audit.records import REFUSED, Claim
from csa_report.errors import DeliveryError, DeliveryUnknown, RefusedError, UnreachableError
from csa_report.filing.mail.transport import Delivered, DeliveryProgress

log = logging.getLogger(__name__)

Status = Literal["sent", "skipped", "failed", "refused", "unknown"]


class Ledger(Protocol):
    """Where one kind of message records its claims and outcomes (the audit DB, keyed by recipient)."""

    def claim(self, recipient: str, *, owner: str, at: datetime) -> Claim: ...
    def retake_unknown(self, recipient: str, *, owner: str, at: datetime) -> bool: ...
    def accepted(self, recipient: str, *, message_id: str, reply: str, at: datetime) -> None: ...
    def sent(self, recipient: str, done: Delivered, *, at: datetime) -> None: ...
    def failed(self, recipient: str, *, detail: str, at: datetime) -> None: ...
    def unknown(self, recipient: str, *, detail: str, at: datetime) -> None: ...


@dataclass(frozen=True)
class Outcome:
    recipient: str
    status: Status
    detail: str = ""
    delivered: Delivered | None = None
    error: Exception | None = None


def claim_owner() -> str:
    """Who holds a claim: host and process id, so a later run or command on this host can tell a dead claimer."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def owner_alive(owner: str | None) -> bool:
    """False only when ``owner`` is a process on this host that no longer exists; unknown hosts count as alive."""
    if not owner:
        return False
    host, _, pid_text = owner.partition(" pid ")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def take(
    ledger: Ledger,
    recipient: str,
    *,
    owner: str,
    wait_s: float,
    clock: Callable[[], datetime],
    unknown_detail: Callable[[str | None], str],
) -> Claim:
    """Claim ``recipient``'s message. A claim held by a live process (a concurrent run) is waited for, up to
    ``wait_s``; one whose process died, or that outlives the wait, is recorded with an unknown outcome."""
    deadline = time.monotonic() + wait_s
    while True:
        claim = ledger.claim(recipient, owner=owner, at=clock())
        if claim.outcome != "pending":
            return claim
        if not owner_alive(claim.owner) or time.monotonic() >= deadline:
            ledger.unknown(recipient, detail=unknown_detail(claim.owner), at=clock())
            return Claim("unknown", claim.owner)
        time.sleep(0.1)


def send_claimed(
    ledger: Ledger,
    recipient: str,
    message_id: str,
    send: Callable[[DeliveryProgress], Delivered],
    clock: Callable[[], datetime],
) -> Outcome:
    """Send the claimed message and record what happened; an interruption (KeyboardInterrupt, a killed task) is
    recorded by how far the message got, then re-raised."""

    def accepted(reply: str) -> None:
        ledger.accepted(recipient, message_id=message_id, reply=reply, at=clock())

    progress = DeliveryProgress(on_accepted=accepted)
    try:
        done = send(progress)
    except DeliveryUnknown as exc:
        ledger.unknown(recipient, detail=str(exc), at=clock())
        return Outcome(recipient, "unknown", str(exc), error=exc)
    except RefusedError as exc:
        ledger.failed(recipient, detail=f"{REFUSED}{exc}", at=clock())
        return Outcome(recipient, "refused", str(exc), error=exc)
    except (DeliveryError, UnreachableError) as exc:
        ledger.failed(recipient, detail=str(exc), at=clock())
        return Outcome(recipient, "failed", str(exc), error=exc)
    except BaseException as exc:
        if progress.stage == "connecting":
            ledger.failed(recipient, detail=f"interrupted before sending: {type(exc).__name__}", at=clock())
        elif progress.stage == "data-sent":
            ledger.unknown(
                recipient, detail=f"interrupted awaiting the server's answer: {type(exc).__name__}", at=clock()
            )
        else:
            ledger.sent(recipient, Delivered(recipient, "smtp", message_id, progress.reply), at=clock())
        raise
    ledger.sent(recipient, done, at=clock())
    return Outcome(recipient, "sent", done.detail, delivered=done)


def deliver_once(
    ledger: Ledger,
    recipient: str,
    message_id: str,
    send: Callable[[DeliveryProgress], Delivered],
    *,
    owner: str,
    wait_s: float,
    clock: Callable[[], datetime],
    retake_unknown: bool,
) -> Outcome:
    """Claim → send → record for one recipient. ``retake_unknown``: an unknown outcome may be sent again because
    sending again cannot make a second copy (the outbox write is create-only and compares bytes)."""
    got = take(
        ledger,
        recipient,
        owner=owner,
        wait_s=wait_s,
        clock=clock,
        unknown_detail=lambda who: (
            f"claim by {who or 'an earlier run'} never answered (the process stopped between claim and answer)"
        ),
    )
    if got.outcome == "done":
        return Outcome(recipient, "skipped")
    if got.outcome == "refused":  # refused for good before: the attachment is not sent again
        return Outcome(recipient, "refused", got.detail or "refused by the mail server")
    if got.outcome == "unknown" and not (retake_unknown and ledger.retake_unknown(recipient, owner=owner, at=clock())):
        return Outcome(recipient, "unknown", "an earlier attempt's outcome is unknown")
    return send_claimed(ledger, recipient, message_id, send, clock)
