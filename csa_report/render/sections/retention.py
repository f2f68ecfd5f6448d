"""Section 8: the retention policy and the data-protection safeguards (retention.md), field by field."""

from __future__ import annotations

from typing import Any, Final, Literal

from csa_report.indicators import ALL, NO, IndicatorRow
from csa_report.render.cells import na_cell, text_or_na, value_cell
from csa_report.render.model import Cell, Field, Group, Section
from csa_report.render.sections.base import SECTION_TITLES, FieldBuilder, prose_of

#: (retention.md data kind, the form's label) in the form's order.
RETENTION: Final = (
    ("confirmed_content", "Retention: content items identified as child sexual abuse"),
    ("report_metadata", "Retention: non-content data about reports (including after the user deactivates the account)"),
    ("complaint", "Retention: data about complaints and policy violations"),
    ("not_abuse", "Retention: items found not to be abuse"),
)

Kind = Literal["text", "bool", "specify"]
#: The safeguards: (field id, the form's label, retention.md attribute (also the indicator), kind, and for a
#: "please specify" the yes/no attribute it specifies and what that answer is about).
SAFEGUARDS: Final[tuple[tuple[str, str, str, Kind, tuple[str, str] | None], ...]] = (
    (
        "deid",
        "De-identification, pseudonymisation and anonymisation (techniques, where used)",
        "de_identification",
        "text",
        None,
    ),
    (
        "encryption",
        "Industry-standard encryption of data in transit between private infrastructure and public networks (yes/no)",
        "encryption_in_transit",
        "bool",
        None,
    ),
    (
        "encryption.specify",
        "Encryption in transit: protocols and algorithms (please specify)",
        "encryption_in_transit_specify",
        "specify",
        ("encryption_in_transit", "encryption in transit"),
    ),
    (
        "governance",
        "Data-governance or privacy programme (access restrictions, ACLs, confidentiality duties)",
        "data_governance",
        "text",
        None,
    ),
    ("review", "Procedures to review anonymisation and data governance", "governance_review", "text", None),
    ("incident", "Security-incident response plans (yes/no)", "incident_response", "bool", None),
    (
        "incident.specify",
        "Security-incident response: the plan and how often it is tested (please specify)",
        "incident_response_specify",
        "specify",
        ("incident_response", "incident response plans"),
    ),
    ("other_security", "Other technical and organisational security measures", "other_security_measures", "text", None),
)
#: The internal redress mechanism's yes/no answers: (field id, the form's label, retention.md attribute); the
#: indicator is the attribute prefixed with "redress_".
REDRESS: Final = (
    ("facts", "Internal redress: the person is told the facts behind the decision (yes/no)", "facts_told"),
    ("procedure", "Internal redress: procedures to assess the user's enquiries (yes/no)", "enquiry_procedure"),
    ("channel", "Internal redress: a dedicated communication channel (yes/no)", "dedicated_channel"),
    (
        "completion",
        "Internal redress: the user is told when the assessment is complete (yes/no)",
        "completion_notified",
    ),
    (
        "recipients",
        "Internal redress: extra information sent to the Art. 3(1)(h)(i) recipients depending on the "
        "outcome of the complaint (yes/no)",
        "recipients_updated",
    ),
)


def _specify(answer: bool, text: str | None, what: str) -> Cell:
    """A form's "please specify" beside a yes/no: the text, or N/A saying why there is none."""
    if not answer:
        return na_cell(f"the provider answers no to {what}")
    return text_or_na(text, "not specified in retention.md (safeguards)")


def _safeguard_cell(safeguards: Any, attr: str, kind: Kind, specifies: tuple[str, str] | None) -> Cell:
    value = getattr(safeguards, attr)
    if kind == "bool":
        return value_cell(value, "bool")
    if kind == "specify":
        assert specifies is not None
        answer, what = specifies
        return _specify(getattr(safeguards, answer), value, what)
    return text_or_na(value, "not stated by the provider")


def retention_statement(rule: Any) -> str:
    """A retention rule as the report states it: the limit, the purposes, and each declared exception (legal
    hold) with its legal basis. Data found not to be abuse has no purpose: it is erased once reviewed (the
    limit in hours, a 0-day limit read as one day), and a purpose listed for it (RET-7) is never printed."""
    if rule.data == "not_abuse":
        return f"erased immediately after review (within {max(rule.max_days, 1) * 24:,} hours)" + _exceptions(rule)
    purposes = ", ".join(p.replace("_", " ") for p in rule.purposes)
    days = "erased within one day" if rule.max_days == 0 else f"at most {rule.max_days:,} days"
    return f"{days}; purposes: {purposes}" + _exceptions(rule)


def _exceptions(rule: Any) -> str:
    if not rule.exceptions:
        return ""
    return "; except: " + "; ".join(
        f"{' '.join(e.reason.split())} (legal basis: {' '.join(e.legal_basis.split())})" for e in rule.exceptions
    )


def section8(b: FieldBuilder) -> Section:
    r = b.pol.retention
    ret: list[Field] = []
    for data, label in RETENTION:
        rule = r.rule(data)
        ret.append(
            b.pol_field(
                f"8.retention.{data}",
                label,
                value_cell(retention_statement(rule), "text"),
                section=8,
                indicator=f"retention_{data}",
            )
        )
        b.extra.append(IndicatorRow(ALL, 8, f"retention_max_days_{data}", NO, NO, "all", rule.max_days, "days"))
    ret.append(
        b.pol_field(
            "8.retention.other",
            "Other retention policies",
            text_or_na(r.other_retention_policies, "not stated by the provider"),
            section=8,
            indicator="other_retention_policies",
            optional=True,
        )
    )
    safe = tuple(
        b.pol_field(
            f"8.safeguards.{fid}",
            label,
            _safeguard_cell(r.safeguards, attr, kind, specifies),
            section=8,
            indicator=attr,
        )
        for fid, label, attr, kind, specifies in SAFEGUARDS
    )
    redress = tuple(
        b.pol_field(
            f"8.redress.{fid}",
            label,
            value_cell(getattr(r.redress, attr), "bool"),
            section=8,
            indicator=f"redress_{attr}",
        )
        for fid, label, attr in REDRESS
    )
    access = (
        b.pol_field(
            "8.access",
            "Right of access: whether, how and when users get access to their data "
            "when their account is suspended or deleted",
            text_or_na(r.right_of_access, "not stated by the provider"),
            section=8,
            indicator="right_of_access",
        ),
        b.pol_field(
            "8.other",
            "Other safeguards",
            text_or_na(r.other_safeguards, "not stated by the provider"),
            section=8,
            indicator="other_safeguards",
            optional=True,
        ),
    )
    return Section(
        number=8,
        title=SECTION_TITLES[8],
        intro="",
        groups=(
            Group(id="8.retention", title="8 Retention policy", fields=tuple(ret)),
            Group(id="8.safeguards", title="8 Data-protection safeguards", fields=safe),
            Group(id="8.redress", title="8 Internal redress mechanism", fields=redress),
            Group(id="8.access", title="8 Right of access and other safeguards", fields=access),
        ),
        prose=(prose_of(r),),
    )
