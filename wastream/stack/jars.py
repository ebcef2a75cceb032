"""The Kafka broker's jars, resolved by Maven from Maven Central into wastream's cache."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from wastream.stack.exceptions import StackError

__all__ = ["POM_NAME", "kafka_classpath"]

POM_NAME = "kafka-pom.xml"


def _pom_bytes() -> bytes:
    return resources.files("wastream.stack").joinpath(POM_NAME).read_bytes()


def kafka_classpath(cache_dir: Path) -> str:
    """A Java classpath of the broker's jars; resolved once, reused while the POM is the same.

    The cache folder is named by the POM's hash, so a changed Kafka version resolves anew and
    a second run starts in seconds.
    """
    pom = _pom_bytes()
    digest = hashlib.sha256(pom).hexdigest()[:16]
    libs = cache_dir / f"kafka-{digest}" / "libs"
    stamp = libs / ".complete"
    if not stamp.exists():
        _resolve(pom, libs)
        stamp.touch()
    return str(libs / "*")


def _resolve(pom: bytes, libs: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "Maven (`mvn`) is needed to fetch the Kafka broker's jars; install it "
            "(Debian: `apt-get install maven`)"
        )
    work = libs.parent
    if libs.exists():
        shutil.rmtree(libs)
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_bytes(pom)
    argv = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(work / "pom.xml"),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={libs}",
        "-DincludeScope=runtime",
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip().splitlines()[-30:]
        raise StackError("Maven could not resolve the Kafka broker's jars:\n" + "\n".join(output))
