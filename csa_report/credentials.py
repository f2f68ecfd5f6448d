"""Credentials the way the ecosystem keeps them: explicit settings, Prefect blocks (for operators who manage
secrets in the Prefect UI), or boto3's standard chain (environment, profile, web identity/IRSA, ECS task role,
instance role). Values are read when they are needed and never returned in a form that prints them.

The library never imports Prefect: a named block is read through the :class:`BlockStore` the layer above
installs (csa_report/tasks/credentials.py; the CLI and the flow install it at start). Without one, naming a
block is a configuration error rather than a silent fall-back to other credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from csa_report.errors import ConfigError
from csa_report.settings import S3Settings, SmtpSettings

if TYPE_CHECKING:
    import boto3


class BlockStore(Protocol):
    """Reads the credential blocks the settings name; raises ConfigError when a block does not exist."""

    def aws_session(self, name: str) -> boto3.session.Session:
        """A boto3 session from the AwsCredentials block ``name``."""
        ...

    def secret(self, name: str) -> str:
        """The value of the Secret block ``name``."""
        ...


_store: BlockStore | None = None


def use_block_store(store: BlockStore | None) -> None:
    """Install the reader of named credential blocks (None removes it)."""
    global _store
    _store = store


def _blocks(setting: str, name: str) -> BlockStore:
    if _store is None:
        raise ConfigError(
            f"setting {setting} names the block {name!r}, but no Prefect block store is installed in "
            "this process (csa_report.tasks.credentials.install(); the CLI and the flow do it)"
        )
    return _store


def aws_session(settings: S3Settings) -> boto3.session.Session | None:
    """A boto3 session from the Prefect ``AwsCredentials`` block named by ``aws_credentials_block``, or None when
    explicit S3 keys are set or no block is named (then boto3's standard chain applies)."""
    name = settings.aws_credentials_block
    if not name or (settings.s3_access_key and settings.s3_secret_key):
        return None
    return _blocks("CSA_AWS_CREDENTIALS_BLOCK", name).aws_session(name)


def smtp_password(settings: SmtpSettings) -> str:
    """The SMTP password: ``smtp_password``, else the Prefect Secret block named by ``smtp_password_block``,
    else empty."""
    if settings.smtp_password is not None:
        return settings.smtp_password.get_secret_value()
    name = settings.smtp_password_block
    if not name:
        return ""
    return _blocks("CSA_SMTP_PASSWORD_BLOCK", name).secret(name)
