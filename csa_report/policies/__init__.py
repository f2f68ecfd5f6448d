"""Policy documents (policies.md §1): models and the folder loader."""

from __future__ import annotations

from csa_report.policies.loader import load_policies
from csa_report.policies.models import (
    CategoryMeasures,
    LegalBasisDoc,
    MeasuresDoc,
    NotApplicable,
    PolicyDocument,
    PolicySet,
    ProviderDoc,
    Recipient,
    RetentionDoc,
    TransferGround,
    TransfersDoc,
)

__all__ = [
    "CategoryMeasures",
    "LegalBasisDoc",
    "MeasuresDoc",
    "NotApplicable",
    "PolicyDocument",
    "PolicySet",
    "ProviderDoc",
    "Recipient",
    "RetentionDoc",
    "TransferGround",
    "TransfersDoc",
    "load_policies",
]
