"""The Prefect side of csa_report/credentials.py: named ``AwsCredentials`` (prefect-aws) and ``Secret`` blocks,
read from the Prefect API this process uses. :func:`install` hands them to the library, which never imports
Prefect; the CLI and the flow call it at start."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from csa_report.credentials import use_block_store
from csa_report.errors import ConfigError

if TYPE_CHECKING:
    import boto3


class PrefectBlocks:
    """The library's ``BlockStore`` over Prefect blocks; each block is loaded when it is needed."""

    def aws_session(self, name: str) -> boto3.session.Session:
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

    def secret(self, name: str) -> str:
        from prefect.blocks.system import Secret

        block: Any = _load_block(Secret, name, "Secret", "CSA_SMTP_PASSWORD_BLOCK")
        return str(block.get())


def install() -> None:
    """Let the library read the credential blocks the settings name (idempotent; imports no Prefect yet)."""
    use_block_store(PrefectBlocks())


def _load_block(cls: Any, name: str, kind: str, setting: str) -> Any:
    try:
        return cls.load(name, _sync=True)
    except ValueError:
        raise ConfigError(
            f"setting {setting} names the {kind} block {name!r}, which does not exist in the "
            "Prefect API this process uses"
        ) from None
