"""Fixtures for the compliance-check tests (helpers live in check_helpers.py)."""

from tests.checks.check_helpers import any_source, example_policies, source

__all__ = ["any_source", "example_policies", "source"]
