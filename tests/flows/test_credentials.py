"""Credentials never leak: a planted S3 secret key (in the environment) and a planted SMTP password (in a Prefect
Secret block) carry a whole run of the flow against a real SeaweedFS and a real SMTP server that checks the
password, and then neither appears among the run's parameters, its logs, its artifacts, its task runs, its
persisted results, the audit database, the rendered artefacts, the stored objects or the e-mails."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from csa_report.local.seaweed import S3Endpoint, local_s3
from csa_report.period import Period
from csa_report.seed import seed
from tests.flows.flow_helpers import flow_env
from tests.support.services import SmtpController, smtp_controller
from tests.support.storage import CollectingHandler

S3_SECRET = f"PlantedS3Secret{uuid.uuid4().hex}"
SMTP_SECRET = f"PlantedSmtpPassword{uuid.uuid4().hex}"
SMTP_USER = "csa-mailer"


class CheckingAuthenticator:
    """Accepts exactly (SMTP_USER, SMTP_SECRET) and records every attempt, so the test knows the password
    really travelled to the server (and was therefore really in the process)."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, bool]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == SMTP_USER
            and auth_data.password.decode() == SMTP_SECRET
        )
        self.attempts.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def planted_s3(tmp_path: Path) -> Iterator[S3Endpoint]:
    """SeaweedFS whose only identity has the planted secret key (its identity file is written before start)."""
    data = tmp_path / "s3"
    data.mkdir()
    identity = {
        "identities": [
            {
                "name": "csa-report",
                "credentials": [{"accessKey": "csa-local", "secretKey": S3_SECRET}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (data / "csa-s3-identity.json").write_text(json.dumps(identity), encoding="utf-8")
    with local_s3(data, lock_days=1) as endpoint:
        assert endpoint.secret_key == S3_SECRET
        yield endpoint


@pytest.fixture
def smtp_with_auth() -> Iterator[tuple[SmtpController, CollectingHandler, CheckingAuthenticator]]:
    handler, auth = CollectingHandler(), CheckingAuthenticator()
    with smtp_controller(handler, authenticator=auth, auth_require_tls=False) as controller:
        yield controller, handler, auth


def _hits(blob: bytes | str, where: str) -> list[str]:
    data = blob.encode() if isinstance(blob, str) else blob
    return [
        f"{name} in {where}"
        for name, secret in (("S3 secret", S3_SECRET), ("SMTP password", SMTP_SECRET))
        if secret.encode() in data
    ]


def test_planted_secrets_appear_nowhere(
    prefect_server, planted_s3, smtp_with_auth, tmp_path, monkeypatch, caplog, capsys
) -> None:
    from prefect import get_client
    from prefect.blocks.system import Secret
    from prefect.settings import get_current_settings

    from csa_report.flows.annual_report import annual_report

    controller, handler, auth = smtp_with_auth
    block = f"csa-smtp-{uuid.uuid4().hex[:8]}"
    Secret(value=SMTP_SECRET).save(block, overwrite=True)
    env = flow_env(tmp_path, planted_s3, int(controller.port), CSA_SMTP_USER=SMTP_USER, CSA_SMTP_PASSWORD_BLOCK=block)
    monkeypatch.delenv("CSA_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("CSA_CONFIG", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert S3_SECRET in env["CSA_S3_SECRET_KEY"]
    caplog.set_level(logging.DEBUG, logger="csa_report")
    caplog.set_level(logging.DEBUG, logger="tasks")
    caplog.set_level(logging.DEBUG, logger="flows")
    caplog.set_level(logging.INFO, logger="prefect")
    started = time.time()

    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=11)
    result = annual_report(period="2025", as_of="2026-01-15T00:00:00Z", source_db=url, approve_as="Dara Kelly")

    # The secrets were really used: S3 accepted the signature, the SMTP server the password.
    assert len(result.submission.archived) == 6
    assert len(handler.messages) == 2
    assert auth.attempts and all(ok for _mechanism, ok in auth.attempts)

    hits: list[str] = []
    searched: dict[str, int] = {"results": 0, "files": 0, "objects": 0}
    with get_client(sync_client=True) as client:
        for run in client.read_flow_runs():
            hits += _hits(run.model_dump_json(), f"flow run {run.name} (parameters, state)")
        for task_run in client.read_task_runs():
            hits += _hits(task_run.model_dump_json(), f"task run {task_run.name}")
        logs = client.read_logs()
        assert logs, "the run wrote logs to the API"
        for entry in logs:
            hits += _hits(entry.message, "a log entry in the Prefect API")
        artifacts = client.read_artifacts()
        assert artifacts, "the run created artifacts"
        for art in artifacts:
            hits += _hits(art.model_dump_json(), f"artifact {art.key}")
    storage = Path(get_current_settings().results.local_storage_path)
    for path in sorted(storage.rglob("*")) if storage.is_dir() else []:
        if path.is_file() and path.stat().st_mtime >= started - 1:
            hits += _hits(path.read_bytes(), f"persisted result {path.name}")
            searched["results"] += 1
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file() and tmp_path / "s3" not in path.parents:  # the store's own identity file holds its key
            hits += _hits(path.read_bytes(), str(path.relative_to(tmp_path)))
            searched["files"] += 1
    s3 = planted_s3.client()
    for bucket in ("csa-staging", "csa-archive"):
        for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
            hits += _hits(body, f"s3://{bucket}/{version['Key']}")
            searched["objects"] += 1
    for message in handler.messages:
        hits += _hits(message.data, f"e-mail to {message.recipients}")
    for record in caplog.records:
        hits += _hits(record.getMessage(), f"log record of {record.name}")
    captured = capsys.readouterr()
    hits += _hits(captured.out + captured.err, "the terminal")

    assert hits == []
    # The search really covered something: persisted task results, the audit DB and the six artefacts, and
    # the staged and archived copies (6 each).
    assert searched["results"] > 0 and searched["files"] >= 8 and searched["objects"] >= 12, searched


def test_smtp_password_from_a_secret_block(prefect_server) -> None:
    from prefect.blocks.system import Secret

    from csa_report.credentials import smtp_password
    from csa_report.errors import ConfigError
    from csa_report.settings import Settings
    from csa_report.tasks.credentials import install

    install()  # as the CLI and the flow do at start

    name = f"csa-smtp-{uuid.uuid4().hex[:8]}"
    Secret(value="block-password").save(name)
    assert smtp_password(Settings(smtp_password_block=name)) == "block-password"
    # The setting wins over the block; neither set means no password.
    assert smtp_password(Settings(smtp_password="setting-password", smtp_password_block=name)) == "setting-password"
    assert smtp_password(Settings()) == ""
    with pytest.raises(ConfigError, match="CSA_SMTP_PASSWORD_BLOCK names the Secret block 'no-such-block'"):
        smtp_password(Settings(smtp_password_block="no-such-block"))
