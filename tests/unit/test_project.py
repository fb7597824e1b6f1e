"""Project-level guarantees: public names, the README's commands, CI."""

from __future__ import annotations

import re
from pathlib import Path

import amzcancel

ROOT = Path(__file__).resolve().parents[2]


def test_all_lists_exactly_the_public_names() -> None:
    """`__all__` names every public attribute of the package, each importable, and no other."""
    public = {
        name
        for name in dir(amzcancel)
        if not name.startswith("_") and not isinstance(getattr(amzcancel, name), type(amzcancel))
    }
    assert set(amzcancel.__all__) - {"__version__"} == public
    assert list(amzcancel.__all__) == sorted(amzcancel.__all__, key=str)
    for name in amzcancel.__all__:
        assert getattr(amzcancel, name) is not None


def test_ci_runs_the_readme_test_command() -> None:
    """`.ci/run` runs exactly the test command the README gives as its second command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "sandbox" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_package_is_typed() -> None:
    """The package ships `py.typed` so users' type checkers read our hints."""
    assert (Path(amzcancel.__file__).parent / "py.typed").exists()


def test_tests_read_nothing_outside_the_checkout() -> None:
    """CI runs a bare clone: the official models come from tests/amazon_models, not ../shared."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for path in (root / "tests").rglob("*.py")
        if path.name != "test_project.py"
        and (
            "parents[3]" in path.read_text(encoding="utf-8")
            or '"shared" / "reference"' in path.read_text(encoding="utf-8")
        )
    ]
    assert offenders == []
