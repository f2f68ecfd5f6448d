"""provider.md: who files the report, for which services, who prepares it and who may sign it off."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictStr, model_validator

from csa_report.errors import InputError
from csa_report.names import ListedName, Name
from csa_report.policies.fields import (
    CountryCode,
    Day,
    Email,
    PolicyDocument,
    StrictModel,
    Text,
    Url,
    refuse_duplicates,
)
from csa_report.reference import open_question_ids


class SupervisoryAuthority(StrictModel):
    name: Name
    email: Email


class Contact(StrictModel):
    """The contact point for the report: named in its summary and in the submission e-mail, which the
    authority answers."""

    name: Name
    role: Text
    email: Email


class Dpo(StrictModel):
    """The provider's data protection officer (GDPR Art. 37), named in the submission e-mail."""

    name: Name
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


def _question_id(value: str) -> str:
    known = open_question_ids()
    if value not in known:
        raise ValueError(
            f"unknown open question {value!r}: expected one of {', '.join(sorted(known))} "
            "(the questions of csa_report/reference/regimes.yaml)"
        )
    return value


QuestionId = Annotated[StrictStr, AfterValidator(_question_id)]


class LegalPosition(StrictModel):
    """The provider's answer to one open question of the reference data, who took the position and when."""

    answer: Text
    by: Name
    date: Day


VolumeName = Literal["images", "videos", "other_files", "text_bytes", "metadata"]


class SigningKey(StrictModel):
    """A person's OpenSSH public key (the kind used to sign git commits): an approver's key makes the sign-off
    an SSH signature over manifest.json; the preparer's key is listed so that it can never approve."""

    name: ListedName
    key: Text

    @model_validator(mode="after")
    def _openssh(self) -> SigningKey:
        from csa_report.filing.sshsig import normalise_public_key

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
    #: The provider's positions on the open legal questions (reference data): question id → answer, by, date.
    legal_positions: dict[QuestionId, LegalPosition] = Field(default_factory=dict)

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
        refuse_duplicates("services", [s.name for s in self.services])
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
    from csa_report.filing.sshsig import normalise_public_key

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
