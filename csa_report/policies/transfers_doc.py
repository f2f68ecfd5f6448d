"""transfers.md (policies.md §1): the organisations that receive data and the transfer grounds that cover them.

Re-exported by csa_report.policies.models, where callers import it from.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import StrictBool, model_validator

from csa_report.names import ListedName
from csa_report.policies.fields import (
    CountryCode,
    Day,
    PolicyDocument,
    RecipientType,
    StrictModel,
    Text,
    TransferArticle,
    refuse_duplicates,
)

__all__ = ["Recipient", "TransferGround", "TransfersDoc"]


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
    #: What the recipient receives data for, as section 3 states it beside the ground.
    purpose: Text | None = None
    #: The provider's internal note (why it is listed, what the checks must stop); never printed in a report.
    note: Text | None = None
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
        refuse_duplicates("recipients", [r.name for r in self.recipients])
        return self

    def recipient(self, name: str) -> Recipient | None:
        return next((r for r in self.recipients if r.name == name), None)
