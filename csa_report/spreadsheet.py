"""Spreadsheet safety of published CSV cells (data contract, output section, "Spreadsheet safety (v2)").

A spreadsheet opening ``report.csv`` treats a cell starting with ``=``, ``+``, ``@``, tab or carriage return, or
with ``-`` followed by something that is not a number, as a formula (CSV injection): ``=HYPERLINK(…)`` in a
service name would become a live link in a file that goes to the authorities and the public. Such cells get a
leading apostrophe (the OWASP recommendation), which spreadsheets show as text. The placeholder ``-`` and
numbers (``-3``, ``-0.5``) are written as they are. The JSON keeps the true text.
"""

from __future__ import annotations

import re

_ALWAYS = ("=", "+", "@", "\t", "\r")
_NEGATIVE_NUMBER = re.compile(r"-(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """``value`` unchanged unless it is text a spreadsheet would read as a formula; then ``'`` + text."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_ALWAYS):
        return "'" + value
    if value.startswith("-") and value != "-" and not _NEGATIVE_NUMBER.fullmatch(value):
        return "'" + value
    return value
