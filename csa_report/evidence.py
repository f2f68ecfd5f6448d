"""The evidence pack: what an auditor asks for about one reporting period, from the audit database and the
archive alone (``csa-report evidence --period P --out DIR``; ``csa-report status --json`` prints its runs).

For every run of the period: its outcome, findings, sign-offs (who, key fingerprint, the signature and the
command that verifies it) and deliveries (recipient, Message-ID, first attempt, accepted at, attempts of that
run); the filing chain (first filing, corrections and their reasons); and, per filed report, the archived
objects with their version ids and retention, copied out of the archive by version id and checked against the
recorded SHA-256. ``README.md`` walks the auditor through checking the copies with standard tools only:
``sha256sum``, ``ssh-keygen -Y verify`` and ``pyhanko sign validate``. Equal inputs give equal bytes (no clock).
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from csa_report.artefacts import MANIFEST, MANIFEST_SIG, SEALED_PDF
from csa_report.audit import AuditLog, RunSummary
from csa_report.audit.log import DeliveryEventRecord, FilingEntry
from csa_report.errors import InputError, IntegrityViolation
from csa_report.evidence_readme import readme
from csa_report.period import Period, format_instant
from csa_report.storage.objects import S3Store, StoredObject

__all__ = ["PackReport", "evidence", "run_entries", "signer_key", "write_pack"]

#: The namespaces of an approval's and a rejection's signature (csa_report.filing.sshsig).
NAMESPACES = {"approve": "csa-report", "reject": "csa-report-reject"}
#: The allowed_signers principal of a report folder: names may hold spaces, which that format cannot.
PRINCIPAL = "approver"
CLAIMS = ("claimed", "resend")
ACCEPTED = ("accepted", "sent", "confirmed")


def _at(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)


def signer_key(armoured: str) -> str:
    """The OpenSSH public key (``type base64``) embedded in an armoured SSH signature (PROTOCOL.sshsig: the
    blob starts ``SSHSIG``, a version, then the signer's public key as an SSH string)."""
    body = "".join(line for line in armoured.strip().splitlines() if not line.startswith("-----"))
    blob = base64.b64decode(body)
    if blob[:6] != b"SSHSIG":
        raise InputError("a recorded sign-off signature is not an SSH signature")
    (length,) = struct.unpack(">I", blob[10:14])
    key = blob[14 : 14 + length]
    (type_length,) = struct.unpack(">I", key[:4])
    return f"{key[4 : 4 + type_length].decode('ascii')} {base64.b64encode(key).decode('ascii')}"


def fingerprint_of(public_key: str) -> str:
    """``SHA256:…`` as ``ssh-keygen -l`` prints it."""
    digest = hashlib.sha256(base64.b64decode(public_key.split()[1])).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _deliveries(run: RunSummary, events: Sequence[DeliveryEventRecord], until: datetime | None) -> list[Any]:
    """Each delivery of the run's report, with the attempts made while this run was the latest of its report
    (claims from its start to the next run's start), not the sum over every run of the report."""
    out = []
    for d in run.deliveries:
        mine = [e for e in events if e.recipient == d.recipient]
        in_run = [e for e in mine if e.at >= run.created_at and (until is None or e.at < until)]
        first = next((e.at for e in mine if e.event in CLAIMS), None)
        accepted = next((e.at for e in mine if e.event in ACCEPTED), None)
        out.append(
            {
                "recipient": d.recipient,
                "role": d.role,
                "channel": d.channel,
                "status": d.status,
                "message_id": d.message_id,
                "first_attempt": _at(first),
                "accepted_at": _at(accepted),
                "attempts_this_run": sum(1 for e in in_run if e.event in CLAIMS),
                "detail": d.detail,
            }
        )
    return out


def run_entries(audit: AuditLog, period: Period | str | None) -> list[dict[str, Any]]:
    """Every run (of ``period``, or all), oldest first, as plain data: outcome, findings, sign-offs,
    deliveries with per-run attempts, and the filing each run's report holds in the chain (if any)."""
    runs = audit.status(period)
    chains = {(f.provider, f.period, f.report_id): f for f in _chains(audit, runs)}
    successors = {(f.provider, f.period, f.supersedes or ""): f.report_id for f in chains.values() if f.supersedes}
    events: dict[str, list[DeliveryEventRecord]] = {}
    entries = []
    for i, r in enumerate(runs):
        later = [x for x in runs[i + 1 :] if x.report_id == r.report_id and x.report_id is not None]
        if r.report_id and r.report_id not in events:
            events[r.report_id] = audit.delivery_events(r.report_id)
        filing = chains.get((r.provider, r.period, r.report_id or ""))
        entries.append(
            {
                "run_id": r.run_id,
                "provider": r.provider,
                "period": r.period,
                "as_of": _at(r.as_of),
                "outcome": r.status,
                "started_at": _at(r.created_at),
                "updated_at": _at(r.updated_at),
                "report_id": r.report_id,
                "manifest_sha256": r.manifest_sha256,
                "flow_run_id": r.flow_run_id,
                "publication_url": r.publication_url,
                "filing": None
                if filing is None
                else {
                    "seq": filing.seq,
                    "kind": "correction" if filing.supersedes else "first filing",
                    "supersedes": filing.supersedes,
                    "reason": filing.reason,
                    "superseded_by": successors.get((r.provider, r.period, r.report_id or "")),
                },
                "findings": [
                    {"rule": f.rule, "severity": f.severity, "count": f.count, "waived_by": f.waived_by}
                    for f in r.findings
                ],
                "signoffs": [
                    {
                        "decision": s.decision,
                        "reviewer": s.reviewer,
                        "automatic": s.automatic,
                        "decided_at": _at(s.decided_at),
                        "manifest_sha256": s.manifest_sha256,
                        "refused_reason": s.refused_reason,
                        "key_fingerprint": s.key_fingerprint,
                        "signed": s.signature is not None,
                    }
                    for s in r.signoffs
                ],
                "deliveries": _deliveries(r, events.get(r.report_id or "", []), later[0].created_at if later else None),
            }
        )
    return entries


def _chains(audit: AuditLog, runs: Sequence[RunSummary]) -> list[FilingEntry]:
    return [f for p in sorted({r.period for r in runs}) for f in audit.filing_chain(p)]


@dataclass(frozen=True)
class PackReport:
    """A filed report's folder in the pack: its id and the files copied out of the archive."""

    report_id: str
    folder: Path
    files: tuple[str, ...]


def _object_entry(obj: StoredObject, current: StoredObject | None) -> dict[str, Any]:
    return {
        "bucket": obj.bucket,
        "key": obj.key,
        "version_id": obj.version_id,
        "sha256": obj.sha256_hex,
        "size": obj.size,
        "lock_mode": obj.lock_mode,
        "retain_until": _at(obj.retain_until),
        "archive_now": None
        if current is None
        else {"lock_mode": current.lock_mode, "retain_until": _at(current.retain_until)},
    }


def _copy_report(audit: AuditLog, store: S3Store, filing: FilingEntry, folder: Path) -> dict[str, Any]:
    """Copy the filed report's archived versions into ``folder`` (each checked against its recorded SHA-256),
    with SHA256SUMS for ``sha256sum -c`` and, for a signed approval, the signer's key as allowed_signers."""
    archived = audit.stored_objects(filing.report_id, "archive")
    if not archived:
        raise IntegrityViolation(f"report {filing.report_id} is filed but the audit DB records no archived object")
    folder.mkdir(parents=True, exist_ok=True)
    contents: dict[str, bytes] = {}
    objects = []
    for obj in archived:
        contents[obj.name] = store.read_verified(obj)  # a changed archive copy is exit 5, naming the key
        (folder / obj.name).write_bytes(contents[obj.name])
        objects.append(_object_entry(obj, store.head(obj.bucket, obj.key, obj.version_id)))
    manifest = contents.get(MANIFEST)
    if manifest is None or hashlib.sha256(manifest).hexdigest() != filing.manifest_sha256:
        raise IntegrityViolation(f"the archived manifest.json of report {filing.report_id} is not the filed one")
    listed = json.loads(manifest)["artefacts"]
    sums = [f"{v['sha256']}  {name}" for name, v in sorted(listed.items())]
    sums.append(f"{filing.manifest_sha256}  manifest.json")
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", "utf-8")
    signature = contents.get(MANIFEST_SIG)
    signer = None
    if signature is not None:
        key = signer_key(signature.decode("ascii"))
        both = ",".join(NAMESPACES.values())
        (folder / "allowed_signers").write_text(f'{PRINCIPAL} namespaces="{both}" {key}\n', "ascii")
        (folder / "signer.pub").write_text(key + "\n", "ascii")
        signer = {"public_key": key, "fingerprint": fingerprint_of(key)}
    return {
        "report_id": filing.report_id,
        "folder": folder.name,
        "objects": objects,
        "signature": signer,
        "sealed": SEALED_PDF in contents,
        "publication": [_object_entry(o, None) for o in audit.stored_objects(filing.report_id, "publication")],
    }


def evidence(audit: AuditLog, store: S3Store, period: Period, out: Path) -> dict[str, Any]:
    """Gather the period's evidence into ``out`` (created; must be empty or absent) and return evidence.json's
    content. Raises InputError when nothing is recorded for the period."""
    runs = run_entries(audit, period)
    chain = audit.filing_chain(period)
    if not runs:
        raise InputError(f"no run of the period {period} is recorded in {audit.what}")
    reports = out / "reports"
    filed = [_copy_report(audit, store, f, reports / f.report_id) for f in chain]
    for entry in runs:
        for s in entry["signoffs"]:
            s["verify"] = None
            report = next((f for f in filed if f["report_id"] == entry["report_id"]), None)
            if s["signed"] and report is not None and report["signature"] is not None and s["decision"] == "approve":
                if not s["refused_reason"] and s["key_fingerprint"] == report["signature"]["fingerprint"]:
                    s["signature_file"] = f"reports/{entry['report_id']}/manifest.json.sig"
                    s["verify"] = verify_command(entry["report_id"], s["decision"])
    return {
        "period": str(period),
        "runs": runs,
        "filings": [
            {
                "provider": f.provider,
                "seq": f.seq,
                "report_id": f.report_id,
                "manifest_sha256": f.manifest_sha256,
                "supersedes": f.supersedes,
                "reason": f.reason,
                "status": f.status,
                "run_id": f.run_id,
                "filed_at": _at(f.updated_at),
            }
            for f in chain
        ],
        "reports": filed,
    }


def verify_command(report_id: str, decision: str = "approve") -> str:
    folder = f"reports/{report_id}"
    return (
        f"ssh-keygen -Y verify -f {folder}/allowed_signers -I {PRINCIPAL} -n {NAMESPACES[decision]} "
        f"-s {folder}/manifest.json.sig < {folder}/manifest.json"
    )


def write_pack(audit: AuditLog, store: S3Store, period: Period, out: Path) -> Path:
    """Write the evidence pack of ``period`` into ``out`` (absent or empty): evidence.json, README.md and
    reports/<report id>/ with the archived copies. Returns the README's path."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"--out {out} is not an empty folder: the pack is written into a new or empty one")
    data = evidence(audit, store, period, out)
    (out / "evidence.json").write_text(json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n", "utf-8")
    path = out / "README.md"
    path.write_text(readme(data, verify_command), "utf-8")
    return path
