import pytest

from csa_report.db import normalise_url, redact
from csa_report.errors import ConfigError


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgresql://user@host/db", "postgresql+psycopg"),
        ("postgres://user@host:5433/db", "postgresql+psycopg"),
        ("postgresql+psycopg://user@host/db", "postgresql+psycopg"),
        ("sqlite:///file.db", "sqlite"),
    ],
)
def test_urls_as_users_copy_them(raw, driver):
    assert normalise_url(raw).drivername == driver


def test_unsupported_backend_is_a_config_error():
    with pytest.raises(ConfigError, match="only PostgreSQL and SQLite"):
        normalise_url("mysql://u@h/db")


def test_garbage_url():
    with pytest.raises(ConfigError, match="does not parse"):
        normalise_url("not a url")


def test_password_is_redacted():
    assert "s3cret" not in redact("postgresql://u:s3cret@h/db")
