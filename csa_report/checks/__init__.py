"""Compliance checks of policies.md §3: rules, findings, waivers and the runner."""

from __future__ import annotations

from csa_report.checks.findings import (
    CheckFailure,
    CheckResult,
    Finding,
    NotApplied,
    Severity,
    WaiverUse,
    blocking,
    raise_for_errors,
)
from csa_report.checks.registry import RULE_IDS, Rule, all_rules
from csa_report.checks.runner import evaluate, run_rule
from csa_report.checks.waivers import Waiver, apply_waivers, load_waivers

__all__ = [
    "RULE_IDS",
    "CheckFailure",
    "CheckResult",
    "Finding",
    "NotApplied",
    "Rule",
    "Severity",
    "Waiver",
    "WaiverUse",
    "all_rules",
    "apply_waivers",
    "blocking",
    "evaluate",
    "load_waivers",
    "raise_for_errors",
    "run_rule",
]
