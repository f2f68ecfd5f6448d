"""The findings as a readable terminal table (rich)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from csa_report.checks.findings import CheckResult, Finding
from csa_report.period import format_instant

_STYLE = {"blocking": "bold red", "review": "bold yellow", "warning": "yellow"}


def _severity(f: Finding) -> Text:
    label = f.severity + (" (waived)" if f.waived else "")
    return Text(label, style=_STYLE.get(f.severity, ""))


def findings_table(result: CheckResult) -> RenderableType:
    title = f"Compliance checks, {result.period} (as of {format_instant(result.as_of)})"
    parts: list[RenderableType] = []
    if not result.findings and not result.errors:
        held = len(result.rules) - len(result.not_applicable)
        parts.append(Text(f"{title}: all {held} rules that apply hold", style="bold green"))
        parts.extend(_not_applied(result))
        return Group(*parts)
    table = Table(title=title, show_lines=False)
    table.add_column("Severity")
    table.add_column("Rule")
    table.add_column("Count", justify="right")
    table.add_column("Finding")
    table.add_column("Reference")
    for f in result.findings:
        message = f.message
        if f.waived:
            message += f"\nwaived by {f.waived_by}: {f.waiver_reason}"
        table.add_row(_severity(f), f.rule, str(f.count), message, f.reference)
    parts.append(table)
    if result.errors:
        errors = Table(title="Rules that could not run (tool or data error: not a pass)")
        errors.add_column("Rule")
        errors.add_column("Kind")
        errors.add_column("Error")
        for e in result.errors:
            errors.add_row(e.rule, e.kind, e.message)
        parts.append(errors)
    parts.extend(_not_applied(result))
    summary = result.summary()
    held = (
        len(result.rules)
        - len({f.rule for f in result.findings})
        - len({e.rule for e in result.errors})
        - len(result.not_applicable)
    )
    parts.append(
        Text(
            f"{summary['blocking']} blocking, {summary['review']} for review, {summary['warning']} "
            f"warning(s), {summary['errors']} rule(s) could not run; {held} rule(s) hold"
            + (f", {len(result.not_applicable)} do(es) not apply" if result.not_applicable else "")
        )
    )
    return Group(*parts)


def _not_applied(result: CheckResult) -> list[RenderableType]:
    """The rules whose question does not arise for this report, one line each (neither a pass nor a finding)."""
    return [Text(f"{n.rule}: {n.text}", style="dim") for n in result.not_applicable]
