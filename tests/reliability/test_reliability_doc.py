"""docs/reliability.md holds the table of faults injected and inputs fuzzed, generated from the catalogue the
tests assert. Regenerate with ``CSA_UPDATE_GOLDEN=1 .venv/bin/pytest tests/reliability/test_reliability_doc.py``."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from tests.reliability import catalogue, test_fuzz

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def test_every_catalogued_test_exists_and_fuzz_sizes_match() -> None:
    root = Path(__file__).resolve().parents[2]
    for *_, test in (*catalogue.FAULTS, *catalogue.FUZZED):
        path, name = test.split("::")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert (root / path).is_file() and hasattr(module, name.split("[")[0]), test
    for _, cases, _, test in catalogue.FUZZED:
        name = test.split("::")[1]
        per_example = test_fuzz.CASES_PER_EXAMPLE.get(name, 1)
        examples = getattr(test_fuzz, name)._hypothesis_internal_use_settings.max_examples
        assert examples * per_example == cases * test_fuzz.SCALE, test
    assert sum(n for _, n, _, _ in catalogue.FUZZED) >= 10_000


def test_doc_holds_the_generated_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(catalogue.BEGIN), text.index(catalogue.END) + len(catalogue.END)
    if os.environ.get("CSA_UPDATE_GOLDEN") == "1":
        DOC.write_text(text[:start] + catalogue.table() + text[end:], encoding="utf-8")
        text = DOC.read_text(encoding="utf-8")
        end = text.index(catalogue.END) + len(catalogue.END)
    assert text[start:end] == catalogue.table()
