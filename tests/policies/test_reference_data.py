"""The reference data files: complete, sourced, and saying what policies.md §2 says."""

from __future__ import annotations

import itertools
from datetime import date

from csa_report.reference import (
    adequacy_decisions,
    adequacy_for,
    country_codes,
    eea_members,
    instruments,
    regime_on,
    regimes,
)


def test_every_entry_cites_a_source() -> None:
    sources = [d.source for d in adequacy_decisions()] + [i.source for i in instruments()]
    sources += [r.source for r in regimes()]
    assert all(s.strip() for s in sources)


def test_eea_is_eu_27_plus_three() -> None:
    eea = eea_members()
    assert len(eea) == 30 and {"IS", "LI", "NO", "IE", "DE"} <= eea and "GB" not in eea and "CH" not in eea
    assert eea <= country_codes()


def test_adequacy_list_of_regulation_md() -> None:
    countries = {d.country for d in adequacy_decisions() if d.country}
    assert countries == {"AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "UY", "GB", "US", "BR"}
    assert countries <= country_codes()
    assert {d.organisation for d in adequacy_decisions() if d.organisation} == {"European Patent Organisation"}
    restricted = {d.country for d in adequacy_decisions() if d.restricted_scope}
    assert restricted == {"US", "CA"}
    us = adequacy_for("US", date(2023, 7, 10))
    assert us is not None and "2023/1795" in us.decision and adequacy_for("US", date(2023, 7, 9)) is None


def test_regimes_cover_the_derogation_without_gaps_or_overlaps() -> None:
    ordered = regimes()
    assert [r.id for r in ordered] == ["2021/1232", "gap-2026", "2026/1881"]
    for a, b in itertools.pairwise(ordered):
        assert (b.applies_from - a.applies_until).days == 1
    assert regime_on(date(2026, 4, 3)).id == "2021/1232"  # type: ignore[union-attr]
    assert regime_on(date(2026, 4, 4)).id == "gap-2026"  # type: ignore[union-attr]
    assert regime_on(date(2026, 7, 31)).excludes_e2ee  # type: ignore[union-attr]
    assert regime_on(date(2028, 4, 4)) is None


def test_legacy_sccs_end_on_2022_12_27() -> None:
    legacy = [i for i in instruments() if i.id != "2021/914"]
    assert legacy and all(i.valid_until == date(2022, 12, 27) for i in legacy)
