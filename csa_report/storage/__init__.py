"""S3 staging, verification, WORM archive and publication (boto3). See docs/storage.md."""

from __future__ import annotations

from csa_report.storage.client import StorageRefused, make_client, s3_errors
from csa_report.storage.objects import S3Store, StoredObject
from csa_report.storage.report import (
    CONTENT_TYPES,
    ForeignArtefact,
    Publication,
    ReportRef,
    archive,
    archive_key,
    content_type_for,
    publish,
    rendered_artefacts,
    review_links,
    slugify,
    stage,
    verify_staged,
)

__all__ = [
    "CONTENT_TYPES",
    "ForeignArtefact",
    "Publication",
    "ReportRef",
    "S3Store",
    "StorageRefused",
    "StoredObject",
    "archive",
    "archive_key",
    "content_type_for",
    "make_client",
    "publish",
    "rendered_artefacts",
    "review_links",
    "s3_errors",
    "slugify",
    "stage",
    "verify_staged",
]
