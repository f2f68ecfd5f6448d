"""What the audit log hands back: plain records, detached from the database session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

Location = Literal["staging", "archive", "publication"]
Decision = Literal["approve", "reject"]
ClaimOutcome = Literal["claimed", "done", "pending", "unknown", "refused"]
#: How a failed delivery's detail begins when the server refused it for good: never claimed again on its own.
REFUSED: Final = "refused: "

#: Delivery states that are final: the report reached the recipient (sent, or confirmed by the operator).
DELIVERED: Final = ("sent", "confirmed")
#: Delivery states whose outcome is open: only an operator's confirm or resend settles them.
OUTCOME_OPEN: Final = ("unknown", "pending")


@dataclass(frozen=True)
class FindingRecord:
    rule: str
    severity: str
    message: str
    count: int | None = None
    waived_by: str | None = None


@dataclass(frozen=True)
class SignoffRecord:
    report_id: str
    decision: Decision
    reviewer: str
    manifest_sha256: str
    decided_at: datetime
    comment: str | None = None
    automatic: bool = False
    refused_reason: str | None = None
    run_id: int | None = None
    signature: str | None = None  # armoured SSH signature over manifest.json (signed sign-off)
    key_fingerprint: str | None = None  # SHA256 fingerprint of the approver key that verified it


@dataclass(frozen=True)
class DeliverySummary:
    recipient: str
    role: str | None
    channel: str
    status: str
    attempts: int
    message_id: str | None
    detail: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Claim:
    """What ``claim`` found: ``claimed`` (send now), ``done`` (sent, accepted or confirmed before: never again),
    ``pending`` (claimed by someone whose outcome is not known yet; ``owner`` says who), ``unknown`` (an earlier
    attempt's outcome is unknown: only an operator's confirm or resend settles it), ``refused`` (the server
    refused it for good; ``detail`` says what it answered: only an operator's resend sends it again)."""

    outcome: ClaimOutcome
    owner: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class DeliveryEventRecord:
    recipient: str
    event: str
    detail: str | None
    at: datetime


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    provider: str
    period: str
    as_of: datetime
    report_id: str | None
    manifest_sha256: str | None
    status: str
    flow_run_id: str | None
    publication_url: str | None
    created_at: datetime
    updated_at: datetime
    findings: tuple[FindingRecord, ...]
    signoffs: tuple[SignoffRecord, ...]
    deliveries: tuple[DeliverySummary, ...]


@dataclass(frozen=True)
class FilingRecord:
    """One filing of a period: ``seq`` 0 is the first, n + 1 the correction of filing n."""

    provider: str
    period: str
    seq: int
    report_id: str
    manifest_sha256: str
    supersedes: str | None
    reason: str | None
    status: str
    #: The audit run that claimed it and that run's Prefect flow run: only that flow run (a retry, a resumed
    #: execution) goes on with a completed filing; every other run of the period stops as already filed.
    run_id: int | None = None
    flow_run_id: str | None = None
    filed_at: datetime | None = None

    @property
    def complete(self) -> bool:
        """Every delivery went out (status ``submitted``); a ``submitting`` filing may still be finished."""
        return self.status == "submitted"


@dataclass(frozen=True)
class NotificationRecord:
    """One sign-off notification: (request key, recipient, status)."""

    request_key: str
    recipient: str
    status: str


@dataclass(frozen=True)
class SentMessage:
    """A delivery's message as it was first composed, without the attachments' bytes (they are archived):
    enough to build the very same message again for a retry or an operator's resend, whatever the policies or
    the templates say by then. ``headers`` are the message's own headers in order (no MIME or content headers;
    ``Date`` as composed); ``attachments`` are (file name, content type, SHA-256) in order."""

    headers: tuple[tuple[str, str], ...]
    body: str
    attachments: tuple[tuple[str, str, str], ...]
    boundary: str | None
    max_line_length: int
