"""Equal inputs give byte-identical artefacts, in this process and in another one (other hash seed, later)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from csa_report.render import RenderResult, report_id
from csa_report.render.report import ARTEFACTS, MANIFEST
from tests.render.render_fixture import read

ALL_FILES = (*ARTEFACTS, MANIFEST)


def test_two_renders_are_byte_identical(rendered: RenderResult, rendered_again: RenderResult) -> None:
    for name in ALL_FILES:
        assert Path(rendered.paths[name]).read_bytes() == Path(rendered_again.paths[name]).read_bytes(), name
    assert rendered.report_id == rendered_again.report_id


def test_render_in_another_process_is_byte_identical(rendered: RenderResult, tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "from tests.render.render_fixture import make_context; from csa_report.render import render_report;"
        "print(render_report(make_context(), Path(sys.argv[1])).report_id)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), str(Path(__file__).parents[2])],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert out.stdout.strip() == rendered.report_id
    for name in ALL_FILES:
        assert (tmp_path / name).read_bytes() == Path(rendered.paths[name]).read_bytes(), name


def test_manifest_lists_artefacts_and_provenance(rendered: RenderResult) -> None:
    raw = Path(rendered.paths[MANIFEST]).read_bytes()
    assert rendered.report_id == report_id(raw) == hashlib.sha256(raw).hexdigest()[:16]
    manifest = json.loads(raw)
    assert raw.decode() == json.dumps(manifest, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    assert sorted(manifest["artefacts"]) == sorted(ARTEFACTS)
    for name in ARTEFACTS:
        data = Path(rendered.paths[name]).read_bytes()
        assert manifest["artefacts"][name] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        assert rendered.sha256[name] == hashlib.sha256(data).hexdigest()
    inputs = manifest["inputs"]
    assert inputs["period"] == "2025-01-01/2025-12-31"
    assert inputs["as_of"] == "2026-01-08T00:00:00Z"
    assert inputs["tool_version"] == "0.1.0"
    assert inputs["schema_version"] == "csa-report/indicators/2"
    assert [p["file"] for p in inputs["policies"]] == [
        "provider.md",
        "legal-basis.md",
        "transfers.md",
        "retention.md",
        "measures.md",
    ]
    policy_dir = Path(__file__).parent / "fixtures" / "policies"
    for p in inputs["policies"]:
        assert p["sha256"] == hashlib.sha256((policy_dir / p["file"]).read_bytes()).hexdigest()
        assert p["version"]
    assert manifest["waivers"] == [
        {
            "expires": "",
            "reason": "ground confirmed by counsel on 2026-01-07",
            "rule": "XFER-2",
            "status": "applied",
            "waived_by": "Dara Kelly",
        }
    ]


def test_no_personal_data_in_any_artefact(rendered: RenderResult) -> None:
    for name in ALL_FILES:
        if name == "report.pdf":
            continue
        text = read(rendered, name)
        assert "account_ref" not in text, name
        # the preparer and approvers are internal (provider.md) and never printed
        assert "Aoife Byrne" not in text and "demo-reviewer" not in text, name
