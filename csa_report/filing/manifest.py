"""manifest.json after render: its name (csa_report.artefacts) and how its bytes and its listing are verified.

The manifest is what a reviewer approves (its SHA-256, or an SSH signature over its exact bytes) and what every
later step checks the report's files against: the sign-off reads it back from disk, submission from the staged
objects, the seal the PDF's hash. One reading of its format for all of them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from csa_report.artefacts import MANIFEST
from csa_report.errors import TamperedError

__all__ = ["ARTEFACT_SECTIONS", "MANIFEST", "check_listing", "manifest_hashes", "read_manifest"]

#: Where the artefacts' hashes may be listed (the first present wins); other sections are provenance.
ARTEFACT_SECTIONS = ("artefacts", "artifacts", "files")


def read_manifest(path: Path, manifest_sha256: str) -> bytes:
    """The exact manifest bytes a signature must cover: the rendered file, checked against the staged hash."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != manifest_sha256.strip().lower():
        raise TamperedError(f"{path} changed since it was staged; run again")
    return data


def manifest_hashes(manifest: bytes) -> dict[str, str]:
    """Artefact name → SHA-256 from the manifest's top-level ``artefacts`` (or ``artifacts`` / ``files``)
    section, listed as ``{name: {"sha256": …}}`` or as ``[{"name"|"file"|"path": …, "sha256": …}]``. Other
    sections (e.g. the policy documents' hashes) are provenance, not artefacts, and are not read."""
    try:
        doc = json.loads(manifest)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TamperedError(f"the signed {MANIFEST} is not valid JSON") from None
    if not isinstance(doc, dict):
        return {}
    section = next((doc[k] for k in ARTEFACT_SECTIONS if k in doc), None)
    found: dict[str, str] = {}
    for name, sha in _entries(section):
        found[name.rsplit("/", 1)[-1]] = sha.lower()
    return found


def check_listing(contents: Mapping[str, bytes], listed: Mapping[str, str], uri_of: Mapping[str, str]) -> None:
    """Every file but the manifest is listed with its SHA-256, and every listed file is there. ``uri_of`` names
    each file where it was read from, for the error (never its content)."""
    for name, data in sorted(contents.items()):
        if name == MANIFEST:
            continue
        expected = listed.get(name)
        if expected is None:
            raise TamperedError(f"{uri_of[name]} is not listed in the signed manifest")
        if hashlib.sha256(data).hexdigest() != expected:
            raise TamperedError(f"{uri_of[name]} does not match the SHA-256 the signed manifest lists")
    missing = sorted(set(listed) - set(contents))
    if missing:
        raise TamperedError(f"artefacts listed in the signed manifest were not staged: {', '.join(missing)}")


def _entries(section: Any) -> Iterator[tuple[str, str]]:
    if isinstance(section, dict):
        for key, value in section.items():
            if isinstance(value, dict) and isinstance(value.get("sha256"), str):
                yield str(key), value["sha256"]
            elif isinstance(value, str) and len(value) == 64:
                yield str(key), value
    elif isinstance(section, list):
        for item in section:
            if not isinstance(item, dict) or not isinstance(item.get("sha256"), str):
                continue
            name = next((item[k] for k in ("name", "file", "filename", "path") if isinstance(item.get(k), str)), None)
            if name is not None:
                yield name, item["sha256"]
