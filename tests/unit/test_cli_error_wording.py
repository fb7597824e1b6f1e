"""Each command's errors read as a command line's: what is wrong, and the next step, in one line.

A Python hint (``credentials=``) in a shell, a suggestion of another command's flags, or a
traceback would each stop a new user; so would raw bytes of a binary file in a message.
"""

from __future__ import annotations

import pytest

from amzcancel.cli import main

_PYTHON_HINTS = (
    "credentials=",
    "pass credentials",
    "Traceback",
    "ConfigError",
    "MissingCredentials",
)


def error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The one stderr line of a command that fails with exit status 2."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    line = err[0]
    assert line.startswith(f"amzcancel {argv[0]}: error: "), line
    assert not any(hint in line for hint in _PYTHON_HINTS), line
    return line


@pytest.mark.parametrize(
    ("command", "sandbox_hint"),
    [
        pytest.param(["sync"], "add --sandbox to sync the built-in", id="sync"),
        pytest.param(
            ["cancel", "114-4649153-0540800", "--reason", "BuyerCanceled"],
            "add --sandbox to cancel on the built-in",
            id="cancel",
        ),
        pytest.param(
            ["record", "--out", "fixture.json"], "add --sandbox to record the built-in", id="record"
        ),
    ],
)
def test_missing_credentials_name_every_variable_and_the_next_steps(
    capsys: pytest.CaptureFixture[str], command: list[str], sandbox_hint: str
) -> None:
    """sync, cancel and record: every variable to set, where they come from, and --sandbox."""
    line = error_line(capsys, command)
    assert "SP-API credentials missing: set the environment variables LWA_APP_ID, " in line
    assert "LWA_CLIENT_SECRET, SP_API_REFRESH_TOKEN" in line
    assert "`amzcancel check --help` says where each value comes from" in line
    assert line.endswith(f"or {sandbox_hint} simulated marketplace instead")


def test_missing_mws_keys_suggest_sp_api(capsys: pytest.CaptureFixture[str]) -> None:
    """sync --api mws: the MWS variables, and that SP-API is the way now."""
    line = error_line(capsys, ["sync", "--api", "mws"])
    assert "MWS credentials missing: set the environment variables MWS_ACCESS_KEY, " in line
    assert "or leave out --api mws to use SP-API" in line


def test_check_without_credentials_reports_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    """check: the report names what is missing, the error line names the failed check."""
    assert main(["check"]) == 2
    captured = capsys.readouterr()
    assert "FAIL  credentials  not set: LWA_APP_ID, LWA_CLIENT_SECRET, SP_API_REFRESH_TOKEN" in (
        captured.out
    )
    assert (
        captured.err.strip() == "amzcancel check: error: 1 check(s) failed: credentials (see above)"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "the document is empty (0 bytes)", id="empty"),
        pytest.param(b"\n \t\n", "the document holds only whitespace (4 bytes)", id="blank"),
        pytest.param(
            b"\x1f\x8b\x08\x00rest",
            "gzip-compressed data: decompress it first (gunzip FILE)",
            id="gz",
        ),
        pytest.param(
            b"PK\x03\x04rest",
            "a ZIP archive (or an Excel workbook): extract or export it as text first",
            id="zip",
        ),
        pytest.param(
            bytes([0xFA, 0x00, 0x1B, 0x9B, 0x07]) * 50,
            "binary data (first bytes fa 00 1b 9b 07 fa 00 1b 9b 07 fa 00)",
            id="binary",
        ),
    ],
)
@pytest.mark.parametrize("fmt", ["auto", "spapi-v0", "mws", "report"])
def test_parse_says_what_the_file_is_instead(
    tmp_path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str, fmt: str
) -> None:
    """parse: an empty, blank, compressed or binary file is named as such, in any --format,
    and no raw byte of it reaches the terminal."""
    path = tmp_path / "input.json"
    path.write_bytes(content)
    line = error_line(capsys, ["parse", "--format", fmt, str(path)])
    assert line == f"amzcancel parse: error: {path}: {fmt}: not a text document: {expected}" or (
        line == f"amzcancel parse: error: {path}: {fmt}: {expected}"
    )
    assert line.isprintable()
    assert "\ufffd" not in line


def test_pending_without_a_store_says_to_sync_first(capsys: pytest.CaptureFixture[str]) -> None:
    """pending: a store that is not there is named, with the command that makes it."""
    line = error_line(capsys, ["pending"])
    assert (
        line == "amzcancel pending: error: amzcancel.db: no such store (run `amzcancel sync` first)"
    )


def test_reasons_bad_status_lists_the_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    """reasons: an unknown status lists the ones there are (argparse's own exit 2)."""
    argv = ["reasons", "--status", "Bogus", "--channel", "MFN", "--buyer-requested", "no"]
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("amzcancel reasons: error: argument --status: unknown order status")
    assert "(use one of Pending, PendingAvailability, Unshipped" in line


def test_sandbox_serve_port_in_use_names_the_address(capsys: pytest.CaptureFixture[str]) -> None:
    """sandbox serve: an address that cannot be listened on is named."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = error_line(capsys, ["sandbox", "serve", "--port", str(port)])
    assert line.startswith(f"amzcancel sandbox: error: cannot listen on 127.0.0.1:{port}: ")


def test_record_into_a_missing_directory_creates_nothing(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    """record: --out in a directory that is not there is refused before the sync runs."""
    out = tmp_path / "no" / "such" / "dir" / "x.json"
    line = error_line(capsys, ["record", "--sandbox", "--out", str(out)])
    assert f"there is no directory {out.parent}; create it first" in line
    assert not (tmp_path / "no").exists()


@pytest.mark.slow
def test_connection_failure_names_the_host_and_suggests_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """sync against a host that refuses connections: the host, the call, and `amzcancel check`."""
    import socket

    for name in ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN"):
        monkeypatch.setenv(name, "x")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        url = f"http://127.0.0.1:{port}"
        assert main(["sync", "--endpoint", url, "--lwa-endpoint", f"{url}/auth/o2/token"]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(
        f"amzcancel sync: error: could not connect to 127.0.0.1:{port} (LWA token request)"
    )
    assert last.endswith("or run `amzcancel check` to test the connection and the credentials")


def test_completion_without_argcomplete_says_how_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """completion: without argcomplete, the extra to install."""
    import builtins

    real_import = builtins.__import__

    def no_argcomplete(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("argcomplete"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_argcomplete)
    line = error_line(capsys, ["completion", "bash"])
    assert line == (
        "amzcancel completion: error: shell completion needs argcomplete: "
        "pip install 'amzcancel[completion]'"
    )
