"""The example policy folder as the tests use it: as shipped (its approvers sign with the published example keys
in policies/example-keys), or as a copy without ``signing_keys`` for the typed sign-off of an installation whose
approvers have no keys."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from csa_report.policies.loader import provider_versions

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_POLICIES = REPO / "policies" / "example"
EXAMPLE_KEYS = REPO / "policies" / "example-keys"


def without_signing_keys(front: str) -> str:
    """Front matter with its ``signing_keys:`` block (the key and its indented items) removed."""
    kept, inside = [], False
    for line in front.split("\n"):
        if line.startswith("signing_keys:"):
            inside = True
            continue
        if inside and line.startswith((" ", "-")):
            continue
        inside = False
        kept.append(line)
    return "\n".join(kept)


def strip_signing_keys(folder: Path) -> None:
    for provider in provider_versions(folder):
        head, sep, body = provider.read_text("utf-8").partition("\n---\n")
        provider.write_text(without_signing_keys(head) + sep + body, "utf-8")


@functools.cache
def unsigned_example() -> Path:
    """A copy of the example policies without signing_keys (one per test process): the typed sign-off."""
    root = Path(tempfile.mkdtemp(prefix="csa-unsigned-example-"))
    atexit.register(shutil.rmtree, root, True)
    target = root / "policies"
    shutil.copytree(EXAMPLE_POLICIES, target)
    strip_signing_keys(target)
    return target


def example_private_key(folder: Path, name: str = "dara-kelly") -> Path:
    """A published example private key copied to ``folder`` with the permissions ssh-keygen insists on (a git
    checkout leaves it readable by all, and ssh-keygen then refuses to use it)."""
    target = folder / name
    shutil.copyfile(EXAMPLE_KEYS / name, target)
    target.chmod(0o600)
    return target
