"""Defects in loading and input found by the adversarial trial (issue 10), each with the fix's expected outcome:
YAML alias bombs and oversize documents, periods and as-of forms outside the contract, bad source data types,
live payloads in published CSV and Markdown, unexpected exceptions at the CLI's top level."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from csa_report.checks.waivers import load_waivers
from csa_report.cli import main
from csa_report.errors import PeriodError, PolicyError
from csa_report.period import Period, parse_as_of
from csa_report.policies import load_policies
from csa_report.policies.loader import MAX_DOCUMENT_BYTES, MAX_NAME_BYTES
from csa_report.render.prose import to_markdown
from csa_report.spreadsheet import safe_cell

EXAMPLE = Path(__file__).resolve().parents[2] / "policies" / "example"

BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    + ["kind: provider"]
)


def _policies(tmp_path: Path, name: str = "provider.md", front: str | None = None, raw: bytes | None = None) -> Path:
    folder = tmp_path / "pol"
    shutil.copytree(EXAMPLE, folder)
    if raw is not None:
        (folder / name).write_bytes(raw)
    elif front is not None:
        (folder / name).write_text(f"---\n{front}\n---\nText.\n", encoding="utf-8")
    return folder


def test_alias_bomb_in_a_policy_is_refused_at_once_naming_the_file(tmp_path: Path) -> None:
    """Defect: a 1 KB "billion laughs" document hung `check`."""
    folder = _policies(tmp_path, front=BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 1024
    start = time.monotonic()
    with pytest.raises(PolicyError, match=r"provider\.md:2: front matter uses a YAML anchor or alias") as info:
        load_policies(folder)
    assert time.monotonic() - start < 2 and info.value.exit_code == 2


def test_alias_in_waivers_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text("- &w {rule: RET-1, reason: x}\n- *w\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"waivers\.yaml:1: waivers file uses a YAML anchor or alias"):
        load_waivers(path)


def test_oversize_documents_are_refused_unread(tmp_path: Path) -> None:
    folder = _policies(tmp_path, raw=b"---\nkind: provider\n---\n" + b"x" * MAX_DOCUMENT_BYTES)
    with pytest.raises(PolicyError, match=r"provider\.md: policy document is larger than 512 KiB"):
        load_policies(folder)
    waivers = tmp_path / "big.yaml"
    waivers.write_bytes(b"#" * (MAX_DOCUMENT_BYTES + 1))
    with pytest.raises(PolicyError, match="waivers file is larger than 512 KiB"):
        load_waivers(waivers)
    with pytest.raises(PolicyError, match="not a regular file"):
        load_waivers(Path("/dev/zero"))


def test_provider_name_longer_than_a_key_allows_is_refused(tmp_path: Path) -> None:
    folder = _policies(tmp_path)
    doc = folder / "provider.md"
    text = doc.read_text(encoding="utf-8")
    long_name = "é" * (MAX_NAME_BYTES // 2 + 1)  # 202 bytes in UTF-8, 101 characters
    lines = text.split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith("provider:"))
    lines[i] = f"provider: {long_name}"
    doc.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(PolicyError, match=rf"provider\.md:{i + 1}: provider is longer than 200 bytes"):
        load_policies(folder)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0000", "outside the supported years"),
        ("9999", "outside the supported years"),
        ("9999-01-01/9999-12-31", "ends after 9998-12-31"),
        ("٢٠٢٥", "does not parse"),
        ("2025-01-01/2025-12-3١", "does not parse"),
    ],
)
def test_periods_outside_the_range_or_with_unicode_digits(text: str, message: str) -> None:
    """Defect: 0000 and 9999 raised ValueError / OverflowError (traceback); Unicode digits were accepted."""
    with pytest.raises(PeriodError, match=message):
        Period.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-08 00:00",
        "20260108",
        "2026-W02",
        "2026-01-08T00:00",
        "٢٠٢٦-01-08",
        "2026-01-08T00:00:00z",
        "2026-01-08T00:00:00+0100",
    ],
)
def test_as_of_forms_outside_the_contract_are_refused(text: str) -> None:
    with pytest.raises(PeriodError, match="does not parse"):
        parse_as_of(text)


def test_as_of_beyond_the_representable_range_is_exit_2() -> None:
    with pytest.raises(PeriodError, match="outside the representable range"):
        parse_as_of("9999-12-31T23:59:59-01:00")
    assert parse_as_of("2026-01-08T00:00:00.5Z").microsecond == 500000


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-2+3", "'-2+3"),
        ("-cmd", "'-cmd"),
        ("-", "-"),
        ("-5", "-5"),
        ("-0.25", "-0.25"),
        ("Example Chat", "Example Chat"),
        ("", ""),
        (12, 12),
    ],
)
def test_csv_cells_are_neutralised_per_the_contract(cell: object, expected: object) -> None:
    assert safe_cell(cell) == expected


def test_markdown_keeps_only_http_https_mailto_links() -> None:
    """Defect: report.md kept a live javascript: link from policy prose."""
    out = to_markdown(
        "See [x](javascript:alert(1)), [ok](https://example.org/a) and [m](mailto:dpo@example.org)."
        "\n[d](data:text/html,hi) [f](file:///etc/passwd) [r](relative.html)\n[ref]: javascript:evil"
        "\n[good]: https://example.org"
    )
    lines = out.split("\n")
    assert lines[0] == ("See [x\\](javascript:alert(1)), [ok](https://example.org/a) and [m](mailto:dpo@example.org).")
    assert lines[1] == "[d\\](data:text/html,hi) [f\\](file:///etc/passwd) [r\\](relative.html)"
    assert lines[2] == "\\[ref]: javascript:evil" and lines[3] == "[good]: https://example.org"
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").render(out)
    assert "javascript:" not in html.replace("javascript:alert(1)", "").replace("javascript:evil", "")
    assert 'href="javascript' not in html and 'href="data' not in html and 'href="file' not in html
    assert html.count("<a href=") == 2  # the https and mailto links stay live


def _source(tmp_path: Path, sql: str) -> str:
    from csa_report.seed import seed

    path = tmp_path / "source.db"
    url = f"sqlite:///{path}"
    seed(url, Period.parse("2025"), scale=50, seed=3)
    with sqlite3.connect(path) as conn:
        conn.executescript(sql)
    return url


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "UPDATE processing_volumes SET items = 'abc' WHERE id IN (SELECT id FROM processing_volumes LIMIT 2);",
            "processing_volumes.items: 2 row(s) hold a value that is not an integer count",
        ),
        (
            "UPDATE processing_volumes SET items = -5 WHERE id IN (SELECT id FROM processing_volumes LIMIT 3);",
            "processing_volumes.items: 3 row(s) hold a negative count",
        ),
        (
            "UPDATE processing_volumes SET bytes = 1.5 WHERE id IN (SELECT id FROM processing_volumes LIMIT 1);",
            "processing_volumes.bytes: 1 row(s) hold a value that is not an integer count",
        ),
        (
            "UPDATE detections SET service = X'00ff' WHERE id IN (SELECT id FROM detections LIMIT 4);",
            "detections.service: 4 row(s) hold a value that is not text",
        ),
        (
            "UPDATE processing_volumes SET items = 9223372036854775807 WHERE id IN "
            "(SELECT id FROM processing_volumes LIMIT 2);",
            "processing_volumes.items: the total of its counts does not fit a 64-bit sum",
        ),
    ],
)
def test_source_values_of_the_wrong_type_are_data_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str, message: str
) -> None:
    """Defect: items='abc', -5 and 1.5 or a BLOB service name were accepted (text counted as 0); an overflowing
    sum was a traceback."""
    url = _source(tmp_path, sql)
    code = main(["extract", "--db", url, "--period", "2025", "--as-of", "2026-01-15", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err


def test_unexpected_exception_is_one_line_exit_4_with_a_log_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import csa_report.period as period_module

    def broken(text: str) -> Period:
        raise ZeroDivisionError("secret-value-that-must-not-be-shown")

    monkeypatch.setenv("CSA_ERROR_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(period_module.Period, "parse", staticmethod(broken))
    code = main(["extract", "--db", "sqlite:///x.db", "--period", "2025", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 4
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "extract: internal error (ZeroDivisionError) in step" in lines[0] and "secret" not in err
    [log] = list((tmp_path / "logs").glob("crash-*.log"))
    assert str(log) in lines[0] and "secret-value-that-must-not-be-shown" in log.read_text()
    assert "Traceback (most recent call last)" in log.read_text()


def test_missing_s3_credentials_is_exit_2_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: missing S3 credentials ended in botocore's NoCredentialsError traceback."""
    from csa_report.errors import ConfigError
    from csa_report.settings import Settings
    from csa_report.storage import S3Store

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    store = S3Store.from_settings(Settings(s3_endpoint="http://127.0.0.1:9"))
    with pytest.raises(ConfigError, match="no S3 credentials: set s3_access_key and s3_secret_key") as info:
        store.head("csa-staging", "k")
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://127.0.0.1:99999/x", "port 99999 is not a TCP port"),
        ("postgresql://127.0.0.1:abc/x", "does not parse"),
        ("postgresql+asyncpg://127.0.0.1/x", "asynchronous driver 'asyncpg' is not supported"),
        ("postgresql+nosuchdriver://127.0.0.1/x", "database driver 'postgresql+nosuchdriver' is not available"),
        ("sqlite:///{tmp}", "is a folder, not a database file"),
        ("sqlite:///{tmp}/text.db", "is not an SQLite database file"),
    ],
)
def test_unusable_database_urls_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    """Defect: these ended in tracebacks (or, for a folder, were retried as unreachable, exit 3)."""
    (tmp_path / "text.db").write_text("not a database")
    code = main(
        [
            "extract",
            "--db",
            url.format(tmp=tmp_path),
            "--period",
            "2025",
            "--as-of",
            "2026-01-15",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err, err


def test_missing_postgres_database_is_exit_2_not_unreachable(
    pg_admin_dsn: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Defect: a database that does not exist was retried as unreachable (exit 3)."""
    url = pg_admin_dsn.rsplit("/", 1)[0] + "/no_such_db_i10"
    code = main(["extract", "--db", url, "--period", "2025", "--as-of", "2026-01-15", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and 'database "no_such_db_i10" does not exist' in err, err


@pytest.mark.parametrize("out", ["{tmp}/a-file", "/dev/null", "{tmp}/" + "d" * 300, "{tmp}/a-file/sub"])
def test_unusable_out_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], out: str) -> None:
    """Defect: --out naming a file, /dev/null or a 300-character path ended in a traceback."""
    (tmp_path / "a-file").write_text("x")
    code = main(
        [
            "extract",
            "--db",
            "sqlite:///whatever.db",
            "--period",
            "2025",
            "--as-of",
            "2026-01-15",
            "--out",
            out.format(tmp=tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "--out" in err and "Traceback" not in err, err
