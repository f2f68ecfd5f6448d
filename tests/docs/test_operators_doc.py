"""docs/operators.md cannot drift: every command of its ``bash`` blocks is run, as written, by
tests/docs/walkthrough.sh (checked here without services), and the walkthrough itself runs against a real
Prefect server, process worker and local S3 (the slow test below)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.services import service_missing

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "operators.md"
SCRIPT = REPO / "tests" / "docs" / "walkthrough.sh"
#: The walkthrough's paths and ports, and the doc's example values, as the script spells them.
SUBSTITUTIONS = (
    ("/srv/csa-report", "$REPO"),
    ("/srv/ops", "$OPS"),
    ("4200", "$PORT"),
    ("8333", "$S3PORT"),
    ("2525", "$SMTPPORT"),
    ("<run-id>", "$RUN_ID"),
    ("<report-id>", "$REPORT_ID"),
    ("vagabond-cuckoo", "$RUN2"),
)


def logical_lines(text: str) -> list[str]:
    """Lines with ``\\`` continuations joined, comments (``  # …``) dropped, spaces collapsed."""
    out: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        line = re.split(r"\s{2,}#|^#", line)[0] if not line.lstrip().startswith("#") else ""
        line = " ".join(line.split())
        if line:
            out.append(line)
    return out


def doc_commands() -> list[str]:
    blocks = re.findall(r"^ *```bash\n(.*?)^ *```", DOC.read_text(encoding="utf-8"), flags=re.S | re.M)
    commands = []
    for block in blocks:
        for line in logical_lines(block):
            if "[--" in line:  # a synopsis (`csa-report approve RUN … [--wait SECONDS]`), not a command
                continue
            for old, new in SUBSTITUTIONS:
                line = line.replace(old, new)
            commands.append(line.removesuffix("&").strip())
    return commands


def test_the_doc_has_the_walkthrough_steps():
    commands = doc_commands()
    assert "source .venv/bin/activate" in commands
    assert any(c.startswith("prefect --no-prompt deploy") for c in commands)
    assert any("--port $S3PORT" in c for c in commands)
    assert len(commands) >= 20, commands


def test_every_command_of_the_doc_is_in_the_walkthrough_script():
    script = logical_lines(SCRIPT.read_text(encoding="utf-8"))
    missing = [c for c in doc_commands() if not any(c in line for line in script)]
    assert not missing, f"commands of docs/operators.md that tests/docs/walkthrough.sh does not run: {missing}"


def test_the_doc_and_the_code_agree_on_what_the_form_accepts():
    from csa_report.filing.approval import SHA256_PATTERN

    text = DOC.read_text(encoding="utf-8")
    assert "upper or lower case" in text and "Case and spaces" in text
    assert SHA256_PATTERN in text  # the CLI example quotes the server's refusal with the real pattern
    assert "in lower case." not in text.split("Manifest SHA-256**")[1][:80]


def _free_port_pair() -> tuple[int, int]:
    from csa_report.local.seaweed import free_port_pairs

    a, b = free_port_pairs(2)
    return a, b


@pytest.mark.timeout(1500)
def test_the_walkthrough_runs_as_written(tmp_path):
    """The whole of docs/operators.md §0–§9b in a shell: deploy, worker, run, sign with the example key and approve,
    reject (signed), the filed period again (AlreadyFiled), a correction, status --json and the evidence pack.
    Several minutes on a small machine (about eight on two busy cores)."""
    bin_dir = Path(sys.executable).parent
    if not (REPO / ".venv" / "bin" / "activate").exists():
        service_missing(f"the project's virtualenv at {REPO / '.venv'} (make install)")
    for tool in ("curl", "sha256sum", "setsid", "openssl"):
        if shutil.which(tool) is None:
            service_missing(f"the command {tool}")
    port, s3port = _free_port_pair()
    from tests.support.storage import free_port

    smtpport = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSA_", "PREFECT_"))}
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
    proc = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path / "ops"), str(port), str(s3port), str(smtpport)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1400,  # about 8 min on two busy cores; headroom for a loaded machine
    )
    log = proc.stdout[-6000:] + proc.stderr[-4000:]
    assert proc.returncode == 0, log
    assert proc.stdout.rstrip().endswith("walkthrough ok"), log
    assert "annual-report-2025-example-communications" in proc.stdout
    assert "ended Completed" in proc.stdout and "ended Rejected" in proc.stdout
    assert "README command blocks pass" in proc.stdout  # §9a–9b: AlreadyFiled, the correction, the evidence pack
