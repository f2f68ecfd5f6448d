"""A local Spark Connect server for the tests, the benchmark and trying csa-report on Spark: the
``SparkConnectServer`` of the pyspark wheel (optional extra ``spark``; Spark 4 ships the server's jars in the
wheel, so nothing is downloaded), on a Java found on PATH or JAVA_HOME (Debian: ``openjdk-17-jre-headless``).

``spark-submit`` runs in the foreground in its own process group, stopped as a whole (csa_report.local.processes);
every port it opens is on loopback; the catalog is in memory and the warehouse, scratch space and log live in
the given folder, so a stop leaves nothing behind elsewhere.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from contextlib import closing
from pathlib import Path

from csa_report.errors import ToolError
from csa_report.local import processes
from csa_report.local.child import ChildServer

log = logging.getLogger(__name__)

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def spark_home() -> Path:
    """The pyspark installation, which holds ``bin/spark-submit`` and the jars (the Connect server's among them)."""
    try:
        import pyspark
    except ImportError:
        raise ToolError("pyspark is not installed: pip install 'csa-report[spark]'") from None
    home = Path(pyspark.__file__).resolve().parent
    if not (home / "bin" / "spark-submit").is_file() or not any((home / "jars").glob("spark-connect_*.jar")):
        raise ToolError(f"pyspark at {home} has no spark-submit or no Spark Connect server jar (Spark 4 has both)")
    return home


def find_java() -> Path:
    """``java`` from JAVA_HOME, else from PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return Path(java_home) / "bin" / "java"
    found = shutil.which("java")
    if not found:
        raise ToolError("no Java runtime: install openjdk-17-jre-headless (or set JAVA_HOME)")
    return Path(found)


def _scala_version(home: Path) -> str:
    """The Scala version of the jars (``spark-core_2.13-…``), which Spark's launcher asks for."""
    for jar in sorted((home / "jars").glob("spark-core_*.jar")):
        return jar.name.removeprefix("spark-core_").split("-", 1)[0]
    raise ToolError(f"pyspark at {home} has no spark-core jar")


class LocalSparkServer(ChildServer):
    """One local Spark Connect server (``local[cores]``, ``memory`` for the driver) in ``work_dir``."""

    title = "the local Spark server"

    def __init__(self, work_dir: Path, *, cores: int = 2, memory: str = "768m") -> None:
        super().__init__()
        self.work_dir = work_dir.resolve()
        self.cores = cores
        self.memory = memory
        self.url: str | None = None

    def submit_args(self, port: int) -> list[str]:
        """The arguments of ``spark-submit`` for the Connect server on ``port``."""
        conf = {
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(port),
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.host": "127.0.0.1",
            "spark.sql.catalogImplementation": "in-memory",
            "spark.sql.warehouse.dir": str(self.work_dir / "warehouse"),
            "spark.local.dir": str(self.work_dir / "tmp"),
            "spark.sql.session.timeZone": "UTC",
            # Small data, few cores: 200 shuffle partitions would be 200 tasks per aggregate.
            "spark.sql.shuffle.partitions": str(self.cores),
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.driver.extraJavaOptions": f"-Djava.io.tmpdir={self.work_dir / 'tmp'}",
        }
        args = ["--master", f"local[{self.cores}]", "--driver-memory", self.memory]
        for key, value in conf.items():
            args += ["--conf", f"{key}={value}"]
        return [*args, "--class", SERVER_CLASS, "--name", "csa-report local Spark Connect", "spark-internal"]

    def command(self, port: int, env: dict[str, str]) -> list[str]:
        """The server's ``java`` command line, as Spark's own launcher builds it for ``spark-submit`` (the
        JVM options Spark needs on this Java). Asking the launcher, rather than running the ``spark-submit``
        script, makes the JVM the group's only process: no shell is left behind as a zombie."""
        home = spark_home()
        launcher = [str(find_java()), "-Xmx128m", "-cp", str(home / "jars" / "*"), "org.apache.spark.launcher.Main"]
        try:
            out = subprocess.run(
                [*launcher, "org.apache.spark.deploy.SparkSubmit", *self.submit_args(port)],
                env=env,
                capture_output=True,
                check=True,
                timeout=120,
            ).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise ToolError(f"Spark's launcher failed to build the server command: {exc}") from None
        # NUL-separated (spark-class reads it so); the launcher prints a newline before the command.
        command = [arg for arg in (part.decode().lstrip("\n") for part in out.split(b"\0")) if arg]
        if not command or not command[0].endswith("java"):
            raise ToolError(f"Spark's launcher gave no java command (got {out[:200]!r})")
        return command

    def start(self, timeout_s: float = 120.0, attempts: int = 2) -> str:
        """Start on a free loopback port and wait until it accepts connections; returns its ``sc://`` URL."""
        self._refuse_running()
        return self._with_retries(lambda: self._start_once(timeout_s), attempts, "retrying on another port")

    def _start_once(self, timeout_s: float) -> str:
        java = find_java()
        home = spark_home()
        (self.work_dir / "tmp").mkdir(parents=True, exist_ok=True)
        port = processes.free_port()
        env = {
            **os.environ,
            "SPARK_HOME": str(home),
            "JAVA_HOME": str(java.resolve().parent.parent),
            "SPARK_SCALA_VERSION": _scala_version(home),
        }
        started = time.monotonic()
        command = self.command(port, env)
        process = self._launch(command, self.work_dir / "spark.log", cwd=self.work_dir, env=env, bind_to_parent=True)
        try:
            self._wait_ready(
                lambda: _accepts(port),
                timeout_s,
                0.25,
                lambda _: f"the local Spark server on port {port} did not answer within {timeout_s:.0f} s",
            )
        except BaseException:
            self.stop()
            raise
        self.url = f"sc://127.0.0.1:{port}"
        log.info(
            "local Spark Connect started: pid=%d %s ready in %.1f s",
            process.pid,
            self.url,
            time.monotonic() - started,
        )
        return self.url

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM to the whole process group, wait, then SIGKILL; idempotent."""
        proc = self._stop_child(grace_s)
        if proc is None:
            return
        self.url = None
        log.info("local Spark Connect stopped: pid=%d", proc.pid)


def _accepts(port: int) -> str | None:
    """None when the server accepts connections on ``port``."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(1.0)
        return None if sock.connect_ex(("127.0.0.1", port)) == 0 else "no answer"
