"""Load and strictly validate a policy folder (policies.md §1).

Every problem becomes a :class:`~csa_report.errors.PolicyError` whose one-line message names the file, the line,
the field and what was expected, e.g.::

    policies/acme/transfers.md:14: recipients[0].grounds[0].valid_from: expected a date (YYYY-MM-DD), got 'soon'

Lines are found from the YAML node tree (``yaml.compose`` keeps each node's start mark), so a pydantic error
location maps back to the line a privacy lawyer has to edit.
"""

from __future__ import annotations

import difflib
import hashlib
import stat
import types
import typing
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from csa_report.errors import PolicyError
from csa_report.names import MAX_NAME_BYTES
from csa_report.period import Period
from csa_report.policies.history import version_in_force
from csa_report.policies.models import DOCUMENTS, UNION_TAGS, PolicyDocument, PolicySet

#: Front matter starts on the file's second line (the first is ``---``).
_FRONT_OFFSET = 2
_FENCE = "---"

Loc = tuple[str | int, ...]

#: A policy document or waivers file larger than this is refused unread: real ones are a few kilobytes, and a
#: bound keeps a mistaken or hostile file from exhausting memory or time.
MAX_DOCUMENT_BYTES = 512 * 1024
#: YAML events (scalars, collection starts and ends) allowed in one document: far above any real document.
MAX_YAML_EVENTS = 50_000
#: Longest provider, service or recipient name (csa_report.names.MAX_NAME_BYTES, the one limit), checked on the
#: YAML before anything is built; the models then hold every name to the rest of csa_report.names.
_NAME_FIELDS = ("provider", "name")


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


def load_document(path: Path, kind: str, model: type[PolicyDocument]) -> PolicyDocument:
    """Read one document: front matter validated against ``model``, body kept verbatim, bytes hashed."""
    try:
        raw = read_limited(path, "policy document")
    except FileNotFoundError:
        raise PolicyError(
            f"{path}: document is missing (a policy folder holds {', '.join(DOCUMENTS)}; this one has kind {kind!r})"
        ) from None
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
            f"{path}:{_FRONT_OFFSET}: front matter: expected a mapping of fields (`field: value` lines), got {got}"
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


def split_front_matter(path: Path, text: str) -> tuple[str, str]:
    """(front matter YAML, Markdown body). The body has its surrounding blank lines removed, nothing else."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != _FENCE:
        raise PolicyError(
            f"{path}:1: expected front matter: the file must start with a line `---`, "
            "then YAML fields, then a closing `---` line, then the Markdown text"
        )
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in (_FENCE, "..."):
            front = "".join(lines[1:i])
            body = "".join(lines[i + 1 :]).strip("\r\n")
            return front, body + "\n" if body else ""
    raise PolicyError(f"{path}:1: front matter is not closed: expected a line `---` after the YAML fields")


def read_limited(path: Path, what: str) -> bytes:
    """The bytes of a regular file of at most MAX_DOCUMENT_BYTES; PolicyError otherwise (a FIFO or a device
    would block or never end, so they are refused before reading). FileNotFoundError/OSError pass through."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise PolicyError(f"{path}: {what} is not a regular file")
    with path.open("rb") as fh:
        raw = fh.read(MAX_DOCUMENT_BYTES + 1)
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise PolicyError(f"{path}: {what} is larger than {MAX_DOCUMENT_BYTES // 1024} KiB; refused unread")
    return raw


def _refuse_aliases(path: Path, front: str, offset: int, what: str) -> None:
    """Anchors and aliases are refused before anything is built: an alias bomb ("billion laughs") expands
    exponentially in the constructor, but its events are few, so scanning them is cheap and bounded."""
    for count, event in enumerate(yaml.parse(front, Loader=yaml.SafeLoader)):
        if count > MAX_YAML_EVENTS:
            raise PolicyError(f"{path}: {what} holds more than {MAX_YAML_EVENTS} YAML values; refused")
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            line = event.start_mark.line + offset if event.start_mark is not None else offset
            raise PolicyError(
                f"{path}:{line}: {what} uses a YAML anchor or alias (`&name` / `*name`); these are "
                "not allowed: write the value out"
            )


def parse_yaml(
    path: Path, front: str, offset: int = _FRONT_OFFSET, what: str = "front matter"
) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the plain data of YAML text starting on file line ``offset``."""
    if len(front) > MAX_DOCUMENT_BYTES:
        raise PolicyError(f"{path}: {what} is larger than {MAX_DOCUMENT_BYTES // 1024} KiB; refused")
    try:
        _refuse_aliases(path, front, offset, what)
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        data = yaml.safe_load(front)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + offset if mark is not None else offset
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise PolicyError(f"{path}:{line}: {what} is not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: {what} is not valid YAML: {' '.join(str(exc).split())}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML's constructors raise these for e.g. a date like 2025-13-40; find the scalar to name its line
        where = _unreadable_scalar(front, offset)
        if where is None:
            raise PolicyError(f"{path}: {what} holds a value YAML cannot read: {exc}") from None
        line, field, value = where
        raise PolicyError(
            f"{path}:{line}: {field}: {value!r} is not a valid date ({exc}); expected a date YYYY-MM-DD"
        ) from None
    except RecursionError:
        raise PolicyError(f"{path}: {what} is nested too deeply") from None
    return node, data


def _unreadable_scalar(front: str, offset: int) -> tuple[int, str, str] | None:
    """(line, field, text) of the first date-like scalar PyYAML cannot construct, if any."""
    try:
        root = yaml.compose(front, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())] if root is not None else []
    while stack:
        node, where = stack.pop(0)
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":timestamp"):
            try:
                yaml.safe_load(node.value)
            except (ValueError, TypeError, OverflowError, yaml.YAMLError):
                return node.start_mark.line + offset, _field_name(where), node.value
        elif isinstance(node, yaml.MappingNode):
            stack += [(v, (*where, str(k.value))) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(v, (*where, i)) for i, v in enumerate(node.value)]
    return None


def check_duplicate_keys(path: Path, node: yaml.Node, where: Loc = (), offset: int = _FRONT_OFFSET) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    field = _field_name((*where, key.value))
                    raise PolicyError(
                        f"{path}:{key.start_mark.line + offset}: {field}: field given twice (expected each field once)"
                    )
                seen.add(key.value)
                check_duplicate_keys(path, value, (*where, key.value), offset)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            check_duplicate_keys(path, item, (*where, i), offset)


def check_name_lengths(path: Path, node: yaml.Node, offset: int = _FRONT_OFFSET) -> None:
    """Refuse a ``provider`` or ``name`` field longer than MAX_NAME_BYTES (UTF-8), naming its line."""
    stack: list[yaml.Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if (
                    isinstance(key, yaml.ScalarNode)
                    and key.value in _NAME_FIELDS
                    and isinstance(value, yaml.ScalarNode)
                    and len(value.value.encode("utf-8")) > MAX_NAME_BYTES
                ):
                    raise PolicyError(
                        f"{path}:{value.start_mark.line + offset}: {key.value} is longer than "
                        f"{MAX_NAME_BYTES} bytes; it is used in storage keys and file names, which "
                        "cannot hold it: shorten it"
                    )
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _check_kind(path: Path, node: yaml.MappingNode, data: dict[Any, Any], kind: str) -> None:
    if "kind" not in data:
        raise PolicyError(f"{path}:{_FRONT_OFFSET}: kind: required field is missing (expected `kind: {kind}`)")
    if data["kind"] != kind:
        line = line_of(node, ("kind",))
        raise PolicyError(f"{path}:{line}: kind: expected {kind!r} for {path.name}, got {data['kind']!r}")


# ---------------------------------------------------------------------------------------------------------
# Mapping pydantic errors to lines and plain words


def describe_errors(
    path: Path, node: yaml.Node, model: type[BaseModel], errors: Sequence[ErrorDetails], offset: int = _FRONT_OFFSET
) -> str:
    """One line for the earliest problem in the file, saying how many more there are."""
    described = []
    for err in errors:
        loc, message = _normalise(node, err)
        described.append((err["type"] == "missing", line_of(node, loc, offset), _field_name(loc), message, loc))
    # a typo shows as an unknown field plus a missing one: name the unknown field, it is what to edit
    described.sort(key=lambda d: (d[0], d[1], d[2]))
    _, line, field, message, loc = described[0]
    if message == "__extra__":
        message = _unknown_field(model, loc)
    text = f"{path}:{line}: {field}: {message}" if field else f"{path}:{line}: {message}"
    more = len(described) - 1
    if more:
        text += f" (and {more} more problem{'s' if more > 1 else ''} in this file)"
    return text


def _normalise(node: yaml.Node, err: ErrorDetails) -> tuple[Loc, str]:
    loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in UNION_TAGS))
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return loc, "required field is missing"
    if kind == "extra_forbidden":
        return loc, "__extra__"
    if kind in ("date_type", "date_parsing", "date_from_datetime_inexact", "date_from_datetime_parsing"):
        return loc, f"expected a date (YYYY-MM-DD, unquoted), got {_show(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return loc, f"expected true or false, got {_show(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return loc, f"expected a whole number, got {_show(value)}"
    if kind == "string_type":
        hint = " (put it in quotes)" if isinstance(value, (bool, int, float)) else ""
        return loc, f"expected text, got {_show(value)}{hint}"
    if kind in ("tuple_type", "list_type"):
        return loc, f"expected a list (lines starting with `- `), got {_show(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, f"expected a mapping of fields (`field: value` lines), got {_show(value)}"
    if kind == "literal_error":
        hint = " (put it in quotes)" if isinstance(value, (int, float)) else ""
        return loc, f"expected one of {ctx.get('expected', '?')}; got {_show(value)}{hint}"
    if kind == "too_short":
        return loc, f"expected at least {ctx.get('min_length', 1)} entry, got none"
    if kind == "greater_than_equal":
        return loc, f"expected a number ≥ {ctx.get('ge')}, got {_show(value)}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    # a model-level validator names the field it is about: "e2ee_from: required when …"
    head, sep, rest = msg.partition(": ")
    if sep and head.isidentifier() and _has_key(node, (*loc, head)):
        return (*loc, head), rest
    return loc, msg


def _show(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a YAML boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_name(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node | None, int | None]:
    """The child node for one location step and the line of its key (or item)."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value, key.start_mark.line
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return item, item.start_mark.line
    return None, None


def _has_key(node: yaml.Node, loc: Loc) -> bool:
    current: yaml.Node | None = node
    for part in loc:
        current, line = _child(current, part)
        if line is None:
            return False
    return True


def line_of(node: yaml.Node, loc: Loc, offset: int = _FRONT_OFFSET) -> int:
    """File line of the deepest node along ``loc`` that exists (a missing field points at its parent)."""
    line = node.start_mark.line
    current: yaml.Node | None = node
    for part in loc:
        current, found = _child(current, part)
        if found is None:
            break
        line = found
    return line + offset


def _unknown_field(model: type[BaseModel], loc: Loc) -> str:
    parent = model_at(model, loc[:-1])
    if parent is None:
        return "unknown field"
    names = [name for name in parent.model_fields if name != "kind" or parent is model]
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    if close:
        return f"unknown field (did you mean {close[0]!r}?)"
    return f"unknown field (expected one of: {', '.join(names)})"


def model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class found at ``loc`` below ``model`` (for the list of allowed fields)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            current = _unwrap_sequence(current)
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return None
        current = _unwrap(current.model_fields[part].annotation)
    current = _unwrap_sequence(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Annotated, Optional and tagged unions down to the one model class (or type) they hold."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [_unwrap(a) for a in options]
            # a tagged union (measures | not_applicable): the richer model is the one meant
            models = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)] or models
            tp = max(models, key=lambda m: len(getattr(m, "model_fields", {})))
        else:
            return tp


def _unwrap_sequence(tp: Any) -> Any:
    tp = _unwrap(tp)
    if typing.get_origin(tp) in (tuple, list):
        return _unwrap(typing.get_args(tp)[0])
    return tp
