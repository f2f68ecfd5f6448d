"""The pytest plugin of the real services (registered by tests/conftest.py): PostgreSQL, SeaweedFS, an SMTP server
(aiosmtpd), a Prefect server and a local Spark Connect server. Each starts once per session, and only when a test
asks for it (a fixture is built on first use), so a run of unit tests starts none.

With ``CI=true`` a missing service fails the run instead of skipping: nothing may be skipped silently in CI.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import httpx
import psycopg
import pytest
from aiosmtpd.controller import Controller

from csa_report.errors import CsaReportError
from csa_report.local.prefect_server import LocalPrefectServer, launch
from csa_report.local.processes import free_port, group_alive
from csa_report.local.seaweed import BucketSpec, S3Endpoint, SeaweedServer, ensure_buckets
from tests.support.storage import ARCHIVE, PUBLIC, STAGING, CollectingHandler, weed_processes

PG_ADMIN_DSN = os.environ.get("CSA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
#: Retention of the session's archive bucket: long enough to outlive the session.
LOCK_DAYS = 1


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (``make test-fast``) each worker gets its own PREFECT_HOME, before any test imports
    prefect: two workers' ephemeral API servers must not share one SQLite database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        base = os.environ.get("PREFECT_HOME") or str(Path.home() / ".prefect")
        os.environ["PREFECT_HOME"] = f"{base.rstrip('/')}-{worker}"


def service_missing(what: str) -> NoReturn:
    """Skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(f"{what} is not available and CI=true: a missing service fails the run", pytrace=False)
    pytest.skip(f"{what} is not available")


# -- PostgreSQL, SQLite, DuckDB --------------------------------------------------------------------------------


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    if not _pg_available():
        service_missing(f"PostgreSQL at {PG_ADMIN_DSN}")
    return PG_ADMIN_DSN


@contextmanager
def pg_database(pg_admin_dsn: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (its URL), dropped on exit."""
    name = f"csa_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_admin_dsn.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_pg_url(pg_admin_dsn: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    with pg_database(pg_admin_dsn) as url:
        yield url


@pytest.fixture
def new_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'source.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def new_db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each backend in turn."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("new_sqlite_url"))
    return str(request.getfixturevalue("new_pg_url"))


@pytest.fixture
def new_duckdb_url(tmp_path: Path) -> str:
    """A new, empty DuckDB file (the optional extra ``duckdb``, part of ``dev``)."""
    try:
        import duckdb_engine  # noqa: F401
    except ImportError:
        service_missing("DuckDB (pip install -e '.[dev]')")
    return f"duckdb:///{tmp_path / 'source.duckdb'}"


# -- SeaweedFS -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """A real SeaweedFS (weed mini) for the whole session: staging, Object-Lock archive and public buckets.
    Tests share it; each keeps to its own prefixes. Its stop is checked: no process of it may survive."""
    data_dir = tmp_path_factory.mktemp("seaweed")
    try:
        server = SeaweedServer(data_dir, public_buckets=[PUBLIC])  # the publication bucket: anyone may read it
        endpoint = server.start()
    except CsaReportError as exc:  # ToolError: no `weed`; UnreachableError: it never answered
        service_missing(f"SeaweedFS ({exc})")
    pgid = server.pgid
    try:
        ensure_buckets(endpoint.client(), [BucketSpec(STAGING), BucketSpec(ARCHIVE, LOCK_DAYS), BucketSpec(PUBLIC)])
        yield endpoint
    finally:
        server.stop()
        assert pgid is not None and not group_alive(pgid), "SeaweedFS process group still alive after stop()"
        assert not weed_processes(data_dir), "stray weed processes remain after the tests"


# -- Spark -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spark_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One local Spark Connect server for the session (csa_report.local.spark), its ``sc://`` URL; every Spark
    test shares it, each in a database of its own (``new_spark_url``). Started on first use (about 10 s on an
    idle machine); stopped with its process group, which is checked to be gone."""
    from csa_report.local.spark import LocalSparkServer, find_java, spark_home

    try:
        find_java()
        spark_home()
    except CsaReportError as exc:
        service_missing(f"Spark ({exc})")
    server = LocalSparkServer(tmp_path_factory.mktemp("spark"))
    started = time.monotonic()
    try:
        url = server.start()
    except CsaReportError as exc:
        service_missing(f"a local Spark Connect server ({exc}, after {time.monotonic() - started:.0f} s)")
    pgid = server.pgid
    try:
        yield url
    finally:
        server.stop()
        assert pgid is not None and not group_alive(pgid), "Spark process group still alive after stop()"


@pytest.fixture
def new_spark_url(spark_server: str) -> Iterator[str]:
    """The session's Spark with a database name of this test's own (``;database=``), dropped afterwards; the
    database is created by whatever loads it (tests/support/spark.py)."""
    from csa_report.spark.tables import drop_database

    url = spark_database_url(spark_server)
    yield url
    drop_database(url)


def spark_database_url(spark_server: str) -> str:
    """The URL of a database of the session's Spark with a new name of its own (not created yet)."""
    return f"{spark_server}/;database=csa_t_{uuid.uuid4().hex[:12]}"


# -- SMTP ------------------------------------------------------------------------------------------------------


#: The one SMTP server type of the tests (aiosmtpd's); test modules start servers through the helpers below.
SmtpController = Controller


def start_smtp(handler: Any, port: int | None = None, **options: Any) -> SmtpController:
    """An aiosmtpd server with ``handler`` on loopback, started: on ``port`` (e.g. the port of one a test stopped,
    to bring it back) or a free one; ``options`` go to the Controller (e.g. an authenticator)."""
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), **options)
    controller.start()
    return controller


@contextmanager
def smtp_controller(handler: Any, **options: Any) -> Iterator[SmtpController]:
    """An aiosmtpd server on a free loopback port with ``handler`` (and Controller ``options``, e.g. an
    authenticator), stopped on exit. For the tests that need a server of their own (auth, a restart)."""
    controller = start_smtp(handler, **options)
    try:
        yield controller
    finally:
        controller.stop()


@dataclass
class SmtpService:
    controller: Controller
    handler: CollectingHandler

    @property
    def port(self) -> int:
        return int(self.controller.port)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpService]:
    """The session's SMTP server: every message it accepts is kept by its CollectingHandler."""
    handler = CollectingHandler()
    with smtp_controller(handler) as controller:
        yield SmtpService(controller, handler)


@pytest.fixture
def smtp(smtp_server: SmtpService) -> Iterator[CollectingHandler]:
    """The session's SMTP server's handler, emptied for this test (and refusing no address)."""
    handler = smtp_server.handler
    with handler.lock:
        handler.messages.clear()
    handler.refuse.clear()
    handler.refuse_data.clear()
    yield handler
    handler.refuse.clear()
    handler.refuse_data.clear()


# -- Prefect ---------------------------------------------------------------------------------------------------

#: The server's background services run often, so pauses expire and schedules fire within a test's patience.
PREFECT_TEST_ENV = {
    "PREFECT_SERVER_UI_V2_ENABLED": "true",
    "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS": "2",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_CLI_COLORS": "false",
}


@dataclass
class PrefectServer:
    """The session's ``prefect server start``: its UI URL, API URL, home, the environment a client process
    (``serve``, ``prefect deploy``, the CLI) needs to reach it, and the API's basic-auth string (``user:password``,
    None when the API is open): the UI asks for it on its login page."""

    url: str  # http://127.0.0.1:PORT
    api_url: str  # …/api
    home: Path
    env: dict[str, str] = field(default_factory=dict)
    auth: str | None = field(default=None, repr=False)

    def client(self) -> httpx.Client:
        """An API client that carries the auth string, as Prefect's own clients do."""
        if self.auth is None:
            return httpx.Client(base_url=self.api_url, timeout=30)
        user, _, password = self.auth.partition(":")
        return httpx.Client(base_url=self.api_url, timeout=30, auth=httpx.BasicAuth(user, password))

    def stranger(self) -> httpx.Client:
        """An API client without credentials: what anyone else on the machine could send."""
        return httpx.Client(base_url=self.api_url, timeout=30)


@contextmanager
def _prefect_in_this_process(api_url: str, auth: str | None) -> Iterator[None]:
    """Prefect calls of this process (flows run in-process, run_deployment, resume_flow_run) go to ``api_url``,
    with the auth string ``auth``.
    Prefect reads its settings at import, so they are set through a settings context; the process-global one is
    replaced as well, so threads (which start with an empty context) reach the same server rather than starting
    an ephemeral one. prefect_test_harness does the same (prefect is pinned: the private helper is stable)."""
    from prefect.context import SettingsContext, _temporary_global_settings_context
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url, PREFECT_API_AUTH_STRING: auth}):
        context = SettingsContext.get()
        assert context is not None
        with _temporary_global_settings_context(context):
            yield


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """One real Prefect server (API and UI) for the session, on a free loopback port with its own PREFECT_HOME;
    in-process Prefect calls go to it. Its API is closed to strangers, as the walkthrough's and `demo --wait`'s
    are (``PREFECT_SERVER_API_AUTH_STRING``, a fresh random string): every client of the tests carries the
    string (``env``, ``client()``, this process's settings) and the browser logs in (tests/ui/ui_helpers.py).
    Stopped with its process group at the end; bound to this process so a killed test run leaves no server
    behind."""
    home = tmp_path_factory.mktemp("prefect-home")
    started = time.monotonic()
    try:
        server: LocalPrefectServer = launch(home, 120, auth=True, extra_env=PREFECT_TEST_ENV, bind_to_parent=True)
    except CsaReportError as exc:
        service_missing(f"prefect server ({exc}, after {time.monotonic() - started:.0f} s)")
    try:
        with _prefect_in_this_process(server.api_url, server.auth):
            try:
                yield PrefectServer(url=server.url, api_url=server.api_url, home=home, env=server.env, auth=server.auth)
            finally:  # logs of in-process flow runs, before the server goes away
                from prefect.logging.handlers import APILogWorker

                APILogWorker.drain_all(timeout=5)
    finally:
        server.stop()
