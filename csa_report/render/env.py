"""The sandboxed Jinja2 environment of the report templates.

Templates are code (the default ones in ``templates/``, optionally overridden by a provider's own folder for
branding); they run in an ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``: a template cannot reach
Python internals or mutate the context, and a field it asks for that the context lacks fails the render with
the field's name, the template and the line — never a blank. HTML templates (``*.html.j2``) autoescape.
Policy prose reaches templates as data (already converted to escaped HTML, see prose.py) and is never compiled.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any, Final

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from csa_report.errors import ConfigError, ToolError
from csa_report.render.prose import inline_markdown
from csa_report.resources import templates_dir

#: The default templates shipped with the project (top-level ``templates/`` folder of the repository).
DEFAULT_TEMPLATE_DIR: Final = templates_dir()


class TemplateRenderError(ToolError):
    """A template failed: a missing field (named), a sandbox violation, or a syntax error."""


def _finalize(value: Any) -> Any:
    if value is None:
        raise UndefinedError("a template printed a None value; the context must give a value or an N/A reason")
    return value


def _safe_html(value: str) -> Markup:
    """Mark already-escaped HTML produced by csa_report (prose.to_html, the SVG chart) as safe."""
    return Markup(value)


def make_environment(template_dir: Path | None = None) -> ImmutableSandboxedEnvironment:
    """The provider's folder first (optional), then the default templates."""
    search: list[str] = []
    if template_dir is not None:
        if not Path(template_dir).is_dir():
            raise ConfigError(f"template folder {template_dir} does not exist or is not a folder")
        search.append(str(template_dir))
    if not DEFAULT_TEMPLATE_DIR.is_dir():
        raise ConfigError(f"the default report templates are missing: expected the folder {DEFAULT_TEMPLATE_DIR}")
    search.append(str(DEFAULT_TEMPLATE_DIR))
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(search, encoding="utf-8"),
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name) and str(name).endswith((".html.j2", ".html")),
        finalize=_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=0,
    )
    env.filters["safe_html"] = _safe_html
    env.filters["md"] = inline_markdown
    return env


def _template_location(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".j2", ".css"))]
    if not frames:
        return ""
    f = frames[-1]
    return f"{Path(f.filename).name}:{f.lineno}: "


def render_template(env: ImmutableSandboxedEnvironment, name: str, data: dict[str, Any]) -> str:
    """Render one template; turn Jinja failures into one clear error naming the template, line and field."""
    try:
        return env.get_template(name).render(**data)
    except UndefinedError as exc:
        raise TemplateRenderError(f"template {name}: {_template_location(exc)}missing field: {exc.message}") from exc
    except SecurityError as exc:
        raise TemplateRenderError(
            f"template {name}: {_template_location(exc)}not allowed in the sandbox: {exc}"
        ) from exc
    except TemplateError as exc:
        raise TemplateRenderError(f"template {name}: {_template_location(exc)}{exc}") from exc
