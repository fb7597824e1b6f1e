"""Every Python example of the documentation type-checks under ``mypy --strict``.

The examples are run (``test_docs_snippets.py``), but code that runs can still be typed wrong,
and a user who pastes an example into a project checked with ``mypy --strict`` meets that
first: the docs' ``cancel`` example once read ``report.summary()`` of a
``ProcessingReport | None``. Each page's ``python`` blocks are joined in order into one module
(as a reader pastes them, later blocks using earlier names), ``not-run`` blocks included, and
mypy checks them all against the installed package in one run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api as mypy_api
from test_docs_snippets import PAGES, ROOT, _blocks

pytestmark = pytest.mark.slow  # one mypy run over every page: about 20 s from a cold cache


def _module_name(page: Path) -> str:
    return "doc_" + re.sub(r"\W", "_", str(page.relative_to(ROOT).with_suffix("")))


def test_every_python_example_type_checks(tmp_path: Path) -> None:
    """``mypy --strict`` finds nothing wrong in any page's examples."""
    written: dict[str, Path] = {}
    for page in PAGES:
        blocks = [b for b in _blocks(page) if b.lang == "python"]
        if not blocks:
            continue
        # One line of `# page:line` before each block, so a failure points at the docs.
        body = "".join(f"# {b.where}\n{b.body}\n" for b in blocks)
        target = tmp_path / f"{_module_name(page)}.py"
        target.write_text(body, encoding="utf-8")
        written[target.name] = page
    assert len(written) >= 10, "found too few pages with Python examples"
    out, err, status = mypy_api.run(
        [
            "--strict",
            "--allow-redefinition",  # a page reassigns a name as a reader's session would
            "--no-error-summary",
            "--show-error-codes",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            *(str(tmp_path / name) for name in sorted(written)),
        ]
    )
    report = "\n".join(_point_at_docs(line, tmp_path) for line in out.splitlines())
    assert status == 0, f"examples that do not type-check:\n{report}\n{err}"


def _point_at_docs(line: str, folder: Path) -> str:
    """``doc_x.py:12: error`` -> the page and line of the block it came from."""
    match = re.match(r"(?P<file>[^:]+\.py):(?P<line>\d+): (?P<rest>.*)", line)
    if match is None:
        return line
    path = Path(match["file"])
    if not path.is_absolute():
        path = folder / path.name
    lines = path.read_text(encoding="utf-8").splitlines()[: int(match["line"])]
    marker = next((ln for ln in reversed(lines) if ln.startswith("# ") and ".md:" in ln), "")
    offset = int(match["line"]) - 1 - lines.index(marker) if marker else 0
    where = marker[2:] if marker else path.name
    return f"{where} (+{offset}): {match['rest']}"
