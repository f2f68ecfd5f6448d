"""``csa-report demo``: the whole job on embedded defaults (workflow.md, "Embedded defaults").

It seeds a SQLite source in ``DIR/source.db`` (once), starts a local S3-compatible store (SeaweedFS with Object
Lock) on ``DIR/s3``, uses a SQLite audit DB and an e-mail outbox, and runs the ``annual_report`` flow on Prefect's
ephemeral API. Sign-off is given by ``demo-reviewer`` and recorded as automatic. Running it again in the same
folder repeats nothing already done: the period is filed, so the run stops before staging (as any run of a
filed period does), and the demo shows that filing and exits 0.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from csa_report.artefacts import MANIFEST
from csa_report.commands.render import AllowIncompleteOpt, flow_option, refuse_incomplete
from csa_report.local.processes import dying_with_this_process
from csa_report.period import Period
from csa_report.settings import overriding

console = Console(highlight=False)

DEMO_PERIOD = "2025"
#: Fixed, so that the demo's artefacts are the same bytes on every machine and every run.
DEMO_AS_OF = "2026-01-15T00:00:00Z"
DEMO_SCALE = 3000
DEMO_SEED = 2025
DEMO_REVIEWER = "demo-reviewer"
DEMO_LOCK_DAYS = 1
DEMO_SEAL_PASSWORD = "demo"  # a throwaway certificate made for the demo folder; not a secret


def prepare_environment(out: Path, *, wait: bool = False) -> None:
    """Point Prefect at a home inside the demo folder, before prefect is imported: its ephemeral API, or (with
    ``--wait``) a local Prefect server whose UI a reviewer can open."""
    # Always the demo's own home, even when the shell exports one: a demo run must never land in (or read the
    # settings of) the operator's real Prefect server.
    os.environ["PREFECT_HOME"] = str((out / "prefect").resolve())
    for name in ("PREFECT_API_URL", "PREFECT_UI_URL", "PREFECT_PROFILES_PATH", "PREFECT_PROFILE"):
        os.environ.pop(name, None)
    if wait:
        from csa_report.local.prefect_server import start_server

        with dying_with_this_process():
            os.environ.update(start_server(out / "prefect"))  # Prefect in this process is its client
    # Prefect's 20 s for its ephemeral API is too short on a busy machine (a first start migrates its database).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def example_policies() -> Path:
    """The example policy folder shipped with the project (policies/example)."""
    from csa_report.resources import example_policies_dir

    return example_policies_dir()


def demo_key(out: Path) -> Path:
    """A throwaway OpenSSH key for ``demo-reviewer`` (made once per demo folder), so the demo's sign-off is a
    real SSH signature like a production one."""
    import subprocess

    from csa_report.filing.sshsig import _ssh_keygen

    key = (out / "keys" / DEMO_REVIEWER).resolve()
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                _ssh_keygen(),
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                f"{DEMO_REVIEWER} (demo, throwaway)",
                "-f",
                str(key),
            ],
            check=True,
            capture_output=True,
        )
    return key


def demo_seal(out: Path) -> Path:
    """A throwaway certificate (with its own throwaway CA, ``seal/seal-ca.pem``) that seals the demo's PDF."""
    from csa_report.filing.seal import make_test_certificate

    p12 = (out / "seal" / "seal.p12").resolve()
    if not p12.exists():
        make_test_certificate(
            p12.parent,
            common_name="Example Communications Ireland Ltd (demo seal)",
            days=5 * 365,
            password=DEMO_SEAL_PASSWORD,
        )
    return p12


def demo_policies(out: Path, key: Path) -> Path:
    """The example policies, with the throwaway key of ``demo-reviewer`` as its entry in the signing_keys of every
    version of provider.md (the current one and those kept in history/, so every period's report is signed).
    The example's other keys (Dara Kelly, the preparer Aoife Byrne) stay: the four-eyes rule still sees them."""
    import shutil

    from csa_report.policies.loader import provider_versions

    target = (out / "policies").resolve()
    shutil.copytree(example_policies(), target, dirs_exist_ok=True)
    public = Path(str(key) + ".pub").read_text("ascii").split()
    entry = [f"  - name: {DEMO_REVIEWER}", f"    key: {public[0]} {public[1]}"]
    for provider in provider_versions(target):
        head, sep, body = provider.read_text("utf-8").partition("\n---\n")  # front matter ends at the second ---
        provider.write_text("\n".join(with_key_entry(head.split("\n"), entry)) + sep + body, "utf-8")
    return target


def with_key_entry(front: list[str], entry: list[str]) -> list[str]:
    """Front-matter lines with ``entry`` (a ``- name: … / key: …`` item) as the first item of signing_keys, an
    earlier entry for the same name removed (a demo folder made before keeps working with its own key)."""
    lines, skipping = [], False
    for line in front:
        if line.strip().startswith("- name:"):
            skipping = line.split(":", 1)[1].split("#")[0].strip() == entry[0].split(":", 1)[1].strip()
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            lines.append(line)
    at = next((i for i, line in enumerate(lines) if line.startswith("signing_keys:")), None)
    if at is None:
        return [*lines, "signing_keys:", *entry]
    return [*lines[: at + 1], *entry, *lines[at + 1 :]]


def demo_settings(out: Path, endpoint: Any) -> dict[str, Any]:
    """The settings of the demo (see settings.overriding): every component local, inside ``out``; no SMTP
    server, whatever the environment says: the demo never e-mails anyone, it writes an outbox."""
    return {
        **endpoint.settings_overrides(),
        "source_db": f"sqlite:///{(out / 'source.db').resolve()}",
        "audit_db": f"sqlite:///{(out / 'audit.db').resolve()}",
        "policies": demo_policies(out, demo_key(out)),
        "outbox": (out / "outbox").resolve(),
        "output_dir": (out / "work").resolve(),
        "object_lock_days": DEMO_LOCK_DAYS,
        "seal_pkcs12": demo_seal(out),
        "seal_pkcs12_password": DEMO_SEAL_PASSWORD,
        "smtp_host": None,
        # The one place the demo marker is set: the published example keys of policies/example may sign here.
        "demo": True,
    }


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        out: Annotated[Path, typer.Option("--out", help="Folder for everything the demo produces")] = Path(
            "demo-output"
        ),
        wait: Annotated[
            bool,
            typer.Option("--wait", help="Stop at sign-off and wait for a human (Prefect UI or `csa-report approve`)"),
        ] = False,
        allow_incomplete_period: AllowIncompleteOpt = False,
    ) -> None:
        """Run the whole flow on embedded defaults: seeded SQLite source, local S3 with Object Lock, outbox."""
        from csa_report.commands.data import key_figures_table
        from csa_report.seed import seed

        # The demo's as-of is fixed; on a machine whose clock is before it, it is in the future.
        refuse_incomplete(DEMO_PERIOD, DEMO_AS_OF, allow_incomplete_period)
        _incomplete.update(flow_option("allow_incomplete_period", allow_incomplete_period))

        out.mkdir(parents=True, exist_ok=True)
        source = out / "source.db"
        if source.exists():
            console.print(f"source database {source} exists: not seeding again")
        else:
            summary = seed(f"sqlite:///{source}", Period.parse(DEMO_PERIOD), scale=DEMO_SCALE, seed=DEMO_SEED)
            console.print(f"seeded {source} ({summary.detections:,} detections for {DEMO_PERIOD})")

        with demo_s3(out) as endpoint, overriding(**demo_settings(out, endpoint)):
            from csa_report.commands.prefect_runtime import (
                bind_ephemeral_server_to_parent,
                keep_tracebacks_off_the_terminal,
            )
            from csa_report.filing.guard import AlreadyFiled
            from csa_report.flows.annual_report import AnnualReportResult, annual_report

            # As `run` does: Prefect's tracebacks stay in the run logs, and its ephemeral API dies with the demo.
            keep_tracebacks_off_the_terminal()
            bind_ephemeral_server_to_parent()
            if wait:
                result = run_and_wait(out)
            else:
                try:
                    result = annual_report(
                        period=DEMO_PERIOD,
                        as_of=DEMO_AS_OF,
                        out_dir=str(out / "report"),
                        approve_as=DEMO_REVIEWER,
                        approve_key=str(demo_key(out)),
                        **_incomplete,
                    )
                except AlreadyFiled:
                    # The demo again in its folder: a convenience, not an error (exit 0); the run itself ended
                    # AlreadyFiled and staged, signed and sent nothing.
                    show_filing(out)
                    return
            if not isinstance(result, AnnualReportResult):
                console.print(f"the report was not submitted: {result}")
                if wait:
                    keep_ui_up()
                return
        console.print(key_figures_table(result.indicators))
        submission = result.submission
        console.print(f"report {result.report_id} (manifest sha256 {result.manifest_sha256})")
        console.print(f"artefacts: {out / 'report'}")
        for d in submission.sent:
            console.print(f"delivered to {d.recipient} via {d.channel}: {d.detail}")
        for r in submission.skipped:
            console.print(f"already delivered to {r} by an earlier run: not sent again")
        console.print(f"archived {len(submission.archived)} objects under Object Lock in {out / 's3'}")
        if submission.publication is not None:
            console.print(f"published at {submission.publication.url}")
        console.print(f"audit trail: {out / 'audit.db'} (csa-report status --audit-db sqlite:///{out / 'audit.db'})")
        if wait:
            keep_ui_up()


def show_filing(out: Path) -> None:
    """The demo period's filing, from the demo's audit DB: report id, when filed, status, its deliveries."""
    from csa_report.audit import AuditLog
    from csa_report.filing.guard import describe_filing, filings

    audit = AuditLog.open(f"sqlite:///{(out / 'audit.db').resolve()}", migrate=False)
    period = str(Period.parse(DEMO_PERIOD))
    providers = sorted({r.provider for r in audit.status(period)})
    console.print(f"period {DEMO_PERIOD} is already filed in {out}: nothing was staged, signed or sent again")
    for provider in providers:
        for f in filings(audit, provider, period):
            console.print(f"{provider}: {describe_filing(f)}")
            for d in audit.deliveries(f.report_id):
                console.print(f"  {d.recipient} ({d.role or d.channel}): {d.status} via {d.channel}")
    console.print(f"audit trail: {out / 'audit.db'} (csa-report status --audit-db sqlite:///{out / 'audit.db'})")


#: The flow's allow_incomplete_period argument, when the flow takes it (see commands.render.flow_option).
_incomplete: dict[str, Any] = {}

#: The flow run the demo followed, for the last link it prints.
_last_run: dict[str, str] = {}


def keep_ui_up() -> None:
    """After the run: keep the local Prefect server (and its UI) up until Ctrl-C, so the finished run, its
    logs and artifacts can still be looked at."""
    import signal

    from csa_report.tasks.links import run_url

    api = os.environ.get("PREFECT_API_URL", "")
    ui = api.removesuffix("/api")
    link = run_url(_last_run["id"], ui) if "id" in _last_run else f"{ui}/v2/runs"
    console.print(f"\n[bold]The run has finished.[/] Prefect UI: {link}")
    console.print("The Prefect server stays up so you can look at the run; press Ctrl-C to stop it.")
    sys.stdout.flush()

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # A process started in the background by a shell script (or by a test runner's worker) inherits SIGINT
    # *ignored*, and Python then leaves it ignored: Ctrl-C or `kill -INT` would never end the wait. SIGTERM
    # ends it the same way, so the servers are always stopped by the code below, not left running.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        console.print("stopping the Prefect server")


@contextmanager
def demo_s3(out: Path) -> Iterator[Any]:
    """A local SeaweedFS on ``out/s3``, provisioned the way ``csa-report storage init`` provisions any store:
    the demo's buckets get the same Object Lock, versioning, encryption and policies a real store would."""
    from csa_report.errors import ConfigError
    from csa_report.local.seaweed import SeaweedServer
    from csa_report.settings import load_settings
    from csa_report.storage.client import make_client
    from csa_report.storage.provision import missing_object_lock, provision

    server = SeaweedServer(out / "s3")
    with dying_with_this_process():
        endpoint = server.start()
    try:
        console.print(f"local S3 (SeaweedFS) at {endpoint.url}, data in {out / 's3'}")
        settings = load_settings(**endpoint.settings_overrides(), object_lock_days=DEMO_LOCK_DAYS)
        outcomes = provision(make_client(settings.s3), settings.s3, tls=False)
        refused = sorted({o.feature for o in outcomes if o.status == "not accepted"})
        console.print(
            f"storage init: buckets {settings.staging_bucket} and {settings.archive_bucket} (Object Lock, "
            f"COMPLIANCE {DEMO_LOCK_DAYS} day)"
            + (f"; not supported by this store: {', '.join(refused)}" if refused else "")
        )
        if missing_object_lock(outcomes):
            raise ConfigError(f"the local S3 store refused Object Lock on {settings.archive_bucket}")
        yield endpoint
    finally:
        server.stop()


def run_and_wait(out: Path) -> Any:
    """Run the flow with a human sign-off: print where and how to answer, then wait for the answer."""
    import threading
    import time

    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    from csa_report.flows.annual_report import annual_report

    outcome: dict[str, Any] = {}

    def run() -> None:
        from prefect.exceptions import CancelledRun

        try:
            outcome["result"] = annual_report(
                period=DEMO_PERIOD, as_of=DEMO_AS_OF, out_dir=str(out / "report"), **_incomplete
            )
        except CancelledRun as exc:  # the reviewer rejected the report (a Cancelled-type state named Rejected)
            outcome["result"] = f"rejected ({exc})"
        except BaseException as exc:  # handed to the main thread, which reports it through the CLI
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="annual_report", daemon=True)
    thread.start()
    api = os.environ["PREFECT_API_URL"]
    shown = False
    while thread.is_alive():
        if not shown:
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
                    ),
                    limit=1,
                )
            if runs:
                run_id = runs[0].id
                manifest = (out / "report" / MANIFEST).read_bytes()
                import hashlib

                sha = hashlib.sha256(manifest).hexdigest()
                from csa_report.tasks.links import run_url

                ui = api.removesuffix("/api")
                _last_run["id"] = str(run_id)
                console.print("\n[bold]The report is staged and waits for sign-off.[/]")
                console.print(f"Review: {out / 'report'} (manifest SHA-256 {sha})")
                console.print(f"Prefect UI: {run_url(run_id, ui)}  (⋮ → Resume → fill in the form)")
                console.print("Or from another shell:")
                key = demo_key(out)
                auth = os.environ.get("PREFECT_API_AUTH_STRING", "")
                console.print(f"The API is closed to strangers: the UI asks once for the string {auth}")
                env = f"PREFECT_API_URL={api} PREFECT_API_AUTH_STRING='{auth}'"
                console.print(f"  {env} csa-report approve {run_id} --key {key} --sha256 {sha}")
                console.print(f"  {env} csa-report reject {run_id} --key {key} --comment 'why'")
                console.print("Waiting … (Ctrl-C to stop; the staged copy stays)")
                shown = True
        time.sleep(1)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
