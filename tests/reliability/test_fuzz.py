"""Hypothesis fuzzing of the command line (in-process), the policy documents and the waivers file.

For every case: no traceback (no exception escapes ``main`` or the loaders other than the documented ones), an
exit code from the documented set, and no hang (each case has a Hypothesis deadline). Sizes: the CI run does
about 12,000 cases in total (``CSA_FUZZ_SCALE=1``); ``make fuzz`` runs ten times as many."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csa_report.checks.waivers import load_waivers
from csa_report.cli import main
from csa_report.errors import PeriodError, PolicyError
from csa_report.period import Period, parse_as_of
from csa_report.policies.loader import load_document
from csa_report.policies.models import DOCUMENTS

SCALE = int(os.environ.get("CSA_FUZZ_SCALE", "1"))
EXIT_CODES = {0, 1, 2, 3, 4, 5, 6}
EXAMPLE = Path(__file__).resolve().parents[2] / "policies" / "example"
NAMES = sorted(DOCUMENTS)
ORIGINALS = {name: (EXAMPLE / name).read_text(encoding="utf-8") for name in NAMES}


@pytest.fixture(autouse=True, scope="module")
def _no_connect_backoff() -> Iterator[None]:
    """An unreachable database is a legitimate outcome (exit 3); its back-off sleeps are not what is fuzzed."""
    import csa_report.db

    saved = csa_report.db.CONNECT_BACKOFF_S
    csa_report.db.CONNECT_BACKOFF_S = 0.0
    yield
    csa_report.db.CONNECT_BACKOFF_S = saved


def fuzz(examples: int, deadline_s: float = 5.0) -> settings:
    return settings(
        max_examples=examples * SCALE,
        deadline=timedelta(seconds=deadline_s),
        derandomize=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
        database=None,
    )


# -- periods and as-of: pure functions, the cheapest target ------------------------------------------------

PERIODISH = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"[0-9٠-٩]{4}(-[0-9]{2}-[0-9]{2}/[0-9]{4}-[0-9]{2}-[0-9]{2})?", fullmatch=True),
    st.integers(-1, 10_001).map(lambda y: f"{y:04d}"),
    st.tuples(st.dates(), st.dates()).map(lambda d: f"{d[0].isoformat()}/{d[1].isoformat()}"),
)
AS_OFISH = st.one_of(
    st.text(max_size=40),
    st.datetimes().map(lambda d: d.isoformat()),
    st.tuples(st.datetimes(), st.sampled_from(["Z", "+14:00", "-12:00", "+00:00", "z", ""])).map(
        lambda t: t[0].replace(microsecond=0).isoformat() + t[1]
    ),
)


#: Inputs checked per Hypothesis example: the generator's own cost per example dominates on a small machine, so
#: cheap targets take a batch of inputs each (every input is one case, checked on its own).
BATCH = 10
WAIVER_BATCH = 5


@fuzz(600, 2.0)
@given(
    texts=st.lists(PERIODISH, min_size=BATCH, max_size=BATCH),
    instants=st.lists(AS_OFISH, min_size=BATCH, max_size=BATCH),
)
def test_fuzz_period_and_as_of(texts: list[str], instants: list[str]) -> None:
    for text, as_of in zip(texts, instants, strict=True):
        for parse, value in ((Period.parse, text), (parse_as_of, as_of)):
            try:
                parse(value)
            except PeriodError as err:
                assert err.exit_code == 2 and "\n" not in str(err)


# -- the command line, in-process ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("cli")
    (root / "a-file.txt").write_text("not a database")
    (root / "folder").mkdir()
    from csa_report.seed import seed

    url = f"sqlite:///{root / 'tiny.db'}"
    seed(url, Period.parse("2025"), scale=20, seed=1)
    # Warm up: the first call imports the extraction and Prefect modules (seconds), which is not a hang.
    assert main(["extract", "--db", url, "--period", "2025", "--as-of", "2026-01-15", "--out", str(root / "w")]) == 0
    return {"root": str(root), "tiny": url}


def _db_values(root: str, tiny: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            tiny,
            f"sqlite:///{root}/a-file.txt",
            f"sqlite:///{root}/folder",
            f"sqlite:///{root}/missing.db",
            "postgresql://127.0.0.1:99999/x",
            "postgresql://127.0.0.1:abc/x",
            "postgresql+asyncpg://127.0.0.1/x",
            "postgresql+nosuchdriver://127.0.0.1/x",
            "mysql://127.0.0.1/x",
            "sqlite+aiosqlite:///x.db",
            "::::",
            "",
            "sqlite://",
            "postgres://",
            "sqlite:///" + "x" * 300,
        ]
    ) | st.text(max_size=20)


def _out_values(root: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            f"{root}/out",
            f"{root}/a-file.txt",
            "/dev/null",
            f"{root}/" + "d" * 300,
            f"{root}/a-file.txt/sub",
            "/proc/version/x",
        ]
    ) | st.text(max_size=10).map(lambda t: f"{root}/o-{t}")


@fuzz(1000, 10.0)
@given(data=st.data())
def test_fuzz_cli_extract_arguments(
    data: st.DataObject, cli_world: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, tiny = cli_world["root"], cli_world["tiny"]
    argv = ["extract"]
    for option, values in (
        ("--db", _db_values(root, tiny)),
        ("--period", PERIODISH),
        ("--as-of", AS_OFISH),
        ("--out", _out_values(root)),
    ):
        if data.draw(st.integers(0, 9), label=f"omit {option}") > 0:
            argv += [option, data.draw(values, label=option)]
    if data.draw(st.booleans(), label="junk"):
        argv.insert(data.draw(st.integers(0, len(argv)), label="at"), data.draw(st.text(max_size=12), label="arg"))
    _assert_clean(argv, capsys)


@fuzz(2500)
@given(
    argv=st.lists(
        st.sampled_from(
            [
                "status",
                "check",
                "delivery",
                "confirm",
                "resend",
                "--period",
                "2025",
                "--audit-db",
                "sqlite:///",
                "1",
                "-1",
                "x@y",
                "--evidence",
                "",
                "--help",
                "99999999999999999999",
                "--policies",
                "/nonexistent",
                "seed",
                "--list",
            ]
        )
        | st.text(max_size=8),
        max_size=6,
    )
)
def test_fuzz_cli_other_commands(
    argv: list[str], cli_world: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Never touch a real audit DB or Prefect API: point the defaults at a scratch folder.
    monkeypatch.chdir(cli_world["root"])
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    argv = [a if a != "sqlite:///" else f"sqlite:///{cli_world['root']}/audit.db" for a in argv]
    if argv[:1] in (["run"], ["demo"], ["render"]):
        return
    _assert_clean(argv, capsys)


def _assert_clean(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(argv)
    captured = capsys.readouterr()
    assert code in EXIT_CODES, (argv, code, captured.err[-500:])
    assert "Traceback" not in captured.err and "Traceback" not in captured.out, (argv, captured.err[-2000:])
    assert "internal error" not in captured.err, (argv, captured.err)


# -- policy documents and waivers ----------------------------------------------------------------------------

YAML_BITS = st.sampled_from(
    [
        "",
        " ",
        "\n",
        ":",
        "- ",
        "---",
        "{",
        "}",
        "[",
        "]",
        "&a",
        "*a",
        "&a [x, x]",
        "<<: *a",
        "!!python/object:os.system",
        "~",
        "null",
        "yes",
        "2026-02-30",
        "1e999",
        "0x1F",
        "'",
        '"',
        "|",
        ">-",
        "\t",
        "? ",
        "\ufeff",
        "é",
        "\x00",
        "kind: provider",
        "provider: " + "N" * 250,
        "name: " + "é" * 150,
        "[[[[[[[[[[",
        "a: &x [1, 2]\nb: *x",
    ]
)


@fuzz(1500)
@given(name=st.sampled_from(NAMES), data=st.data())
def test_fuzz_policy_documents(name: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    """One mutated document loaded on its own (the loader of one document is what a folder load repeats)."""
    lines = ORIGINALS[name].splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        bit = data.draw(YAML_BITS)
        if data.draw(st.booleans()):
            lines.insert(i, bit + "\n")
        else:
            j = data.draw(st.integers(0, max(0, len(lines[i]) - 1)))
            lines[i] = lines[i][:j] + bit + lines[i][j:]
    path = tmp_path_factory.getbasetemp() / name
    path.write_text("".join(lines), encoding="utf-8", errors="surrogatepass")
    kind, model = DOCUMENTS[name]
    try:
        load_document(path, kind, model)
    except PolicyError as err:
        assert err.exit_code == 2 and "\n" not in str(err) and str(path) in str(err)


WAIVER_LINE = (
    st.sampled_from(
        [
            "- rule: RET-1",
            "  reason: planned",
            "  approved_by: A. Approver",
            "  expires: 2026-12-31",
            "  until: 2026-12-31",
        ]
    )
    | YAML_BITS
)


@fuzz(400, 5.0)
@given(files=st.lists(st.lists(WAIVER_LINE, max_size=12), min_size=WAIVER_BATCH, max_size=WAIVER_BATCH))
def test_fuzz_waivers(files: list[list[str]], tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz-waivers.yaml"
    for lines in files:
        path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        try:
            load_waivers(path)
        except PolicyError as err:
            assert err.exit_code == 2 and "\n" not in str(err) and str(path) in str(err)


#: Cases (inputs checked) per Hypothesis example, for the counts in docs/reliability.md.
CASES_PER_EXAMPLE = {"test_fuzz_period_and_as_of": BATCH, "test_fuzz_waivers": WAIVER_BATCH}
