"""The S3 calls a worker really makes, recorded with botocore's events while a report is staged, linked for
review, verified, archived and published on SeaweedFS, are all among those the AWS template's worker role
allows (tests/infra/test_aws_template.py maps each call to its IAM actions and checks the template)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from csa_report.audit import AuditLog
from csa_report.filing.submit import submit_report
from csa_report.settings import Settings
from csa_report.storage import S3Store, stage
from csa_report.storage.report import review_links
from tests.infra.test_aws_template import OPERATION_ACTIONS, code_s3_operations
from tests.support.storage import FakeReport

AS_OF = datetime(2026, 1, 15)
NOW = datetime(2026, 1, 20, 9, 30)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every S3 operation any client made through S3Store.from_settings, by boto3 method name."""
    calls: list[str] = []
    original = S3Store.from_settings.__func__  # type: ignore[attr-defined]

    def from_settings(cls: type[S3Store], settings: Settings, **kw: Any) -> S3Store:
        store = original(cls, settings, **kw)
        names = {v: k for k, v in store.client.meta.method_to_api_mapping.items()}

        def before_call(model: Any, **_kw: Any) -> None:
            calls.append(names[model.name])

        store.client.meta.events.register("before-call.s3", before_call)
        return store

    monkeypatch.setattr(S3Store, "from_settings", classmethod(from_settings))
    return calls


def test_worker_calls_are_the_mapped_ones(settings: Settings, report: FakeReport, recorded: list[str]) -> None:
    audit = AuditLog.open(settings.audit_db)
    store = S3Store.from_settings(settings)
    staged = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    links = review_links(store, staged, 3600)
    assert len(links) == len(staged)
    audit.record_objects(report.ref.report_id, "staging", staged, NOW)
    ref = report.ref
    run_id = audit.record_run(
        provider=ref.provider,
        period=ref.period,
        as_of=AS_OF,
        status="approved",
        at=NOW,
        report_id=ref.report_id,
        manifest_sha256=report.manifest_sha256,
    )
    result = submit_report(
        store=S3Store.from_settings(settings),
        audit=audit,
        settings=settings,
        ref=ref,
        run_id=run_id,
        staged=audit.stored_objects(ref.report_id, "staging"),
        manifest_sha256=report.manifest_sha256,
        message_date=AS_OF,
        clock=lambda: NOW,
        recipients=[("supervisory authority", "dsc@authority.example")],
    )
    assert result.archived and result.publication is not None

    made = set(recorded)
    # Staging, verifying, archiving and publishing use exactly these three API calls (presigning makes none).
    assert made == {"put_object", "head_object", "get_object"}
    assert made <= set(OPERATION_ACTIONS)
    assert made <= code_s3_operations()  # the static scan of the code sees every call made at run time
