"""Reference data shipped with csa-report (policies.md §2): ISO country codes, the EEA, GDPR Art. 45 adequacy
decisions, SCC instruments and the legal regimes of the derogation. Each lives in a YAML file beside this module
with a source for every entry; when the law changes, updating the file is the only change needed.

The files are validated when first read (a broken reference file is a tool error, exit 4).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StrictStr, ValidationError, model_validator

from csa_report.errors import ToolError

Day = Annotated[date, Strict()]


class _Ref(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdequacyDecision(_Ref):
    """An Art. 45 decision for a country (ISO code) or an international organisation (``organisation``)."""

    country: StrictStr | None = None
    organisation: StrictStr | None = None
    name: StrictStr
    decision: StrictStr
    in_force_from: Day
    in_force_until: Day | None = None
    #: True when the decision covers only some recipients (US: DPF-certified; CA: PIPEDA): the recipient must
    #: then show it is covered on the transfer date (US: ``dpf_certified`` in transfers.md; otherwise an Art. 45
    #: ground listed as evidence).
    restricted_scope: StrictBool = False
    scope: StrictStr
    source: StrictStr

    def in_force_on(self, day: date) -> bool:
        return self.in_force_from <= day and (self.in_force_until is None or day <= self.in_force_until)


class Instrument(_Ref):
    """An Art. 46 instrument the Commission adopted (standard contractual clauses), with its validity window."""

    id: StrictStr
    name: StrictStr
    article: StrictStr
    match: tuple[StrictStr, ...]
    valid_from: Day
    valid_until: Day | None = None
    source: StrictStr

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def matches(self, text: str) -> bool:
        return any(m.lower() in text.lower() for m in self.match)


class Amendment(_Ref):
    """An amending act, named beside its regime from the day it entered into force; ``amends`` is the id of the
    instrument it amends (checked to be the regime it is listed under)."""

    name: StrictStr
    amends: StrictStr
    in_force_from: Day


class OpenQuestion(_Ref):
    """A legal question the regime's text leaves open, in plain words; the provider answers it in provider.md
    ``legal_positions`` and the report prints the answer ``where`` it applies (rule POSITION-1 when unanswered).
    ``asked``: ``in_period`` whenever the regime applies on a day of the period; ``after_expiry`` only when the
    period also has days after the regime stopped applying."""

    id: StrictStr
    question: StrictStr
    where: Literal["header", "section-1"]
    asked: Literal["in_period", "after_expiry"] = "in_period"
    #: A rule whose finding the provider's answer settles (SCOPE-4 for the reading of "will be applied") or
    #: quotes in place of the tool's doubt (DEADLINE-1 for the deadline under 2026/1881).
    settles: StrictStr | None = None


class Regime(_Ref):
    """A legal regime for voluntary detection: which instrument (if any) applies on which days, which form
    and deadline apply to reports on those days, and whether the reference data could confirm them."""

    id: StrictStr
    name: StrictStr
    derogation: StrictBool
    applies_from: Day
    applies_until: Day
    excludes_e2ee: StrictBool
    amendments: tuple[Amendment, ...] = ()
    #: The id of an expired instrument this one re-enacts as a self-standing act (never named as an amendment).
    re_enacts: StrictStr | None = None
    open_questions: tuple[OpenQuestion, ...] = ()
    form: StrictStr = ""
    form_confirmed: StrictBool = True
    report_deadline: StrictStr = ""
    #: False while the annual report's deadline under this regime is not confirmed by its text (DEADLINE-1 says so).
    deadline_confirmed: StrictBool = True
    source: StrictStr

    def name_on(self, day: date) -> str:
        """The instrument's name as it stood on ``day``: amendments not yet in force then are not named
        (a report on 2023 does not cite an act of 2024)."""
        amended = [a.name for a in sorted(self.amendments, key=lambda a: a.in_force_from) if a.in_force_from <= day]
        return f"{self.name}, as amended by {' and '.join(amended)}" if amended else self.name

    def covers(self, day: date) -> bool:
        return self.applies_from <= day <= self.applies_until

    @model_validator(mode="after")
    def _amends_this(self) -> Regime:
        for a in self.amendments:
            if a.amends != self.id:
                raise ValueError(f"amendments: {a.name} amends {a.amends!r} but is listed under {self.id!r}")
        return self


class _Countries(_Ref):
    source: StrictStr
    countries: dict[StrictStr, StrictStr]


class _Eea(_Ref):
    source: StrictStr
    members: dict[StrictStr, StrictStr]


class _Adequacy(_Ref):
    source: StrictStr
    reviewed: Day
    decisions: tuple[AdequacyDecision, ...]


class _Instruments(_Ref):
    source: StrictStr
    instruments: tuple[Instrument, ...]


class _Regimes(_Ref):
    source: StrictStr
    regimes: Annotated[tuple[Regime, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _known_references(self) -> _Regimes:
        ids = [r.id for r in self.regimes]
        for r in self.regimes:
            if r.re_enacts is not None and r.re_enacts not in ids:
                raise ValueError(f"regimes: {r.id} re-enacts unknown instrument {r.re_enacts!r}")
        questions = [q.id for r in self.regimes for q in r.open_questions]
        dupes = sorted({q for q in questions if questions.count(q) > 1})
        if dupes:
            raise ValueError(f"regimes: open question {dupes[0]!r} is listed twice")
        return self


FileName = Literal["countries.yaml", "eea.yaml", "adequacy.yaml", "instruments.yaml", "regimes.yaml"]


def _read(name: FileName) -> Any:
    try:
        text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
        return yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ToolError(f"reference data csa_report/reference/{name} cannot be read: {exc}") from None


def _validate(model: type[_Ref], name: FileName) -> Any:
    try:
        return model.model_validate(_read(name))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ToolError(f"reference data csa_report/reference/{name}: {loc}: {first['msg']}") from None


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes."""
    data: _Countries = _validate(_Countries, "countries.yaml")
    return frozenset(data.countries)


@cache
def country_names() -> dict[str, str]:
    data: _Countries = _validate(_Countries, "countries.yaml")
    return dict(data.countries)


@cache
def eea_members() -> frozenset[str]:
    """ISO codes of the EEA: EU 27 + Iceland, Liechtenstein, Norway."""
    data: _Eea = _validate(_Eea, "eea.yaml")
    return frozenset(data.members)


@cache
def adequacy_decisions() -> tuple[AdequacyDecision, ...]:
    data: _Adequacy = _validate(_Adequacy, "adequacy.yaml")
    return data.decisions


@cache
def instruments() -> tuple[Instrument, ...]:
    data: _Instruments = _validate(_Instruments, "instruments.yaml")
    return data.instruments


@cache
def regimes() -> tuple[Regime, ...]:
    data: _Regimes = _validate(_Regimes, "regimes.yaml")
    return tuple(sorted(data.regimes, key=lambda r: r.applies_from))


def adequacy_for(country: str, day: date) -> AdequacyDecision | None:
    """The adequacy decision in force for ``country`` on ``day``, if any."""
    for decision in adequacy_decisions():
        if decision.country == country and decision.in_force_on(day):
            return decision
    return None


def regime_on(day: date) -> Regime | None:
    """The regime covering ``day``; None before 2021-08-02 or after the last known regime ends."""
    return next((r for r in regimes() if r.covers(day)), None)


def regime_by_id(regime_id: str) -> Regime | None:
    return next((r for r in regimes() if r.id == regime_id), None)


def open_question_ids() -> frozenset[str]:
    """Every open question's id (provider.md ``legal_positions`` may answer only these)."""
    return frozenset(q.id for r in regimes() for q in r.open_questions)


def questions_of_period(start: date, end: date) -> tuple[tuple[Regime, OpenQuestion], ...]:
    """The open questions a report on ``start``..``end`` must answer, in time order of their regimes: those of
    each regime that applies on a day of the period (``after_expiry`` ones only when the period goes on after
    the regime stopped applying)."""
    out: list[tuple[Regime, OpenQuestion]] = []
    for r in regimes():
        if r.applies_from > end or r.applies_until < start:
            continue
        for q in r.open_questions:
            if q.asked == "after_expiry" and not r.applies_until < end:
                continue
            out.append((r, q))
    return tuple(out)
