"""The documentation matches the code: the generated reference tables (indicators, rules, settings, CLI) are
up to date, the data contract defines exactly the indicators extraction produces, every page is in the site's
navigation, and nothing in the repository points at files outside it.

After a merge that adds an indicator, rule, setting or command: `make docs-ref`, then read the diff."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from csa_report.commands import docs_reference

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return docs_reference.generate()


@pytest.mark.parametrize("name", sorted(docs_reference.GENERATORS))
def test_reference_page_is_up_to_date(generated: dict[str, str], name: str) -> None:
    committed = DOCS / "reference" / name
    assert committed.is_file(), f"docs/reference/{name} is missing: run `make docs-ref`"
    assert committed.read_text(encoding="utf-8") == generated[name], (
        f"docs/reference/{name} differs from the code: run `make docs-ref` and commit the result"
    )


def _expand(pattern: str) -> list[str]:
    """``{content,account}_restored_{internal,judicial}`` → its four names."""
    parts = re.split(r"\{([^}]*)\}", pattern)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(combo) for combo in itertools.product(*choices)]


def documented_indicators() -> set[str]:
    text = (DOCS / "data-contract.md").read_text(encoding="utf-8")
    section = text.split("## 3. Indicators", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit():
            for code in re.findall(r"`([^`]+)`", cells[1]):
                names.update(_expand(code))
    return names


def test_data_contract_defines_every_indicator_and_no_other() -> None:
    in_code = docs_reference.indicator_names()
    in_docs = documented_indicators()
    assert in_code - in_docs == set(), f"indicators without a definition in docs/data-contract.md: {in_code - in_docs}"
    assert in_docs - in_code == set(), f"docs/data-contract.md defines indicators the code lacks: {in_docs - in_code}"
    assert "content_restored_judicial" in in_docs and "organisations" in in_docs  # the brace patterns expand


def test_reference_tables_name_every_rule_setting_and_command(generated: dict[str, str]) -> None:
    for rule_id in docs_reference.rule_ids():
        assert f"| `{rule_id}` |" in generated["rules.md"]
    for name in docs_reference.setting_names():
        assert f"| `CSA_{name.upper()}` |" in generated["settings.md"]
    commands = docs_reference.cli_command_names()
    assert {"csa-report storage init", "csa-report extract", "csa-report demo"} <= set(commands)
    for name in commands:
        assert f"## `{name}`" in generated["cli.md"]


def test_every_page_is_in_the_site_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(nav: object) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, list):
            return [p for item in nav for p in pages(item)]
        if isinstance(nav, dict):
            return [p for v in nav.values() for p in pages(v)]
        return []

    listed = set(pages(config["nav"]))
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert on_disk - listed == set(), f"pages missing from mkdocs.yml nav: {on_disk - listed}"
    assert listed - on_disk == set(), f"nav entries without a page: {listed - on_disk}"


#: Names of the notes this project was specified from; they are not part of the repository.
OUTSIDE = re.compile(r"\.\./shared|shared/(spec|reference)|/work/|\b(regulation|prefect|s3)\.md\b")


def test_nothing_refers_to_files_outside_the_repository() -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    me = Path(__file__).relative_to(ROOT).as_posix()
    hits = []
    for name in files:
        path = ROOT / name
        if (
            name == me
            or not path.is_file()
            or path.suffix not in {".py", ".md", ".yaml", ".yml", ".toml", ".j2", ".txt", ".cfg", ""}
        ):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{name}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert hits == [], "references to files outside the repository:\n" + "\n".join(hits)
