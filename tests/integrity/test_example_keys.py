"""The example policies sign off with keys: the published example keys of policies/example-keys, the demo's
throwaway key for demo-reviewer beside them, and the preparer's example key refused."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from csa_report.commands.demo import demo_key, demo_policies
from csa_report.errors import InputError
from csa_report.filing.approval import command_line_approval
from csa_report.filing.sshsig import SignatureRefused, sign, verify
from csa_report.policies import load_policies
from tests.integrity.keys import ssh_keygen_verify
from tests.support.example_policies import (
    EXAMPLE_KEYS,
    EXAMPLE_POLICIES,
    example_private_key,
    provider_versions,
    unsigned_example,
)

MANIFEST = b'{"artefacts": {}, "schema": "csa-report/manifest/1"}\n'


def ssh_fingerprint(public_file: Path) -> str:
    return subprocess.run(
        ["ssh-keygen", "-l", "-f", str(public_file)], capture_output=True, text=True, check=True
    ).stdout.split()[1]


def test_every_version_of_the_example_provider_lists_the_published_keys(tmp_path: Path) -> None:
    for provider in provider_versions(EXAMPLE_POLICIES):
        text = provider.read_text()
        for name, file in (("Dara Kelly", "dara-kelly"), ("Aoife Byrne", "aoife-byrne")):
            public = " ".join((EXAMPLE_KEYS / f"{file}.pub").read_text().split()[:2])
            assert f"- name: {name}" in text and public in text, (provider, name)
    p = load_policies(EXAMPLE_POLICIES)
    assert sorted(p.provider.approver_keys()) == ["Dara Kelly"]
    assert sorted(p.provider.preparer_keys()) == ["Aoife Byrne"]
    # The shipped pairs match: the public key in provider.md is the one ssh-keygen derives from the private file.
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(example_private_key(tmp_path))], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert derived in p.provider.approver_keys()["Dara Kelly"]


def test_the_example_approver_signs_and_the_example_preparer_is_refused(tmp_path: Path) -> None:
    p = load_policies(EXAMPLE_POLICIES).provider
    found = verify(
        MANIFEST,
        sign(MANIFEST, example_private_key(tmp_path, "dara-kelly")),
        approvers=p.approver_keys(),
        preparer_keys=p.preparer_keys(),
    )
    assert found.signer == "Dara Kelly"
    assert found.fingerprint == ssh_fingerprint(EXAMPLE_KEYS / "dara-kelly.pub")
    assert (
        ssh_keygen_verify(
            tmp_path,
            MANIFEST,
            found.signature,
            "dara.kelly@example.ie",
            (EXAMPLE_KEYS / "dara-kelly.pub").read_text().strip(),
        )
        == 0
    )
    with pytest.raises(SignatureRefused, match="key of Aoife Byrne, who prepared this report"):
        verify(
            MANIFEST,
            sign(MANIFEST, example_private_key(tmp_path, "aoife-byrne")),
            approvers=p.approver_keys(),
            preparer_keys=p.preparer_keys(),
        )


def test_a_checked_out_key_readable_by_all_is_named_with_the_fix(tmp_path: Path) -> None:
    key = example_private_key(tmp_path)
    key.chmod(0o644)  # what a git checkout leaves
    with pytest.raises(InputError, match=r"mode 0644.*chmod 600"):
        sign(MANIFEST, key)


def test_up_front_approval_with_the_example_needs_the_key(tmp_path: Path) -> None:
    policies = load_policies(EXAMPLE_POLICIES)
    at = datetime(2026, 1, 10, 9, 0)
    with pytest.raises(InputError, match="must be signed"):
        command_line_approval("Dara Kelly", policies, "r1", "ab" * 32, 1, decided_at=at, manifest=MANIFEST)
    record = command_line_approval(
        " dara  KELLY ",
        policies,
        "r1",
        "ab" * 32,
        1,
        decided_at=at,
        manifest=MANIFEST,
        approve_key=str(example_private_key(tmp_path)),
    )
    assert (record.reviewer, record.key_fingerprint) == ("Dara Kelly", ssh_fingerprint(EXAMPLE_KEYS / "dara-kelly.pub"))
    # The unsigned copy the typed-form tests use: the typed name alone, recorded canonically.
    typed = command_line_approval(
        " dara  KELLY ", load_policies(unsigned_example()), "r1", "ab" * 32, 1, decided_at=at, manifest=MANIFEST
    )
    assert (typed.reviewer, typed.signature) == ("Dara Kelly", None)


def test_the_demo_adds_its_throwaway_reviewer_key_beside_the_example_keys(tmp_path: Path) -> None:
    key = demo_key(tmp_path)
    folder = demo_policies(tmp_path, key)
    folder = demo_policies(tmp_path, key)  # a second demo in the same folder: still one entry for demo-reviewer
    for provider in provider_versions(folder):
        assert provider.read_text().count("- name: demo-reviewer") == 1, provider
    p = load_policies(folder).provider
    assert sorted(p.approver_keys()) == ["Dara Kelly", "demo-reviewer"]
    assert sorted(p.preparer_keys()) == ["Aoife Byrne"]
    found = verify(MANIFEST, sign(MANIFEST, key), approvers=p.approver_keys(), preparer_keys=p.preparer_keys())
    assert (found.signer, found.fingerprint) == ("demo-reviewer", ssh_fingerprint(Path(f"{key}.pub")))
    assert (
        verify(MANIFEST, sign(MANIFEST, example_private_key(tmp_path)), approvers=p.approver_keys()).signer
        == "Dara Kelly"
    )
