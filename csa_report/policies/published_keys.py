"""The example keys published in csa-report's repository (policies/example-keys) are refused outside the demo.

Their private halves are in the repository on purpose (the walkthrough and the tests sign with them), so anyone
can sign as "Dara Kelly". An installation that copied the example provider.md and kept its ``signing_keys`` would
accept a sign-off from anybody. The run stops at policy load and again before staging (exit 2); only
``csa-report demo``, which marks its settings (``Settings.demo``), may use them.

Only approvers' keys are refused: a key listed for the preparer is only ever used to recognise and refuse her
signature, so a published one there lets nobody approve anything.
"""

from __future__ import annotations

from csa_report.errors import InputError
from csa_report.policies.models import PolicySet
from csa_report.policies.provider_doc import ProviderDoc

#: SHA256 fingerprint (as ``ssh-keygen -l`` prints it) → file in policies/example-keys. Computed once from the
#: ``.pub`` files; tests/integrity/test_published_keys.py recomputes them so that the list cannot drift.
PUBLISHED_FINGERPRINTS: dict[str, str] = {
    "SHA256:l+m4Uk2aXW0uTbOQ72NeqNdP1TCtLWQ/46e6cZxayBA": "dara-kelly.pub",
    "SHA256:qERbDolfNA7TWriwAD28b7bbaHZEjSFRPGd9lB0hE48": "aoife-byrne.pub",
}


def published_approver_keys(provider: ProviderDoc) -> list[tuple[str, str]]:
    """(approver, fingerprint) of every approver key in ``provider`` that is a published example key."""
    from csa_report.filing.sshsig import fingerprint

    found = []
    for name, key in provider.approver_keys().items():
        fp = fingerprint(key)
        if fp in PUBLISHED_FINGERPRINTS:
            found.append((name, fp))
    return found


def published_key_message(provider: ProviderDoc) -> str | None:
    """The one-line explanation for the first published approver key of ``provider``, or None."""
    found = published_approver_keys(provider)
    if not found:
        return None
    name, fp = found[0]
    where = str(provider.path) if provider.path.name else "provider.md"
    return (
        f"{where}: signing key of {name} ({fp}) is one of the example keys published in csa-report's "
        "repository (policies/example-keys); anyone can sign with it. Generate a key of your own "
        "(ssh-keygen -t ed25519) and put its public key in provider.md's signing_keys"
    )


def refuse_published_keys(policies: PolicySet, *, demo: bool) -> None:
    """Raise InputError (exit 2) when an approver of ``policies`` signs with a published example key, unless
    this is ``csa-report demo``."""
    if demo:
        return
    message = published_key_message(policies.provider)
    if message is not None:
        raise InputError(message)
