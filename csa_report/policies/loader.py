"""Load and strictly validate a policy folder (policies.md §1).

Every problem becomes a :class:`~csa_report.errors.PolicyError` whose one-line message names the file, the line,
the field and what was expected, e.g.::

    policies/acme/transfers.md:14: recipients[0].grounds[0].valid_from: expected a date (YYYY-MM-DD), got 'soon'

Lines are found from the YAML node tree (``yaml.compose`` keeps each node's start mark), so a pydantic error
location maps back to the line a privacy lawyer has to edit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from csa_report.errors import PolicyError
from csa_report.names import MAX_NAME_BYTES
from csa_report.period import Period
from csa_report.policies.history import version_in_force
from csa_report.policies.messages import FRONT_OFFSET, describe_errors, line_of
from csa_report.policies.models import DOCUMENTS, PolicyDocument, PolicySet
from csa_report.policies.yaml_front import (
    MAX_DOCUMENT_BYTES,
    check_duplicate_keys,
    check_name_lengths,
    parse_yaml,
    read_limited,
    split_front_matter,
)

#: Re-exported for the waivers file and the tests, which read YAML the same way.
__all__ = [
    "HISTORY",
    "MAX_DOCUMENT_BYTES",
    "MAX_NAME_BYTES",
    "check_duplicate_keys",
    "describe_errors",
    "line_of",
    "load_document",
    "load_policies",
    "parse_yaml",
    "provider_versions",
    "read_limited",
]


#: Older versions of a document live in ``history/<document file name without .md>/*.md`` (policy history).
HISTORY = "history"


def provider_versions(folder: Path) -> list[Path]:
    """Every version of provider.md in a policy folder: the current one, then those kept in history/ (a report
    for an earlier period quotes the version then in force)."""
    return [folder / "provider.md", *sorted((folder / HISTORY / "provider").glob("*.md"))]


def load_policies(folder: Path, period: Period | None = None) -> PolicySet:
    """Load the five documents of ``folder``; raise PolicyError on the first invalid or missing one.

    With a ``period``, each document is the version in force on the period's last day, chosen among the
    current file and its history (csa_report.policies.history); without one, the current file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PolicyError(
            f"policy folder {folder} does not exist or is not a folder "
            f"(expected a folder holding {', '.join(DOCUMENTS)})"
        )
    docs: dict[str, PolicyDocument] = {}
    for file_name, (kind, model) in DOCUMENTS.items():
        current = load_document(folder / file_name, kind, model)
        if period is None:
            docs[kind] = current
            continue
        history_dir = folder / HISTORY / Path(file_name).stem
        older = (
            [load_document(path, kind, model) for path in sorted(history_dir.glob("*.md"))]
            if history_dir.is_dir()
            else []
        )
        docs[kind] = version_in_force(file_name, [current, *older], period)
    return PolicySet.model_validate({"folder": folder, **docs})


def _folder_hint(path: Path) -> str:
    """Why a document is missing, in the words an operator needs: the wrong folder is the usual cause (the
    repository's policies/ holds the example folder, not the documents)."""
    folder = path.parent
    if not folder.is_dir():
        return f" (the policy folder {folder} does not exist)"
    holders = sorted(p.parent for p in folder.glob(f"*/{path.name}"))
    if holders:
        hint = f"{holders[0]} looks like one: point CSA_POLICIES or --policies at it"
        return f" (a policy folder holds {', '.join(DOCUMENTS)}; {hint})"
    return f" (a policy folder holds {', '.join(DOCUMENTS)})"


def load_document(path: Path, kind: str, model: type[PolicyDocument]) -> PolicyDocument:
    """Read one document: front matter validated against ``model``, body kept verbatim, bytes hashed."""
    try:
        raw = read_limited(path, "policy document")
    except FileNotFoundError:
        raise PolicyError(f"{path}: document is missing{_folder_hint(path)}") from None
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyError(f"{path}:{line}: not valid UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    front, body = split_front_matter(path, text)
    node, data = parse_yaml(path, front)
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        got = "nothing" if data is None else type(data).__name__
        raise PolicyError(
            f"{path}:{FRONT_OFFSET}: front matter: expected a mapping of fields (`field: value` lines), got {got}"
        )
    check_duplicate_keys(path, node)
    check_name_lengths(path, node)
    _check_kind(path, node, data, kind)
    try:
        doc = model.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(describe_errors(path, node, model, exc.errors())) from None
    doc.attach(body=body, path=path, sha256=sha256)
    return doc


def _check_kind(path: Path, node: yaml.MappingNode, data: dict[Any, Any], kind: str) -> None:
    if "kind" not in data:
        raise PolicyError(f"{path}:{FRONT_OFFSET}: kind: required field is missing (expected `kind: {kind}`)")
    if data["kind"] != kind:
        line = line_of(node, ("kind",))
        raise PolicyError(f"{path}:{line}: kind: expected {kind!r} for {path.name}, got {data['kind']!r}")
