"""``csa-report storage init``: provision the staging and archive buckets on any S3-compatible store."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def register(app: typer.Typer) -> None:
    storage = typer.Typer(help="Provision the S3 buckets csa-report writes to.", no_args_is_help=True)
    app.add_typer(storage, name="storage")

    @storage.command("init")
    def init(
        endpoint: Annotated[
            str | None, typer.Option("--endpoint", help="S3 endpoint URL (CSA_S3_ENDPOINT; unset = AWS)")
        ] = None,
        lock_days: Annotated[
            int | None,
            typer.Option(
                "--lock-days", help="Default COMPLIANCE retention of the archive, in days (CSA_OBJECT_LOCK_DAYS)"
            ),
        ] = None,
    ) -> None:
        """Create the staging bucket (versioned, encrypted, private, staged copies expire), the archive bucket
        (Object Lock in COMPLIANCE mode with the default retention) and the publication bucket if one is set,
        then report every feature the store did not accept. Exit 2 when the archive has no Object Lock."""
        from csa_report.errors import ConfigError
        from csa_report.settings import load_settings
        from csa_report.storage.client import make_client
        from csa_report.storage.provision import missing_object_lock, provision

        settings = load_settings(s3_endpoint=endpoint, object_lock_days=lock_days)
        client = make_client(settings.s3)
        tls = str(client.meta.endpoint_url).startswith("https://")
        outcomes = provision(client, settings.s3, tls=tls)
        table = Table("bucket", "role", "feature", "result", "detail")
        for o in outcomes:
            style = {"ok": "green", "skipped": "yellow"}.get(o.status, "red")
            table.add_row(o.bucket, o.role, o.feature, f"[{style}]{o.status}[/]", o.detail)
        console.print(table)
        refused = [o for o in outcomes if o.status == "not accepted"]
        if refused:
            console.print(
                f"the store at {client.meta.endpoint_url} did not accept: "
                + "; ".join(f"{o.bucket} {o.feature}" for o in refused)
            )
        missing = missing_object_lock(outcomes)
        if missing:
            raise ConfigError(
                f"bucket {missing[0].bucket} at {client.meta.endpoint_url} has no Object Lock in COMPLIANCE mode "
                f"with a default retention of {settings.object_lock_days} days ({missing[0].detail}): it cannot "
                "serve as the WORM archive; use a store and a bucket that support Object Lock"
            )
        console.print(
            "storage ready: staging, archive (Object Lock)"
            + (" and publication buckets" if settings.publication_bucket else " buckets")
        )
