"""Bounded work (issue 24, item 8): the PDF layout runs under CSA_RENDER_TIMEOUT_S and past it rendering is
exit 4 naming the step and the setting, with no process left behind; the bytes are those of an in-process
layout. More services than one report can hold (62) is exit 2 naming the limit, not exit 4."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

from csa_report.cli import main
from csa_report.errors import ToolError
from csa_report.render.pdf import render_pdf
from csa_report.render.pdf_limit import render_pdf_bounded

REPO = Path(__file__).parents[2]
HTML = "<html><body><h1>Report</h1><p>" + "figures " * 200 + "</p></body></html>"


def test_the_bounded_layout_gives_the_same_bytes_as_an_in_process_one() -> None:
    args = {"attachment": b"{}", "attachment_name": "report.json", "as_of": datetime(2026, 1, 15)}
    assert render_pdf_bounded(HTML, timeout_s=120, **args) == render_pdf(HTML, **args)  # type: ignore[arg-type]


def test_a_layout_past_the_limit_is_stopped_with_a_tool_error_naming_the_setting() -> None:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    # Hundreds of pages of wrapped text: seconds of layout on any machine, far past the 0.2 s limit.
    long_html = "<html><body>" + ("<p>" + "word " * 400 + "</p>") * 400 + "</body></html>"
    with pytest.raises(ToolError) as err:
        render_pdf_bounded(
            long_html, attachment=b"{}", attachment_name="report.json", as_of=datetime(2026, 1, 15), timeout_s=0.2
        )
    assert err.value.exit_code == 4
    assert "report.pdf (the PDF layout) did not finish within 0.2 s" in str(err.value)
    assert "CSA_RENDER_TIMEOUT_S" in str(err.value)
    assert {p.pid for p in psutil.Process().children(recursive=True)} == before  # the child is gone, reaped


def test_an_error_inside_the_layout_comes_back_as_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    import csa_report.render.pdf_limit as limit

    def broken(*args: object, **kwargs: object) -> bytes:
        raise ToolError("WeasyPrint is not available: test")

    monkeypatch.setattr(limit, "render_pdf", broken)
    with pytest.raises(ToolError, match="WeasyPrint is not available: test"):
        limit.render_pdf_bounded(HTML, attachment=b"{}", attachment_name="r.json", as_of=datetime(2026, 1, 15))


@pytest.mark.slow
def test_render_command_past_the_limit_exits_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'source.db'}"
    assert main(["db", "upgrade", "--db", db]) == 0
    assert main(["seed", "--db", db, "--period", "2025", "--scale", "100"]) == 0
    monkeypatch.setenv("CSA_RENDER_TIMEOUT_S", "0.01")
    capsys.readouterr()
    args = ["render", "--db", db, "--period", "2025", "--as-of", "2026-01-08", "--out", str(tmp_path / "o")]
    code = main([*args, "--policies", str(REPO / "policies" / "example")])
    err = capsys.readouterr().err
    assert code == 4, err
    assert "rendering report.pdf (the PDF layout) did not finish within 0.01 s" in err and "Traceback" not in err
    assert not (tmp_path / "o" / "manifest.json").exists()


def _source_with_services(tmp_path: Path, count: int, width: int = 10) -> str:
    url = f"sqlite:///{tmp_path / f'services-{count}-{width}.db'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    engine = sa.create_engine(url)
    table = sa.Table("processing_volumes", sa.MetaData(), autoload_with=engine)
    rows = [
        {
            "id": i + 1,
            "service": f"Service {i:02d}".ljust(width - 1, "x") + "y" if width > 10 else f"Service {i:02d}",
            "day": datetime(2025, 3, 1).date(),
            "data_type": "image",
            "file_type": None,
            "user_region": "eu",
            "items": 10,
            "bytes": 1000,
        }
        for i in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    engine.dispose()
    return url


def test_more_than_62_services_is_a_data_error_naming_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _source_with_services(tmp_path, 63)
    capsys.readouterr()
    args = ["extract", "--db", url, "--period", "2025", "--as-of", "2026-01-08", "--out", str(tmp_path / "o")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "names 63 services in the period; one report covers at most 62" in err and "Traceback" not in err
    ok = _source_with_services(tmp_path, 62)
    assert main(["extract", "--db", ok, "--period", "2025", "--as-of", "2026-01-08", "--out", str(tmp_path / "k")]) == 0
    assert os.path.exists(tmp_path / "k" / "indicators.json")


def test_services_whose_names_hold_more_than_2000_characters_are_a_data_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 17 names of 120 characters: 2,040 > 2,000 (the PDF layout of 60 such names ran past 300 s).
    url = _source_with_services(tmp_path, 17, width=120)
    capsys.readouterr()
    args = ["extract", "--db", url, "--period", "2025", "--as-of", "2026-01-08", "--out", str(tmp_path / "o")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "the names of the 17 services in the period hold 2,040 characters together" in err
    assert "at most 2,000" in err and "Traceback" not in err
    ok = _source_with_services(tmp_path, 16, width=120)  # 1,920 characters
    assert main(["extract", "--db", ok, "--period", "2025", "--as-of", "2026-01-08", "--out", str(tmp_path / "k")]) == 0
