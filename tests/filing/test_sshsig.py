"""Signed sign-off: real ssh-keygen keys, real signatures, every way a signature must be refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from csa_report.filing.sshsig import REJECT_NAMESPACE, SignatureRefused, fingerprint, normalise_signature, sign, verify
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


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("other-bytes", "does not verify over this manifest.json"),
        ("stranger", "not among the approvers' keys"),
        ("preparer", "prepared this report"),
        ("truncated", "cannot be read|does not verify"),
        ("cut-short", "cannot be read|not among"),
        ("garbage", "not an SSH signature"),
        ("other-namespace", "does not verify"),
    ],
)
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
        subprocess.run(
            ["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", str(keys["dara"].private), str(tmp_path / "m.json")],
            check=True,
        )
        sig = (tmp_path / "m.json.sig").read_text()
    with pytest.raises(SignatureRefused, match=reason):
        verify(MANIFEST, sig, approvers=approvers(keys), preparer_keys={"Aoife Byrne": keys["preparer"].public})


def test_a_signature_counts_only_for_the_decision_it_was_made_for(keys: dict[str, Key]) -> None:
    """A rejection's signature (kept in the audit DB, readable by others) must not approve the same manifest,
    nor an approval's reject it: the decision is bound by the namespace."""
    rejection = sign(MANIFEST, keys["dara"].private, REJECT_NAMESPACE)
    approval = sign(MANIFEST, keys["dara"].private)
    assert verify(MANIFEST, rejection, approvers=approvers(keys), namespace=REJECT_NAMESPACE).signer == "Dara Kelly"
    with pytest.raises(SignatureRefused) as refused:
        verify(MANIFEST, rejection, approvers=approvers(keys))
    assert str(refused.value) == "this is a rejection signature; an approval is signed with -n csa-report"
    assert refused.value.signer == "Dara Kelly"
    with pytest.raises(SignatureRefused) as refused:
        verify(MANIFEST, approval, approvers=approvers(keys), namespace=REJECT_NAMESPACE)
    assert str(refused.value) == "this is an approval signature; a rejection is signed with -n csa-report-reject"


@pytest.mark.parametrize(
    ("case", "signer"), [("stranger", None), ("preparer", "Aoife Byrne"), ("other-bytes", "Dara Kelly")]
)
def test_a_refusal_names_the_key_owner_only_when_the_key_is_known(
    keys: dict[str, Key], case: str, signer: str | None
) -> None:
    data = MANIFEST + b" " if case == "other-bytes" else MANIFEST
    sig = sign(data, keys["dara" if case == "other-bytes" else case].private)
    with pytest.raises(SignatureRefused) as refused:
        verify(MANIFEST, sig, approvers=approvers(keys), preparer_keys={"Aoife Byrne": keys["preparer"].public})
    assert refused.value.signer == signer
