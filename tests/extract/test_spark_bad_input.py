"""Bad input on a Spark Connect source (issue 26, "Bad input"): a missing table is a data error naming it (exit
2), an endpoint nobody listens on is exit 3 after the retry schedule, and a URL holding a password is refused
(exit 2) without the password appearing anywhere in what the user sees."""

from __future__ import annotations

import socket
import time
from datetime import datetime
from pathlib import Path

import pytest

import csa_report.spark.source as spark_source_module
from csa_report.cli import main
from csa_report.errors import DataError, InputError, UnreachableError
from csa_report.extract import extract_indicators
from csa_report.period import Period
from csa_report.spark.source import spark_source
from tests.fixtures import handcount as fx
from tests.support.spark import load_into_spark

PERIOD = Period.parse("2025")
AS_OF = datetime(2026, 1, 15)


def _closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
@pytest.mark.parametrize("table", ["report_accounts", "complaints"])
def test_missing_table_on_spark_is_a_data_error_naming_it(
    new_spark_url: str, tmp_path: Path, table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load_into_spark(new_spark_url, tmp_path, fx.load)
    with spark_source(new_spark_url) as spark:
        spark.run_sql("DROP TABLE IDENTIFIER(:t)", {"t": table})
    with pytest.raises(DataError) as info:
        extract_indicators(new_spark_url, fx.PERIOD, fx.AS_OF)
    assert info.value.exit_code == 2
    assert f"table {table!r} is missing" in str(info.value)
    code = main(["extract", "--db", new_spark_url, "--period", "2025", "--as-of", "2026-01-15", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert table in err and "Traceback" not in err


def test_unreachable_spark_endpoint_is_exit_3_after_the_retry_schedule(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A short schedule (2 attempts, 0.2 s apart) instead of the default 4 attempts from 1 s.
    monkeypatch.setattr(spark_source_module, "CONNECT_ATTEMPTS", 2)
    monkeypatch.setattr(spark_source_module, "CONNECT_BACKOFF_S", 0.2)
    port = _closed_port()
    url = f"sc://127.0.0.1:{port}"
    started = time.monotonic()
    with pytest.raises(UnreachableError) as info:
        extract_indicators(url, PERIOD, AS_OF)
    assert time.monotonic() - started >= 0.2  # it waited between the two attempts
    assert info.value.exit_code == 3
    msg = str(info.value)
    assert f"127.0.0.1:{port}" in msg and "after 2 attempts" in msg
    code = main(["extract", "--db", url, "--period", "2025", "--as-of", "2026-01-15", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 3
    # Not "no Traceback" here: a log handler the CLI set up in an earlier test of this process may still point
    # at that test's closed capture stream, and logging prints "--- Logging error --- Traceback" for it.
    assert "stayed unreachable after 2 attempts" in err


@pytest.mark.parametrize(
    "url",
    ["sc://u:s3cretpw@host:15002", "sc://host:15002/;token=s3cretpw", "sc://u:s3cretpw@host:15002/;database=r"],
)
def test_url_with_a_password_is_refused_without_showing_it(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InputError) as info:
        extract_indicators(url, PERIOD, AS_OF)
    assert info.value.exit_code == 2
    assert "s3cretpw" not in str(info.value)
    assert "credentials" in str(info.value)
    code = main(["extract", "--db", url, "--period", "2025", "--as-of", "2026-01-15", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2
    assert "s3cretpw" not in captured.err + captured.out
    assert "Traceback" not in captured.err
