"""The pure generator: deterministic, chunked, parents before children; and the violation registry's input."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import pytest

from csa_report.errors import InputError
from csa_report.period import Period
from csa_report.seed import VIOLATIONS, Plan, generate, parse_violations
from csa_report.seed.generate import CHUNK_DETECTIONS
from csa_report.seed.rows import COLUMNS
from csa_report.seed.violations import check_supported
from csa_report.source_schema import TABLE_ORDER

P2025 = Period.parse("2025")
P2026 = Period.parse("2026")


def all_rows(plan: Plan, violations: tuple[str, ...] = ()) -> dict[str, list[tuple[object, ...]]]:
    out: dict[str, list[tuple[object, ...]]] = {t: [] for t in TABLE_ORDER}
    for batch in generate(plan, violations):
        for table, rows in batch.items():
            out[table].extend(rows)
    return out


def digest(rows: dict[str, list[tuple[object, ...]]]) -> str:
    h = hashlib.sha256()
    for table in TABLE_ORDER:
        for row in rows[table]:
            h.update(repr((table, row)).encode())
    return h.hexdigest()


def test_same_inputs_give_identical_rows_and_other_seeds_differ() -> None:
    first = digest(all_rows(Plan.make(P2025, 800, 7)))
    assert first == digest(all_rows(Plan.make(P2025, 800, 7)))
    assert first != digest(all_rows(Plan.make(P2025, 800, 8)))


def test_violations_only_add_rows_after_the_clean_ones() -> None:
    clean = all_rows(Plan.make(P2026, 500, 1))
    names = tuple(VIOLATIONS)
    dirty = all_rows(Plan.make(P2026, 500, 1), names)
    for table in TABLE_ORDER:
        assert dirty[table][: len(clean[table])] == clean[table], table
    assert len(dirty["detections"]) > len(clean["detections"])
    # Order of the names does not matter.
    assert digest(dirty) == digest(all_rows(Plan.make(P2026, 500, 1), tuple(reversed(names))))


@pytest.mark.parametrize("scale", [1, 37, 3000])
def test_scale_is_the_approximate_number_of_detections(scale: int) -> None:
    rows = all_rows(Plan.make(P2025, scale, 0))
    assert scale <= len(rows["detections"]) <= scale + 12  # the last incident may overshoot a little
    assert len(rows["processing_volumes"]) == 2 * 365 * 7 * 2  # service × day × type/file type × region


def test_rows_match_the_columns_and_ids_are_sequential() -> None:
    rows = all_rows(Plan.make(P2026, 400, 3), tuple(VIOLATIONS))
    for table in TABLE_ORDER:
        assert all(len(r) == len(COLUMNS[table]) for r in rows[table]), table
        if COLUMNS[table][0] == "id":
            assert [r[0] for r in rows[table]] == list(range(1, len(rows[table]) + 1)), table


def test_chunks_are_bounded_and_parents_precede_children() -> None:
    seen: dict[str, set[object]] = {t: set() for t in TABLE_ORDER}
    refs = {  # child table: (column index, parent table)
        "report_items": ((0, "reports"), (1, "detections")),
        "report_accounts": ((0, "reports"),),
        "content_actions": ((2, "detections"),),
        "complaints": ((3, "content_actions"), (4, "account_actions")),
    }
    chunks = 0
    for batch in generate(Plan.make(P2025, 45_000, 0)):
        chunks += 1
        assert len(batch["detections"]) < CHUNK_DETECTIONS + 12
        for table in TABLE_ORDER:  # the loaders write a chunk's tables in this order
            for row in batch[table]:
                for index, parent in refs.get(table, ()):
                    assert row[index] is None or row[index] in seen[parent], (table, row)
                if COLUMNS[table][0] == "id":
                    seen[table].add(row[0])
    assert chunks >= 3


def test_parse_violations() -> None:
    assert parse_violations("") == ()
    assert parse_violations(" audio , retention,audio") == ("retention", "audio")
    with pytest.raises(InputError) as err:
        parse_violations("audio,nope,zzz")
    message = str(err.value)
    assert "nope" in message and "zzz" in message and "\n" not in message
    for name in VIOLATIONS:
        assert name in message


def test_registry_entries_name_a_rule_and_a_fixed_count() -> None:
    rules = {v.rule for v in VIOLATIONS.values()}
    assert rules == {
        "RET-1",
        "RET-2",
        "HUMAN-1",
        "XFER-1",
        "XFER-2",
        "SCOPE-1",
        "SCOPE-2",
        "SCOPE-3",
        "NOTICE-1",
        "RET-5",
        "DELAY-1",
        "CORRECT-1",
        "REDRESS-1",
        "TECH-1",
        "XFER-4",
    }
    assert all(v.count == 3 and v.description for v in VIOLATIONS.values())


def test_violations_that_need_a_particular_period() -> None:
    plan = Plan.make(P2025, 100, 0)
    with pytest.raises(InputError, match=r"e2ee.*2026-10-01"):
        check_supported(plan, ("e2ee",))
    with pytest.raises(InputError, match=r"gap-processing.*2026-04-04"):
        check_supported(plan, ("gap-processing",))
    check_supported(Plan.make(P2026, 100, 0), tuple(VIOLATIONS))


def test_bad_plans() -> None:
    with pytest.raises(InputError, match="scale"):
        Plan.make(P2025, 0, 0)
    with pytest.raises(InputError, match="no day on which the provider may scan"):
        Plan.make(Period(date(2026, 5, 1), date(2026, 6, 30)), 100, 0)


def test_e2ee_service_is_not_scanned_after_its_date() -> None:
    plan = Plan.make(Period.parse("2027"), 300, 0)
    assert plan.services == ("Example Mail",)
    rows = all_rows(plan)
    assert {r[1] for r in rows["detections"]} == {"Example Mail"}


def test_rows_do_not_depend_on_the_process_hash_seed() -> None:
    import subprocess
    import sys

    script = (
        "import hashlib\n"
        "from csa_report.period import Period\n"
        "from csa_report.seed import VIOLATIONS, Plan, generate\n"
        "h = hashlib.sha256()\n"
        "for b in generate(Plan.make(Period.parse('2026'), 300, 9), tuple(VIOLATIONS)):\n"
        "    for t, rows in b.items():\n"
        "        h.update(repr((t, rows)).encode())\n"
        "print(h.hexdigest())\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": str(n)},
        ).stdout
        for n in (1, 2)
    }
    assert len(digests) == 1
