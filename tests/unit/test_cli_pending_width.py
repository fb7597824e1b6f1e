"""`amzcancel pending` in a real terminal of 80, 100 and 120 columns, and `--json` streamed.

The table is checked where a user meets it: the command runs in a child process whose output
is a pseudo-terminal of the given size, as in an xterm. Every id must appear whole on the row
of its request, beside the reason to cancel with; nothing may pass the edge or end in "…";
the columns left out must be named.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from amzcancel.cli import main
from amzcancel.clock import FakeClock
from amzcancel.sandbox import Marketplace


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the demo marketplace's 29 open requests."""
    path = tmp_path_factory.mktemp("pending") / "amzcancel.db"
    with Marketplace.demo().order_sync(store=path) as sync:
        sync.run_once()
    return path


@pytest.fixture(scope="module")
def requests(store: Path) -> list[dict[str, object]]:
    """The open requests as `pending --json` prints them."""
    out = subprocess.run(
        [sys.executable, "-m", "amzcancel", "pending", "--json", "--store", str(store)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def in_terminal(argv: list[str], *, columns: int) -> str:
    """What ``argv`` writes to a terminal ``columns`` wide (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    child = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.PIPE, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    _, errors = child.communicate(timeout=60)
    assert child.returncode == 0, errors.decode()
    return b"".join(chunks).decode().replace("\r\n", "\n")


HIDDEN = {
    80: ["SKU", "STATUS", "UPDATED (UTC)"],
    100: ["SKU", "UPDATED (UTC)"],
    120: ["SKU"],
}


@pytest.mark.slow
@pytest.mark.parametrize("columns", [80, 100, 120])
def test_table_fits_the_terminal(
    store: Path, requests: list[dict[str, object]], columns: int
) -> None:
    """Each request's ids and reason to cancel with are whole on its row; nothing passes the
    edge or is cut; the columns left out are named."""
    out = in_terminal(
        [sys.executable, "-m", "amzcancel", "pending", "--store", str(store)], columns=columns
    )
    lines = out.splitlines()
    assert lines[0] == f"Open buyer cancel requests: {len(requests)}"
    assert all(len(line) <= columns for line in lines), [ln for ln in lines if len(ln) > columns]
    assert "…" not in out
    header = lines[1].split("  ")
    assert {"ORDER", "ITEM", "BUYER'S REASON", "CANCEL WITH"} <= {h.strip() for h in header}
    for row in requests:
        line = next(
            (
                line
                for line in lines
                if str(row["amazon_order_id"]) in line and str(row["order_item_id"]) in line
            ),
            None,
        )
        assert line is not None, f"no row with {row['amazon_order_id']} {row['order_item_id']}"
        assert str(row["recommended_reason"]) in line
        assert str(row["reason"]).split()[0] in line  # the reason starts on the row (it may wrap)
        dates = re.findall(r"\d{4}-\d\d-\d\d[ T]\S*", line)
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", d) for d in dates), dates
    reasons = " ".join(" ".join(line.split()) for line in lines)
    for row in requests:
        assert str(row["reason"]) in reasons or all(
            w in reasons for w in str(row["reason"]).split()
        )
    note = " ".join(lines[-2:]) if lines[-1].startswith("--json") else lines[-1]
    assert note.startswith(f"(not shown at {columns} columns: {', '.join(HIDDEN[columns])};")


def test_piped_output_has_every_column_one_line_each(
    store: Path, requests: list[dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Piped (not a terminal): every column, one line per request, nothing left out."""
    assert main(["pending", "--store", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["ORDER", "ITEM", "SKU", "STATUS", "UPDATED", "(UTC)", "BUYER'S",
                                "REASON", "CANCEL", "WITH"]  # fmt: skip
    assert len(lines) == 2 + len(requests)
    assert "not shown" not in lines[-1]


def test_json_is_the_same_array_as_a_list_dump(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The streamed --json output is byte for byte what ``json.dump(rows, indent=2)`` gives."""
    assert main(["pending", "--store", str(store), "--json"]) == 0
    out = capsys.readouterr().out
    rows = json.loads(out)
    assert out == json.dumps(rows, indent=2) + "\n"
    assert len(rows) == 29


def test_unknown_account_is_an_error(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--account with an account the store never synced says so, instead of "no requests"."""
    assert main(["pending", "--store", str(store), "--account", "nosuch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == (
        f"amzcancel pending: error: no account 'nosuch' in {store} (its accounts: sandbox)"
    )


def test_a_buyers_reason_cannot_drive_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reason holding escape sequences (clear the screen, set the title, ring the bell) is
    shown escaped in the table, and kept as Amazon sent it in --json."""
    clock = FakeClock()
    market = Marketplace(seed=3, orders=40, clock=clock)
    order = next(
        o
        for o in market.orders()
        if o.status.value == "Unshipped" and o.channel.value == "MFN" and not o.open_requests()
    )
    hostile = "\x1b[2J\x1b]0;owned\x07Ordered by mistake\r\n"
    market.request_cancel(order.amazon_order_id, order.items[0].order_item_id, hostile)
    clock.advance(600)  # past Amazon's two-minute rule
    path = tmp_path / "amzcancel.db"
    with market.order_sync(store=path) as sync:
        sync.run_once()
    assert main(["pending", "--store", str(path)]) == 0
    table = capsys.readouterr().out
    assert "\x1b" not in table
    assert "\x07" not in table
    assert "\\x1b" in table  # shown, escaped
    assert main(["pending", "--json", "--store", str(path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert any(r["reason"] == hostile.strip() or r["reason"] == hostile for r in rows)
