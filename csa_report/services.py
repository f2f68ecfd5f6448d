"""The resources of one command or flow run, built once from its settings and handed down: the S3 store and the
audit log (dagster-style resources, by name). A run reads its settings once, migrates the audit database once
(:meth:`Services.start`), and every step uses the same store and audit log instead of building its own.

Prefect tasks cannot take them as parameters: a task's inputs are hashed into its cache key and persisted with
its result, and a boto3 client or an engine is neither. So the flow binds its ``Services`` to the run
(:func:`bound`) and a task asks for them with :func:`current`. Outside a run there are none: a caller that runs
a task on its own binds the services it built from its own settings (nothing below the entry points reads
settings).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from csa_report.settings import Settings

if TYPE_CHECKING:
    from csa_report.audit import AuditLog
    from csa_report.storage import S3Store


@dataclass
class Services:
    """One run's settings and the clients made from them (each made on first use, then reused)."""

    settings: Settings
    #: Migrate the audit database when it is first opened: only for services made outside a run's start.
    migrate_audit: bool = False
    _store: S3Store | None = field(default=None, init=False, repr=False)
    _audit: AuditLog | None = field(default=None, init=False, repr=False)

    @classmethod
    def start(cls, settings: Settings, *, migrate_audit: bool = True) -> Services:
        """The services of a run that starts now: the audit database is brought to the latest schema here, once
        per run (``csa-report db upgrade --schema audit`` does the same ahead of time), never on each open."""
        if migrate_audit:
            from csa_report.migrate import upgrade

            upgrade(settings.audit.audit_db, "audit")
        return cls(settings)

    @property
    def store(self) -> S3Store:
        if self._store is None:
            from csa_report.storage import S3Store

            self._store = S3Store.from_settings(self.settings.s3)
        return self._store

    @property
    def audit(self) -> AuditLog:
        if self._audit is None:
            from csa_report.audit import AuditLog

            self._audit = AuditLog.open(self.settings.audit.audit_db, migrate=self.migrate_audit)
        return self._audit


_CURRENT: ContextVar[Services | None] = ContextVar("csa_report_services", default=None)


@contextmanager
def bound(services: Services) -> Iterator[Services]:
    """Make ``services`` the current run's for the duration (Prefect copies the context into task runs)."""
    token = _CURRENT.set(services)
    try:
        yield services
    finally:
        _CURRENT.reset(token)


def current() -> Services:
    """The services bound to the current run (:func:`bound`)."""
    services = _CURRENT.get()
    if services is None:
        raise RuntimeError("no services are bound: the flow (or the caller of a task) binds them with bound()")
    return services
