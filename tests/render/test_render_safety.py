"""Policy prose is data; templates run sandboxed; a missing field fails by name; nothing is fetched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from csa_report.render import render_report
from csa_report.render.env import TemplateRenderError, make_environment, render_template
from csa_report.render.report import template_data
from tests.render.render_fixture import POLICIES, load_fixture_policies, make_context

EVIL = """# Injected heading

{{ 7*7 }} and {% raw %}raw{% endraw %} and {{ header.provider }}

<script>alert("x")</script> <img src="http://attacker.example/x.png" onerror="alert(1)">

[click](javascript:alert(1)) ![pixel](http://attacker.example/pixel.png)
"""


@pytest.fixture(scope="module")
def evil_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("policies")
    for f in POLICIES.iterdir():
        shutil.copy(f, folder / f.name)
    provider = folder / "provider.md"
    provider.write_text(
        provider.read_text(encoding="utf-8").replace(
            "metadata_types: [user ID, IP address, timestamp]", 'metadata_types: ["user ID", "<b>bold</b> {{ 6*7 }}"]'
        )
        + "\n"
        + EVIL,
        encoding="utf-8",
    )
    out = tmp_path_factory.mktemp("evil")
    render_report(make_context(load_fixture_policies(folder)), out)
    return out


def test_prose_is_shown_literally_and_escaped_in_html(evil_report: Path) -> None:
    html = (evil_report / "report.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }}" in html and "{% raw %}raw{% endraw %}" in html and "{{ header.provider }}" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<img" not in html and "attacker.example" not in html.split("&lt;img")[0].split("Injected")[-1]
    assert 'href="javascript:' not in html
    assert "<h1>Injected heading" not in html and "<h4>Injected heading</h4>" in html
    # structured policy fields are autoescaped too, and never evaluated
    assert "&lt;b&gt;bold&lt;/b&gt; {{ 6*7 }}" in html and "<b>bold</b>" not in html


def test_prose_is_escaped_in_markdown(evil_report: Path) -> None:
    md = (evil_report / "report.md").read_text(encoding="utf-8")
    assert "{{ 7*7 }}" in md
    assert '\\<script>alert("x")\\</script>' in md and "\n<script>" not in md
    assert "#### Injected heading" in md


def test_nothing_is_fetched_for_the_pdf(evil_report: Path) -> None:
    # the <img> of the prose is text, and the renderer's URL fetcher refuses everything anyway
    assert (evil_report / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_missing_field_fails_naming_it() -> None:
    data = template_data(make_context())
    del data["header"]["publication_date"]
    with pytest.raises(TemplateRenderError, match=r"publication_date") as err:
        render_template(make_environment(), "report.html.j2", data)
    assert "header.html.j2" in str(err.value)
    data = template_data(make_context())
    del data["sections"][5]["tables"][0]["rows"][0]["cells"][0]["text"]
    with pytest.raises(TemplateRenderError, match=r"'text'"):
        render_template(make_environment(), "report.md.j2", data)


def test_provider_template_missing_field_fails_by_name(tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text("{{ header.provider }} {{ header.brand_colour }}\n", encoding="utf-8")
    with pytest.raises(TemplateRenderError, match=r"brand_colour"):
        render_report(make_context(), tmp_path / "out", template_dir=tmp_path)


def test_templates_are_sandboxed(tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}\n", encoding="utf-8")
    with pytest.raises(TemplateRenderError, match=r"(sandbox|unsafe|__class__)"):
        render_report(make_context(), tmp_path / "out", template_dir=tmp_path)


def test_provider_folder_overrides_default_templates(tmp_path: Path) -> None:
    (tmp_path / "report.css").write_text("h1 { color: #ff00aa; }\n", encoding="utf-8")
    out = tmp_path / "out"
    render_report(make_context(), out, template_dir=tmp_path)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "#ff00aa" in html and "1) Type and volume of data processed" in html
