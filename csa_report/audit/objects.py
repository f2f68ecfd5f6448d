"""The objects stored for a report (staging, archive, publication), each recorded once."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from csa_report.audit.models import StorageObject
from csa_report.audit.records import Location
from csa_report.audit.store import AuditStore
from csa_report.storage.objects import StoredObject

log = logging.getLogger(__name__)


class Objects(AuditStore):
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
            log.info(
                "audit object recorded: report=%s %s s3://%s/%s version=%s sha256=%s",
                report_id,
                location,
                obj.bucket,
                obj.key,
                obj.version_id,
                obj.sha256_hex,
            )

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
