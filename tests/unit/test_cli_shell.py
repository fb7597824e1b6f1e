"""What a shell user expects of the command: -v anywhere, python -m, plain help, completion."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from amzcancel import cli
from amzcancel._commands._completion import SHELLS, completion_script


def test_verbose_after_the_command_is_the_same_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`amzcancel sync -v` logs like `amzcancel -v sync`; before and after add up."""
    levels: list[int] = []
    monkeypatch.setattr(cli, "_configure_logging", levels.append)
    monkeypatch.setattr(cli, "_run", lambda args: 0)
    for argv in (
        ["-v", "pending"],
        ["pending", "-v"],
        ["-v", "pending", "-v"],
        ["pending", "-vvv"],
    ):
        assert cli.main(argv) == 0
    assert levels == [1, 1, 2, 3]


def test_python_dash_m_runs_the_command() -> None:
    """`python -m amzcancel` is the same command (for a venv without scripts on PATH)."""
    done = subprocess.run(
        [sys.executable, "-m", "amzcancel", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("amzcancel ")
    usage = subprocess.run(
        [sys.executable, "-m", "amzcancel", "nosuch"], capture_output=True, text=True
    )
    assert usage.returncode == 2
    assert usage.stderr.startswith("amzcancel: error: argument COMMAND: invalid choice: 'nosuch'")


def test_help_has_no_restructuredtext(capsys: pytest.CaptureFixture[str]) -> None:
    """No command's --help shows docstring markup (``literal``, :class:, :func:)."""
    parser = cli.build_parser()
    texts = [parser.format_help()]
    pending = [parser]
    while pending:
        current = pending.pop()
        for action in current._actions:
            for sub in getattr(action, "choices", None) or {}:
                if isinstance(action.choices, dict):
                    child = action.choices[sub]
                    texts.append(child.format_help())
                    pending.append(child)
    assert len(texts) > 10
    for text in texts:
        markup = [mark for mark in ("``", ":class:", ":func:", ":meth:") if mark in text]
        assert markup == [], text[:200]


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_script_for_each_shell(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`amzcancel completion SHELL` prints a script that calls amzcancel for the candidates."""
    assert cli.main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert script == completion_script(shell)
    assert "amzcancel" in script
    assert "_ARGCOMPLETE" in script


def candidates(line: str, tmp_path: Path) -> list[str]:
    """What amzcancel answers a shell that asks for completions of ``line``.

    In a child process, as the shell runs it: argcomplete takes over file descriptors there.
    """
    answer = tmp_path / "candidates.txt"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(answer),
    }
    done = subprocess.run(
        [sys.executable, "-m", "amzcancel"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return answer.read_text(encoding="utf-8").split("\n")


@pytest.mark.slow
def test_completion_answers_from_the_parser(tmp_path: Path) -> None:
    """Asked by the shell, amzcancel answers the commands, a flag's choices, flags."""
    assert {"sync", "pending", "check", "completion"} <= set(candidates("amzcancel ", tmp_path))
    assert set(candidates("amzcancel sync --api ", tmp_path)) == {"auto", "2026", "v0", "mws"}
    assert [c.strip() for c in candidates("amzcancel sync --sa", tmp_path)] == ["--sandbox"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_through_the_installed_command(tmp_path: Path) -> None:
    """End to end: bash loads the script, and its completion function asks amzcancel."""
    script = tmp_path / "amzcancel.bash"
    script.write_text(completion_script("bash"), encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    probe = (
        f"source {script}\n"
        "COMP_WORDS=(amzcancel syn); COMP_CWORD=1; COMP_LINE='amzcancel syn'; COMP_POINT=13\n"
        "_python_argcomplete amzcancel\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", probe], capture_output=True, text=True, env=env
    )
    assert done.stdout.split() == ["sync"], done.stderr
