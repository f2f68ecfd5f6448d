"""Section 1: the type and volume of data processed (metadata, content, other relevant information)."""

from __future__ import annotations

from typing import Final

from csa_report.render.cells import na_cell, value_cell
from csa_report.render.disclosures import gap_statement, legal_positions, scope_statements
from csa_report.render.model import Cell, Field, Group, Section
from csa_report.render.sections.base import SECTION_TITLES, FieldBuilder, processed_definition, prose_of
from csa_report.vocabulary import REGIONS

#: The content volumes of item 1.2, each counted for EU and non-EU users.
CONTENT_VOLUMES: Final = ("images_processed", "videos_processed", "other_files_processed", "text_bytes_processed")


def section1(b: FieldBuilder) -> Section:
    p = b.pol.provider
    has_meta = bool(p.metadata_types)
    g11 = Group(
        id="1.1",
        title="1.1 Metadata about the users in the exchange",
        note=("Any non-content data about the users and their accounts."),
        fields=(
            b.pol_field(
                "1.1.processed",
                "Metadata processed (yes/no)",
                value_cell(has_meta, "bool"),
                section=1,
                indicator="metadata_processing",
            ),
            b.pol_field(
                "1.1.types",
                "Types of metadata processed",
                value_cell(", ".join(p.metadata_types), "text")
                if has_meta
                else na_cell("no metadata about users is processed"),
                section=1,
                indicator="metadata_types",
            ),
            *_by_region(
                b,
                "1.1.volume",
                "Volume of metadata processed",
                "metadata_processed",
                "metadata records read for detection",
            ),
        ),
    )
    content_cells: list[Cell] = []
    for svc in b.column_keys:
        total = 0
        for ind in CONTENT_VOLUMES:
            for region in REGIONS:
                v = b.require(svc, 1, ind, region=region).value
                total += v if isinstance(v, int) and not isinstance(v, bool) else 0
        content_cells.append(value_cell(total > 0, "bool"))
    g12 = Group(
        id="1.2",
        title="1.2 Content data of the exchange",
        fields=(
            b.derived(
                "1.2.processed",
                "Content data processed (yes/no)",
                content_cells,
                section=1,
                indicator="content_processing",
            ),
            *_by_region(b, "1.2.images", "Images processed", "images_processed"),
            *_by_region(b, "1.2.videos", "Videos processed", "videos_processed"),
            *_by_region(b, "1.2.other", "Other files processed", "other_files_processed"),
            b.fig("1.2.other.types", "Other files processed — file types", 1, "other_file_types"),
            *_by_region(b, "1.2.text", "Bytes of text processed to detect solicitation", "text_bytes_processed"),
        ),
    )
    g13 = Group(
        id="1.3",
        title="1.3 Other relevant information on types and volumes",
        fields=(
            b.pol_field(
                "1.3.definition",
                'Definition of "processed" applied',
                value_cell(processed_definition(b.pol), "text"),
                section=1,
                indicator="processed_definition",
            ),
            b.pol_field(
                "1.3.audio",
                "Audio communications scanned",
                value_cell(False, "bool"),
                section=1,
                indicator="audio_scanned",
            ),
        ),
    )
    return Section(
        number=1,
        title=SECTION_TITLES[1],
        intro=(
            "Volumes are counted per service and for all services together; EU and non-EU users are "
            "defined in the annex."
        ),
        groups=(g11, g12, g13, *_regime_scope(b)),
        prose=(prose_of(b.pol.provider),),
    )


def _by_region(b: FieldBuilder, fid: str, label: str, indicator: str, unit: str = "") -> tuple[Field, Field]:
    """A volume for EU users, then for non-EU users (the form asks for both); ``unit`` says what is counted
    where the label alone does not."""
    counted = f" ({unit})" if unit else ""
    return (
        b.fig(f"{fid}.eu", f"{label} — EU users{counted}", 1, indicator, region="eu"),
        b.fig(f"{fid}.non_eu", f"{label} — non-EU users{counted}", 1, indicator, region="non_eu"),
    )


def _regime_scope(b: FieldBuilder) -> tuple[Group, ...]:
    """1.4: what happened on days without a derogation (SCOPE-2's counts, the provider's position) and, per
    service, on which days it was scanned under which regime and from when it was excluded as end-to-end
    encrypted; nothing for a period under one regime that excludes nothing."""
    period = b.ind.period
    positions = legal_positions(b.pol, period.start, period.end)
    fields = []
    gap = gap_statement(b.pol, period.start, period.end, b.findings, positions)
    if gap:
        fields.append(
            b.pol_field(
                "1.4.gap",
                "Processing on days without a derogation in force",
                value_cell(gap, "text"),
                section=1,
                indicator="gap_processing",
            )
        )
    scope = scope_statements(b.pol, b.services, period.start, period.end, b.scanning)
    if scope:
        fields.append(
            b.pol_field(
                "1.4.e2ee",
                "Scanning per service and legal regime",
                value_cell(" ".join(scope), "text"),
                section=1,
                indicator="e2ee_scope",
            )
        )
    if not fields:
        return ()
    return (Group(id="1.4", title="1.4 Legal regimes of the period and the services", fields=tuple(fields)),)
