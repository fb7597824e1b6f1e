"""`amzcancel sandbox serve`: arguments, output and errors."""

from __future__ import annotations

import argparse
import socket
import threading
import urllib.request

import pytest

from amzcancel._commands import sandbox as sandbox_command
from amzcancel.cli import build_parser, main


def test_serve_arguments_parse() -> None:
    """`sandbox serve` takes the documented flags."""
    args = build_parser().parse_args(
        [
            "sandbox",
            "serve",
            "--port",
            "0",
            "--seed",
            "3",
            "--orders",
            "9",
            "--speed",
            "50",
            "--faults",
            "0.1",
            "--live",
        ]
    )
    assert (args.port, args.seed, args.orders, args.speed, args.faults, args.live) == (
        0,
        3,
        9,
        50.0,
        0.1,
        True,
    )


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--faults", "2"], id="faults"),
        pytest.param(["--speed", "0"], id="speed"),
        pytest.param(["--port", "x"], id="port"),
    ],
)
def test_bad_flags_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A bad flag value ends with exit status 2 and one line on stderr."""
    with pytest.raises(SystemExit) as exited:
        main(["sandbox", "serve", *argv])
    assert exited.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_serve_prints_url_and_env_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """serve prints the base URL and export lines, answers on it, and stops when told."""
    args = build_parser().parse_args(["sandbox", "serve", "--port", "0", "--orders", "3"])
    stop = threading.Event()
    thread = threading.Thread(target=sandbox_command._serve, args=(args,), kwargs={"stop": stop})
    thread.start()
    try:
        for _ in range(200):
            out = capsys.readouterr().out
            if "http://" in out:
                break
            stop.wait(0.02)
        url = out.split(" at ", 1)[1].split()[0]
        assert "export LWA_APP_ID=" in out
        assert "export MWS_SECRET_KEY=" in out
        with urllib.request.urlopen(f"{url}/_sandbox/truth", timeout=5) as answer:
            assert answer.status == 200
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_port_in_use_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A busy port ends with exit status 2 and a one-line message, not a traceback."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["sandbox", "serve", "--port", str(port), "--orders", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("amzcancel sandbox: error: cannot listen")
    assert len(err.strip().splitlines()) == 1


def test_register_sets_handler() -> None:
    """The subcommand sets a handler, as every command module must."""
    parser = argparse.ArgumentParser()
    sandbox_command.register(parser.add_subparsers())
    assert parser.parse_args(["sandbox", "serve"]).handler is sandbox_command._serve
