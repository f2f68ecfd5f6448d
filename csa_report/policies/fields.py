"""Building blocks of the policy documents' models: the field types (texts, dates, codes, e-mail addresses), the
closed vocabularies (GDPR points, transfer articles, retained data, purposes) and the base classes every document
and nested structure derives from (csa_report.policies.models assembles the documents).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Final, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, Strict, StrictInt, StrictStr

from csa_report.reference import country_codes


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


def refuse_duplicates(field: str, names: list[str]) -> None:
    """A name listed twice is a typo or a copy-paste slip; name the first one (alphabetically)."""
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{field}: {dupes[0]!r} is listed twice")
