"""The one settings object: environment variables with the ``CSA_`` prefix, an optional config file, and
command-line overrides. Secrets are ``SecretStr`` so they never appear in logs, reprs or rendered output.

``Settings`` stays flat, so every ``CSA_*`` name is the field name. Modules take only the part they use
(``settings.s3``, ``settings.smtp``, …): small frozen views whose fields keep the flat names, so an error or a log
line about ``s3_endpoint`` still names ``CSA_S3_ENDPOINT``. Settings are read once per command or flow run and
passed down; nothing below the entry points calls ``load_settings`` or reads the environment, and nothing
writes it (tests/core/test_settings_once.py greps for both). An entry point that hands a value on to a flow
running in the same process (``csa-report run --db``) uses :func:`overriding`, not the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from csa_report.errors import ConfigError


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceSettings(_Part):
    """The source database and the inputs a report is made from (extract, check, render)."""

    source_db: str | None
    policies: Path | None
    waivers: Path | None
    templates: Path | None
    output_dir: Path
    render_timeout_s: float
    extract_jit: bool
    extract_parallel_workers: int
    extract_connections: int
    extract_duckdb_memory_mb: int | None


class S3Settings(_Part):
    """The object store: endpoint, credentials, buckets and prefixes, retention, review links."""

    s3_endpoint: str | None
    s3_region: str
    s3_access_key: SecretStr | None
    s3_secret_key: SecretStr | None
    s3_max_attempts: int
    staging_bucket: str
    staging_prefix: str
    archive_bucket: str
    archive_prefix: str
    publication_bucket: str | None
    publication_prefix: str
    publication_base_url: str | None
    object_lock_days: int
    sse: str | None
    review_link_seconds: int
    kms_key_id: str | None
    staging_expire_days: int
    aws_credentials_block: str | None


class SmtpSettings(_Part):
    """E-mail: the SMTP server (or the outbox folder when there is none) and the delivery claim wait."""

    smtp_host: str | None
    smtp_port: int
    smtp_user: str | None
    smtp_password: SecretStr | None
    smtp_tls: str
    smtp_ca_file: Path | None
    smtp_from: str
    outbox: Path
    smtp_password_block: str | None
    smtp_timeout_s: float
    delivery_claim_wait_s: float


class AuditSettings(_Part):
    audit_db: str


class SignoffSettings(_Part):
    """The human sign-off: time-out, polling, who is told, where the UI is, how long review links live."""

    signoff_timeout_s: int
    signoff_poll_s: int
    signoff_notify: tuple[str, ...]
    ui_url: str | None
    review_link_seconds: int


class RetrySettings(_Part):
    """The one back-off schedule of every task that retries (tasks/retry.py applies it)."""

    task_retry_delays_s: tuple[int, ...]


class SealSettings(_Part):
    """The PAdES seal of the PDF: a PKCS#12 file or a PKCS#11 token, or neither."""

    seal_pkcs12: Path | None
    seal_pkcs12_password: SecretStr | None
    seal_pkcs11_module: Path | None
    seal_pkcs11_token: str | None
    seal_pkcs11_key_label: str | None
    seal_pkcs11_pin: SecretStr | None


P = TypeVar("P", bound=_Part)


class Settings(BaseSettings):
    """Everything configurable. Field ``x`` is read from ``CSA_X`` or from ``x = …`` in the config file
    named by ``CSA_CONFIG`` (TOML)."""

    model_config = SettingsConfigDict(env_prefix="CSA_", extra="forbid", frozen=True)

    source_db: str | None = Field(None, description="Source (reporting schema) database URL, read-only")
    audit_db: str = Field("sqlite:///csa-audit.db", description="Audit database URL")
    policies: Path | None = Field(None, description="Policy folder (policies.md §1)")
    waivers: Path | None = Field(None, description="Waivers file (policies.md §3, last paragraph)")
    templates: Path | None = Field(None, description="Own template folder for branding; default templates otherwise")
    output_dir: Path = Field(Path("csa-output"), description="Where rendered artefacts are written")
    render_timeout_s: float = Field(
        300.0, gt=0, le=3600, description="Seconds the PDF layout of one report may take before rendering exits 4"
    )

    s3_endpoint: str | None = Field(None, description="S3 endpoint URL (SeaweedFS, MinIO, …); None = AWS")
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_max_attempts: int = Field(4, ge=1, le=20, description="botocore standard retries: total attempts")
    staging_bucket: str = "csa-staging"
    staging_prefix: str = "pending"
    archive_bucket: str = "csa-archive"
    archive_prefix: str = "submitted"
    publication_bucket: str | None = None
    publication_prefix: str = "public"
    publication_base_url: str | None = Field(None, description="Public URL the publication prefix is served at")
    object_lock_days: int = Field(3650, ge=1, description="COMPLIANCE retention of archived objects, in days")
    sse: str | None = Field("AES256", description="Server-side encryption for uploads, or None")
    review_link_seconds: int = Field(
        7 * 24 * 3600,
        ge=60,
        le=7 * 24 * 3600,
        description="How long the sign-off's presigned review links work, in seconds (S3 allows 7 days); never "
        "longer than the sign-off time-out, and the e-mail says how long",
    )
    kms_key_id: str | None = Field(
        None, description="KMS key (id or ARN) for the buckets' default encryption (`storage init`); None = AES256"
    )
    staging_expire_days: int = Field(
        90, ge=1, description="`storage init`: staged (review) copies expire after this many days"
    )
    aws_credentials_block: str | None = Field(
        None, description="Name of a Prefect AwsCredentials block used for S3 when no S3 keys are set"
    )

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: str = Field("starttls", pattern="^(starttls|ssl|none)$")
    smtp_ca_file: Path | None = Field(
        None,
        description="PEM file of the certificate authorities that vouch for the SMTP server's TLS certificate "
        "(a relay with an internal CA); default: the system's trusted authorities",
    )
    smtp_from: str = Field(
        "transparency-report@example.org",
        description="Sender address of the report e-mails, the provider's own: required outside the demo, which "
        "uses this default (an address on localhost, without a domain or on an example name: exit 2)",
    )
    outbox: Path = Path("outbox")
    smtp_password_block: str | None = Field(
        None, description="Name of a Prefect Secret block holding the SMTP password (instead of smtp_password)"
    )
    prefect_startup_timeout_s: float = Field(
        90.0, gt=0, description="How long the ephemeral Prefect API may take to start before the run exits 3"
    )
    error_log_dir: Path | None = Field(
        None, description="Where the CLI writes the traceback of an unexpected error (default: <tmp>/csa-report)"
    )
    log_level: str = Field(
        "WARNING",
        pattern="^(?i:debug|info|warning|error|critical)$",
        description="Level of the CLI's own log lines on the terminal (DEBUG, INFO, WARNING, ERROR, CRITICAL)",
    )
    notify_webhook_url: SecretStr | None = Field(
        None, description="Chat automation: any URL that takes a JSON POST when a run waits for sign-off"
    )
    notify_slack_url: SecretStr | None = Field(None, description="Chat automation: a Slack incoming-webhook URL")
    notify_teams_url: SecretStr | None = Field(None, description="Chat automation: a Teams incoming-webhook URL")
    smtp_timeout_s: float = Field(30.0, gt=0, le=600, description="Seconds to wait for each SMTP server reply")
    delivery_claim_wait_s: float = Field(
        120.0,
        ge=0,
        le=3600,
        description="How long a run waits for a delivery another live run has claimed before calling it unknown",
    )

    signoff_timeout_s: int = Field(14 * 24 * 3600, ge=1)
    task_retry_delays_s: tuple[int, ...] = Field(
        (5, 30, 120), description="Back-off between retries of a step whose database, store or server is unreachable"
    )
    signoff_poll_s: int = Field(10, ge=1, description="How often a paused (ad-hoc) run checks for the answer")
    signoff_notify: tuple[str, ...] = Field(
        (), description="E-mail addresses told when a run waits for sign-off (JSON list); empty = no e-mail"
    )
    ui_url: str | None = Field(
        None, description="Prefect UI address used in notification links; default: the Prefect setting PREFECT_UI_URL"
    )

    extract_jit: bool = Field(False, description="PostgreSQL JIT in the read-only extraction transaction")
    extract_parallel_workers: int = Field(
        0, ge=0, le=64, description="PostgreSQL max_parallel_workers_per_gather in the extraction transaction"
    )
    extract_connections: int = Field(
        1, ge=1, le=8, description="Read-only connections sharing one snapshot for the extraction (PostgreSQL)"
    )
    extract_duckdb_memory_mb: int | None = Field(
        None,
        ge=64,
        le=1_048_576,
        description="DuckDB memory_limit of the extraction, in MiB (larger work spills to the temporary folder); "
        "default: DuckDB's own, 80 % of RAM",
    )

    seal_pkcs12: Path | None = Field(None, description="PKCS#12 file (certificate + key) that seals the PDF (PAdES)")
    seal_pkcs12_password: SecretStr | None = Field(None, description="Passphrase of the seal's PKCS#12 file")
    seal_pkcs11_module: Path | None = Field(None, description="PKCS#11 library of a token holding the seal's key")
    seal_pkcs11_token: str | None = Field(None, description="PKCS#11 token label of the seal")
    seal_pkcs11_key_label: str | None = Field(None, description="PKCS#11 key (and certificate) label of the seal")
    seal_pkcs11_pin: SecretStr | None = Field(None, description="PKCS#11 user PIN of the seal's token")

    demo: bool = Field(
        False,
        description="Set by `csa-report demo` only (settings.overriding): the published example keys may sign. "
        "Not read from the environment or the config file (CSA_DEMO there is refused), so that an installation "
        "cannot switch it on by copying the demo's settings",
    )

    def _part(self, part: type[P]) -> P:
        # Already validated as part of Settings: construct without validating again.
        return cast(P, part.model_construct(**{name: getattr(self, name) for name in part.model_fields}))

    @property
    def source(self) -> SourceSettings:
        return self._part(SourceSettings)

    @property
    def s3(self) -> S3Settings:
        return self._part(S3Settings)

    @property
    def smtp(self) -> SmtpSettings:
        return self._part(SmtpSettings)

    @property
    def audit(self) -> AuditSettings:
        return self._part(AuditSettings)

    @property
    def signoff(self) -> SignoffSettings:
        return self._part(SignoffSettings)

    @property
    def retries(self) -> RetrySettings:
        return self._part(RetrySettings)

    @property
    def seal(self) -> SealSettings:
        return self._part(SealSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, _NotDemo(env_settings, "CSA_DEMO")]
        config_file = os.environ.get("CSA_CONFIG")
        if config_file:
            toml = TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file))
            sources.append(_NotDemo(toml, f"demo in {config_file}"))
        return tuple(sources)


class _NotDemo(PydanticBaseSettingsSource):
    """The environment or the config file, refusing to set ``demo``: only ``csa-report demo`` marks its own
    settings (through :func:`overriding`), so a copied CSA_DEMO cannot let the published example keys sign."""

    def __init__(self, inner: PydanticBaseSettingsSource, name: str) -> None:
        super().__init__(inner.settings_cls)
        self._inner, self._name = inner, name

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        values = self._inner()
        if "demo" in values:
            raise ConfigError(f"{self._name} cannot be set: only `csa-report demo` runs as the demo")
        return values


_OVERRIDES: dict[str, Any] = {}


@contextmanager
def overriding(**values: Any) -> Iterator[None]:
    """For the duration, :func:`load_settings` in this process sees ``values`` as if they had been passed to it
    (a None here is a value: the demo's ``smtp_host=None`` means no SMTP server whatever the environment says):
    how ``csa-report run --db URL`` reaches the flow it runs in-process without putting the URL among the run's
    parameters or into the environment."""
    given = dict(values)
    unknown = sorted(set(given) - set(Settings.model_fields))
    if unknown:
        raise ValueError(f"not settings: {', '.join(unknown)}")
    saved = dict(_OVERRIDES)
    _OVERRIDES.update(given)
    try:
        yield
    finally:
        _OVERRIDES.clear()
        _OVERRIDES.update(saved)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and config file, with explicit (CLI) overrides winning."""
    clean = {**_OVERRIDES, **{k: v for k, v in overrides.items() if v is not None}}
    config_file = os.environ.get("CSA_CONFIG")
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"CSA_CONFIG names {config_file}, which is not a file")
    try:
        return Settings(**clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {name} (CSA_{name.upper()}): {first['msg']}") from None


def require(value: Any, name: str) -> Any:
    """Return ``value`` or raise ConfigError naming the missing setting."""
    if value is None or value == "":
        raise ConfigError(f"setting {name} is required: pass --{name.replace('_', '-')} or set CSA_{name.upper()}")
    return value
