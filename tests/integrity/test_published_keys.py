"""The example keys published in policies/example-keys sign only in the demo: their fingerprints are a constant
that cannot drift from the .pub files, the run refuses them at policy load (exit 2, before anything is staged),
`check` warns, and the demo marker cannot be set from the environment or a config file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from csa_report.errors import ConfigError, InputError
from csa_report.policies import load_policies
from csa_report.policies.published_keys import PUBLISHED_FINGERPRINTS, published_key_message, refuse_published_keys
from csa_report.settings import load_settings, overriding
from tests.integrity.keys import Key, keyed_policies, make_key
from tests.support.example_policies import EXAMPLE_KEYS, EXAMPLE_POLICIES

ROOT = Path(__file__).resolve().parents[2]
DARA = "SHA256:l+m4Uk2aXW0uTbOQ72NeqNdP1TCtLWQ/46e6cZxayBA"


def test_the_constant_is_the_fingerprints_of_every_published_public_key() -> None:
    recomputed = {}
    for pub in sorted(EXAMPLE_KEYS.glob("*.pub")):
        line = subprocess.run(["ssh-keygen", "-l", "-f", str(pub)], capture_output=True, text=True, check=True)
        recomputed[line.stdout.split()[1]] = pub.name
    assert recomputed == PUBLISHED_FINGERPRINTS
    assert sorted(PUBLISHED_FINGERPRINTS.values()) == ["aoife-byrne.pub", "dara-kelly.pub"]
    assert PUBLISHED_FINGERPRINTS[DARA] == "dara-kelly.pub"


def test_the_example_folder_is_refused_outside_the_demo_naming_the_approver_and_the_fix() -> None:
    policies = load_policies(EXAMPLE_POLICIES)
    expected = (
        f"{EXAMPLE_POLICIES / 'provider.md'}: signing key of Dara Kelly ({DARA}) is one of the example keys "
        "published in csa-report's repository (policies/example-keys); anyone can sign with it. Generate a key "
        "of your own (ssh-keygen -t ed25519) and put its public key in provider.md's signing_keys"
    )
    with pytest.raises(InputError) as refused:
        refuse_published_keys(policies, demo=False)
    assert str(refused.value) == expected and refused.value.exit_code == 2
    refuse_published_keys(policies, demo=True)  # the demo signs with them: no error


def test_own_keys_pass_and_a_published_key_of_the_preparer_grants_nothing(tmp_path: Path) -> None:
    own = keyed_policies(tmp_path / "own", {"Dara Kelly": make_key(tmp_path, "dara")})
    refuse_published_keys(load_policies(own), demo=False)
    # The preparer's key is only ever used to refuse her signature: a published one there is no way in.
    aoife = Key(EXAMPLE_KEYS / "aoife-byrne", (EXAMPLE_KEYS / "aoife-byrne.pub").read_text().strip())
    mixed = keyed_policies(tmp_path / "mixed", {"Dara Kelly": make_key(tmp_path, "dara2"), "Aoife Byrne": aoife})
    assert published_key_message(load_policies(mixed).provider) is None


def test_the_demo_marker_is_set_only_through_overriding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().demo is False
    with overriding(demo=True):
        assert load_settings().demo is True
    monkeypatch.setenv("CSA_DEMO", "true")
    with pytest.raises(ConfigError, match=r"^CSA_DEMO cannot be set: only `csa-report demo` runs as the demo$"):
        load_settings()
    monkeypatch.delenv("CSA_DEMO")
    config = tmp_path / "csa.toml"
    config.write_text("demo = true\n")
    monkeypatch.setenv("CSA_CONFIG", str(config))
    with pytest.raises(ConfigError, match=f"^demo in {config} cannot be set"):
        load_settings()


def test_run_with_the_example_folder_stops_at_policy_load_with_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSA_", "PREFECT_"))}
    env.update(
        {
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            "CSA_SOURCE_DB": f"sqlite:///{tmp_path / 'never-read.db'}",
            "CSA_AUDIT_DB": f"sqlite:///{tmp_path / 'audit.db'}",
            "CSA_POLICIES": str(EXAMPLE_POLICIES),
            "COLUMNS": "400",
        }
    )
    out = tmp_path / "out"
    args = ["run", "--period", "2025", "--as-of", "2026-01-15T00:00:00Z", "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "csa_report.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"signing key of Dara Kelly ({DARA}) is one of the example keys published" in proc.stderr
    # Stopped before the source was read or anything rendered, let alone staged or recorded.
    assert not (tmp_path / "never-read.db").exists() and not out.exists() and not (tmp_path / "audit.db").exists()


def test_check_on_the_example_folder_warns_and_still_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from csa_report.cli import main
    from csa_report.period import Period
    from csa_report.seed import seed

    monkeypatch.setenv("COLUMNS", "400")
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=3)
    args = ["check", "--db", url, "--policies", str(EXAMPLE_POLICIES), "--period", "2025"]
    code = main([*args, "--as-of", "2026-01-15T00:00:00Z", "--out", str(tmp_path / "out")])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0, out  # the checks ran and passed: a warning, not exit 2
    assert (tmp_path / "out" / "findings.json").is_file()
    # The version of provider.md in force on the period's last day is named: for 2025, the one kept in history/.
    in_force = EXAMPLE_POLICIES / "history" / "provider" / "2025.1.md"
    assert f"warning: {in_force}: signing key of Dara Kelly ({DARA}) is one of the example keys" in out
    assert "`csa-report run` refuses it (exit 2) outside the demo" in out
