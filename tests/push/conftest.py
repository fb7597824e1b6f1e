"""A real SQS-compatible server (moto's server mode) for the push tests, and stores to use.

The server is the one ``AMZCANCEL_TEST_SQS`` names (``.ci/run`` starts one), else one started
here on a free loopback port for the session. Without moto the tests skip, saying how to run
them; CI installs it (the ``dev`` extra) so they always run there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from local_sqs import ENV_VAR, aws_environment, local_sqs, moto_available

from amzcancel.sync import PostgresStore, SqliteStore, Store

# Read once at import: the suite's autouse fixture hides AMZCANCEL_* variables from tests.
GIVEN_SQS = os.environ.get(ENV_VAR, "")
PG_DSN = os.environ.get("AMZCANCEL_TEST_POSTGRES", "")
SQS_SKIP = (
    "push tests need an SQS-compatible server: pip install -e '.[dev]' (installs moto, started "
    f"here on 127.0.0.1), or set {ENV_VAR}=http://127.0.0.1:PORT of a running "
    "`python -m moto.server -p PORT`"
)


@pytest.fixture(scope="session")
def sqs_endpoint() -> Iterator[str]:
    """The URL of the session's SQS-compatible server."""
    if not GIVEN_SQS and not moto_available():
        pytest.skip(SQS_SKIP)
    with local_sqs(GIVEN_SQS or None) as endpoint:
        yield endpoint


@pytest.fixture
def aws_env(sqs_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point boto3 at the local server with fake keys (for this test only)."""
    for name, value in aws_environment(sqs_endpoint).items():
        monkeypatch.setenv(name, value)
    return sqs_endpoint


@pytest.fixture
def sqs(aws_env: str) -> Any:
    """A boto3 SQS client on the local server."""
    import boto3

    return boto3.client("sqs")


@pytest.fixture
def queue_url(sqs: Any) -> Iterator[str]:
    """A fresh queue for one test (deleted afterwards)."""
    url: str = sqs.create_queue(QueueName=f"amzcancel-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    yield url
    sqs.delete_queue(QueueUrl=url)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Store]:
    """A fresh store: SQLite, and PostgreSQL (its own schema) when the suite has a server."""
    if request.param == "sqlite":
        opened: Store = SqliteStore(tmp_path / "push.db")
    else:
        if not PG_DSN:
            pytest.skip(
                'PostgreSQL push tests need a server: eval "$(bash .ci/postgres.sh start)", '
                "then pytest again"
            )
        opened = PostgresStore(PG_DSN, schema=f"push_{uuid.uuid4().hex[:10]}")
    yield opened
    opened.close()
