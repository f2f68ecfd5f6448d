"""The audit trail the flow writes and ``csa-report status`` reads.

Deliveries are claimed before they are sent: a 'pending' row is inserted in its own transaction, and the
unique constraint on (provider, period, report id, recipient) lets exactly one claimer win, across threads,
processes and re-runs. A 'failed' row can be re-claimed (one winner again: a conditional UPDATE); a 'sent'
row never. A 'pending' row left by a crash is not re-claimed automatically, because nobody knows whether that
message went out: ``status`` shows it and an operator decides (``release_delivery``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from csa_report.audit.models import Delivery, DeliveryEvent, Finding, ReportRun, Signoff, StorageObject
from csa_report.db import describe, make_engine, normalise_url, with_retries
from csa_report.period import Period
from csa_report.storage.objects import StoredObject

log = logging.getLogger(__name__)

Location = Literal["staging", "archive", "publication"]
Decision = Literal["approve", "reject"]


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


ClaimOutcome = Literal["claimed", "done", "pending", "unknown"]


@dataclass(frozen=True)
class Claim:
    """What ``claim`` found: ``claimed`` (send now), ``done`` (sent, accepted or confirmed before: never again),
    ``pending`` (claimed by someone whose outcome is not known yet; ``owner`` says who), ``unknown`` (an earlier
    attempt's outcome is unknown: only an operator's confirm or resend settles it)."""

    outcome: ClaimOutcome
    owner: str | None = None


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


def _period(value: Period | str) -> str:
    return str(value)


def _insert_finding(run_id: int, f: FindingRecord) -> Any:
    return insert(Finding).values(run_id=run_id, rule=f.rule, severity=f.severity, count=f.count,
                                  message=f.message, waived_by=f.waived_by)


class AuditLog:
    """All writes and reads of the audit database. Timestamps are passed in; nothing here reads a clock."""

    def __init__(self, engine: Engine, what: str = "audit database") -> None:
        self.engine = engine
        self.what = what

    @classmethod
    def open(cls, raw_url: str, *, migrate: bool = True) -> AuditLog:
        """The audit log at ``raw_url``, migrated to the latest schema unless ``migrate`` is False."""
        if migrate:
            from csa_report.migrate import upgrade

            upgrade(raw_url, "audit")
        return cls(make_engine(raw_url), f"audit database {describe(normalise_url(raw_url))}")

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One transaction (committed on success), the connection retried while unreachable."""
        conn = with_retries(self.engine.connect, self.what)
        try:
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                yield session
        finally:
            conn.close()

    # -- runs, findings, sign-offs ------------------------------------------------------------------------

    def record_run(
        self,
        *,
        provider: str,
        period: Period | str,
        as_of: datetime,
        status: str,
        at: datetime,
        report_id: str | None = None,
        manifest_sha256: str | None = None,
        flow_run_id: str | None = None,
    ) -> int:
        """Insert the run, or update the one with the same provider, period, report id and flow run id."""
        with self._tx() as conn:
            found = conn.execute(
                select(ReportRun.id).where(
                    ReportRun.provider == provider,
                    ReportRun.period == _period(period),
                    _eq(ReportRun.report_id, report_id),
                    _eq(ReportRun.flow_run_id, flow_run_id),
                )
            ).scalar()
            if found is not None:
                conn.execute(
                    update(ReportRun)
                    .where(ReportRun.id == found)
                    .values(status=status, manifest_sha256=manifest_sha256, as_of=as_of, updated_at=at)
                )
                run_id = int(found)
            else:
                run_id = int(
                    conn.execute(
                        insert(ReportRun)
                        .values(
                            provider=provider,
                            period=_period(period),
                            as_of=as_of,
                            report_id=report_id,
                            manifest_sha256=manifest_sha256,
                            status=status,
                            flow_run_id=flow_run_id,
                            created_at=at,
                            updated_at=at,
                        )
                        .returning(ReportRun.id)
                    ).scalar_one()
                )
        log.info("audit run %d: %s %s report=%s status=%s", run_id, provider, period, report_id, status)
        return run_id

    def set_run_status(self, run_id: int, status: str, at: datetime, *, publication_url: str | None = None) -> None:
        values: dict[str, object] = {"status": status, "updated_at": at}
        if publication_url is not None:
            values["publication_url"] = publication_url
        with self._tx() as conn:
            conn.execute(update(ReportRun).where(ReportRun.id == run_id).values(**values))
        log.info("audit run %d: status=%s%s", run_id, status, f" url={publication_url}" if publication_url else "")

    def record_findings(self, run_id: int, findings: Sequence[FindingRecord]) -> None:
        """The run's findings (replacing any recorded before, so re-recording is idempotent)."""
        with self._tx() as conn:
            conn.execute(delete(Finding).where(Finding.run_id == run_id))
            for f in findings:
                conn.execute(_insert_finding(run_id, f))
        log.info("audit run %d: %d findings recorded", run_id, len(findings))

    def add_finding(self, run_id: int, finding: FindingRecord) -> None:
        with self._tx() as conn:
            conn.execute(_insert_finding(run_id, finding))
        log.info("audit run %d: finding %s (%s) added", run_id, finding.rule, finding.severity)

    def record_signoff(self, record: SignoffRecord) -> int:
        with self._tx() as conn:
            signoff_id = int(
                conn.execute(
                    insert(Signoff)
                    .values(
                        run_id=record.run_id,
                        report_id=record.report_id,
                        decision=record.decision,
                        reviewer=record.reviewer,
                        manifest_sha256=record.manifest_sha256,
                        comment=record.comment,
                        automatic=record.automatic,
                        decided_at=record.decided_at,
                        refused_reason=record.refused_reason,
                        signature=record.signature,
                        key_fingerprint=record.key_fingerprint,
                    )
                    .returning(Signoff.id)
                ).scalar_one()
            )
        log.info("audit sign-off %d: report=%s decision=%s automatic=%s refused=%s", signoff_id,
                 record.report_id, record.decision, record.automatic, bool(record.refused_reason))  # fmt: skip
        return signoff_id

    # -- deliveries -----------------------------------------------------------------------------------------

    def claim_delivery(
        self,
        provider: str,
        period: Period | str,
        report_id: str,
        recipient: str,
        *,
        channel: str,
        at: datetime,
        role: str | None = None,
    ) -> bool:
        """True if this caller may send now (it holds the 'pending' row); False otherwise."""
        return self.claim(provider, period, report_id, recipient, channel=channel, at=at, role=role).outcome == (
            "claimed")

    def claim(
        self,
        provider: str,
        period: Period | str,
        report_id: str,
        recipient: str,
        *,
        channel: str,
        at: datetime,
        role: str | None = None,
        owner: str = "",
    ) -> Claim:
        """Claim the delivery for sending (a new row, or a 'failed' one re-claimed: one winner either way), or
        say why not. ``owner`` (host and process) is kept on the claim so a later run can tell a claim whose
        process died (outcome unknown) from one still in progress."""
        key = _delivery_key(provider, period, report_id, recipient)
        claimed_by = f"claimed by {owner}" if owner else "claimed"
        try:
            with self._tx() as conn:
                conn.execute(
                    insert(Delivery).values(
                        **key,
                        role=role,
                        channel=channel,
                        status="pending",
                        attempts=1,
                        detail=claimed_by,
                        created_at=at,
                        updated_at=at,
                    )
                )
                conn.execute(_insert_event(key, "claimed", claimed_by, at))
            log.info("audit delivery claimed: report=%s recipient=%s (first attempt)", report_id, recipient)
            return Claim("claimed")
        except DbIntegrityError:
            pass
        with self._tx() as conn:
            won = _rowcount(
                conn.execute(
                    update(Delivery)
                    .where(*_delivery_where(key), Delivery.status == "failed")
                    .values(status="pending", attempts=Delivery.attempts + 1, channel=channel, detail=claimed_by,
                            updated_at=at)
                )
            )
            if won == 1:
                conn.execute(_insert_event(key, "claimed", f"{claimed_by} (after a failure)", at))
            row = conn.execute(select(Delivery.status, Delivery.detail).where(*_delivery_where(key))).one()
        if won == 1:
            log.info("audit delivery re-claimed after a failure: report=%s recipient=%s", report_id, recipient)
            return Claim("claimed")
        status, detail = str(row[0]), row[1]
        log.info("audit delivery not claimed (%s): report=%s recipient=%s", status, report_id, recipient)
        if status == "accepted":
            # The server took the message; the process stopped before recording 'sent'. It is delivered.
            self._finish(key, {"status": "sent", "updated_at": at}, "sent", "accepted before; recorded now", at,
                         from_status=("accepted",))  # fmt: skip
            return Claim("done")
        if status in ("sent", "confirmed"):
            return Claim("done")
        if status == "pending":
            owner_text = str(detail or "").removeprefix("claimed by ").split(" (", 1)[0] or None
            return Claim("pending", owner_text)
        return Claim("unknown")

    def mark_accepted(
        self, provider: str, period: Period | str, report_id: str, recipient: str, *, message_id: str, detail: str,
        at: datetime,
    ) -> None:
        """The server answered 250 to the message: from here on it is never sent again."""
        values: dict[str, object] = {"status": "accepted", "message_id": message_id, "detail": detail,
                                     "updated_at": at}  # fmt: skip
        self._finish(_delivery_key(provider, period, report_id, recipient), values, "accepted", detail, at)
        log.info("audit delivery accepted by the server: report=%s recipient=%s", report_id, recipient)

    def mark_unknown(
        self, provider: str, period: Period | str, report_id: str, recipient: str, *, detail: str, at: datetime
    ) -> None:
        """The outcome of a claimed delivery is unknown; only an operator's confirm or resend moves it on."""
        self._finish(_delivery_key(provider, period, report_id, recipient),
                     {"status": "unknown", "detail": detail, "updated_at": at}, "unknown", detail, at)  # fmt: skip
        log.warning("audit delivery outcome unknown: report=%s recipient=%s (%s)", report_id, recipient, detail)

    def confirm_delivery(
        self, provider: str, period: Period | str, report_id: str, recipient: str, *, evidence: str, at: datetime
    ) -> bool:
        """Operator action: a delivery of unknown outcome did arrive (``evidence``, e.g. the authority's reply).
        True if the row was unknown or pending and is now 'confirmed'."""
        key = _delivery_key(provider, period, report_id, recipient)
        detail = f"confirmed by the operator: {evidence}"
        with self._tx() as conn:
            done = _rowcount(
                conn.execute(
                    update(Delivery)
                    .where(*_delivery_where(key), Delivery.status.in_(("unknown", "pending")))
                    .values(status="confirmed", detail=detail, updated_at=at)
                )
            )
            if done == 1:
                conn.execute(_insert_event(key, "confirmed", detail, at))
        return done == 1

    def begin_resend(
        self, provider: str, period: Period | str, report_id: str, recipient: str, *, owner: str, at: datetime
    ) -> bool:
        """Operator action: claim a delivery of unknown outcome for sending again (same Message-ID)."""
        key = _delivery_key(provider, period, report_id, recipient)
        detail = f"resend by the operator, claimed by {owner}"
        with self._tx() as conn:
            done = _rowcount(
                conn.execute(
                    update(Delivery)
                    .where(*_delivery_where(key), Delivery.status.in_(("unknown", "pending")))
                    .values(status="pending", attempts=Delivery.attempts + 1, detail=detail, updated_at=at)
                )
            )
            if done == 1:
                conn.execute(_insert_event(key, "resend", detail, at))
        return done == 1

    def delivery_events(self, report_id: str) -> list[DeliveryEventRecord]:
        with self._tx() as conn:
            rows = conn.scalars(
                select(DeliveryEvent).where(DeliveryEvent.report_id == report_id).order_by(DeliveryEvent.id)
            ).all()
        return [DeliveryEventRecord(r.recipient, r.event, r.detail, r.at) for r in rows]

    def mark_delivered(
        self,
        provider: str,
        period: Period | str,
        report_id: str,
        recipient: str,
        *,
        message_id: str,
        detail: str,
        at: datetime,
        channel: str | None = None,
    ) -> None:
        values: dict[str, object] = {"status": "sent", "message_id": message_id, "detail": detail, "updated_at": at}
        if channel:
            values["channel"] = channel
        self._finish(_delivery_key(provider, period, report_id, recipient), values, "sent", detail, at,
                     from_status=("pending", "accepted"))  # fmt: skip
        log.info("audit delivery sent: report=%s recipient=%s message_id=%s", report_id, recipient, message_id)

    def mark_failed(
        self, provider: str, period: Period | str, report_id: str, recipient: str, *, detail: str, at: datetime
    ) -> None:
        self._finish(
            _delivery_key(provider, period, report_id, recipient),
            {"status": "failed", "detail": detail, "updated_at": at}, "failed", detail, at,
        )
        log.info("audit delivery failed: report=%s recipient=%s (%s)", report_id, recipient, detail)

    def release_delivery(
        self, provider: str, period: Period | str, report_id: str, recipient: str, *, detail: str, at: datetime
    ) -> bool:
        """Operator action: turn a stuck 'pending' row into 'failed' so the next run sends again."""
        with self._tx() as conn:
            done = _rowcount(
                conn.execute(
                    update(Delivery)
                    .where(*_delivery_where(_delivery_key(provider, period, report_id, recipient)))
                    .where(Delivery.status == "pending")
                    .values(status="failed", detail=detail, updated_at=at)
                )
            )
        return done == 1

    def _finish(self, key: dict[str, str], values: dict[str, object], event: str, detail: str | None,
                at: datetime, from_status: tuple[str, ...] = ("pending",)) -> None:  # fmt: skip
        with self._tx() as conn:
            done = _rowcount(conn.execute(
                update(Delivery).where(*_delivery_where(key), Delivery.status.in_(from_status)).values(**values)))
            if done == 1:
                conn.execute(_insert_event(key, event, detail, at))

    def deliveries(self, report_id: str) -> list[DeliverySummary]:
        with self._tx() as conn:
            rows = conn.scalars(
                select(Delivery).where(Delivery.report_id == report_id).order_by(Delivery.recipient)
            ).all()
        return [_delivery_summary(r) for r in rows]

    # -- stored objects -------------------------------------------------------------------------------------

    def record_objects(self, report_id: str, location: Location, objects: Sequence[StoredObject], at: datetime) -> None:
        """Record each object once (by location, bucket and key); re-recording is a no-op."""
        for obj in objects:
            try:
                with self._tx() as conn:
                    exists = conn.execute(
                        select(StorageObject.id).where(
                            StorageObject.location == location,
                            StorageObject.bucket == obj.bucket,
                            StorageObject.key == obj.key,
                        )
                    ).scalar()
                    if exists is not None:
                        continue
                    conn.execute(
                        insert(StorageObject).values(
                            report_id=report_id,
                            location=location,
                            bucket=obj.bucket,
                            key=obj.key,
                            version_id=obj.version_id,
                            sha256=obj.sha256_hex,
                            size=obj.size,
                            etag=obj.etag,
                            content_type=obj.content_type,
                            lock_mode=obj.lock_mode,
                            retain_until=obj.retain_until,
                            recorded_at=at,
                        )
                    )
            except DbIntegrityError:
                continue  # recorded concurrently by another run
            log.info("audit object recorded: report=%s %s s3://%s/%s version=%s sha256=%s", report_id, location,
                     obj.bucket, obj.key, obj.version_id, obj.sha256_hex)  # fmt: skip

    def stored_objects(self, report_id: str, location: Location) -> list[StoredObject]:
        with self._tx() as conn:
            rows = conn.scalars(
                select(StorageObject)
                .where(StorageObject.report_id == report_id, StorageObject.location == location)
                .order_by(StorageObject.key)
            ).all()
        return [
            StoredObject(
                bucket=r.bucket,
                key=r.key,
                version_id=r.version_id,
                sha256_hex=r.sha256,
                size=int(r.size),
                etag=r.etag or "",
                content_type=r.content_type,
                lock_mode=r.lock_mode,
                retain_until=r.retain_until,
            )
            for r in rows
        ]

    # -- status ---------------------------------------------------------------------------------------------

    def status(self, period: Period | str | None = None) -> list[RunSummary]:
        """Runs (oldest first) with their findings, sign-offs and deliveries, for ``csa-report status``."""
        with self._tx() as conn:
            query = select(ReportRun).order_by(ReportRun.created_at, ReportRun.id)
            if period is not None:
                query = query.where(ReportRun.period == _period(period))
            runs = conn.scalars(query).all()
            out: list[RunSummary] = []
            for run in runs:
                findings = conn.scalars(
                    select(Finding).where(Finding.run_id == run.id).order_by(Finding.rule, Finding.id)
                ).all()
                own = (Signoff.run_id.is_(None)) & _eq(Signoff.report_id, run.report_id)
                signoffs = conn.scalars(
                    select(Signoff).where((Signoff.run_id == run.id) | own).order_by(Signoff.decided_at, Signoff.id)
                ).all()
                deliveries = conn.scalars(
                    select(Delivery)
                    .where(
                        Delivery.provider == run.provider,
                        Delivery.period == run.period,
                        _eq(Delivery.report_id, run.report_id),
                    )
                    .order_by(Delivery.recipient)
                ).all()
                out.append(
                    RunSummary(
                        run_id=run.id,
                        provider=run.provider,
                        period=run.period,
                        as_of=run.as_of,
                        report_id=run.report_id,
                        manifest_sha256=run.manifest_sha256,
                        status=run.status,
                        flow_run_id=run.flow_run_id,
                        publication_url=run.publication_url,
                        created_at=run.created_at,
                        updated_at=run.updated_at,
                        findings=tuple(
                            FindingRecord(f.rule, f.severity, f.message, f.count, f.waived_by) for f in findings
                        ),
                        signoffs=tuple(
                            SignoffRecord(
                                report_id=s.report_id,
                                decision=_decision(s.decision),
                                reviewer=s.reviewer,
                                manifest_sha256=s.manifest_sha256,
                                decided_at=s.decided_at,
                                comment=s.comment,
                                automatic=bool(s.automatic),
                                refused_reason=s.refused_reason,
                                run_id=s.run_id,
                                signature=s.signature,
                                key_fingerprint=s.key_fingerprint,
                            )
                            for s in signoffs
                        ),
                        deliveries=tuple(_delivery_summary(d) for d in deliveries),
                    )
                )
        return out


def _eq(
    column: InstrumentedAttribute[str | None] | InstrumentedAttribute[str], value: str | None
) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _decision(value: str) -> Decision:
    return "approve" if value == "approve" else "reject"


def _rowcount(result: object) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def _delivery_key(provider: str, period: Period | str, report_id: str, recipient: str) -> dict[str, str]:
    return {"provider": provider, "period": _period(period), "report_id": report_id, "recipient": recipient}


def _insert_event(key: dict[str, str], event: str, detail: str | None, at: datetime) -> Any:
    return insert(DeliveryEvent).values(**key, event=event, detail=detail, at=at)


def _delivery_where(key: dict[str, str]) -> list[ColumnElement[bool]]:
    return [
        Delivery.provider == key["provider"],
        Delivery.period == key["period"],
        Delivery.report_id == key["report_id"],
        Delivery.recipient == key["recipient"],
    ]


def _delivery_summary(r: Delivery) -> DeliverySummary:
    return DeliverySummary(
        recipient=r.recipient, role=r.role, channel=r.channel, status=r.status, attempts=int(r.attempts),
        message_id=r.message_id, detail=r.detail, updated_at=r.updated_at,
    )  # fmt: skip
