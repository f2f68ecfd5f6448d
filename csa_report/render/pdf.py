"""report.pdf: WeasyPrint from the same HTML, PDF/A-3b, report.json embedded, byte-reproducible.

Reproducibility: no clock (metadata and attachment dates come from the as-of instant), a stable file identifier
derived from the content hash (``pdf_identifier``), one font family (DejaVu Sans, shipped by Debian's
fonts-dejavu-core) forced for print, its subset's clock pinned where fontTools makes it (``pinned_font_clock``),
and a URL fetcher that fetches nothing (the HTML is self-contained; a policy or template must not make the
renderer reach the network or the file system).
"""

from __future__ import annotations

import calendar
import hashlib
import io
import logging
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any, Final

from csa_report.errors import ConfigError, ToolError

#: The one font family of the PDF; Debian: fonts-dejavu-core.
PDF_FONT: Final = "DejaVu Sans"
PDF_MONO_FONT: Final = "DejaVu Sans Mono"
PDF_VARIANT: Final = "pdf/a-3b"
PRINT_CSS: Final = f"""
html, body, table, svg, svg text {{ font-family: "{PDF_FONT}" !important; }}
code, .hash {{ font-family: "{PDF_MONO_FONT}" !important; }}
"""


@cache
def check_fonts() -> None:
    """Fail clearly when the PDF font is not installed (a fallback font would change the PDF's bytes)."""
    if shutil.which("fc-list") is None:
        return  # fontconfig without its tools: WeasyPrint still needs fontconfig itself; nothing to check here
    out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False).stdout
    families = {f.strip() for line in out.splitlines() for f in line.split(",")}
    missing = [f for f in (PDF_FONT, PDF_MONO_FONT) if f not in families]
    if missing:
        raise ConfigError(
            f"font(s) {', '.join(missing)} not installed: the PDF needs them for reproducible "
            "output (Debian/Ubuntu: apt-get install fonts-dejavu-core)"
        )


@cache
def harfbuzz_subsets() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (libharfbuzz-subset 4.1 or later), whose subset carries no
    clock. Without it WeasyPrint falls back to fontTools (:func:`pinned_font_clock`)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))


_FONT_CLOCK_LOCK: Final = threading.Lock()


@contextmanager
def pinned_font_clock(instant: datetime) -> Iterator[None]:
    """fontTools stamps the current time into each font subset it saves (``head.modified``). Its only other
    source is SOURCE_DATE_EPOCH, which would mean writing the process's environment; so, for the layout only, the
    clock its ``head`` table reads gives ``instant``. Same inputs, same bytes on a machine without
    libharfbuzz-subset too (other font bytes than HarfBuzz's, so its PDF differs from one made with HarfBuzz)."""
    if harfbuzz_subsets():
        yield
        return
    from fontTools.misc.timeTools import timestampSinceEpoch
    from fontTools.ttLib.tables import _h_e_a_d

    stamp = timestampSinceEpoch(calendar.timegm(instant.timetuple()))
    with _FONT_CLOCK_LOCK:
        clock = _h_e_a_d.timestampNow
        _h_e_a_d.timestampNow = lambda: stamp
        try:
            yield
        finally:
            _h_e_a_d.timestampNow = clock


def _dedupe_associated_files(document: Any, pdf: Any) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's /AF array; keep one entry per file."""
    af = pdf.catalog.get("AF")
    if af is None:
        return
    seen: list[Any] = []
    for ref in af:
        if ref not in seen:
            seen.append(ref)
    af[:] = seen


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"report.pdf does not fetch external resources (asked for {url[:80]!r})")


def pdf_identifier(html: str, attachment: bytes) -> bytes:
    """The PDF's /ID: 32 hex digits of a SHA-256 over the content the PDF is made from."""
    digest = hashlib.sha256()
    digest.update(html.encode("utf-8"))
    digest.update(b"\0")
    digest.update(attachment)
    return digest.hexdigest()[:32].encode("ascii")


def render_pdf(html: str, *, attachment: bytes, attachment_name: str, as_of: datetime) -> bytes:
    check_fonts()
    try:
        from weasyprint import CSS, HTML, Attachment, URLFetcher
    except ImportError as exc:  # pragma: no cover - weasyprint is a pinned dependency
        raise ToolError(f"WeasyPrint is not available: {exc}") from None

    class NoFetch(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, *args: Any, **kwargs: Any) -> Any:
            return _no_fetch(url)

    fetcher = NoFetch()
    stamp = as_of.replace(tzinfo=None, microsecond=0)
    json_attachment = Attachment(
        file_obj=io.BytesIO(attachment),
        name=attachment_name,
        url_fetcher=fetcher,
        description="The machine-readable report (long format, data-contract §4)",
        created=stamp,
        modified=stamp,
        relationship="Data",
    )
    # WeasyPrint warns about screen-only CSS it does not support (media features, overflow-x): expected.
    wp_logger = logging.getLogger("weasyprint")
    level = wp_logger.level
    wp_logger.setLevel(logging.ERROR)
    try:
        document = HTML(string=html, base_url="about:blank", url_fetcher=fetcher)
        with pinned_font_clock(stamp):
            pdf: bytes = document.write_pdf(
                stylesheets=[CSS(string=PRINT_CSS, url_fetcher=fetcher)],
                attachments=[json_attachment],
                pdf_variant=PDF_VARIANT,
                pdf_identifier=pdf_identifier(html, attachment),
                custom_metadata=False,
                pdf_tags=True,  # a tagged (structured) PDF: headings, tables and reading order for screen readers
                finisher=_dedupe_associated_files,
            )
    finally:
        wp_logger.setLevel(level)
    return pdf
