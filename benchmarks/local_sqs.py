"""A throwaway SQS-compatible server on 127.0.0.1 (moto's server mode) for tests and benchmarks.

    with local_sqs() as endpoint:          # http://127.0.0.1:PORT
        ...

Uses ``AMZCANCEL_TEST_SQS`` when it names a running server (``.ci/run`` starts one next to
PostgreSQL); otherwise starts ``python -m moto.server`` on a free loopback port and stops it on
exit. :func:`aws_environment` gives the variables that point boto3 at it (fake keys, a region,
``AWS_ENDPOINT_URL_SQS``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ENV_VAR", "aws_environment", "local_sqs", "moto_available"]

ENV_VAR = "AMZCANCEL_TEST_SQS"
_READY_SECONDS = 60.0


def moto_available() -> bool:
    """True when moto's server mode can be started here."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        return False
    return True


def aws_environment(endpoint: str) -> dict[str, str]:
    """The environment that points boto3 at ``endpoint`` with fake credentials."""
    return {
        "AWS_ENDPOINT_URL_SQS": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
            return True
    except OSError:
        return False


@contextmanager
def local_sqs(endpoint: str | None = None) -> Iterator[str]:
    """Yield the URL of a running SQS-compatible server (started here unless given or set)."""
    given = endpoint or os.environ.get(ENV_VAR, "")
    if given:
        yield given.rstrip("/")
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + _READY_SECONDS
        while not _answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"moto server exited with status {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto server did not answer on {url}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
