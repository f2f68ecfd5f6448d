"""Two runs of one provider and period with different as-of share an output folder: each stages only its own
bytes, checked against its own manifest before the first write; a foreign file is an error naming it and leaves
the staging area untouched; the signature goes under Object Lock only once the staged bytes are verified.
Against the session's real SeaweedFS."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from csa_report.errors import TamperedError
from csa_report.render import RenderResult
from csa_report.services import Services, bound
from csa_report.settings import Settings
from csa_report.storage import ForeignArtefact, S3Store
from csa_report.tasks.filing import store_signature
from csa_report.tasks.stage import stage_artefacts
from tests.support.storage import PERIOD, PROVIDER, FakeReport, make_report


def _render(report: FakeReport, folder: Path) -> RenderResult:
    """What render returns for ``report`` written into ``folder`` (the shared output folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in report.artefacts.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in report.artefacts.items()}
    return RenderResult(folder, paths, sha, report.ref.report_id)


def _keys(settings: Settings, bucket: str, prefix: str) -> list[str]:
    client = S3Store.from_settings(settings).client
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


@pytest.mark.parametrize("crossed", ["report.pdf", "manifest.json"])
def test_a_crossed_file_is_named_and_nothing_is_staged(settings: Settings, tmp_path: Path, crossed: str) -> None:
    shared = tmp_path / "csa-output" / "example" / "2025"
    first, second = make_report("as-of-2026-01-15"), make_report("as-of-2026-02-01")
    mine = _render(first, shared)
    _render(second, shared)  # the second run renders into the same folder before the first one stages
    for name in set(first.artefacts) - {crossed}:  # only ``crossed`` stays the second run's
        (shared / name).write_bytes(first.artefacts[name])
    with bound(Services(settings)), pytest.raises(ForeignArtefact) as info:
        stage_artefacts(mine, PROVIDER, str(PERIOD))
    text = str(info.value)
    assert info.value.exit_code == 5
    assert f"{shared / crossed} is not the" in text and first.ref.report_id in text
    assert "nothing was staged" in text
    assert _keys(settings, settings.staging_bucket, settings.staging_prefix) == []

    # The folder put right (the first run's own bytes again): it stages exactly its six files.
    _render(first, shared)
    with bound(Services(settings)):
        staged = stage_artefacts(mine, PROVIDER, str(PERIOD))
    assert staged.report_id == first.ref.report_id
    assert {o.name: o.sha256_hex for o in staged.objects} == mine.sha256
    assert len(_keys(settings, settings.staging_bucket, settings.staging_prefix)) == 6


def test_an_extra_file_is_refused(settings: Settings, tmp_path: Path) -> None:
    report = make_report()
    rendered = _render(report, tmp_path / "out")
    (tmp_path / "out" / "notes.txt").write_bytes(b"left over")
    rendered.paths["notes.txt"] = tmp_path / "out" / "notes.txt"
    with bound(Services(settings)), pytest.raises(ForeignArtefact, match="not the ones its manifest lists"):
        stage_artefacts(rendered, PROVIDER, str(PERIOD))
    assert _keys(settings, settings.staging_bucket, settings.staging_prefix) == []


def test_signature_archived_only_after_the_staged_bytes_verified(settings: Settings, tmp_path: Path) -> None:
    report = make_report()
    with bound(Services(settings, migrate_audit=True)):
        staged = stage_artefacts(_render(report, tmp_path / "out"), PROVIDER, str(PERIOD))
        pdf = next(o for o in staged.objects if o.name == "report.pdf")
        S3Store.from_settings(settings).client.put_object(Bucket=pdf.bucket, Key=pdf.key, Body=b"%PDF-1.7 forged")
        with pytest.raises(TamperedError, match="was changed after staging"):
            store_signature.fn(staged, "-----BEGIN SSH SIGNATURE-----\nx\n-----END SSH SIGNATURE-----\n")
    assert _keys(settings, settings.archive_bucket, settings.archive_prefix) == []
    assert not any(k.endswith(".sig") for k in _keys(settings, settings.staging_bucket, settings.staging_prefix))
