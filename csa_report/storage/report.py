"""A report's life in S3: staged (pending review), verified, archived under Object Lock, published.

Keys: ``{prefix}/{provider-slug}/{period-slug}/{report-id}/{artefact}`` in every location
(workflow.md step 4).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from csa_report.artefacts import REPORT_PDF
from csa_report.errors import InputError, IntegrityViolation, TamperedError
from csa_report.period import Period
from csa_report.storage.client import s3_errors
from csa_report.storage.objects import S3Store, StoredObject

log = logging.getLogger(__name__)

CONTENT_TYPES: Mapping[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
PUBLIC_ARTEFACTS = ("report.html", REPORT_PDF)
_REPORT_ID = re.compile(r"^[0-9a-f]{16}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def slugify(text: str) -> str:
    """``Example Communications Ireland Ltd`` → ``example-communications-ireland-ltd`` (ASCII, key-safe)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not slug:
        raise InputError(f"{text!r} gives an empty slug; use a name with letters or digits")
    return slug


def content_type_for(name: str) -> str:
    dot = name.rfind(".")
    return CONTENT_TYPES.get(name[dot:].lower() if dot >= 0 else "", "application/octet-stream")


@dataclass(frozen=True)
class ReportRef:
    """Which report: provider, period and report id (first 16 hex digits of the manifest's SHA-256)."""

    provider: str
    period: Period
    report_id: str

    def __post_init__(self) -> None:
        if not _REPORT_ID.match(self.report_id):
            raise InputError(f"report id {self.report_id!r} is not 16 lowercase hex digits")

    @property
    def path(self) -> str:
        """``{provider-slug}/{period-slug}/{report-id}``."""
        return f"{slugify(self.provider)}/{self.period.slug}/{self.report_id}"

    def folder(self, prefix: str) -> str:
        """``{prefix}/{provider-slug}/{period-slug}/{report-id}``."""
        head = prefix.strip("/")
        return f"{head}/{self.path}" if head else self.path

    def key(self, prefix: str, name: str) -> str:
        if not _NAME.match(name):
            raise InputError(f"artefact name {name!r} is not a plain file name")
        return f"{self.folder(prefix)}/{name}"


class ForeignArtefact(IntegrityViolation):
    """A file in the output folder is not the one this run rendered (exit 5): another run of the same provider
    and period wrote into the folder, or someone changed it. Named; nothing was staged."""


def rendered_artefacts(paths: Mapping[str, Path], report_id: str, manifest: str = "manifest.json") -> dict[str, bytes]:
    """The bytes to stage, read once into memory and checked before anything is written: the manifest is the
    one of ``report_id`` (its SHA-256 begins with it) and every other file has the SHA-256 that manifest lists,
    and no file is missing or extra. A foreign or stale file raises ForeignArtefact naming it, so a crossed run
    never puts a byte into the staging area."""
    files = {name: Path(path).read_bytes() for name, path in sorted(paths.items())}
    if manifest not in files:
        raise ForeignArtefact(f"no {manifest} among the rendered files of report {report_id}; nothing was staged")
    manifest_sha = hashlib.sha256(files[manifest]).hexdigest()
    if not manifest_sha.startswith(report_id):
        raise ForeignArtefact(
            f"{paths[manifest]} is not the manifest of report {report_id} (its SHA-256 is {manifest_sha[:16]}…): "
            "another run wrote into the same folder, or it was changed; nothing was staged. Give each run its "
            "own --out folder and run again"
        )
    try:
        listed = {name: str(entry["sha256"]) for name, entry in json.loads(files[manifest])["artefacts"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ForeignArtefact(f"{paths[manifest]} lists no artefacts with their SHA-256; nothing was staged") from None
    others = sorted(set(files) - {manifest})
    if others != sorted(listed):
        raise ForeignArtefact(
            f"the files of report {report_id} ({', '.join(others)}) are not the ones its manifest lists "
            f"({', '.join(sorted(listed))}); nothing was staged"
        )
    for name in others:
        actual = hashlib.sha256(files[name]).hexdigest()
        if actual != listed[name]:
            raise ForeignArtefact(
                f"{paths[name]} is not the {name} of report {report_id} (SHA-256 {actual[:16]}…, the manifest "
                f"lists {listed[name][:16]}…): another run wrote into the same folder, or it was changed; "
                "nothing was staged. Give each run its own --out folder and run again"
            )
    return files


def stage(
    store: S3Store, artefacts: Mapping[str, bytes], *, bucket: str, prefix: str, ref: ReportRef
) -> list[StoredObject]:
    """Upload every artefact create-only with its SHA-256 (sorted by name). Re-staging the same bytes is a
    no-op returning the stored versions; different bytes raise StorageConflict."""
    staged = [
        store.put_create_only(bucket, ref.key(prefix, name), artefacts[name], content_type_for(name))
        for name in sorted(artefacts)
    ]
    log.info(
        "staged %d artefacts of report %s under s3://%s/%s/", len(staged), ref.report_id, bucket, ref.folder(prefix)
    )
    return staged


def review_links(store: S3Store, objects: Iterable[StoredObject], seconds: int) -> dict[str, str]:
    """Time-limited presigned GET links to exactly the staged versions, by artefact name. The links are
    bearer credentials: they are returned, never logged."""
    links: dict[str, str] = {}
    for obj in sorted(objects, key=lambda o: o.key):
        params: dict[str, str] = {"Bucket": obj.bucket, "Key": obj.key}
        if obj.version_id:
            params["VersionId"] = obj.version_id
        with s3_errors(store.client, "presign", obj.bucket, obj.key):  # no credentials: one clear error
            links[obj.name] = store.client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
        log.info("review link made for %s version=%s, valid %d s", obj.uri, obj.version_id, seconds)
    return links


def verify_staged(store: S3Store, objects: Sequence[StoredObject]) -> dict[str, bytes]:
    """Check that every object is still exactly the staged (signed) version and return the bytes by artefact
    name. Any change raises TamperedError naming the key (never the content): the recorded version deleted or
    overwritten by a newer version, or its bytes not matching the recorded SHA-256."""
    names = [o.name for o in objects]
    if len(set(names)) != len(names):
        raise TamperedError("the staged objects name the same artefact twice")
    contents: dict[str, bytes] = {}
    for obj in objects:
        latest = store.head(obj.bucket, obj.key)
        if latest is None:
            raise TamperedError(f"{obj.uri} was deleted after staging (version {obj.version_id})")
        if latest.version_id != obj.version_id or latest.sha256_hex != obj.sha256_hex:
            raise TamperedError(
                f"{obj.uri} was changed after staging: the current version {latest.version_id} (SHA-256 "
                f"{latest.sha256_hex[:16]}…) is not the staged version {obj.version_id} ({obj.sha256_hex[:16]}…)"
            )
        contents[obj.name] = store.read_verified(obj)
    return contents


def archive_key(obj: StoredObject, archive_prefix: str) -> str:
    """The archive key: the archive prefix + the staged key's ``{provider}/{period}/{report-id}/{name}``."""
    parts = obj.key.split("/")
    if len(parts) < 4:
        raise InputError(f"{obj.uri} is not a staged report key (prefix/provider/period/report-id/name)")
    head = archive_prefix.strip("/")
    tail = "/".join(parts[-4:])
    return f"{head}/{tail}" if head else tail


def archive(
    store: S3Store,
    objects: Sequence[StoredObject],
    archive_bucket: str,
    archive_prefix: str,
    contents: Mapping[str, bytes] | None = None,
) -> list[StoredObject]:
    """Copy exactly the given versions into the Object-Lock bucket: GET by version id (or the already
    verified ``contents``), check SHA-256, create-only PUT (not CopyObject, which loses the lock on
    SeaweedFS). Idempotent. Returns the archived versions with their retention from HEAD."""
    archived: list[StoredObject] = []
    for obj in objects:
        data = _bytes_of(store, obj, contents)
        stored = store.put_create_only(
            archive_bucket,
            archive_key(obj, archive_prefix),
            data,
            obj.content_type or content_type_for(obj.name),
        )
        log.info(
            "archived %s version=%s → %s version=%s sha256=%s lock=%s until %s",
            obj.uri,
            obj.version_id,
            stored.uri,
            stored.version_id,
            stored.sha256_hex,
            stored.lock_mode,
            stored.retain_until,
        )
        archived.append(stored)
    return archived


def _bytes_of(store: S3Store, obj: StoredObject, contents: Mapping[str, bytes] | None) -> bytes:
    """The already verified bytes when given (checked again, cheaply), else a verified read by version id."""
    if contents is None or obj.name not in contents:
        return store.read_verified(obj)
    data = contents[obj.name]
    if hashlib.sha256(data).hexdigest() != obj.sha256_hex:
        raise TamperedError(f"the bytes given for {obj.uri} do not match its recorded SHA-256")
    return data


@dataclass(frozen=True)
class Publication:
    url: str
    objects: tuple[StoredObject, ...]


def publish(
    store: S3Store,
    objects: Sequence[StoredObject],
    *,
    bucket: str,
    prefix: str,
    contents: Mapping[str, bytes] | None = None,
    public_base_url: str | None = None,
) -> Publication:
    """Copy the public artefacts (HTML and PDF) create-only to the publication location; returns the URL of
    the HTML (``public_base_url`` + key, or the path-style S3 URL)."""
    public = [o for o in objects if o.name in PUBLIC_ARTEFACTS]
    missing = sorted(set(PUBLIC_ARTEFACTS) - {o.name for o in public})
    if missing:
        raise InputError(f"cannot publish: {', '.join(missing)} not among the report's objects")
    published: list[StoredObject] = []
    for obj in sorted(public, key=lambda o: o.name):
        data = _bytes_of(store, obj, contents)
        published.append(store.put_create_only(bucket, archive_key(obj, prefix), data, content_type_for(obj.name)))
    html = next(o for o in published if o.name == "report.html")
    base = (public_base_url or f"{store.endpoint.rstrip('/')}/{bucket}").rstrip("/")
    url = f"{base}/{quote(html.key)}"
    log.info("published report at %s (s3://%s/%s version=%s)", url, bucket, html.key, html.version_id)
    return Publication(url=url, objects=tuple(published))
