"""The summary page's lists of names: unambiguous when a name itself holds " and " or a comma."""

from __future__ import annotations

from csa_report.render.summary import _list


def test_plain_names_read_as_a_sentence() -> None:
    assert _list(["Example Chat"]) == "Example Chat"
    assert _list(["Example Chat", "Example Mail"]) == "Example Chat and Example Mail"
    assert _list(["A", "B", "C"]) == "A, B and C"


def test_a_name_holding_and_is_quoted_with_the_others() -> None:
    assert _list(["Chat and Mail", "Example Mail"]) == "“Chat and Mail” and “Example Mail”"
    assert _list(["Chat", "Mail,Web", "Video"]) == "“Chat”, “Mail,Web” and “Video”"
    assert _list(["Chat and Mail"]) == "Chat and Mail"  # alone it cannot be read as two
