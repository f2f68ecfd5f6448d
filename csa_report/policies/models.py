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

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    Tag,
    model_validator,
)

from csa_report.errors import InputError
from csa_report.names import ListedName, Name
from csa_report.reference import country_codes
from csa_report.vocabulary import Category

# ---------------------------------------------------------------------------------------------------------
# Building blocks


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _country(value: str) -> str:
    if value not in country_codes():
        raise ValueError(f"unknown country code {value!r}: expected an ISO 3166-1 alpha-2 code such as IE, US, GB")
    return value


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://\S+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


Text = Annotated[StrictStr, AfterValidator(_non_blank)]
Day = Annotated[date, Strict()]
CountryCode = Annotated[StrictStr, AfterValidator(_country)]
Email = Annotated[StrictStr, AfterValidator(_email)]
Url = Annotated[StrictStr, AfterValidator(_url)]
Days = Annotated[StrictInt, Field(ge=0)]
#: A policy threshold in whole hours or days: a number, never negative (v2 fields; checked by the loader).
Hours = Annotated[StrictInt, Field(ge=0)]

#: GDPR Art. 6(1) points.
GdprPoint = Literal["6(1)(a)", "6(1)(b)", "6(1)(c)", "6(1)(d)", "6(1)(e)", "6(1)(f)"]
GDPR_POINTS: Final[tuple[str, ...]] = get_args(GdprPoint)

#: GDPR Chapter V grounds a transfer may rely on (GDPR Articles 45 to 49).
TransferArticle = Literal[
    "45",
    "46(2)(a)",
    "46(2)(b)",
    "46(2)(c)",
    "46(2)(d)",
    "46(2)(e)",
    "46(2)(f)",
    "46(3)(a)",
    "46(3)(b)",
    "47",
    "49(1)(a)",
    "49(1)(b)",
    "49(1)(c)",
    "49(1)(d)",
    "49(1)(e)",
    "49(1)(f)",
    "49(1)(g)",
    "49(1) second subparagraph",
]
TRANSFER_ARTICLES: Final[tuple[str, ...]] = get_args(TransferArticle)
RecipientType = Literal["public_interest_organisation", "law_enforcement", "processor"]
RetainedData = Literal["confirmed_content", "not_abuse", "report_metadata", "complaint"]
RETAINED_DATA: Final[tuple[str, ...]] = get_args(RetainedData)
#: Art. 3(1)(h)(i)-(v): the only purposes for which data may be kept.
RetentionPurpose = Literal["report", "block", "hash", "redress", "law_enforcement_request"]
RETENTION_PURPOSES: Final[tuple[str, ...]] = get_args(RetentionPurpose)
Kind = Literal["provider", "legal_basis", "transfers", "retention", "measures"]


class StrictModel(BaseModel):
    """Base of every nested structure: immutable, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyDocument(StrictModel):
    """Fields every document carries, and the loader-attached body, path and hash."""

    kind: StrictStr
    version: Text
    effective_from: Day
    #: Last day this version was in force; null = until the next version of the document takes effect.
    effective_until: Day | None = None

    _body: str = PrivateAttr(default="")
    _path: Path = PrivateAttr(default=Path())
    _sha256: str = PrivateAttr(default="")

    @property
    def body(self) -> str:
        """The Markdown prose after the front matter, verbatim (never a template)."""
        return self._body

    @property
    def path(self) -> Path:
        return self._path

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of the file's bytes, for the manifest."""
        return self._sha256

    def attach(self, body: str, path: Path, sha256: str) -> None:
        """Used by the loader only."""
        self._body = body
        self._path = path
        self._sha256 = sha256


# ---------------------------------------------------------------------------------------------------------
# provider.md


class SupervisoryAuthority(StrictModel):
    name: Name
    email: Email


class Contact(StrictModel):
    """The contact point for the report: named in its summary and in the submission e-mail, which the
    authority answers."""

    name: Text
    role: Text
    email: Email


class Dpo(StrictModel):
    """The provider's data protection officer (GDPR Art. 37), named in the submission e-mail."""

    name: Text
    email: Email


class Service(StrictModel):
    name: ListedName
    e2ee: StrictBool
    e2ee_from: Day | None = None

    @model_validator(mode="after")
    def _e2ee_date(self) -> Service:
        if self.e2ee and self.e2ee_from is None:
            raise ValueError("e2ee_from: required when e2ee is true (the date end-to-end encryption applies from)")
        if not self.e2ee and self.e2ee_from is not None:
            raise ValueError("e2ee_from: must be null when e2ee is false")
        return self


VolumeName = Literal["images", "videos", "other_files", "text_bytes", "metadata"]


class SigningKey(StrictModel):
    """A person's OpenSSH public key (the kind used to sign git commits): an approver's key makes the sign-off
    an SSH signature over manifest.json; the preparer's key is listed so that it can never approve."""

    name: ListedName
    key: Text

    @model_validator(mode="after")
    def _openssh(self) -> SigningKey:
        from csa_report.sshsig import normalise_public_key

        try:
            normalise_public_key(self.key, what=f"key of {self.name}")
        except InputError as exc:  # pydantic reports ValueErrors with the field's location
            raise ValueError(str(exc)) from None
        return self


class ProviderDoc(PolicyDocument):
    kind: Literal["provider"]
    provider: Name
    establishment: CountryCode
    supervisory_authority: SupervisoryAuthority
    commission_email: Email
    services: Annotated[tuple[Service, ...], Field(min_length=1)]
    metadata_types: tuple[Text, ...]
    publication_url: Url
    contact: Contact
    dpo: Dpo
    approvers: Annotated[tuple[ListedName, ...], Field(min_length=1)]
    preparer: ListedName
    #: The provider's reading of "processed" (form 1.3); when absent the report prints the default reading.
    processed_definition: Text | None = None
    #: Section 1 volumes the provider does not count, each with the reason the report prints as N/A.
    volumes_not_counted: dict[VolumeName, Text] = Field(default_factory=dict)
    signing_keys: tuple[SigningKey, ...] = ()

    @model_validator(mode="after")
    def _people(self) -> ProviderDoc:
        # Compared as the sign-off form compares names (spaces collapsed, case ignored): "aoife  byrne" among the
        # approvers is the preparer, and the form would let her sign off her own report under that spelling.
        if person_key(self.preparer) in {person_key(a) for a in self.approvers}:
            raise ValueError(
                "preparer: must not be one of the approvers (nobody signs off their own report; names "
                "are compared ignoring case and spacing)"
            )
        for k in self.signing_keys:
            if k.name not in self.approvers and k.name != self.preparer:
                raise ValueError(f"signing_keys: {k.name!r} is neither an approver nor the preparer")
        _refuse_ambiguous_keys(self.signing_keys)
        _refuse_duplicates("services", [s.name for s in self.services])
        return self

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def approver_keys(self) -> dict[str, str]:
        """Approver name → OpenSSH public key; empty means the typed ("unsigned") sign-off."""
        return {k.name: k.key for k in self.signing_keys if k.name in self.approvers}

    def preparer_keys(self) -> dict[str, str]:
        return {k.name: k.key for k in self.signing_keys if k.name == self.preparer}


def person_key(name: str) -> str:
    """A person's name as every sign-off comparison sees it: spaces collapsed, case ignored ("dara  KELLY" is Dara
    Kelly). The one rule for the policy's four-eyes check, the typed form, and the signed and up-front approvals."""
    return " ".join(name.split()).casefold()


def _refuse_ambiguous_keys(keys: tuple[SigningKey, ...]) -> None:
    """One key per person and one person per key: a second key under the same name would be silently dropped
    (approver_keys maps a name to one key), and a key under two names would make its signatures ambiguous (who
    signed? is it the preparer's?)."""
    from csa_report.sshsig import normalise_public_key

    names: dict[str, str] = {}
    owners: dict[str, str] = {}
    for k in keys:
        person = person_key(k.name)
        if person in names:
            raise ValueError(f"signing_keys: {k.name!r} is listed twice; list one key per person")
        names[person] = k.name
        key = normalise_public_key(k.key, what=f"key of {k.name}")  # type+base64: the comment does not count
        if key in owners:
            raise ValueError(
                f"signing_keys: the same key is listed for {owners[key]!r} and {k.name!r}; each "
                "person signs with their own key"
            )
        owners[key] = k.name


def _refuse_duplicates(field: str, names: list[str]) -> None:
    """A name listed twice is a typo or a copy-paste slip; name the first one (alphabetically)."""
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{field}: {dupes[0]!r} is listed twice")


# ---------------------------------------------------------------------------------------------------------
# legal-basis.md


class LegalBasisDoc(PolicyDocument):
    kind: Literal["legal_basis"]
    gdpr_article_6: tuple[GdprPoint, ...]
    member_state_law: Text | None = None
    legitimate_interest_assessment: Text | None = None


# ---------------------------------------------------------------------------------------------------------
# transfers.md


class TransferGround(StrictModel):
    article: TransferArticle
    instrument: Text
    valid_from: Day
    valid_until: Day | None = None

    @model_validator(mode="after")
    def _order(self) -> TransferGround:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until: must not be before valid_from")
        return self

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class Recipient(StrictModel):
    name: ListedName
    type: RecipientType
    country: CountryCode
    grounds: tuple[TransferGround, ...] = ()
    #: Art. 7: the day the provider notified the Commission of this organisation (public-interest ones).
    notified_to_commission: Day | None = None
    #: The recipient itself is certified under the EU-US Data Privacy Framework (not the provider), and since when.
    dpf_certified: StrictBool = False
    dpf_certified_from: Day | None = None
    #: Last day of the certification when it lapsed or was withdrawn (null: still certified).
    dpf_certified_until: Day | None = None

    @model_validator(mode="after")
    def _dpf_date(self) -> Recipient:
        if self.dpf_certified and self.dpf_certified_from is None:
            raise ValueError(
                "dpf_certified_from: required when dpf_certified is true (the day the recipient's "
                "certification took effect)"
            )
        if not self.dpf_certified and (self.dpf_certified_from is not None or self.dpf_certified_until is not None):
            raise ValueError("dpf_certified_from: must be null when dpf_certified is false")
        if (
            self.dpf_certified_from is not None
            and self.dpf_certified_until is not None
            and self.dpf_certified_until < self.dpf_certified_from
        ):
            raise ValueError("dpf_certified_until: must not be before dpf_certified_from")
        return self


class TransfersDoc(PolicyDocument):
    kind: Literal["transfers"]
    recipients: tuple[Recipient, ...]

    @model_validator(mode="after")
    def _unique(self) -> TransfersDoc:
        _refuse_duplicates("recipients", [r.name for r in self.recipients])
        return self

    def recipient(self, name: str) -> Recipient | None:
        return next((r for r in self.recipients if r.name == name), None)


# ---------------------------------------------------------------------------------------------------------
# retention.md


class RetentionRule(StrictModel):
    data: RetainedData
    max_days: Days
    purposes: Annotated[tuple[RetentionPurpose, ...], Field(min_length=1)]


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

#: The longest display name of a technology (it heads a table and names a row).
DISPLAY_NAME_MAX: Final = 60
#: Characters a display name may not hold: it is printed as plain words, never as markup.
_MARKUP = frozenset("<>&`*[]")
#: The display name of a well-known technology id, used when measures.md gives no ``name``.
KNOWN_TECHNOLOGY_NAMES: Final[dict[str, str]] = {
    "photodna": "PhotoDNA",
    "csai_match": "CSAI Match",
    "new_csam_classifier": "classifier for new material",
    "grooming_classifier": "grooming classifier",
    "user_report": "user reports",
}


def _display_name(value: str) -> str:
    if len(value) > DISPLAY_NAME_MAX:
        raise ValueError(f"longer than {DISPLAY_NAME_MAX} characters ({len(value)})")
    bad = sorted(_MARKUP.intersection(value))
    if bad:
        raise ValueError(f"holds markup characters ({' '.join(bad)}): a display name is plain words")
    return " ".join(value.split())


DisplayName = Annotated[Text, AfterValidator(_display_name)]


def technology_display_name(tech_id: str, name: str | None = None) -> str:
    """What a reader sees for a technology: its ``name``, else the known name of its id, else the id in words."""
    if name:
        return name
    return KNOWN_TECHNOLOGY_NAMES.get(tech_id, tech_id.replace("_", " "))


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

    @model_validator(mode="after")
    def _unique_technologies(self) -> MeasuresDoc:
        _refuse_duplicates("technologies", [t.id for t in self.technologies])
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
