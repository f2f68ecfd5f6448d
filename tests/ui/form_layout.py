"""The sign-off form as a reviewer sees it at 1280 px, in both of Prefect's UIs: the V2 dialog (⋮ → Resume) and
the V1 one (its run page's Resume button). Screenshots of each, and measures of the key figures' list: its
width against what it shows, and every item's right edge against the boxes it sits in, so that a value hidden
in a box that scrolls sideways (as Prefect's V1 CSS does with a Markdown table) fails the test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.services import PrefectServer
from tests.ui.conftest import CHROMIUM_ARGS
from tests.ui.ui_helpers import open_ui

WIDTH = 1280

#: For the key figures' list: its widths, its items' text and right edge, and each ancestor up to the dialog with
#: its widths and right edge. Scrolls the list into view first.
MEASURE = """(dialog) => {
  // The list after the line "Key figures:" (V2 renders Markdown as <p>, V1 as <div>s; blank spacers between).
  const heading = (ul) => {
    let e = ul.previousElementSibling;
    while (e && !e.textContent.trim()) e = e.previousElementSibling;
    return e !== null && e.textContent.trim() === 'Key figures:';
  };
  // Not the quoted summary's list: the report's first page has key figures of its own.
  const list = Array.from(dialog.querySelectorAll('ul')).find(ul => !ul.closest('blockquote') && heading(ul));
  if (!list) return null;
  list.scrollIntoView({block: 'start'});  // the description scrolls inside the dialog: bring the figures in view
  const boxes = [];
  for (let e = list.parentElement; e && e !== dialog.parentElement; e = e.parentElement) {
    const r = e.getBoundingClientRect();
    boxes.push({tag: e.tagName, cls: String(e.className).slice(0, 60), client: e.clientWidth,
                scroll: e.scrollWidth, right: r.right, overflow: getComputedStyle(e).overflowX});
  }
  return {client: list.clientWidth, scroll: list.scrollWidth,
          items: Array.from(list.children).map(li => [li.innerText, li.getBoundingClientRect().right]),
          boxes: boxes};
}"""


@dataclass(frozen=True)
class FormView:
    ui: str  # "v1" or "v2"
    text: str  # the dialog's text
    labels: list[str]  # the form's field labels, in order
    filled: list[str]  # the values of its text boxes as the dialog opens
    buttons: list[str]
    figures: dict[str, Any]  # MEASURE's result
    shot: Path


def open_form(page: Any, server: PrefectServer, run_id: str, ui: str) -> Any:
    """The run's resume dialog in ``ui``, once its form has loaded. V1 pages do not send a fresh browser to a
    login page: log in on V2's, as docs/operators.md §6 says, and the browser keeps the string for both."""
    open_ui(page, server.url, server.auth, f"/runs/flow-run/{run_id}")
    if ui == "v2":
        page.get_by_role("button", name="Open menu").click()
        page.get_by_role("menuitem", name="Resume").click()
    else:
        page.goto(f"{server.url}/runs/flow-run/{run_id}")
        page.get_by_role("button", name="Resume").first.click()
    dialog = page.get_by_role("dialog")
    dialog.locator("label", has_text="Decision").first.wait_for(timeout=30_000)
    dialog.get_by_text("Key figures:", exact=True).first.wait_for(timeout=30_000)  # the description loads apart
    return dialog


def form_views(server: PrefectServer, run_id: str, chromium: str, shots: Path, name: str) -> dict[str, FormView]:
    """Open the form in V2 then V1 at 1280 px, screenshot each to ``shots/<name>-<ui>-1280.png``, measure it,
    and close it without answering."""
    from playwright.sync_api import sync_playwright

    shots.mkdir(parents=True, exist_ok=True)
    out: dict[str, FormView] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            for ui in ("v2", "v1"):
                page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
                dialog = open_form(page, server, run_id, ui)
                shot = shots / f"{name}-{ui}-{WIDTH}.png"
                figures = dialog.evaluate(MEASURE)  # also scrolls the figures into view (V1's box is ~320 px high)
                page.wait_for_timeout(300)
                page.screenshot(path=str(shot))
                out[ui] = FormView(
                    ui=ui,
                    text=dialog.inner_text(),
                    labels=[t.strip() for t in dialog.locator("label").all_inner_texts()],
                    filled=[box.input_value() for box in dialog.locator("textarea, input[type=text]").all()],
                    buttons=[b.strip() for b in dialog.get_by_role("button").all_inner_texts() if b.strip()],
                    figures=figures,
                    shot=shot,
                )
                page.close()
        finally:
            browser.close()
    return out


def figures_overflow(view: FormView) -> list[str]:
    """What of the key figures' list does not fit: the list wider than it shows, an item whose right edge
    passes a box it sits in, or a box that scrolls sideways. Empty when every figure is in view."""
    m = view.figures
    if m is None:
        return [f"{view.ui}: no key figures' list in the dialog"]
    problems = []
    if m["scroll"] > m["client"]:
        problems.append(f"{view.ui}: the list is {m['scroll']} px wide in {m['client']} px")
    for box in m["boxes"]:
        if box["scroll"] > box["client"] + 1:
            problems.append(
                f"{view.ui}: {box['tag']}.{box['cls']} scrolls sideways ({box['scroll']} > {box['client']})"
            )
        for text, right in m["items"]:
            if right > box["right"] + 1:
                problems.append(f"{view.ui}: {text!r} ends at {right:.0f} px, past {box['tag']} ({box['right']:.0f})")
    return problems
