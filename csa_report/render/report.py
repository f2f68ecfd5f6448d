"""render_report: one context → report.html, report.pdf, report.md, report.json, report.csv, manifest.json.

Pure apart from writing ``out_dir``: no clock, no random ids, no database. Equal contexts (and templates) give
byte-identical files. The report id is the first 16 hex digits of the manifest's SHA-256; the manifest lists
the other artefacts, so none of them can contain the id (by design).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from csa_report.artefacts import MANIFEST, REPORT_PDF
from csa_report.errors import ConfigError
from csa_report.indicators import Indicators, dumps_stable
from csa_report.invisible import visible, visible_markdown
from csa_report.period import Period, parse_as_of
from csa_report.render.env import make_environment, render_template
from csa_report.render.model import ReportContext
from csa_report.render.pdf_limit import render_pdf_bounded

ARTEFACTS: Final = ("report.html", REPORT_PDF, "report.md", "report.json", "report.csv")
MANIFEST_SCHEMA: Final = "csa-report/manifest/1"


@dataclass(frozen=True)
class RenderResult:
    """Where the artefacts are, their SHA-256 (hex) and the report id."""

    out_dir: Path
    paths: dict[str, Path]
    sha256: dict[str, str]
    report_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "paths": {k: str(v) for k, v in sorted(self.paths.items())},
            "sha256": dict(sorted(self.sha256.items())),
            "report_id": self.report_id,
        }


def report_id(manifest_bytes: bytes) -> str:
    """The report id: the first 16 hex digits of the manifest's SHA-256."""
    return hashlib.sha256(manifest_bytes).hexdigest()[:16]


def _indicators(context: ReportContext) -> Indicators:
    return Indicators.build(
        Period.parse(context.provenance.period),
        parse_as_of(context.provenance.as_of),
        context.header.services,
        context.rows,
    )


def _segments(context: ReportContext) -> list[Indicators]:
    """The extracted indicators of each regime segment (a period that straddles regimes; else none)."""
    return [
        Indicators.build(Period.parse(s.period), parse_as_of(context.provenance.as_of), context.header.services, s.rows)
        for s in context.segment_rows
    ]


def report_json(context: ReportContext) -> str:
    """data-contract §4 JSON (indicators + policy-driven rows), plus a ``report`` header object and, for a
    period that straddles legal regimes, ``segments``: each segment's rows apart from ``rows``, so that a
    reader of ``rows`` (e.g. the previous-period comparison) keeps seeing the whole period only; sorted keys."""
    obj = _indicators(context).to_json_obj(context.extra_rows)
    if context.segment_rows:
        obj["segments"] = [
            {"instrument": s.instrument, "period": s.period, "rows": ind.to_json_obj()["rows"]}
            for s, ind in zip(context.segment_rows, _segments(context), strict=True)
        ]
    h = context.header
    obj["report"] = {
        "provider": h.provider,
        "services": list(h.services),
        "publication_date": h.publication_date,
        "publication_url": h.publication_url,
        "supervisory_authority": h.supervisory_authority,
        "form": "Implementing Regulation (EU) 2024/2916, Annex",
        "legal_instruments": [i.model_dump(mode="json") for i in h.instruments],
        "instruments": h.instruments_phrase,
        "title": h.title,
        "legal_positions": [p.model_dump(mode="json") for p in h.positions],
        "scope_statements": list(h.scope_statements),
        "gap_statement": h.gap_notice,
        "tool_version": h.tool_version,
    }
    if context.provenance.provisional:
        obj["report"]["provisional"] = context.provenance.provisional
    if context.provenance.supersedes:  # only a correction carries them, so a first filing's JSON is unchanged
        obj["report"]["supersedes"] = context.provenance.supersedes
        obj["report"]["reason"] = context.provenance.reason
    return dumps_stable(obj)


def report_csv(context: ReportContext) -> str:
    """data-contract §4 long CSV: the whole period's rows, then each regime segment's rows (its own days in
    the ``period`` column), segment after segment in time order, each block in the contract's row order."""
    text = _indicators(context).to_csv(context.extra_rows)
    for segment in _segments(context):
        text += segment.to_csv().split("\n", 1)[1]  # the header once, at the top
    return text


def template_data(context: ReportContext) -> dict[str, Any]:
    """What templates receive: the context as plain JSON-like data (so a missing key fails by name)."""
    data: dict[str, Any] = context.model_dump(mode="json", exclude={"rows", "extra_rows", "segment_rows"})
    return data


def manifest_obj(context: ReportContext, files: dict[str, bytes]) -> dict[str, Any]:
    p = context.provenance
    obj: dict[str, Any] = {
        "schema": MANIFEST_SCHEMA,
        "artefacts": {
            name: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for name, b in sorted(files.items())
        },
        "inputs": {
            "period": p.period,
            "as_of": p.as_of,
            "publication_date": p.publication_date,
            "policies": [pol.model_dump(mode="json") for pol in p.policies],
            "tool_version": p.tool_version,
            "schema_version": p.schema_version,
            "signoff": p.signoff,
            "provider": context.header.provider,
            "services": list(context.header.services),
        },
        "findings": {
            sev: sum(1 for f in context.findings if f.severity == sev)
            for sev in sorted({f.severity for f in context.findings})
        },
        "waivers": [w.model_dump(mode="json") for w in context.waivers],
    }
    if p.correction:  # only a correction carries the key, so a first filing's manifest is unchanged
        obj["correction"] = p.correction
    if p.provisional:  # likewise only a report of an incomplete period
        obj["provisional"] = p.provisional
    return obj


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def render_report(
    context: ReportContext, out_dir: Path, template_dir: Path | None = None, timeout_s: float | None = None
) -> RenderResult:
    """Write the six artefacts into ``out_dir`` and return their paths, SHA-256 and the report id. The PDF layout
    runs under ``timeout_s`` (default: the render_timeout_s setting's default; see render/pdf_limit.py)."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"output folder {out_dir} cannot be created: {exc.strerror or exc}") from None
    env = make_environment(template_dir)
    data = template_data(context)
    # The last guard: no bidi override or zero-width character in any artefact, whatever text brought it in.
    html = visible(render_template(env, "report.html.j2", data))
    md = visible_markdown(render_template(env, "report.md.j2", data))
    json_text = visible(report_json(context))
    files: dict[str, bytes] = {
        "report.html": html.encode("utf-8"),
        "report.md": md.encode("utf-8"),
        "report.json": json_text.encode("utf-8"),
        "report.csv": visible(report_csv(context)).encode("utf-8"),
    }
    files[REPORT_PDF] = render_pdf_bounded(
        html,
        attachment=files["report.json"],
        attachment_name="report.json",
        as_of=parse_as_of(context.provenance.as_of),
        timeout_s=timeout_s,
    )
    manifest = visible(json.dumps(manifest_obj(context, files), sort_keys=True, ensure_ascii=False, indent=2)) + "\n"
    files[MANIFEST] = manifest.encode("utf-8")
    paths: dict[str, Path] = {}
    for name in (*ARTEFACTS, MANIFEST):
        paths[name] = out_dir / name
        _write(paths[name], files[name])
    return RenderResult(
        out_dir=out_dir,
        paths=paths,
        sha256={n: hashlib.sha256(b).hexdigest() for n, b in files.items()},
        report_id=report_id(files[MANIFEST]),
    )
