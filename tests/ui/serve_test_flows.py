"""Serve the test deployments (run from the repository root by the ``served`` fixture)."""

from __future__ import annotations

from prefect import serve

from tests.ui.retry_flow import retry_demo
from tests.ui.signoff_flow import signoff_demo

if __name__ == "__main__":
    serve(
        signoff_demo.to_deployment("ui-test"),
        retry_demo.to_deployment("ui-test"),
        limit=8,
        print_starting_message=False,
    )
