"""Reading a policy document's bytes and its YAML front matter, bounded and strict: a size limit, no anchors or
aliases, no duplicate keys, names that fit in storage keys; every refusal names the file and line."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from csa_report.errors import PolicyError
from csa_report.names import MAX_NAME_BYTES
from csa_report.policies.messages import FRONT_OFFSET, Loc, field_name

_FENCE = "---"

#: A policy document or waivers file larger than this is refused unread: real ones are a few kilobytes, and a
#: bound keeps a mistaken or hostile file from exhausting memory or time.
MAX_DOCUMENT_BYTES = 512 * 1024
#: YAML events (scalars, collection starts and ends) allowed in one document: far above any real document.
MAX_YAML_EVENTS = 50_000
#: Longest provider, service or recipient name (csa_report.names.MAX_NAME_BYTES, the one limit), checked on the
#: YAML before anything is built; the models then hold every name to the rest of csa_report.names.
_NAME_FIELDS = ("provider", "name")


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
    path: Path, front: str, offset: int = FRONT_OFFSET, what: str = "front matter"
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
    except (ValueError, TypeError, OverflowError, AttributeError) as exc:
        # PyYAML's constructors raise these for e.g. a date like 2025-13-40, or (AttributeError) an explicit
        # ``!!timestamp`` tag on text that is no date at all; find the scalar to name its line
        where = _unreadable_scalar(front, offset)
        if where is None and isinstance(exc, AttributeError):
            raise PolicyError(
                f"{path}: {what} holds a value tagged !!timestamp that is not a date; expected a date YYYY-MM-DD"
            ) from None
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
            except (ValueError, TypeError, OverflowError, AttributeError, yaml.YAMLError):
                return node.start_mark.line + offset, field_name(where), node.value
        elif isinstance(node, yaml.MappingNode):
            stack += [(v, (*where, str(k.value))) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(v, (*where, i)) for i, v in enumerate(node.value)]
    return None


def check_duplicate_keys(path: Path, node: yaml.Node, where: Loc = (), offset: int = FRONT_OFFSET) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    field = field_name((*where, key.value))
                    raise PolicyError(
                        f"{path}:{key.start_mark.line + offset}: {field}: field given twice (expected each field once)"
                    )
                seen.add(key.value)
                check_duplicate_keys(path, value, (*where, key.value), offset)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            check_duplicate_keys(path, item, (*where, i), offset)


def check_name_lengths(path: Path, node: yaml.Node, offset: int = FRONT_OFFSET) -> None:
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
