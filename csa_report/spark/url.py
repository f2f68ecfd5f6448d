"""Spark Connect URLs: ``sc://host[:port][/;param=value;…]``, as a platform team hands them out.

The form is Spark Connect's own (the default port is 15002). csa-report reads one parameter of its own,
``database=`` (a schema, or ``catalog.schema``): the session's current database, where the tables or views of
the reporting schema are looked up; it is removed before the URL reaches the Spark client. Every other parameter
(``use_ssl``, ``user_id``, ``x-databricks-cluster-id``, …) goes to the client unchanged.

Credentials never travel in the URL: a password (``sc://user:secret@host``) or a ``token=`` parameter is refused,
so it cannot end up in a settings file, a log or a flow run's parameters. The Spark client reads a bearer token
from ``SPARK_CONNECT_AUTHENTICATE_TOKEN`` (docs/spark.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from csa_report.errors import ConfigError

SCHEME = "sc"
DEFAULT_PORT = 15002
#: Parameters that are credentials: refused in the URL.
SECRET_PARAMS = frozenset({"token"})
#: A schema, or catalog.schema, of plain names (it is quoted as an identifier, never spliced into SQL text).
_DATABASE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def is_spark_url(raw: str) -> bool:
    return raw.strip().lower().startswith(f"{SCHEME}://")


@dataclass(frozen=True)
class SparkUrl:
    host: str
    port: int
    #: The client's parameters, in the order given (``database`` removed).
    params: tuple[tuple[str, str], ...]
    database: str | None

    @classmethod
    def parse(cls, raw: str) -> SparkUrl:
        text = raw.strip()
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            raise ConfigError(f"Spark Connect URL {shown(text)!r}: the port is not a TCP port (1–65535)") from None
        if parts.scheme.lower() != SCHEME or not parts.hostname:
            raise ConfigError(f"Spark Connect URL {shown(text)!r} does not parse: expected sc://host:15002")
        if parts.password is not None or parts.username is not None:
            raise ConfigError(
                f"Spark Connect URL {shown(text)!r} holds credentials: give none in the URL "
                "(a token comes from SPARK_CONNECT_AUTHENTICATE_TOKEN; the user is the ;user_id= parameter)"
            )
        if port is not None and not 0 < port < 65536:
            raise ConfigError(f"Spark Connect URL {shown(text)!r}: port {port} is not a TCP port (1–65535)")
        path = parts.path
        if parts.query or parts.fragment or (path and not path.startswith("/")):
            raise ConfigError(
                f"Spark Connect URL {shown(text)!r}: parameters follow '/;' (sc://host:15002/;database=reporting)"
            )
        params: list[tuple[str, str]] = []
        database: str | None = None
        for item in path.lstrip("/").split(";"):
            if not item:
                continue
            key, eq, value = item.partition("=")
            if not eq or not key:
                raise ConfigError(f"Spark Connect URL {shown(text)!r}: parameter {key!r} has no value (name=value)")
            if key.lower() in SECRET_PARAMS:
                raise ConfigError(
                    f"Spark Connect URL {shown(text)!r} holds a {key} parameter: credentials never go in the URL "
                    "(set SPARK_CONNECT_AUTHENTICATE_TOKEN instead)"
                )
            if key == "database":
                if not _DATABASE.match(value):
                    raise ConfigError(
                        f"Spark Connect URL {shown(text)!r}: database {value!r} is not a schema or catalog.schema name"
                    )
                database = value
            else:
                params.append((key, value))
        return cls(parts.hostname, port or DEFAULT_PORT, tuple(params), database)

    def client_url(self) -> str:
        """The URL for the Spark client: ours without ``database``."""
        tail = "".join(f";{k}={v}" for k, v in self.params)
        return f"{SCHEME}://{self._host()}:{self.port}/{tail}"

    def describe(self) -> str:
        """What messages and logs show (the URL holds no credentials, see the module docstring)."""
        db = f";database={self.database}" if self.database else ""
        return self.client_url() + db

    def _host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host


def shown(text: str) -> str:
    """A refused URL as messages show it: any userinfo and token value blanked."""
    shown = re.sub(r"//[^/@]*@", "//***@", text)
    return re.sub(r"(;token=)[^;]*", r"\1***", shown, flags=re.IGNORECASE)
