"""Waivers (policies.md §3, last paragraph): a named blocking finding downgraded to ``review`` with a reason and
the name of who waived it. The file is a YAML list::

    - rule: RET-4
      reason: Legal opinion LO-2026-03 ...
      waived_by: Dara Kelly
      expires: 2027-01-31     # optional; after this day the waiver no longer applies

Unknown rule ids, and rules that are not blocking, are PolicyErrors (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from csa_report.checks.findings import Finding, WaiverStatus, WaiverUse
from csa_report.checks.registry import RULE_IDS, all_rules
from csa_report.errors import PolicyError
from csa_report.policies.loader import (
    check_duplicate_keys,
    describe_errors,
    line_of,
    parse_yaml,
    read_limited,
)
from csa_report.policies.models import Day, Text


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: Text
    reason: Text
    waived_by: Text
    expires: Day | None = None


class _WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waivers: tuple[Waiver, ...]


_LIST = TypeAdapter(tuple[Waiver, ...])


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    """Read and validate a waivers file; an empty file means no waivers."""
    try:
        text = read_limited(path, "waivers file").decode("utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: waivers file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: waivers file cannot be read: {exc}") from None
    node, data = parse_yaml(path, text, offset=1, what="waivers file")
    if data is None or node is None:
        return ()
    if not isinstance(data, list):
        raise PolicyError(
            f"{path}:1: expected a list of waivers (lines starting with `- rule: …`), got {type(data).__name__}"
        )
    check_duplicate_keys(path, node, offset=1)
    try:
        waivers = _WaiverFile.model_validate({"waivers": data}).waivers
    except ValidationError as exc:
        errors = [{**e, "loc": e["loc"][1:]} for e in exc.errors()]  # drop the wrapper's "waivers"
        raise PolicyError(describe_errors(path, node, Waiver, errors, offset=1)) from None  # type: ignore[arg-type]
    blocking = {r.id for r in all_rules() if r.severity == "blocking"}
    for i, w in enumerate(waivers):
        if w.rule not in RULE_IDS:
            raise PolicyError(
                f"{path}:{line_of(node, (i, 'rule'), 1)}: [{i}].rule: unknown rule {w.rule!r} "
                f"(expected one of: {', '.join(RULE_IDS)})"
            )
        if w.rule not in blocking:
            raise PolicyError(
                f"{path}:{line_of(node, (i, 'rule'), 1)}: [{i}].rule: {w.rule} is not a blocking "
                f"rule; only blocking findings can be waived ({', '.join(sorted(blocking))})"
            )
    return waivers


def apply_waivers(
    findings: Sequence[Finding], waivers: Sequence[Waiver], as_of: datetime
) -> tuple[list[Finding], list[WaiverUse]]:
    """Downgrade each blocking finding named by an unexpired waiver (expires on or after the as-of day)."""
    out: list[Finding] = []
    used: set[int] = set()
    for f in findings:
        if f.severity == "blocking":
            for i, w in enumerate(waivers):
                if w.rule == f.rule and (w.expires is None or w.expires >= as_of.date()):
                    f = f.waive(w.waived_by, w.reason)
                    used.add(i)
                    break
        out.append(f)
    uses = []
    for i, w in enumerate(waivers):
        expired = w.expires is not None and w.expires < as_of.date()
        status: WaiverStatus = "expired" if expired else ("applied" if i in used else "unused")
        uses.append(WaiverUse(w.rule, w.reason, w.waived_by, w.expires, status))
    return out, uses
