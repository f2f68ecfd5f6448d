"""Signed sign-off: real ssh-keygen keys, real signatures, every way a signature must be refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from csa_report.sshsig import SignatureRefused, fingerprint, normalise_signature, sign, verify
from tests.integrity.keys import Key, make_key, ssh_keygen_verify

MANIFEST = b'{"artefacts": {}, "schema": "csa-report/manifest/1"}\n'


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Key]:
    folder = tmp_path_factory.mktemp("keys")
    return {name: make_key(folder, name) for name in ("dara", "reviewer", "preparer", "stranger")}


def approvers(keys: dict[str, Key]) -> dict[str, str]:
    return {"Dara Kelly": keys["dara"].public, "demo-reviewer": keys["reviewer"].public}


def test_signature_verifies_and_names_the_key_owner(keys: dict[str, Key], tmp_path: Path) -> None:
    sig = sign(MANIFEST, keys["dara"].private)
    assert sig.startswith("-----BEGIN SSH SIGNATURE-----\n")
    found = verify(MANIFEST, sig, approvers=approvers(keys), preparer_keys={"Aoife Byrne": keys["preparer"].public})
    assert found.signer == "Dara Kelly"
    assert found.fingerprint == keys["dara"].fingerprint == fingerprint(keys["dara"].public)
    # What the audit DB keeps verifies with OpenSSH alone.
    assert ssh_keygen_verify(tmp_path, MANIFEST, found.signature, "dara", keys["dara"].public) == 0


def test_a_pasted_signature_with_joined_lines_still_verifies(keys: dict[str, Key]) -> None:
    sig = sign(MANIFEST, keys["reviewer"].private)
    pasted = "  " + " ".join(sig.split("\n")) + "  "
    assert normalise_signature(pasted) == sig
    assert verify(MANIFEST, pasted, approvers=approvers(keys)).signer == "demo-reviewer"


@pytest.mark.parametrize(("case", "reason"), [
    ("other-bytes", "does not verify over this manifest.json"),
    ("stranger", "not among the approvers' keys"),
    ("preparer", "prepared this report"),
    ("truncated", "cannot be read|does not verify"),
    ("cut-short", "cannot be read|not among"),
    ("garbage", "not an SSH signature"),
    ("other-namespace", "does not verify"),
])
def test_refused(keys: dict[str, Key], tmp_path: Path, case: str, reason: str) -> None:
    if case == "other-bytes":
        sig = sign(MANIFEST + b" ", keys["dara"].private)
    elif case == "stranger":
        sig = sign(MANIFEST, keys["stranger"].private)
    elif case == "preparer":
        sig = sign(MANIFEST, keys["preparer"].private)
    elif case == "truncated":
        full = sign(MANIFEST, keys["dara"].private).splitlines()
        sig = "\n".join([*full[:3], full[-1]]) + "\n"
    elif case == "cut-short":
        full = sign(MANIFEST, keys["dara"].private)
        sig = full[:60] + "\n-----END SSH SIGNATURE-----\n"
    elif case == "garbage":
        sig = "0" * 64
    else:
        (tmp_path / "m.json").write_bytes(MANIFEST)
        subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", str(keys["dara"].private),
                        str(tmp_path / "m.json")], check=True)
        sig = (tmp_path / "m.json.sig").read_text()
    with pytest.raises(SignatureRefused, match=reason):
        verify(MANIFEST, sig, approvers=approvers(keys), preparer_keys={"Aoife Byrne": keys["preparer"].public})
