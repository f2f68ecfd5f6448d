"""The test suite's markers (which tests the fast lane leaves out); the services are in tests/support/services.py.

With ``CI=true`` a missing service fails the run instead of skipping (nothing may be skipped silently in CI).
"""

from __future__ import annotations

import pytest

# The plugin is imported here (for the re-export below) before pytest loads it: its asserts are rewritten anyway.
pytest.register_assert_rewrite("tests.support.services")

from tests.support.services import service_missing  # noqa: E402

__all__ = ["service_missing"]  # tests.conftest.service_missing: kept for the modules that import it from here

#: The real services (PostgreSQL, SeaweedFS, SMTP, a Prefect server): session fixtures, each started on first use.
pytest_plugins = ["tests.support.services"]


#: Tests that drive a browser against a real Prefect server (marker ``ui``) or that take many seconds of real
#: services, processes, rendering in a fresh process or fuzzing (marker ``slow``; so is every test that asks for the
#: ``prefect_server`` fixture). `make test-fast` leaves both out; `make test` and CI run everything.
UI_PATHS = ("tests/ui/",)
SLOW_PATHS = (
    "tests/storage/test_kill9.py",
    "tests/storage/test_s3_submission_faults.py",
    "tests/reliability/test_fuzz.py",
    "tests/policies/test_policy_fuzz.py",
    "tests/reliability/test_prefect_lifecycle.py::test_ephemeral_server_dies_with_a_killed_parent",
    "tests/docs/test_operators_doc.py::test_the_walkthrough_runs_as_written",
    "tests/integrity/test_api_auth.py",
    "tests/checks/test_check_seed_end_to_end.py",
    "tests/seed/test_seed_database.py",
    "tests/render/test_render_reproducible.py::test_render_in_another_process_is_byte_identical",
    "tests/render/test_render_reproducible.py::test_two_renders_are_byte_identical",
    "tests/seed/test_seed_generator.py::test_rows_do_not_depend_on_the_process_hash_seed",
)
#: Fixtures whose service takes many seconds to start or whose tests take long: their tests are ``slow``.
SLOW_FIXTURES = {"prefect_server"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        node = item.nodeid
        if node.startswith(UI_PATHS):
            item.add_marker(pytest.mark.ui)
        if node.startswith(SLOW_PATHS) or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("spark"):  # the one local Spark server takes seconds to start and to plan
            item.add_marker(pytest.mark.slow)
