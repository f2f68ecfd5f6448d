"""Synthetic reporting-schema data for the fictional provider of ``csa_report.demo_provider``.

``seed()`` generates a coherent, deterministic data set for a period and bulk-loads it; ``VIOLATIONS`` is the
registry of deliberate rule breaches it can add (``parse_violations`` reads the CLI's comma-separated list).
Generation (``generate``) is pure and separate from loading (``load``).
"""

from __future__ import annotations

from csa_report.seed.generate import generate
from csa_report.seed.plan import Plan
from csa_report.seed.run import SeedSummary, seed
from csa_report.seed.violations import (
    NO_GROUND_RECIPIENT,
    UNLISTED_RECIPIENT,
    VIOLATIONS,
    SeededViolation,
    parse_violations,
)

__all__ = [
    "NO_GROUND_RECIPIENT",
    "UNLISTED_RECIPIENT",
    "VIOLATIONS",
    "Plan",
    "SeedSummary",
    "SeededViolation",
    "generate",
    "parse_violations",
    "seed",
]
