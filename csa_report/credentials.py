"""Credentials the way the ecosystem keeps them: explicit settings, Prefect blocks (for operators who manage
secrets in the Prefect UI), or boto3's standard chain (environment, profile, web identity/IRSA, ECS task role,
instance role). Values are read when they are needed and never returned in a form that prints them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from csa_report.errors import ConfigError
from csa_report.settings import S3Settings, SmtpSettings

if TYPE_CHECKING:
    import boto3


def aws_session(settings: S3Settings) -> boto3.session.Session | None:
    """A boto3 session from the Prefect ``AwsCredentials`` block named by ``aws_credentials_block``, or None when
    explicit S3 keys are set or no block is named (then boto3's standard chain applies)."""
    name = settings.aws_credentials_block
    if not name or (settings.s3_access_key and settings.s3_secret_key):
        return None
    try:
        from prefect_aws import AwsCredentials
    except ImportError:
        raise ConfigError(
            f"setting aws_credentials_block (CSA_AWS_CREDENTIALS_BLOCK) names {name!r}, but prefect-aws is not "
            "installed: pip install 'csa-report[aws]'"
        ) from None
    block: Any = _load_block(AwsCredentials, name, "AwsCredentials", "CSA_AWS_CREDENTIALS_BLOCK")
    session: boto3.session.Session = block.get_boto3_session()
    return session


def smtp_password(settings: SmtpSettings) -> str:
    """The SMTP password: ``smtp_password``, else the Prefect Secret block named by ``smtp_password_block``,
    else empty."""
    if settings.smtp_password is not None:
        return settings.smtp_password.get_secret_value()
    name = settings.smtp_password_block
    if not name:
        return ""
    from prefect.blocks.system import Secret

    block: Any = _load_block(Secret, name, "Secret", "CSA_SMTP_PASSWORD_BLOCK")
    return str(block.get())


def _load_block(cls: Any, name: str, kind: str, setting: str) -> Any:
    try:
        return cls.load(name, _sync=True)
    except ValueError:
        raise ConfigError(f"setting {setting} names the {kind} block {name!r}, which does not exist in the "
                          "Prefect API this process uses") from None
