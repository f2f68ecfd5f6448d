"""Audit database models: report runs, findings, sign-offs, deliveries (and their messages) and stored objects.

Nothing here holds personal data of users; reviewer names are the only personal data, by design. All
instants are naive UTC and passed in by the caller (no clock in this module).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Id = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class AuditBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ReportRun(AuditBase):
    __tablename__ = "report_runs"
    __table_args__ = (Index("ix_report_runs_provider_period", "provider", "period"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    provider: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)  # "2025-01-01/2025-12-31"
    as_of: Mapped[datetime] = mapped_column(DateTime)
    report_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    manifest_sha256: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(Text)
    flow_run_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    publication_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Finding(AuditBase):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("report_runs.id"), index=True)
    rule: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(Text)
    count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    message: Mapped[str] = mapped_column(Text)
    waived_by: Mapped[str | None] = mapped_column(Text, nullable=True)


class Signoff(AuditBase):
    __tablename__ = "signoffs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("report_runs.id"), nullable=True, index=True)
    report_id: Mapped[str] = mapped_column(Text, index=True)
    decision: Mapped[str] = mapped_column(Text)  # approve | reject
    reviewer: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    automatic: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[datetime] = mapped_column(DateTime)
    refused_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The armoured SSH signature over manifest.json and the SHA256 fingerprint of the key that verified it
    #: (migration audit_0003); NULL for a typed ("unsigned") sign-off.
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_fingerprint: Mapped[str | None] = mapped_column(Text, nullable=True)


class Delivery(AuditBase):
    """One row per (provider, period, report id, recipient): the unique constraint makes each delivery
    happen at most once, however often the submit step runs."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("provider", "period", "report_id", "recipient", name="uq_deliveries_once"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    provider: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    report_id: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text, nullable=True)
    channel: Mapped[str] = mapped_column(Text)  # smtp | outbox
    status: Mapped[str] = mapped_column(Text)  # pending | accepted | sent | failed | unknown | confirmed
    message_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DeliveryEvent(AuditBase):
    """History of one delivery: each state change and each operator action (confirm, resend), oldest first."""

    __tablename__ = "delivery_events"
    __table_args__ = (Index("ix_delivery_events_report_id", "report_id", "recipient"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    provider: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    report_id: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime)


class DeliveryMessage(AuditBase):
    """The message of one delivery as first composed (migration audit_0005): its headers, body and the
    attachments' names and hashes, so every later attempt and an operator's resend sends that message, not one
    rebuilt from today's policies. One row per delivery, written once."""

    __tablename__ = "delivery_messages"
    __table_args__ = (
        UniqueConstraint("provider", "period", "report_id", "recipient", name="uq_delivery_messages_once"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    provider: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    report_id: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)
    headers: Mapped[str] = mapped_column(Text)  # JSON: [[name, value], ...]
    body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[str] = mapped_column(Text)  # JSON: [[file name, content type, sha256], ...]
    boundary: Mapped[str | None] = mapped_column(Text, nullable=True)
    max_line_length: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class StorageObject(AuditBase):
    __tablename__ = "storage_objects"
    __table_args__ = (UniqueConstraint("location", "bucket", "key", name="uq_storage_objects_location_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    report_id: Mapped[str] = mapped_column(Text, index=True)
    location: Mapped[str] = mapped_column(Text)  # staging | archive | publication
    bucket: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    version_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    sha256: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_type: Mapped[str | None] = mapped_column(Text, nullable=True)
    lock_mode: Mapped[str | None] = mapped_column(Text, nullable=True)
    retain_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class SignoffNotification(AuditBase):
    """One row per (flow run, sign-off request, recipient): the unique constraint makes the "please sign off"
    e-mail go out once per request, however often the flow body runs again (resume, retry)."""

    __tablename__ = "signoff_notifications"
    __table_args__ = (
        UniqueConstraint("flow_run_id", "request_key", "recipient", name="uq_signoff_notifications_once"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    flow_run_id: Mapped[str] = mapped_column(Text)
    request_key: Mapped[str] = mapped_column(Text)  # signoff-1, signoff-2, …
    report_id: Mapped[str] = mapped_column(Text, index=True)
    recipient: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)  # smtp | outbox
    status: Mapped[str] = mapped_column(Text)  # pending | sent | failed
    message_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Filing(AuditBase):
    """One row per report filed for a (provider, period): ``seq`` 0 is the first filing, n + 1 the correction of
    filing n. The unique constraint on (provider, period, seq) lets exactly one run file a period, or correct a
    given filing, however many race for it (migration audit_0003)."""

    __tablename__ = "filings"
    __table_args__ = (
        UniqueConstraint("provider", "period", "seq", name="uq_filings_period_seq"),
        UniqueConstraint("provider", "period", "report_id", name="uq_filings_period_report"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    provider: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(Integer)
    report_id: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(Text)
    supersedes: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(Text)  # submitting | submitted
    run_id: Mapped[int | None] = mapped_column(ForeignKey("report_runs.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
