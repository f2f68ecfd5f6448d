"""Pydantic validation errors as one line a privacy lawyer can act on: the file, the line (found from the YAML
node tree, since ``yaml.compose`` keeps each node's start mark), the field and what was expected."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from csa_report.policies.models import UNION_TAGS

#: Front matter starts on the file's second line (the first is ``---``).
FRONT_OFFSET = 2

Loc = tuple[str | int, ...]


def describe_errors(
    path: Path, node: yaml.Node, model: type[BaseModel], errors: Sequence[ErrorDetails], offset: int = FRONT_OFFSET
) -> str:
    """One line for the earliest problem in the file, saying how many more there are."""
    described = []
    for err in errors:
        loc, message = _normalise(node, err)
        described.append((err["type"] == "missing", line_of(node, loc, offset), field_name(loc), message, loc))
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
    # "[key]" is pydantic's marker for a mapping's key (an unknown legal_positions id): the id's line is meant
    loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and (p in UNION_TAGS or p == "[key]")))
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


def field_name(loc: Loc) -> str:
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


def line_of(node: yaml.Node, loc: Loc, offset: int = FRONT_OFFSET) -> int:
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
