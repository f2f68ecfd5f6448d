"""Command groups of the ``csa-report`` CLI. Each module exposes ``register(app: typer.Typer) -> None``;
``csa_report.cli`` calls them in the order of ``MODULES``. A module that is not there yet is skipped."""

from __future__ import annotations

MODULES = ("data", "policy", "render", "runs", "audit_trail", "signoff", "demo", "storage")
