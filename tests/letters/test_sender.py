"""CSA_SMTP_FROM: required outside the demo; an address an authority cannot answer is refused (exit 2)."""

from __future__ import annotations

import pytest

from csa_report.errors import ConfigError
from csa_report.letters.sender import DEMO_SENDER, check_sender, sender_address
from csa_report.settings import Settings, load_settings


def test_missing_outside_the_demo_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSA_SMTP_FROM", raising=False)
    monkeypatch.delenv("CSA_CONFIG", raising=False)
    with pytest.raises(ConfigError, match=r"^setting CSA_SMTP_FROM is required") as exc:
        check_sender(load_settings(), demo=False)
    assert exc.value.exit_code == 2


def test_the_demo_keeps_a_demo_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSA_SMTP_FROM", raising=False)
    monkeypatch.delenv("CSA_CONFIG", raising=False)
    assert check_sender(load_settings(), demo=True) == DEMO_SENDER == "transparency-report@example.org"


def test_the_setting_read_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSA_SMTP_FROM", "Transparency <transparency@provider.eu>")
    assert check_sender(load_settings(), demo=False) == "Transparency <transparency@provider.eu>"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("csa-report@localhost", "is on localhost"),
        ("reports@mail.localhost", "is on localhost"),
        ("reports@mailhost", "has no domain ('mailhost' is a single host name)"),
        ("reports@[127.0.0.1]", "is on an IP address literal"),
        ("reports@example.org", "is on 'example.org', a name reserved for examples and tests"),
        ("reports@csa.test", "is on 'csa.test', a name reserved"),
        ("reports@csa.invalid", "is on 'csa.invalid', a name reserved"),
    ],
)
def test_unroutable_senders_are_refused_outside_the_demo(value: str, why: str) -> None:
    with pytest.raises(ConfigError) as exc:
        check_sender(Settings(smtp_from=value), demo=False)
    assert str(exc.value).startswith(f"setting CSA_SMTP_FROM: {value!r} {why}")
    assert exc.value.exit_code == 2
    # The demo only writes an outbox: any well-formed sender will do there.
    assert check_sender(Settings(smtp_from=value), demo=True) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("reports", "has no domain"),
        ("", "must not be empty"),
        ("a@provider.eu, b@provider.eu", "is not one e-mail address"),
        ("reports@provider.eu\r\nBcc: all@provider.eu", "holds a line break"),
        ("reports@provider.eu\u202e", "holds an invisible formatting character (U+202E"),
    ],
)
def test_malformed_senders_are_refused_even_in_the_demo(value: str, message: str) -> None:
    for demo in (False, True):
        with pytest.raises(ConfigError, match="CSA_SMTP_FROM") as exc:
            sender_address(value, demo=demo)
        assert message in str(exc.value)


def test_a_provider_address_passes() -> None:
    assert sender_address("transparency-report@example-provider.eu", demo=False) == (
        "transparency-report@example-provider.eu"
    )


def _run_start(settings: Settings) -> str:
    """The sender a run's start accepts (tasks/submit.py submission_letter, before anything is staged)."""
    from csa_report.period import Period
    from csa_report.policies import load_policies
    from csa_report.resources import example_policies_dir
    from csa_report.services import Services, bound
    from csa_report.tasks.submit import submission_letter

    period = Period.parse("2025")
    with bound(Services(settings)):
        facts = submission_letter(
            load_policies(example_policies_dir(), period), period, "0123456789abcdef", None, ["dsc@authority.eu"]
        )
    return facts.provider


@pytest.mark.parametrize("smtp_host", [None, "smtp.provider.eu"], ids=["outbox", "smtp"])
def test_a_run_that_is_not_the_demo_needs_the_setting_even_when_it_writes_the_outbox(
    monkeypatch: pytest.MonkeyPatch, smtp_host: str | None
) -> None:
    """The outbox's .eml files are forwarded as the provider's submission: only `csa-report demo` keeps the demo
    sender, whether or not an SMTP server is set."""
    monkeypatch.delenv("CSA_SMTP_FROM", raising=False)
    monkeypatch.delenv("CSA_CONFIG", raising=False)
    with pytest.raises(ConfigError, match=r"^setting CSA_SMTP_FROM is required") as exc:
        _run_start(load_settings(smtp_host=smtp_host))
    assert exc.value.exit_code == 2
    localhost = Settings(smtp_host=smtp_host, smtp_from="csa-report@localhost")
    with pytest.raises(ConfigError, match=r"^setting CSA_SMTP_FROM: 'csa-report@localhost' is on localhost"):
        _run_start(localhost)


def test_the_demo_run_keeps_the_demo_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    from csa_report.settings import overriding

    monkeypatch.delenv("CSA_SMTP_FROM", raising=False)
    monkeypatch.delenv("CSA_CONFIG", raising=False)
    with overriding(demo=True, smtp_host=None):
        assert _run_start(load_settings()) == "Example Communications Ireland Ltd"
