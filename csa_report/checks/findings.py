"""What the compliance checks produce: findings, tool errors, and the result of one run.

A :class:`Finding` holds counts and aggregates only (never an ``account_ref`` or a row). ``findings.json`` is
stable: findings sorted by severity rank, rule, then message; keys sorted; equal inputs give equal bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Final, Literal

from csa_report.errors import CheckError, DataError
from csa_report.indicators import dumps_stable
from csa_report.period import Period, format_instant

Severity = Literal["blocking", "warning", "review"]
#: Order of findings: what stops sign-off first, then what needs a legal decision, then warnings.
SEVERITY_RANK: Final[dict[Severity, int]] = {"blocking": 0, "review": 1, "warning": 2}
FINDINGS_SCHEMA: Final = "csa-report/findings/1"

Evidence = Mapping[str, Any]


@dataclass(frozen=True)
class Finding:
    """One rule that does not hold."""

    rule: str
    severity: Severity
    message: str
    count: int
    reference: str
    evidence: Evidence = field(default_factory=dict)
    #: Set when a waiver downgraded a blocking finding to review.
    waived_by: str | None = None
    waiver_reason: str | None = None

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (SEVERITY_RANK[self.severity], self.rule, self.message)

    @property
    def waived(self) -> bool:
        return self.waived_by is not None

    def waive(self, waived_by: str, reason: str) -> Finding:
        return replace(self, severity="review", waived_by=waived_by, waiver_reason=reason)

    def to_json_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "count": self.count,
            "reference": self.reference,
            "evidence": _jsonable(self.evidence),
        }
        if self.waived_by is not None:
            obj["waived_by"] = self.waived_by
            obj["waiver_reason"] = self.waiver_reason
        return obj


@dataclass(frozen=True)
class NotApplied:
    """A rule whose question does not arise for this report (PLAUS-2 without a previous filed report): not a
    pass and not a finding; findings.json, the terminal, the Prefect artifact and the annex list it with why."""

    rule: str
    reason: str
    reference: str

    @property
    def text(self) -> str:
        return f"not applicable: {self.reason}"

    def to_json_obj(self) -> dict[str, Any]:
        return {"rule": self.rule, "reason": self.reason, "reference": self.reference}


ErrorKind = Literal["data", "tool"]


@dataclass(frozen=True)
class CheckFailure:
    """A rule that could not run: ``data`` (the source does not follow the schema, exit 2) or ``tool`` (a query
    failed, exit 4). Never a pass, never a finding."""

    rule: str
    kind: ErrorKind
    message: str

    @property
    def exit_code(self) -> int:
        return 2 if self.kind == "data" else 4

    def to_json_obj(self) -> dict[str, Any]:
        return {"rule": self.rule, "kind": self.kind, "message": self.message}


WaiverStatus = Literal["applied", "unused", "expired"]


@dataclass(frozen=True)
class WaiverUse:
    """A waiver of the waivers file and what became of it in this run (for the annex and the manifest)."""

    rule: str
    reason: str
    waived_by: str
    expires: date | None
    status: WaiverStatus

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "reason": self.reason,
            "waived_by": self.waived_by,
            "expires": self.expires.isoformat() if self.expires else None,
            "status": self.status,
        }


@dataclass(frozen=True)
class CheckResult:
    """Everything one check run found, in stable order."""

    period: Period
    as_of: datetime
    findings: tuple[Finding, ...]
    errors: tuple[CheckFailure, ...] = ()
    waivers: tuple[WaiverUse, ...] = ()
    rules: tuple[str, ...] = ()
    policies: tuple[Mapping[str, str], ...] = ()
    not_applicable: tuple[NotApplied, ...] = ()

    @classmethod
    def build(
        cls,
        period: Period,
        as_of: datetime,
        findings: Sequence[Finding],
        *,
        errors: Sequence[CheckFailure] = (),
        waivers: Sequence[WaiverUse] = (),
        rules: Sequence[str] = (),
        policies: Sequence[Mapping[str, str]] = (),
        not_applicable: Sequence[NotApplied] = (),
    ) -> CheckResult:
        return cls(
            period,
            as_of,
            tuple(sorted(findings, key=lambda f: f.sort_key)),
            tuple(sorted(errors, key=lambda e: (e.rule, e.message))),
            tuple(sorted(waivers, key=lambda w: (w.rule, w.waived_by, w.reason))),
            tuple(rules),
            tuple(policies),
            tuple(sorted(not_applicable, key=lambda n: n.rule)),
        )

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "blocking"]

    def by_severity(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def exit_code(self) -> int:
        """0 no blocking finding; 1 a blocking finding remains; 2/4 a rule could not run (data/tool error)."""
        if self.errors:
            return 2 if all(e.kind == "data" for e in self.errors) else 4
        return 1 if self.blocking else 0

    def summary(self) -> dict[str, int]:
        return {sev: len(self.by_severity(sev)) for sev in SEVERITY_RANK} | {"errors": len(self.errors)}

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "schema": FINDINGS_SCHEMA,
            "period": str(self.period),
            "as_of": format_instant(self.as_of),
            "rules": list(self.rules),
            "policies": [dict(p) for p in self.policies],
            "summary": self.summary(),
            "findings": [f.to_json_obj() for f in self.findings],
            "errors": [e.to_json_obj() for e in self.errors],
            "waivers": [w.to_json_obj() for w in self.waivers],
            "not_applicable": [n.to_json_obj() for n in self.not_applicable],
        }

    def to_json(self) -> str:
        return dumps_stable(self.to_json_obj())


def raise_for_errors(result: CheckResult) -> None:
    """Raise the first rule that could not run: DataError (exit 2) or CheckError (exit 4)."""
    for failure in result.errors:
        if failure.kind == "tool":
            raise CheckError(failure.rule, failure.message.removeprefix(f"check {failure.rule} could not run: "))
    if result.errors:
        raise DataError(result.errors[0].message)


def blocking(result: CheckResult) -> list[Finding]:
    """The findings that stop the report before sign-off."""
    return result.blocking


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
