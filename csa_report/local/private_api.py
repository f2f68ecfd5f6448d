"""The ephemeral Prefect API of ``csa-report run`` and ``demo`` is closed to strangers.

Prefect starts that API on a loopback port any local process can reach; without a credential, anyone on the
machine could read the run's review links and resume its sign-off with a forged answer. So the CLI gives it a
fresh random basic-auth string for its lifetime (``PREFECT_SERVER_API_AUTH_STRING`` for the server,
``PREFECT_API_AUTH_STRING`` for our own client), set before Prefect is imported, and records where the API
answers and with which string in a file only this user can read (``$PREFECT_HOME/csa-report/api/PID.json``,
folder 0700, file 0600). ``approve``, ``reject`` and ``status`` run with no ``PREFECT_API_URL`` read those records
to find the run; nothing else can. The record goes when the run ends (a killed run leaves one whose process is
gone; it is ignored and removed by the next reader).

Nothing here imports Prefect: it runs before Prefect reads its settings.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

#: The commands that start an ephemeral API of their own, and those that may answer one.
STARTS_API = frozenset({"run", "demo"})
FINDS_API = frozenset({"approve", "reject", "status"})


@dataclass(frozen=True)
class ApiRecord:
    """Where a live run's ephemeral API answers, and the string it requires."""

    api_url: str
    auth: str
    pid: int
    path: Path


def prefect_home(env: Mapping[str, str]) -> Path:
    return Path(env.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def records_dir(env: Mapping[str, str]) -> Path:
    return prefect_home(env) / "csa-report" / "api"


def configured_api(env: Mapping[str, str]) -> bool:
    """Whether this process will talk to a Prefect server someone configured (environment or the active Prefect
    profile) rather than start an ephemeral one."""
    if env.get("PREFECT_API_URL"):
        return True
    path = Path(env.get("PREFECT_PROFILES_PATH") or prefect_home(env) / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    active = env.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    return bool(profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL"))


def close_ephemeral_api(env: MutableMapping[str, str]) -> str | None:
    """Before Prefect is imported: give the ephemeral API this process may start a fresh random auth string
    (server and client side). Nothing when a configured server is used, or when Prefect was imported already
    (an embedding caller: its client has read its settings, it could not send the string). Idempotent."""
    if configured_api(env) or "prefect" in sys.modules:
        return None
    if env.get("PREFECT_SERVER_API_AUTH_STRING") and env.get("PREFECT_API_AUTH_STRING") == env.get(
        "PREFECT_SERVER_API_AUTH_STRING"
    ):
        return env["PREFECT_API_AUTH_STRING"]
    secret = f"csa:{secrets.token_urlsafe(24)}"
    env["PREFECT_SERVER_API_AUTH_STRING"] = secret
    env["PREFECT_API_AUTH_STRING"] = secret
    return secret


def private_database(env: Mapping[str, str]) -> Path | None:
    """The ephemeral API's SQLite database (``$PREFECT_HOME/prefect.db``, Prefect's default) readable by this user
    only: it holds each run's sign-off form, review links included, and Prefect creates it with the umask (0644),
    so another local user could read the links the auth string keeps from them. Created empty with 0600 before
    Prefect opens it (SQLite gives its -wal and -shm files the database's mode), or narrowed to 0600. Nothing
    when a configured server is used or the database is elsewhere (its owner's business)."""
    if configured_api(env) or any(
        env.get(k) for k in ("PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL")
    ):
        return None
    home = prefect_home(env).expanduser()
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = home / "prefect.db"
        os.close(os.open(db, os.O_CREAT | os.O_RDWR, 0o600))
        for path in (db, home / "prefect.db-wal", home / "prefect.db-shm"):
            if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
                path.chmod(0o600)
    except OSError:
        return None  # Prefect reports an unusable PREFECT_HOME itself, with its own message
    return db


def write_record(env: Mapping[str, str], api_url: str) -> Path | None:
    """Record the ephemeral API this process started (after it got its port), readable by this user only."""
    auth = env.get("PREFECT_SERVER_API_AUTH_STRING")
    if not auth:
        return None
    folder = records_dir(env)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask and ignored for an existing folder
    path = folder / f"{os.getpid()}.json"
    tmp = folder / f".{os.getpid()}.json.tmp"
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"api_url": api_url, "auth": auth, "pid": os.getpid()}, fh)
    os.replace(tmp, path)
    return path


def remove_record(env: Mapping[str, str]) -> None:
    (records_dir(env) / f"{os.getpid()}.json").unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: never one of our runs
        return False
    return True


def live_records(env: Mapping[str, str]) -> list[ApiRecord]:
    """The records of runs still alive; only files this user owns and nobody else can read are believed (a
    planted record could otherwise send an approval to a stranger's server). Dead runs' records are removed."""
    folder = records_dir(env)
    try:
        info = folder.stat()
        paths = sorted(folder.glob("*.json"))
    except OSError:
        return []
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        return []
    found = []
    for path in paths:
        try:
            st = path.lstat()
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
                continue
            data = json.loads(path.read_text("utf-8"))
            record = ApiRecord(str(data["api_url"]), str(data["auth"]), int(data["pid"]), path)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _alive(record.pid):
            found.append(record)
        else:
            path.unlink(missing_ok=True)
    return found


def _knows_run(record: ApiRecord, run: str) -> bool:
    """Whether the API of ``record`` has a flow run with this id or name (plain HTTP, with its string)."""
    token = base64.b64encode(record.auth.encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
    by_name = json.dumps({"flow_runs": {"name": {"any_": [run.strip()]}}, "limit": 1}).encode()
    requests = [
        urllib.request.Request(f"{record.api_url}/flow_runs/{quote(run.strip())}", headers=headers),
        urllib.request.Request(f"{record.api_url}/flow_runs/filter", data=by_name, headers=headers, method="POST"),
    ]
    for req in requests:
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                body = json.loads(resp.read() or b"null")
        except (OSError, ValueError):
            continue
        if body:
            return True
    return False


def find_api(env: MutableMapping[str, str], run: str | None) -> ApiRecord | None:
    """For ``approve``/``reject``/``status`` with no configured server: the live run's ephemeral API (the one
    that knows ``run`` when several are up), put into ``env`` as ``PREFECT_API_URL``/``PREFECT_API_AUTH_STRING``."""
    if configured_api(env):
        return None
    records = live_records(env)
    if run is not None and len(records) > 1:
        records = [r for r in records if _knows_run(r, run)]
    if len(records) != 1:
        return None
    env["PREFECT_API_URL"] = records[0].api_url
    env["PREFECT_API_AUTH_STRING"] = records[0].auth
    return records[0]


def prepare_for(argv: list[str], env: MutableMapping[str, str]) -> None:
    """The CLI's hook, before Prefect is imported: close the API a run starts, or find the one a run started."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in STARTS_API:
        close_ephemeral_api(env)
        private_database(env)
    elif command in FINDS_API:
        rest = argv[argv.index(command) + 1 :]
        run = rest[0] if command != "status" and rest and not rest[0].startswith("-") else None
        find_api(env, run)
