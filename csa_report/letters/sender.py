"""The sender of the report e-mails (``CSA_SMTP_FROM``), checked when a run starts.

An authority files the e-mail as the provider's submission and answers it: the sender must be an address of
the provider that can receive mail. Outside the demo it is required, and an address on ``localhost``, on a
single label (no domain), on an IP literal or on a name reserved for examples and tests (RFC 2606, RFC 6761) is
refused with exit 2 naming the setting. The demo, which only writes an outbox, uses :data:`DEMO_SENDER` unless
it is given another.
"""

from __future__ import annotations

from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import getaddresses
from typing import Final

from csa_report.errors import ConfigError, InputError
from csa_report.letters.text import refuse_hostile
from csa_report.settings import Settings

SETTING: Final = "CSA_SMTP_FROM"
#: The settings' default: an example-domain address, refused outside the demo like every reserved name.
DEMO_SENDER: Final[str] = str(Settings.model_fields["smtp_from"].default)
#: Top-level names that never route mail (RFC 2606 §2, RFC 6761 §6, RFC 6762 for .local).
_RESERVED_TLDS: Final = frozenset({"localhost", "invalid", "test", "example", "local", "internal", "home", "lan"})
#: Second-level names reserved for documentation (RFC 2606 §3); example.com has a null MX (RFC 7505).
_RESERVED_DOMAINS: Final = frozenset({"example.com", "example.net", "example.org"})


def check_sender(settings: Settings, *, demo: bool) -> str:
    """The sender address of this run's e-mails, or ConfigError (exit 2) naming ``CSA_SMTP_FROM``.

    Call once at the start of a run (before anything is staged); ``demo`` is true only for ``csa-report demo``."""
    given = "smtp_from" in settings.model_fields_set
    if not given:
        if demo:
            return DEMO_SENDER
        raise ConfigError(
            f"setting {SETTING} is required: the provider's address the report e-mails are sent from and "
            "the authority answers to (e.g. transparency-report@provider.eu)"
        )
    return sender_address(settings.smtp_from, demo=demo)


def sender_address(value: str, *, demo: bool) -> str:
    """``value`` (``addr@domain`` or ``Name <addr@domain>``) when it can be a provider's sender, else
    ConfigError naming the setting and why."""
    try:
        refuse_hostile(value, SETTING)
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    pairs = getaddresses([value])
    if len(pairs) != 1 or not pairs[0][1]:
        raise ConfigError(f"setting {SETTING}: {value!r} is not one e-mail address")
    name, addr = pairs[0]
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        raise ConfigError(f"setting {SETTING}: {value!r} has no domain (expected name@provider.eu)")
    try:
        Address(display_name=name, addr_spec=addr)
    except (HeaderParseError, ValueError, IndexError):
        raise ConfigError(f"setting {SETTING}: {value!r} is not a valid e-mail address") from None
    if not demo:
        why = _unroutable(domain.lower().rstrip("."))
        if why:
            raise ConfigError(
                f"setting {SETTING}: {value!r} {why}; an authority cannot answer it. Set the provider's own "
                "address (outside the demo)"
            )
    return value.strip()


def _unroutable(domain: str) -> str | None:
    if domain.startswith("["):
        return "is on an IP address literal, not a domain"
    labels = domain.split(".")
    if domain == "localhost" or labels[-1] == "localhost":
        return "is on localhost"
    if len(labels) < 2:
        return f"has no domain ({domain!r} is a single host name)"
    if labels[-1] in _RESERVED_TLDS or ".".join(labels[-2:]) in _RESERVED_DOMAINS:
        return f"is on {domain!r}, a name reserved for examples and tests that receives no mail"
    return None
