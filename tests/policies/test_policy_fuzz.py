"""Fuzz the loader: random text and random mutations of the example documents raise PolicyError or load;
nothing else escapes (no KeyError, TypeError, RecursionError, pydantic or YAML exception)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csa_report.errors import PolicyError
from csa_report.policies import load_policies
from csa_report.policies.models import DOCUMENTS

EXAMPLE = Path(__file__).resolve().parents[2] / "policies" / "example"
NAMES = sorted(DOCUMENTS)
ORIGINALS = {name: (EXAMPLE / name).read_text(encoding="utf-8") for name in NAMES}

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# fragments that exercise YAML and the models: types, anchors, tags, dates, nesting, unicode
YAML_BITS = st.sampled_from(
    [
        "",
        " ",
        "\n",
        ":",
        "- ",
        "---",
        "...",
        "{",
        "}",
        "[",
        "]",
        "&a",
        "*a",
        "!!python/object:os.system",
        "!!binary",
        "~",
        "null",
        "yes",
        "no",
        "NO",
        "2026-02-30",
        "2026-13-01",
        "1e999",
        "0x1F",
        "'",
        '"',
        "#",
        "|",
        ">-",
        "\t",
        "kind: provider",
        "valid_from: 2021-09-27",
        "country: ZZ",
        "article: 49(1)(d)",
        "max_days: -1",
        "? ",
        "\ufeff",
        "é",
        "\x00",
        "!!timestamp 2026-99-99",
        "<<: *a",
        "[[[[[[[[[[[[[[[[[[[[",
    ]
)


@contextmanager
def _folder(files: dict[str, str | bytes]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "pol"
        shutil.copytree(EXAMPLE, target)
        for name, content in files.items():
            path = target / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", errors="surrogatepass")
        yield target


def _load_or_policy_error(folder: Path) -> None:
    try:
        load_policies(folder)
    except PolicyError as err:
        message = str(err)
        assert message and "\n" not in message
        assert str(folder) in message or "policy folder" in message


@FUZZ
@given(name=st.sampled_from(NAMES), content=st.binary(max_size=400))
def test_random_bytes(name: str, content: bytes) -> None:
    with _folder({name: content}) as folder:
        _load_or_policy_error(folder)


@FUZZ
@given(name=st.sampled_from(NAMES), content=st.text(max_size=400))
def test_random_text_after_a_fence(name: str, content: str) -> None:
    with _folder({name: "---\n" + content + "\n---\nbody\n"}) as folder:
        _load_or_policy_error(folder)


@FUZZ
@given(name=st.sampled_from(NAMES), data=st.data())
def test_mutated_example_documents(name: str, data: st.DataObject) -> None:
    lines = ORIGINALS[name].splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "insert", "replace", "splice", "indent"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "insert":
            lines.insert(i, data.draw(YAML_BITS) + "\n")
        elif action == "indent":
            lines[i] = data.draw(st.sampled_from(["  ", "    ", "\t", ""])) + lines[i].lstrip(" ")
        elif action == "replace":
            line = lines[i]
            key, sep, _ = line.partition(":")
            lines[i] = (key + sep + " " + data.draw(YAML_BITS) + "\n") if sep else data.draw(YAML_BITS) + "\n"
        else:
            j = data.draw(st.integers(0, max(0, len(lines[i]) - 1)))
            lines[i] = lines[i][:j] + data.draw(YAML_BITS) + lines[i][j:]
    with _folder({name: "".join(lines)}) as folder:
        _load_or_policy_error(folder)


def test_alias_bomb_is_a_policy_error_or_loads_quickly() -> None:
    bomb = (
        "---\nkind: provider\na: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
            for i in range(8)
        )
        + "---\n"
    )
    with _folder({"provider.md": bomb}) as folder:
        _load_or_policy_error(folder)
