"""Links into the Prefect UI for messages a human reads (notification e-mails, the demo, the CLI).

Prefect 3.9 serves two UIs: ``/`` opens the current one (V2, at ``/v2/…``) while the deep links Prefect prints
itself (``/runs/flow-run/<id>``) open the old one, which shows "Page not found" instead of its login page when
the API is closed by an auth string. Our links go to the UI the operator would land in. docs/operators.md has
the operators set ``PREFECT_UI_URL`` to ``…/v2`` so that Prefect's own links (``prefect deployment run``, the
worker's "View at", the automations' ``ui_url``) open V2 too; that base is accepted here as well.
"""

from __future__ import annotations


def ui_base(configured: str | None = None) -> str | None:
    """The UI's base URL: ``configured`` (``CSA_UI_URL``), else Prefect's ``PREFECT_UI_URL``, else the API URL
    without ``/api``; None when none is known."""
    if configured:
        return _root(configured)
    try:
        from prefect.settings import get_current_settings

        settings = get_current_settings()
        ui = settings.ui_url
        api = settings.api.url
    except Exception:  # links are a courtesy; never fail a run for one
        return None
    if ui:
        return _root(str(ui))
    if api and str(api).rstrip("/").endswith("/api"):
        return str(api).rstrip("/").removesuffix("/api")
    return None


def _root(url: str) -> str:
    """The server's root: without a trailing ``/v2`` (a PREFECT_UI_URL that points Prefect's links at V2)."""
    return url.rstrip("/").removesuffix("/v2")


def v2_ui() -> bool:
    """Whether the server's default UI is V2 (Prefect's ``PREFECT_SERVER_UI_V2_ENABLED``, true by default)."""
    try:
        from prefect.settings import get_current_settings

        return bool(get_current_settings().server.ui.v2_enabled)
    except Exception:  # links are a courtesy; Prefect's default UI is V2
        return True


def run_url(run_id: object, base: str | None = None) -> str | None:
    """The flow run's page in the current UI, or None when the UI's address is unknown."""
    root = _root(base) if base else ui_base()
    if root is None:
        return None
    return f"{root}/v2/runs/flow-run/{run_id}" if v2_ui() else f"{root}/runs/flow-run/{run_id}"
