"""Indicator extraction (data-contract §3): aggregate SQL on a read-only source, assembled into typed rows.

``queries`` builds the statements, ``session`` tunes and runs them in one snapshot, ``compute`` runs them and
checks the enumerations, ``sections`` assembles the indicator rows, ``source`` opens the source. No Prefect
here: tasks/extract.py wraps :func:`extract_indicators` as a task.
"""

from __future__ import annotations

from csa_report.extract.compute import compute_indicators
from csa_report.extract.session import Tuning
from csa_report.extract.source import extract_indicators

__all__ = ["Tuning", "compute_indicators", "extract_indicators"]
