"""Property (issue 24 item 11): no spelling of a service in the source data can drop a rule.

A small source database holds rows of both example services, among them automated detections of the end-to-end
encrypted "Example Chat" after its E2EE date: with the clean name, SCOPE-3 is blocking. Hypothesis draws a name
from all of Unicode (short, long, and near misses of "Example Chat": case, spaces, zero-width and bidi characters,
NFD, homoglyphs), puts it into the data in place of "Example Chat", and runs the check. The outcome must be one of

* exit 2 (DataError) — exactly when the name is not a valid name (csa_report.names.name_problem), with the value
  shown escaped, never raw;
* SERVICE-1 blocking, naming the value — exactly when the name is valid but not declared in provider.md;
* every rule result of the clean name — exactly when the name is the clean name.

So the check never gets less strict than with the clean name. Sizes: ``CSA_FUZZ_SCALE=1`` (``make test``) runs a
dozen cases (a second each: extraction and every rule); ``make fuzz`` runs ten times as many.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from csa_report import names
from csa_report.checks import CheckResult
from csa_report.errors import DataError
from csa_report.period import Period
from csa_report.pipeline import run_checks
from csa_report.policies import PolicySet, load_policies
from tests.checks.check_helpers import EXAMPLE, Source

SCALE = int(os.environ.get("CSA_FUZZ_SCALE", "1"))
CLEAN = "Example Chat"
PERIOD = Period.parse("2026")
AS_OF = datetime(2027, 1, 7)
TABLES = ("detections", "processing_volumes", "reports", "account_actions")


@pytest.fixture(scope="module")
def policies() -> PolicySet:
    return load_policies(EXAMPLE)


@pytest.fixture(scope="module")
def chat_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """Hand-built: 3 automated Example Chat detections after its E2EE date (2026-10-01), one before, a volume row
    with items after it (SCOPE-3: 3 detections + 1 volume row), and Example Mail rows beside them."""
    src = Source(f"sqlite:///{tmp_path_factory.mktemp('names') / 'source.db'}")
    flagged = [datetime(2026, 10, 2, h) for h in (1, 2, 3)] + [datetime(2026, 9, 1)]
    src.detections(
        *(src.detection(t, service=CLEAN, account_ref=f"acct-{i}") for i, t in enumerate(flagged)),
        src.detection(datetime(2026, 3, 1)),
    )
    src.volumes(src.volume(date(2026, 10, 5), service=CLEAN), src.volume(date(2026, 3, 1)))
    src.reports(src.report(datetime(2026, 10, 2, 5), service=CLEAN), src.report(datetime(2026, 3, 2)))
    src.items((1, 1), (2, 5))
    src.account_actions(src.account_action(datetime(2026, 10, 3), service=CLEAN))
    yield src
    src.close()


def put(src: Source, name: str) -> None:
    """Every row not of Example Mail (the Chat rows) gets ``name``."""
    with src.engine.begin() as conn:
        for t in TABLES:
            conn.execute(text(f"UPDATE {t} SET service = :n WHERE service != 'Example Mail'"), {"n": name})


def outcome(src: Source, policies: PolicySet) -> CheckResult:
    return run_checks(src.url, PERIOD, AS_OF, policies)


def results(result: CheckResult) -> list[tuple[str, str, int]]:
    """Every rule result that does not depend on how the service is spelled: rule, severity, count."""
    return sorted(
        [(f.rule, f.severity, f.count) for f in result.findings] + [(e.rule, e.kind, 0) for e in result.errors]
    )


@pytest.fixture(scope="module")
def clean(chat_db: Source, policies: PolicySet) -> list[tuple[str, str, int]]:
    put(chat_db, CLEAN)
    result = outcome(chat_db, policies)
    assert ("SCOPE-3", "blocking", 4) in results(result)  # the rule a spelling must not drop
    assert result.exit_code == 1
    return results(result)


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u2066", "\u200e", "\ufe0f"]
SPACES = [" ", "\u00a0", "\u2009", "\u3000", "\t", "\r\n", "\u2028"]
HOMOGLYPHS = {"a": "а", "e": "е", "C": "С", "p": "р", "x": "х", "l": "ӏ"}


@st.composite
def near_misses(draw: Any) -> str:
    """'Example Chat' with one or two small edits that a reader would not see or would overlook."""
    name = CLEAN
    for _ in range(draw(st.integers(1, 2))):
        edit = draw(st.sampled_from(["case", "space", "invisible", "nfd", "homoglyph", "double", "fold"]))
        i = draw(st.integers(0, len(name)))
        if edit == "case":
            name = draw(st.sampled_from([name.lower(), name.upper(), name.swapcase(), name.title()]))
        elif edit == "space":
            name = name[:i] + draw(st.sampled_from(SPACES)) + name[i:]
        elif edit == "invisible":
            name = name[:i] + draw(st.sampled_from(INVISIBLE)) + name[i:]
        elif edit == "nfd":
            name = unicodedata.normalize("NFD", name.replace("a", "á", 1))
        elif edit == "homoglyph":
            ch = draw(st.sampled_from(sorted(HOMOGLYPHS)))
            name = name.replace(ch, HOMOGLYPHS[ch], 1)
        elif edit == "double":
            name = name.replace(" ", "  ")
        else:
            name = (
                unicodedata.normalize("NFKC", "Ｅｘａｍｐｌｅ Ｃｈａｔ")
                if draw(st.booleans())
                else "Example Chat, Mail"
            )
    return name


ANY_CHAR = st.characters(exclude_categories=["Cs"])  # all of Unicode that a database can store as text
NAMES = st.one_of(
    st.just(CLEAN),
    near_misses(),
    st.text(ANY_CHAR, max_size=12),
    st.text(ANY_CHAR, min_size=100, max_size=140),
    st.tuples(st.text(ANY_CHAR, min_size=1, max_size=3), st.integers(40, 4000)).map(lambda t: t[0] * t[1]),
)


@settings(
    max_examples=12 * SCALE,
    deadline=timedelta(seconds=20),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(name=NAMES)
def test_no_spelling_drops_a_rule(
    chat_db: Source, policies: PolicySet, clean: list[tuple[str, str, int]], name: str
) -> None:
    assume(name == CLEAN or name not in {s.name for s in policies.provider.services})  # renaming into Mail: no
    put(chat_db, name)
    try:
        result = outcome(chat_db, policies)
    except DataError as exc:
        problem = names.name_problem(name, listed=True)
        assert problem is not None, f"{name!r} is a valid name but the check refused it: {exc}"
        assert exc.exit_code == 2
        message = str(exc)
        assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in message), message
        assert "service" in message
        return
    finally:
        put(chat_db, CLEAN)
    assert names.name_problem(name, listed=True) is None, f"invalid {name!r} passed the check"
    if name == CLEAN:
        assert results(result) == clean
        return
    service_1 = [f for f in result.findings if f.rule == "SERVICE-1"]
    assert service_1 and service_1[0].severity == "blocking", results(result)
    assert names.escaped(name) in service_1[0].message
    assert service_1[0].count == 7  # every Chat row, whatever its date: 4 detections, 1 volume, 1 report, 1 action
    assert result.exit_code >= 1


def test_the_property_sees_what_it_claims(chat_db: Source, policies: PolicySet, clean: Any) -> None:
    """The three outcomes, one example each (so a strategy change cannot make the property vacuous)."""
    for name, expect in (("Example Chat\u200b", DataError), ("example chat", "SERVICE-1"), (CLEAN, "same")):
        put(chat_db, name)
        try:
            if expect is DataError:
                with pytest.raises(DataError):
                    outcome(chat_db, policies)
            elif expect == "SERVICE-1":
                assert "SERVICE-1" in {f.rule for f in outcome(chat_db, policies).blocking}
            else:
                assert results(outcome(chat_db, policies)) == clean
        finally:
            put(chat_db, CLEAN)
