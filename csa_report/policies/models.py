"""The five policy documents of policies.md §1 as pydantic v2 models.

Each model is the document's YAML front matter: unknown fields are errors (``extra="forbid"``), dates must be
YAML dates, booleans YAML booleans and texts strings (no silent coercion of ``1`` to ``True`` or of a number to a
version string). The Markdown body, the file path and the SHA-256 of the file's bytes are attached by the
loader and exposed as the read-only properties ``body``, ``path`` and ``sha256``; they are not front-matter
fields. Every field is documented in docs/policies-reference.md.

The models check form, not compliance: a legal basis without a point of Art. 6(1), or a retention of 400 days,
loads fine and is then reported by the checks (BASIS-1, RET-3), so the reviewer sees a finding rather than a
crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, StrictBool, Tag, model_validator

from csa_report.names import ListedName
from csa_report.policies.fields import (
    GDPR_POINTS,
    RETAINED_DATA,
    RETENTION_PURPOSES,
    TRANSFER_ARTICLES,
    CountryCode,
    Day,
    Days,
    Email,
    GdprPoint,
    Hours,
    Kind,
    PolicyDocument,
    RecipientType,
    RetainedData,
    RetentionPurpose,
    StrictModel,
    Text,
    TransferArticle,
    Url,
    refuse_duplicates,
)
from csa_report.policies.plausibility import Plausibility
from csa_report.policies.provider_doc import (
    Contact,
    Dpo,
    ProviderDoc,
    Service,
    SigningKey,
    SupervisoryAuthority,
    VolumeName,
    person_key,
)
from csa_report.policies.technology_names import (
    KNOWN_TECHNOLOGY_NAMES,
    DisplayName,
    technology_display_name,
)
from csa_report.policies.transfers_doc import Recipient, TransferGround, TransfersDoc
from csa_report.vocabulary import Category

#: Re-exported: the documents' building blocks and provider.md live in their own modules
#: (csa_report.policies.fields, csa_report.policies.provider_doc, csa_report.policies.transfers_doc); callers import
#: them from here.
__all__ = [
    "DOCUMENTS",
    "GDPR_POINTS",
    "KNOWN_TECHNOLOGY_NAMES",
    "RETAINED_DATA",
    "RETENTION_PURPOSES",
    "TRANSFER_ARTICLES",
    "UNION_TAGS",
    "CategoryEntry",
    "CategoryMeasures",
    "Contact",
    "CountryCode",
    "Day",
    "Days",
    "DetectionCategory",
    "DisplayName",
    "Dpo",
    "Email",
    "GdprPoint",
    "Hours",
    "Kind",
    "LegalBasisDoc",
    "MeasuresDoc",
    "NotApplicable",
    "Plausibility",
    "PolicyDocument",
    "PolicySet",
    "ProviderDoc",
    "Recipient",
    "RecipientType",
    "Redress",
    "Reporting",
    "RetainedData",
    "RetentionDoc",
    "RetentionException",
    "RetentionPurpose",
    "RetentionRule",
    "Safeguards",
    "Service",
    "SigningKey",
    "StrictModel",
    "SupervisoryAuthority",
    "Technology",
    "Text",
    "TransferArticle",
    "TransferGround",
    "TransfersDoc",
    "Url",
    "VolumeName",
    "person_key",
    "technology_display_name",
]

# ---------------------------------------------------------------------------------------------------------
# legal-basis.md


class LegalBasisDoc(PolicyDocument):
    kind: Literal["legal_basis"]
    gdpr_article_6: tuple[GdprPoint, ...]
    member_state_law: Text | None = None
    legitimate_interest_assessment: Text | None = None


# ---------------------------------------------------------------------------------------------------------
# retention.md


class RetentionException(StrictModel):
    """A declared exception to a retention limit (a legal hold): why data is kept longer, and the law that
    compels it. Both are printed with the limit in section 8; a hold in the data without one is RET-6."""

    reason: Text
    legal_basis: Text


class RetentionRule(StrictModel):
    data: RetainedData
    max_days: Days
    #: Required for every kind of data but ``not_abuse``: data found not to be abuse is erased, it has no
    #: purpose; a purpose listed there is RET-7 (a warning) and is never printed.
    purposes: tuple[RetentionPurpose, ...] = ()
    exceptions: tuple[RetentionException, ...] = ()

    @model_validator(mode="after")
    def _purposes(self) -> RetentionRule:
        if not self.purposes and self.data != "not_abuse":
            raise ValueError(f"purposes: at least one purpose is required for data {self.data!r}")
        return self


class Safeguards(StrictModel):
    """Form §8 data-protection safeguards."""

    de_identification: Text
    encryption_in_transit: StrictBool
    #: The form's "please specify" for encryption in transit: protocols and algorithms.
    encryption_in_transit_specify: Text | None = None
    data_governance: Text
    governance_review: Text
    incident_response: StrictBool
    #: The form's "please specify" for incident response: the plan and how often it is tested.
    incident_response_specify: Text | None = None
    other_security_measures: Text


class Redress(StrictModel):
    """Form §8 internal redress mechanism: the five yes/no statements."""

    facts_told: StrictBool
    enquiry_procedure: StrictBool
    dedicated_channel: StrictBool
    completion_notified: StrictBool
    recipients_updated: StrictBool
    #: Art. 3(1)(e): hours between deciding to reverse an action and restoring it (CORRECT-1).
    restore_within_hours: Hours
    #: Art. 3(1)(g)(iv): days within which an internal complaint is decided (REDRESS-1).
    decide_within_days: Days


class RetentionDoc(PolicyDocument):
    kind: Literal["retention"]
    rules: tuple[RetentionRule, ...]
    safeguards: Safeguards
    redress: Redress
    right_of_access: Text
    other_retention_policies: Text | None = None
    other_safeguards: Text | None = None

    @model_validator(mode="after")
    def _one_rule_each(self) -> RetentionDoc:
        seen: list[str] = [r.data for r in self.rules]
        for data in RETAINED_DATA:
            n = seen.count(data)
            if n == 0:
                raise ValueError(
                    f"rules: no rule for data {data!r} (expected one rule for each of {', '.join(RETAINED_DATA)})"
                )
            if n > 1:
                raise ValueError(f"rules: data {data!r} has {n} rules (expected exactly one)")
        return self

    def rule(self, data: str) -> RetentionRule:
        return next(r for r in self.rules if r.data == data)


# ---------------------------------------------------------------------------------------------------------
# measures.md


class CategoryMeasures(StrictModel):
    """Form §7 for one category: indicators, deployment, human review, feedback, error rate achieved."""

    indicator_quality_checks: Text
    indicator_vetting: Text
    other_indicator_measures: Text | None = None
    independent_third_party_vetting: StrictBool
    other_deployment_measures: Text | None = None
    all_reviewed_before_reporting: StrictBool
    sample_reviewed_before_reporting: StrictBool
    training: Text
    quality_control: Text
    feedback_organisations: Text
    feedback_law_enforcement: Text
    feedback_complaints: Text
    feedback_other: Text | None = None
    error_rate_after_measures: Text


class NotApplicable(StrictModel):
    """A category the provider does not detect: the form's N/A, with the reason shown in the report."""

    not_applicable: Text


def _measures_tag(value: Any) -> str:
    if isinstance(value, dict) and "not_applicable" in value:
        return "not_applicable"
    if isinstance(value, NotApplicable):
        return "not_applicable"
    return "measures"


CategoryEntry = Annotated[
    Annotated[CategoryMeasures, Tag("measures")] | Annotated[NotApplicable, Tag("not_applicable")],
    Discriminator(_measures_tag),
]
#: Union tags pydantic puts into error locations; the loader strips them.
UNION_TAGS: Final = frozenset({"measures", "not_applicable"})


DetectionCategory = Category


class Technology(StrictModel):
    """One detection technology (Art. 3(1)(b)-(d)): what it is in plain words, and its DPIA and prior
    consultation. The dates may be null: a missing one is a TECH-1 finding, not a load error."""

    id: ListedName
    #: The name a reader knows (e.g. "PhotoDNA"); default: the known name of ``id`` (KNOWN_TECHNOLOGY_NAMES).
    name: DisplayName | None = None
    category: DetectionCategory
    description: Text
    dpia_date: Day | None
    prior_consultation_date: Day | None
    new_technology: StrictBool
    sa_report_back_date: Day | None = None

    @property
    def display_name(self) -> str:
        return technology_display_name(self.id, self.name)


class Reporting(StrictModel):
    """Art. 3(1)(j): the provider's own reading of "without delay"."""

    max_hours: Hours


class MeasuresDoc(PolicyDocument):
    kind: Literal["measures"]
    known_csam: CategoryEntry
    new_csam: CategoryEntry
    solicitation: CategoryEntry
    reporting: Reporting
    technologies: tuple[Technology, ...] = ()
    #: The PLAUS-* thresholds (defaults when absent).
    plausibility: Plausibility = Plausibility()

    @model_validator(mode="after")
    def _unique_technologies(self) -> MeasuresDoc:
        refuse_duplicates("technologies", [t.id for t in self.technologies])
        return self

    def technology(self, tech_id: str) -> Technology | None:
        return next((t for t in self.technologies if t.id == tech_id), None)

    def category(self, name: str) -> CategoryMeasures | NotApplicable:
        value: CategoryMeasures | NotApplicable = getattr(self, name)
        return value


# ---------------------------------------------------------------------------------------------------------
# The folder


#: file name → (kind, model), in the order of the report's sections.
DOCUMENTS: Final[dict[str, tuple[str, type[PolicyDocument]]]] = {
    "provider.md": ("provider", ProviderDoc),
    "legal-basis.md": ("legal_basis", LegalBasisDoc),
    "transfers.md": ("transfers", TransfersDoc),
    "retention.md": ("retention", RetentionDoc),
    "measures.md": ("measures", MeasuresDoc),
}


class PolicySet(BaseModel):
    """The five validated documents of one policy folder."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    folder: Path
    provider: ProviderDoc
    legal_basis: LegalBasisDoc
    transfers: TransfersDoc
    retention: RetentionDoc
    measures: MeasuresDoc

    def documents(self) -> tuple[PolicyDocument, ...]:
        return (self.provider, self.legal_basis, self.transfers, self.retention, self.measures)

    def provenance(self) -> list[dict[str, str]]:
        """One entry per document for the manifest: file, kind, version, effective_from, sha256."""
        return [
            {
                "file": _relative(doc.path, self.folder),
                "kind": doc.kind,
                "version": doc.version,
                "effective_from": doc.effective_from.isoformat(),
                "sha256": doc.sha256,
            }
            for doc in self.documents()
        ]


def _relative(path: Path, folder: Path) -> str:
    """The document's path inside the policy folder (``history/provider/2025.1.md`` for an older version)."""
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.name
