"""SSH signatures over manifest.json: the signed sign-off (``ssh-keygen -Y sign -n csa-report``).

An approval is an OpenSSH signature (the armoured ``-----BEGIN SSH SIGNATURE-----`` block git uses for signed
commits) over the exact manifest bytes, in the namespace ``csa-report`` so that a signature made for anything
else (a git commit, a file) is never accepted. A rejection is signed in its own namespace, ``csa-report-reject``:
the signature covers the manifest and not the form's decision field, so the namespace is what binds the decision
(a rejection's signature, which the audit DB keeps and others may read, can never be replayed as an approval of
the same manifest, nor the reverse; Ed25519 signatures are deterministic, so "seen before" would not tell).
Verification runs OpenSSH's own ``ssh-keygen -Y verify`` against an allowed-signers file built from the
approvers' public keys in provider.md: the approver recorded is the owner of the key that verified, never a
typed name. Anyone can repeat the check later with the same command
(:func:`verify_command`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from csa_report.artefacts import MANIFEST, MANIFEST_SIG
from csa_report.errors import ConfigError, InputError, ToolError

__all__ = [
    "NAMESPACE",
    "REJECT_NAMESPACE",
    "SIGNATURE_FILE",
    "SignatureRefused",
    "Verified",
    "fingerprint",
    "namespace_of",
    "normalise_public_key",
    "sign",
    "verify",
    "verify_command",
]

NAMESPACE = "csa-report"
#: The namespace of a signed rejection (``ssh-keygen -Y sign -n csa-report-reject``).
REJECT_NAMESPACE = "csa-report-reject"
#: Stored beside manifest.json in staging and the archive.
SIGNATURE_FILE = MANIFEST_SIG
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
TIMEOUT_S = 30


class SignatureRefused(InputError):
    """The signature does not verify, or was made by a key that may not approve. ``signer`` is the canonical name
    of the key's owner when the key is one of provider.md's (the preparer's, or an approver's over other bytes),
    so a refusal is recorded under who made it rather than under a typed name."""

    def __init__(self, message: str, *, signer: str | None = None) -> None:
        super().__init__(message)
        self.signer = signer


def namespace_of(decision: str) -> str:
    """The namespace a signature for ``decision`` (approve or reject) is made in."""
    return REJECT_NAMESPACE if decision == "reject" else NAMESPACE


def _what(namespace: str) -> str:
    return "a rejection" if namespace == REJECT_NAMESPACE else "an approval"


@dataclass(frozen=True)
class Verified:
    """Who signed: the canonical name of the approver whose key verified, and that key's fingerprint."""

    signer: str
    fingerprint: str
    signature: str


def _ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise ConfigError(
            "ssh-keygen (OpenSSH) is not installed: signed sign-offs need it (apt install openssh-client)"
        )
    return found


def normalise_public_key(text: str, *, what: str = "public key") -> str:
    """``type base64`` of an OpenSSH public key line (the comment dropped), or :class:`InputError`."""
    parts = text.split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise InputError(
            f"{what}: not an OpenSSH public key (expected 'ssh-ed25519 AAAA…' or another of "
            f"{', '.join(KEY_TYPES[:3])}, …)"
        )
    try:
        base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{what}: the key data is not valid base64") from None
    return f"{parts[0]} {parts[1]}"


def normalise_signature(text: str) -> str:
    """The armoured signature with its line breaks restored: a form's textarea or a shell may have joined the
    lines with spaces, or added indentation. Raises :class:`SignatureRefused` when there is no complete block."""
    s = text.strip()
    if BEGIN not in s or END not in s:
        raise SignatureRefused(
            f"not an SSH signature: expected a block from {BEGIN} to {END} "
            "(the output of `csa-report sign` or `ssh-keygen -Y sign -n csa-report`)"
        )
    body = s.split(BEGIN, 1)[1].split(END, 1)[0]
    data = re.sub(r"\s+", "", body)
    if not data or not re.fullmatch(r"[A-Za-z0-9+/=]+", data):
        raise SignatureRefused("the SSH signature block is damaged (characters outside base64)")
    lines = [data[i : i + 70] for i in range(0, len(data), 70)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def _run(args: list[str], *, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(args, input=data, capture_output=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ToolError(f"ssh-keygen did not answer within {TIMEOUT_S} s") from None


def sign(data: bytes, key: Path, namespace: str = NAMESPACE) -> str:
    """The armoured signature of ``data`` by the private key at ``key`` (namespace ``csa-report`` for an approval,
    :data:`REJECT_NAMESPACE` for a rejection). A passphrase-protected key asks for it on the terminal, as
    ``ssh-keygen`` always does."""
    if namespace not in (NAMESPACE, REJECT_NAMESPACE):
        raise ValueError(f"unknown signing namespace {namespace!r}")
    if not key.is_file():
        raise InputError(f"--key {key}: no such private key file")
    mode = key.stat().st_mode & 0o777
    if mode & 0o077:
        # ssh-keygen ignores such a key and says only "No private key found"; say why and what to do.
        raise InputError(
            f"--key {key}: the private key is readable by others (mode {mode:04o}), so ssh-keygen "
            f"refuses it: chmod 600 {key}"
        )
    with tempfile.TemporaryDirectory(prefix="csa-sign-") as tmp:
        target = Path(tmp) / MANIFEST
        target.write_bytes(data)
        done = subprocess.run(
            [_ssh_keygen(), "-q", "-Y", "sign", "-n", namespace, "-f", str(key), str(target)],
            capture_output=True,
            timeout=300,
            check=False,
        )
        sig = Path(str(target) + ".sig")
        if done.returncode != 0 or not sig.is_file():
            why = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise InputError(f"--key {key}: ssh-keygen could not sign ({why[-1] if why else 'no reason given'})")
        return sig.read_text("ascii")


def fingerprint(public_key: str) -> str:
    """``SHA256:…`` of an OpenSSH public key, as ``ssh-keygen -l`` prints it."""
    parts = normalise_public_key(public_key).split()
    digest = hashlib.sha256(base64.b64decode(parts[1])).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _principal(index: int) -> str:
    # Names may hold spaces and commas, which the allowed-signers format cannot: principals are positions.
    return f"approver-{index}"


def verify(
    data: bytes,
    signature: str,
    *,
    approvers: Mapping[str, str],
    preparer_keys: Mapping[str, str] = {},
    namespace: str = NAMESPACE,
) -> Verified:
    """Check that ``signature`` is a signature in ``namespace`` (``csa-report`` for an approval,
    ``csa-report-reject`` for a rejection) over exactly ``data`` by one of ``approvers`` (name → OpenSSH public
    key). Raises :class:`SignatureRefused` (with the reason to record) otherwise; a key of the preparer is named
    as such, since the four-eyes rule is about keys as much as names, and a signature made for the other decision
    is named as such too."""
    if namespace not in (NAMESPACE, REJECT_NAMESPACE):
        raise ValueError(f"unknown signing namespace {namespace!r}")
    other = REJECT_NAMESPACE if namespace == NAMESPACE else NAMESPACE
    armoured = normalise_signature(signature)
    keys = {name: normalise_public_key(key, what=f"key of {name}") for name, key in approvers.items()}
    prep = {normalise_public_key(k, what=f"key of {n}"): n for n, k in preparer_keys.items()}
    allowed = {key: name for name, key in keys.items() if key not in prep}
    if not allowed:
        raise ConfigError("no approver has an OpenSSH public key in provider.md: a signed sign-off cannot be verified")
    names = list(allowed.items())
    with tempfile.TemporaryDirectory(prefix="csa-verify-") as tmp:
        signers = Path(tmp) / "allowed_signers"
        # Both namespaces are allowed here so that a signature for the other decision can be recognised and
        # refused by name; which one is accepted is the -n of the check below.
        both = f"{NAMESPACE},{REJECT_NAMESPACE}"
        lines = [f'{_principal(i)} namespaces="{both}" {key}' for i, (key, _) in enumerate(names)]
        lines += [f'preparer-{i} namespaces="{both}" {key}' for i, key in enumerate(prep)]
        signers.write_text("\n".join(lines) + "\n", "ascii")
        sig = Path(tmp) / MANIFEST_SIG
        sig.write_text(armoured, "ascii")
        found = _run([_ssh_keygen(), "-Y", "find-principals", "-s", str(sig), "-f", str(signers)])
        principals = found.stdout.decode("ascii", "replace").split() if found.returncode == 0 else []
        if not principals:
            if b"parse" in found.stderr.lower() or b"invalid" in found.stderr.lower():
                raise SignatureRefused("the SSH signature cannot be read (truncated or damaged)")
            raise SignatureRefused(
                "the signature was made by a key that is not among the approvers' keys in provider.md"
            )
        principal = principals[0]
        if principal.startswith("preparer-"):
            who = list(prep.values())[int(principal.split("-", 1)[1])]
            raise SignatureRefused(
                f"the signature was made with the key of {who}, who prepared this report; the "
                "four-eyes rule needs another approver",
                signer=who,
            )
        key, name = names[int(principal.split("-", 1)[1])]

        def check(ns: str) -> bool:
            return (
                _run(
                    [_ssh_keygen(), "-Y", "verify", "-f", str(signers), "-I", principal, "-n", ns, "-s", str(sig)],
                    data=data,
                ).returncode
                == 0
            )

        if not check(namespace):
            if check(other):
                raise SignatureRefused(
                    f"this is {_what(other)} signature; {_what(namespace)} is signed with -n {namespace}", signer=name
                )
            raise SignatureRefused(
                "the signature does not verify over this manifest.json (signed other bytes, "
                f"or for another purpose than {namespace!r})",
                signer=name,
            )
    return Verified(signer=name, fingerprint=fingerprint(key), signature=armoured)


def verify_command(signer_file: str = "allowed_signers", namespace: str = NAMESPACE) -> str:
    """How a recipient or auditor repeats the check with OpenSSH alone."""
    return f"ssh-keygen -Y verify -f {signer_file} -I <approver> -n {namespace} -s {SIGNATURE_FILE} < manifest.json"
