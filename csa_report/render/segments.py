"""The figures of a period that spans several legal regimes, one column per regime segment."""

from __future__ import annotations

from collections.abc import Sequence

from csa_report.indicators import ALL, Indicators
from csa_report.policies.models import PolicySet
from csa_report.render.cells import na_cell
from csa_report.render.model import Column, Field, Group, InstrumentInForce, Section
from csa_report.render.sections import DATA_SECTIONS, FieldBuilder, build_sections


def segment_figures(whole: Sequence[Section], instruments: Sequence[InstrumentInForce], segments: Sequence[Indicators],
                    policies: PolicySet) -> tuple[tuple[Column, ...], tuple[Group, ...]]:
    """Every data-driven field of sections 1, 4, 5 and 6 (total over services), one value per regime segment
    beside the whole period's. ``segments`` are the indicators of each segment, in the order of
    ``instruments``; the days without a derogation are a segment of their own, apart from the others."""
    if len(instruments) < 2 or len(segments) != len(instruments):
        return (), ()
    columns = (
        *(Column(key=i.id, label=(f"{i.first_day} to {i.last_day}: " + (i.name if i.derogation else
                                                                          "no derogation in force")))
          for i in instruments),
        Column(key=ALL, label="Whole period"))
    built = [build_sections(FieldBuilder(ind, policies), DATA_SECTIONS) for ind in segments]
    numbers = {sec.number for sec in built[0]}
    per_segment = [{f.id: f for sec in sections for g in sec.groups for f in g.fields} for sections in built]
    groups: list[Group] = []
    for sec in whole:
        if sec.number not in numbers:
            continue
        for g in sec.groups:
            fields = [
                Field(id=f.id, label=f.label, scope="service", optional=f.optional, cells=(
                    *((seg[f.id].cells[-1] if f.id in seg else na_cell("not used in this segment"))
                      for seg in per_segment),
                    f.cells[-1]))
                for f in g.fields if f.scope == "service"]
            if fields:
                groups.append(Group(id=f"segments.{g.id}", title=g.title, fields=tuple(fields)))
    return columns, tuple(groups)
