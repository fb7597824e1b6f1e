"""``amzcancel cancel`` killed mid-way, then run again: one feed, and the truth reported.

A cancel killed right after Amazon created its feed used to submit a second feed on the rerun,
and Amazon's refusal of it ("order ... is Canceled; it cannot be cancelled") came back as a
failure of a cancellation that had worked. The kills here happen inside the marketplace, at a
chosen request, so they land at the same point on any machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from amzcancel.clock import FakeClock
from amzcancel.sandbox import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_REFRESH_TOKEN,
    SANDBOX_MWS_SELLER_ID,
    Marketplace,
    SandboxRequest,
    SandboxResponse,
)

FEEDS = "/feeds/2021-06-30/feeds"


class KillAt:
    """Kills the cancel process when the marketplace receives a given request."""

    def __init__(self, mp: Marketplace, method: str, path_prefix: str) -> None:
        self._answer = mp.handle
        self._method, self._prefix = method, path_prefix
        self._lock = threading.Lock()
        self.pid: int | None = None
        self.killed = False

    def __call__(self, request: SandboxRequest) -> SandboxResponse:
        with self._lock:
            hit = request.method == self._method and request.path.startswith(self._prefix)
            if hit and self.pid is not None and not self.killed:
                answer = self._answer(request)  # the marketplace acts on it ...
                os.kill(self.pid, signal.SIGKILL)  # ... and the client dies before the answer
                self.killed = True
                return answer
        return self._answer(request)


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Marketplace, str]]:
    """A marketplace on simulated time, served on loopback; feeds are processed once its clock
    passes ``feed_processing_seconds`` (0 unless the test is marked ``processing(seconds)``)."""
    marker = request.node.get_closest_marker("processing")
    seconds = marker.args[0] if marker is not None else 0.0
    mp = Marketplace(seed=11, orders=80, clock=FakeClock(), feed_processing_seconds=seconds)
    with mp.serve(port=0) as base_url:
        yield mp, base_url


def cancel_command(base_url: str, store: Path, order_id: str, item_id: str) -> list[str]:
    return [
        sys.executable, "-m", "amzcancel.cli", "cancel", order_id, "--item", item_id,
        "--reason", "BuyerCanceled", "--store", str(store), "--poll-interval", "0.2",
        "--endpoint", base_url, "--lwa-endpoint", f"{base_url}/auth/o2/token", "--json",
    ]  # fmt: skip


def env() -> dict[str, str]:
    return {
        **os.environ,
        "LWA_APP_ID": SANDBOX_LWA_CLIENT_ID,
        "LWA_CLIENT_SECRET": SANDBOX_LWA_CLIENT_SECRET,
        "SP_API_REFRESH_TOKEN": SANDBOX_LWA_REFRESH_TOKEN,
        "SP_API_SELLER_ID": SANDBOX_MWS_SELLER_ID,
    }


def requested_item(mp: Marketplace) -> tuple[str, str]:
    for (order_id, item_id), _ in sorted(mp.truth().buyer_cancel_requests.items()):
        return order_id, item_id
    raise AssertionError("the scenario has no buyer request")


def run(command: list[str], kill: KillAt | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        command, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if kill is not None:
        kill.pid = proc.pid
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


@pytest.mark.slow
def test_killed_after_the_feed_was_created_the_rerun_resumes_it(
    served: tuple[Marketplace, str], tmp_path: Path
) -> None:
    """Killed as the first getFeed arrives (the feed id was recorded): the rerun waits for that
    feed, reports the cancellation done, exit 0, and no second feed is ever created."""
    mp, base_url = served
    order_id, item_id = requested_item(mp)
    command = cancel_command(base_url, tmp_path / "s.db", order_id, item_id)
    kill = KillAt(mp, "GET", FEEDS + "/")
    mp.handle = kill  # type: ignore[method-assign]
    first = run(command, kill)
    assert kill.killed
    assert first.returncode == -signal.SIGKILL
    second = run(command)
    assert second.returncode == 0, second.stderr
    body = json.loads(second.stdout)
    assert body["resumed"] is True
    assert body["state"] == "done"
    assert body["processing_status"] == "DONE"
    truth = mp.truth()
    assert truth.requests_by_operation["createFeed"] == 1
    assert (order_id, item_id) in truth.seller_cancellations
    third = run(command)  # and again: the item is cancelled; said so, nothing sent
    assert third.returncode == 0, third.stderr
    assert json.loads(third.stdout)["already_cancelled"] is True
    assert mp.truth().requests_by_operation["createFeed"] == 1


@pytest.mark.slow
@pytest.mark.processing(60.0)
def test_killed_while_create_feed_was_answered_the_rerun_does_not_send_another(
    served: tuple[Marketplace, str], tmp_path: Path
) -> None:
    """Killed as createFeed arrives (its answer, the feed id, lost): while the order is not yet
    shown cancelled the rerun refuses to send a second feed; once it is, it reports done."""
    mp, base_url = served
    order_id, item_id = requested_item(mp)
    command = cancel_command(base_url, tmp_path / "s.db", order_id, item_id)
    kill = KillAt(mp, "POST", FEEDS)
    mp.handle = kill  # type: ignore[method-assign]
    run(command, kill)
    assert kill.killed
    waiting = run(command)  # the feed is still being processed at "Amazon"
    assert waiting.returncode == 2
    assert "no second one is sent" in waiting.stderr
    mp.advance(61)  # processed: the order shows the item cancelled
    second = run(command)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["state"] == "done"
    assert mp.truth().requests_by_operation["createFeed"] == 1


@pytest.mark.slow
def test_a_cancellation_that_never_reached_amazon_is_submitted_on_the_rerun(
    served: tuple[Marketplace, str], tmp_path: Path
) -> None:
    """Killed while the document was uploaded (createFeed never sent): the record is closed
    and the rerun submits the cancellation."""
    mp, base_url = served
    order_id, item_id = requested_item(mp)
    command = cancel_command(base_url, tmp_path / "s.db", order_id, item_id)
    kill = KillAt(mp, "POST", "/feeds/2021-06-30/documents")
    mp.handle = kill  # type: ignore[method-assign]
    run(command, kill)
    assert kill.killed
    second = run(command)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["processing_status"] == "DONE"
    assert mp.truth().requests_by_operation["createFeed"] == 1
