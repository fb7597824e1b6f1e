"""Bad input a real user types: every subcommand answers with one stderr line and exit 2.

Never a traceback; a closed pipe ends quietly (exit 0) and Ctrl-C with exit 130.
"""

from __future__ import annotations

import errno
import io
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from amzcancel.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures"
REPORT = FIXTURES / "report" / "allOrders.hand.200.1.tsv"
REASONS = ["reasons", "--status", "Unshipped", "--channel", "MFN", "--buyer-requested", "yes"]


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI expecting exit 2 and exactly one stderr line; returns that line."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse usage errors exit from inside parse_args
        status = exc.code  # type: ignore[assignment]
    captured = capsys.readouterr()
    assert status == 2, captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


class _FailingStdout(io.TextIOBase):
    """A stdout whose every write fails with the given OSError."""

    def __init__(self, error: OSError) -> None:
        self.error = error

    def write(self, text: str) -> int:
        raise self.error

    def flush(self) -> None:
        raise self.error

    def isatty(self) -> bool:
        return False


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A store filled by one sandbox sync."""
    path = tmp_path / "synced.db"
    assert main(["sync", "--sandbox", "--json", "--store", str(path)]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
def corrupt_stores(tmp_path: Path) -> dict[str, Path]:
    """Files that are not amzcancel stores: text, binary, an empty dir, a newer schema."""
    text = tmp_path / "text.db"
    text.write_text("not a database\n")
    binary = tmp_path / "binary.db"
    binary.write_bytes(bytes(range(256)) * 8)
    directory = tmp_path / "dir.db"
    directory.mkdir()
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    return {"text": text, "binary": binary, "directory": directory, "newer": newer}


# --- parse ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(None, "No such file", id="missing"),
        pytest.param(b"", "the document is empty (0 bytes)", id="empty"),
        pytest.param(bytes(range(256)), "binary data (first bytes 00 01 02", id="binary"),
        pytest.param(b'{"orders": "nope"}', "parse", id="wrong-shape"),
    ],
)
def test_parse_bad_file_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, expected: str
) -> None:
    """A missing, empty, binary or misshapen file: one line naming it, exit 2."""
    path = tmp_path / "input.json"
    if content is not None:
        path.write_bytes(content)
    line = one_error_line(capsys, ["parse", str(path)])
    assert line.startswith("amzcancel parse: error: ")
    assert str(path) in line
    if expected != "parse":
        assert expected in line


def test_parse_directory_as_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory given as PATH is refused by name."""
    line = one_error_line(capsys, ["parse", str(tmp_path)])
    assert str(tmp_path) in line
    assert "directory" in line


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["parse", "--format", "json", str(REPORT)], id="unknown-format"),
        pytest.param(["parse"], id="no-path"),
        pytest.param(["parse", "--encoding", "no-such-charset", str(REPORT)], id="charset"),
        pytest.param(["parse", "--format", "mws", str(REPORT)], id="wrong-format"),
    ],
)
def test_parse_bad_arguments(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Unknown --format, no PATH, unknown charset, wrong --format: one line, exit 2."""
    one_error_line(capsys, argv)


def test_parse_closed_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """'-' with stdin closed (``<&-``) is one line, not an AttributeError traceback."""
    monkeypatch.setattr(sys, "stdin", None)
    line = one_error_line(capsys, ["parse", "-"])
    assert "standard input is closed" in line


def test_parse_full_disk_blames_the_output_not_the_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write failure on stdout says it could not write, rather than "cannot read" the file."""
    monkeypatch.setattr(sys, "stdout", _FailingStdout(OSError(errno.ENOSPC, "No space left")))
    line = one_error_line(capsys, ["parse", str(REPORT)])
    assert "cannot write output" in line
    assert "cannot read" not in line


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["parse", str(REPORT)], id="parse"),
        pytest.param(REASONS, id="reasons"),
        pytest.param([*REASONS, "--json"], id="reasons-json"),
    ],
)
def test_closed_pipe_ends_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    """When the reader goes away (``| head -1``) the command exits 0 with nothing on stderr."""
    monkeypatch.setattr(sys, "stdout", _FailingStdout(BrokenPipeError(errno.EPIPE, "pipe")))
    assert main(argv) == 0
    assert capsys.readouterr().err == ""


def test_pending_table_closed_pipe_ends_quietly(
    store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rich table of pending exits 0 on a closed pipe too (rich alone exits 1)."""
    monkeypatch.setattr(sys, "stdout", _FailingStdout(BrokenPipeError(errno.EPIPE, "pipe")))
    assert main(["pending", "--store", str(store)]) == 0
    assert capsys.readouterr().err == ""


def test_full_disk_under_stdout_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any command whose stdout fails with an OSError ends on one line, exit 2."""
    monkeypatch.setattr(sys, "stdout", _FailingStdout(OSError(errno.ENOSPC, "No space left")))
    line = one_error_line(capsys, REASONS)
    assert "No space left" in line


def test_head_on_a_real_pipe_exits_zero(tmp_path: Path) -> None:
    """`amzcancel parse ... | head -1` on a real pipe: exit 0 and an empty stderr."""
    argv = [sys.executable, "-c", "from amzcancel.cli import main; raise SystemExit(main())"]
    argv += ["parse"] + [str(REPORT)] * 400  # far more than a pipe buffer holds
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # what `head -1` does after its line
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert first.startswith(b"{")
    assert err == b""


def test_ctrl_c_is_exit_130_and_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while a command runs: exit 130 and one line, no traceback."""

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("amzcancel._commands.parse.iter_document", interrupted)
    assert main(["parse", str(REPORT)]) == 130
    err = capsys.readouterr().err
    assert err == "amzcancel parse: interrupted\n"


# --- sync ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "since", ["last tuesday", "2026-13-01", "2026-11-31", "20261120T", ""], ids=repr
)
def test_sync_bad_since(tmp_path: Path, capsys: pytest.CaptureFixture[str], since: str) -> None:
    """A --since that is not an ISO 8601 date is one line and creates no store."""
    store = tmp_path / "s.db"
    line = one_error_line(capsys, ["sync", "--sandbox", "--since", since, "--store", str(store)])
    assert "--since" in line
    assert not store.exists()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["--since", "2999-01-01"], "later than now", id="future-since"),
        pytest.param(["--marketplace", ""], "marketplace id", id="empty-marketplace"),
        pytest.param(["--marketplace", "ATVPDKIKX0DER,A1"], "marketplace id", id="comma"),
        pytest.param(["--endpoint", "http://127.0.0.1:9"], "--endpoint", id="sandbox-endpoint"),
        pytest.param(["--lwa-endpoint", "http://127.0.0.1:9"], "--lwa-endpoint", id="sandbox-lwa"),
    ],
)
def test_sync_refuses_what_it_would_otherwise_ignore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    """A future --since, a blank marketplace, an endpoint beside --sandbox: one line, no store.

    Each would otherwise run quietly doing something else than asked (sync nothing, send a
    blank marketplace to Amazon, or sync the built-in marketplace instead of the given URL).
    """
    store = tmp_path / "s.db"
    line = one_error_line(capsys, ["sync", "--sandbox", *argv, "--store", str(store)])
    assert expected in line
    assert not store.exists()


@pytest.mark.parametrize("kind", ["text", "binary", "directory", "newer"])
def test_sync_refuses_a_file_that_is_not_a_store(
    corrupt_stores: dict[str, Path], capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """A corrupt, non-SQLite, directory or newer-schema --store: one line naming it."""
    path = corrupt_stores[kind]
    line = one_error_line(capsys, ["sync", "--sandbox", "--store", str(path)])
    assert str(path) in line


def test_sync_store_in_a_missing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --store whose directory does not exist is one line naming the path."""
    path = tmp_path / "no" / "such" / "dir" / "s.db"
    line = one_error_line(capsys, ["sync", "--sandbox", "--store", str(path)])
    assert str(path) in line


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["sync", "--api", "v1"], id="unknown-api"),
        pytest.param(["sync", "--api"], id="api-without-value"),
        pytest.param(["sync", "--sandbox", "--marketplace", "XXBOGUS"], id="marketplace"),
    ],
)
def test_sync_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Unknown --api, a flag missing its value, an unknown marketplace: one line, exit 2."""
    one_error_line(capsys, [*argv, "--store", str(tmp_path / "s.db")])


# --- pending -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text", "binary", "directory", "newer"])
def test_pending_refuses_a_file_that_is_not_a_store(
    corrupt_stores: dict[str, Path], capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """pending on a corrupt, non-SQLite, directory or newer-schema store: one line."""
    path = corrupt_stores[kind]
    line = one_error_line(capsys, ["pending", "--store", str(path)])
    assert str(path) in line


def test_pending_missing_store_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pending on a path with no store says so and leaves no empty database behind."""
    path = tmp_path / "missing" / "s.db"
    line = one_error_line(capsys, ["pending", "--store", str(path), "--json"])
    assert "no such store" in line
    assert not path.exists()


# --- reasons -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--status", "Lost", "--channel", "MFN", "--buyer-requested", "yes"], id="st"),
        pytest.param(
            ["--status", "Unshipped", "--channel", "FBM", "--buyer-requested", "y"], id="ch"
        ),
        pytest.param(
            ["--status", "Unshipped", "--channel", "MFN", "--buyer-requested", "?"], id="br"
        ),
        pytest.param(["--status", "Unshipped", "--channel", "MFN"], id="missing-flag"),
    ],
)
def test_reasons_bad_values(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Unknown --status/--channel/--buyer-requested values or a missing flag: one line, exit 2."""
    one_error_line(capsys, ["reasons", *argv])


# --- cancel --------------------------------------------------------------------------------


def test_cancel_unknown_reason_lists_the_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown --reason is refused before any request, listing the valid codes."""
    line = one_error_line(capsys, ["cancel", "902-1845936-5435065", "--reason", "Changed mind"])
    assert "BuyerCanceled" in line


def test_cancel_unknown_order_in_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    """An order id Amazon does not know is one line with Amazon's answer."""
    one_error_line(
        capsys, ["cancel", "not-an-order", "--reason", "BuyerCanceled", "--sandbox", "--dry-run"]
    )


@pytest.mark.parametrize("flag", ["--endpoint", "--lwa-endpoint"])
def test_cancel_sandbox_refuses_an_endpoint(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    """--sandbox with an endpoint would cancel in the built-in marketplace, not at the URL."""
    argv = ["cancel", "114-4649153-0540800", "--reason", "BuyerCanceled", "--sandbox"]
    line = one_error_line(capsys, [*argv, flag, "http://127.0.0.1:9", "--dry-run"])
    assert flag in line


def test_cancel_without_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    """cancel without LWA variables names them on one line."""
    line = one_error_line(capsys, ["cancel", "902-1845936-5435065", "--reason", "NoInventory"])
    assert "LWA_APP_ID" in line


# --- sandbox serve -------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["99999", "-1", "65536", "http"])
def test_sandbox_port_out_of_range(capsys: pytest.CaptureFixture[str], port: str) -> None:
    """A --port outside 0..65535 is a usage error, not an OverflowError traceback."""
    line = one_error_line(capsys, ["sandbox", "serve", "--port", port])
    assert "--port" in line


def test_sandbox_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    """A --port already taken on 127.0.0.1 is one line saying so."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_error_line(capsys, ["sandbox", "serve", "--port", str(port)])
    assert str(port) in line


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--faults", "2"], id="faults"),
        pytest.param(["--speed", "0"], id="speed"),
        pytest.param(["--orders", "-5"], id="orders"),
    ],
)
def test_sandbox_bad_options(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Out-of-range --faults, --speed and --orders are refused on one line."""
    one_error_line(capsys, ["sandbox", "serve", "--port", "0", *argv])


# --- record --------------------------------------------------------------------------------


def test_record_out_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--out naming a directory is refused up front, not an IsADirectoryError after the sync."""
    line = one_error_line(capsys, ["record", "--out", str(tmp_path), "--sandbox"])
    assert "--out" in line
    assert "directory" in line


def test_record_out_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--out whose parent is a file is one line naming the path."""
    parent = tmp_path / "file"
    parent.write_text("x")
    line = one_error_line(capsys, ["record", "--out", str(parent / "f.json"), "--sandbox"])
    assert str(parent) in line


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--since", "yesterday", "--sandbox"], id="since"),
        pytest.param(["--seed", "3"], id="seed-without-sandbox"),
        pytest.param(["--api", "v2", "--sandbox"], id="api"),
    ],
)
def test_record_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Bad --since, --seed without --sandbox, unknown --api: one line and no fixture written."""
    out = tmp_path / "f.json"
    one_error_line(capsys, ["record", "--out", str(out), *argv])
    assert not out.exists()


@pytest.mark.parametrize("kind", ["text", "newer"])
def test_record_refuses_a_file_that_is_not_a_store(
    tmp_path: Path,
    corrupt_stores: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    """record --store on a corrupt or newer store: one line, and no fixture written."""
    out = tmp_path / "f.json"
    argv = ["record", "--out", str(out), "--sandbox", "--store", str(corrupt_stores[kind])]
    one_error_line(capsys, argv)
    assert not out.exists()


def test_record_sandbox_runs_on_simulated_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """record --sandbox builds its marketplace on simulated time, as sync --sandbox does.

    On the real clock, v0 and MWS item calls were paced in real seconds: minutes per record.
    """
    from amzcancel.clock import FakeClock
    from amzcancel.sandbox import Marketplace

    real = Marketplace.demo.__func__  # type: ignore[attr-defined]
    clocks: list[object] = []

    def spy(cls: type[Marketplace], **kwargs: Any) -> Marketplace:
        market: Marketplace = real(cls, **kwargs)
        clocks.append(market.clock)
        return market

    monkeypatch.setattr(Marketplace, "demo", classmethod(spy))
    for extra in ([], ["--seed", "3"]):
        out = tmp_path / f"f{len(extra)}.json"
        argv = ["record", "--out", str(out), "--sandbox", "--json", *extra]
        assert main(argv) == 0, capsys.readouterr().err
        assert out.is_file()
    assert len(clocks) == 2
    assert all(isinstance(clock, FakeClock) for clock in clocks)


@pytest.mark.parametrize("command", ["sync", "pending"])
def test_another_applications_database_is_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """A --store naming another app's SQLite file is refused, and nothing is written into it."""
    path = tmp_path / "erp.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    argv = [command, "--store", str(path)] + (["--sandbox"] if command == "sync" else [])
    line = one_error_line(capsys, argv)
    assert "not an amzcancel store" in line
    conn = sqlite3.connect(path)
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    assert tables == ["customers"]
    assert journal == "delete"


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["parse", str(REPORT)], id="parse"),
        pytest.param(["pending", "--json", "--store", "missing.db"], id="pending"),
        pytest.param(["sync", "--sandbox", "--store", "never-created.db"], id="sync"),
        pytest.param(
            ["cancel", "902-1845936-5435065", "--reason", "NoInventory", "--dry-run"], id="cancel"
        ),
    ],
)
def test_closed_stdout_is_one_line_before_anything_runs(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> None:
    """Started with stdout closed (``>&-``): one line and exit 2, not an AttributeError."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdout", None)
    line = one_error_line(capsys, argv)
    assert "standard output is closed" in line
    assert not (tmp_path / "never-created.db").exists()


@pytest.mark.parametrize("when", ["connected", "request-sent"])
def test_sigterm_ends_a_command_with_a_line_like_ctrl_c(tmp_path: Path, when: str) -> None:
    """SIGTERM to a sync waiting on a server that never answers: one line, exit 143.

    (It used to end with 143 and not a word, unlike Ctrl-C. Landing during a socket write, a
    plain exception was taken by asyncio for a broken connection and the call retried.)
    """
    import signal
    import socket
    import subprocess
    import sys

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = {
        **os.environ,
        "LWA_APP_ID": "amzn1.application-oa2-client.x",
        "LWA_CLIENT_SECRET": "s",
        "SP_API_REFRESH_TOKEN": "Atzr|x",
    }
    command = [sys.executable, "-m", "amzcancel.cli", "sync", "--store", str(tmp_path / "s.db")]
    proc = subprocess.Popen(
        [*command, "--endpoint", url, "--lwa-endpoint", url + "/auth/o2/token"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        connection, _ = listener.accept()  # the token request is under way: it never ends
        with connection:
            if when == "request-sent":
                connection.recv(100)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
    finally:
        listener.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143
    assert err.strip().splitlines()[-1] == "amzcancel sync: terminated (SIGTERM)"
    assert "Traceback" not in err


def test_sigterm_stops_the_served_sandbox_cleanly() -> None:
    """A served sandbox stops on SIGTERM as on Ctrl-C: "stopped", exit status 0."""
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "amzcancel.cli", "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "serving" in proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert err.strip() == "amzcancel sandbox: stopped"
