"""The many-seller commands end to end: events, ack, status, accounts, worker, sync --every."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from amzcancel.cli import main
from amzcancel.errors import StoreError
from amzcancel.sandbox import Marketplace, SellerFleet
from amzcancel.sync import SqliteStore


@pytest.fixture
def synced_store(tmp_path: Path) -> Path:
    """A SQLite store the demo sandbox was synced into."""
    store = tmp_path / "amzcancel.db"
    assert main(["sync", "--sandbox", "--store", str(store), "--json"]) == 0
    return store


def test_events_json_lines_then_ack(synced_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """events --json prints the contract's fields oldest first; ack and --through hide them."""
    capsys.readouterr()
    assert main(["events", "--store", str(synced_store), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    keys = {"id", "type", "account", "amazon_order_id", "order_item_id", "reason",
            "occurred_at", "recorded_at"}  # fmt: skip
    assert all(keys <= set(r) and r["recorded_at"].endswith("Z") for r in rows)
    first, third = rows[0]["id"], rows[2]["id"]
    assert main(["ack", str(first), "--store", str(synced_store), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"acknowledged": 1}
    assert main(["ack", "--through", str(third), "--store", str(synced_store)]) == 0
    assert capsys.readouterr().out.strip() == "acknowledged 2 events"
    assert main(["events", "--store", str(synced_store), "--json", "--account", "sandbox"]) == 0
    left = [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
    assert left == [r["id"] for r in rows[3:]]
    assert main(["events", "--store", str(synced_store), "--account", "nobody"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["ack"],
        ["ack", "1", "--through", "2"],
        ["ack", "1", "--account", "sandbox"],
        ["ack", "abc"],
        ["events", "--store", "missing.db"],
        ["status", "--store", "missing.db"],
        ["accounts"],
        ["worker"],
        ["sync", "--sandbox", "--every", "5m"],
        ["sync", "--every", "5"],
    ],
)
def test_bad_invocations_end_in_one_line(
    argv: list[str], synced_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every misuse exits 2 with one line, never a traceback."""
    if argv[0] == "ack":
        argv = [*argv, "--store", str(synced_store)]
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_status_json(synced_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """status --json: last success, cursor age, open requests, events, set-asides, worker."""
    capsys.readouterr()
    assert main(["status", "--store", str(synced_store), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    with SqliteStore(synced_store) as store:
        assert row["open_requests"] == len(store.pending_requests(account="sandbox"))
        assert row["unacked_events"] == len(store.events(account="sandbox"))
    assert row["account"] == "sandbox"
    assert row["last_success_at"].endswith("Z")
    assert row["cursor_age_seconds"] > 0
    assert row["worker"] is None
    assert row["set_aside"] == len(row["set_aside_order_ids"])
    assert main(["status", "--store", str(synced_store)]) == 0
    assert "sandbox" in capsys.readouterr().out


def test_accounts_list_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """accounts lists without secrets; check reports refused credentials and exits 2."""
    fleet = SellerFleet(2, orders=1)
    with fleet.serve(port=0) as base_url:
        config = tmp_path / "accounts.toml"
        config.write_text(fleet.accounts_file(base_url))
        env = fleet.environment()
        os.environ.update(env)
        assert main(["accounts", "--config", str(config), "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert [r["credentials_present"] for r in rows] == [True, True]
        assert fleet.refresh_token("seller-000") not in json.dumps(rows)
        assert main(["accounts", "check", "--config", str(config)]) == 0
        os.environ[SellerFleet.token_variable("seller-001")] = "Atzr|revoked"
        capsys.readouterr()
        assert main(["accounts", "check", "--config", str(config), "--json"]) == 2
        checks = json.loads(capsys.readouterr().out)
        assert [(c["name"], c["ok"], c["refused"]) for c in checks] == [
            ("seller-000", True, False), ("seller-001", False, True)
        ]  # fmt: skip
        assert "Atzr|revoked" not in json.dumps(checks)


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "amzcancel.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_worker_serves_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """A worker brings a served fleet in step, then SIGTERM ends it with exit 0 and its
    accounts given back; events --follow prints what arrives and ends on SIGTERM with 0."""
    fleet = SellerFleet(3, orders=10)
    store = tmp_path / "shared.db"
    with fleet.serve(port=0) as base_url:
        config = tmp_path / "accounts.toml"
        config.write_text(fleet.accounts_file(base_url, interval="1h"))
        env = {**os.environ, **fleet.environment(), "AMZCANCEL_CONFIG": str(config)}
        follower = None
        worker = _cli("worker", "--store", str(store), "--name", "w1", env=env)
        try:
            for _ in range(600):  # bounded wait for three successful runs
                try:
                    with SqliteStore(store, create=False, read_only=True) as s:
                        done = [x for x in s.account_status() if x.last_success_at is not None]
                except StoreError:  # not there yet, or the worker is still creating it
                    done = []
                if len(done) == 3:
                    break
                assert worker.poll() is None, worker.communicate()[1]
                fleet.marketplace("seller-000").clock.sleep(0.1)
            follower = _cli("events", "--follow", "--json", "--store", str(store), env=env)
            assert follower.stdout is not None
            first = json.loads(follower.stdout.readline())
            assert first["id"] == 1
        finally:
            worker.send_signal(signal.SIGTERM)
            _, err = worker.communicate(timeout=60)
            if follower is not None:
                follower.send_signal(signal.SIGTERM)
                _, ferr = follower.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "stopped after 3 runs (0 failed" in err
    assert follower is not None
    assert follower.returncode == 0
    assert "stopped" in ferr
    with SqliteStore(store, create=False, read_only=True) as s:
        assert all(x.holder is None for x in s.account_status())
    assert fleet.overlaps == []


@pytest.mark.slow
def test_sync_every_runs_again_and_ends_on_sigterm(tmp_path: Path) -> None:
    """sync --every prints one summary per run; SIGTERM ends it with its line."""
    from amzcancel.sandbox import (
        SANDBOX_LWA_CLIENT_ID,
        SANDBOX_LWA_CLIENT_SECRET,
        SANDBOX_LWA_REFRESH_TOKEN,
    )

    mp = Marketplace(seed=3, orders=20, days=6)
    env = {
        **os.environ,
        "LWA_APP_ID": SANDBOX_LWA_CLIENT_ID,
        "LWA_CLIENT_SECRET": SANDBOX_LWA_CLIENT_SECRET,
        "SP_API_REFRESH_TOKEN": SANDBOX_LWA_REFRESH_TOKEN,
    }
    with mp.serve(port=0) as base_url:
        proc = _cli(
            "sync", "--every", "200ms", "--json", "--api", "v0", "--store",
            str(tmp_path / "every.db"), "--endpoint", base_url,
            "--lwa-endpoint", f"{base_url}/auth/o2/token", env=env,
        )  # fmt: skip
        assert proc.stdout is not None
        runs = [json.loads(proc.stdout.readline()) for _ in range(2)]
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert runs[0]["orders_seen"] == 20
    assert runs[1]["orders_changed"] == 0
    assert proc.returncode == 143
    assert "terminated (SIGTERM)" in err
