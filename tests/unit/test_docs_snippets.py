"""The documentation's examples run as written, and its relative links resolve.

Every fenced ``python`` block of ``docs/*.md``, ``README.md`` and ``benchmarks/README.md`` is
compiled. Blocks of one page run in order in one namespace (like a doctest session), in a
temporary working directory whose ``tests/fixtures/`` links to the repository's fixtures (so
fixture paths in the docs resolve, and files the examples write stay in the scratch directory)
and with the sandbox's fake credentials in the environment. A block preceded by
``<!-- not-run: REASON -->`` (it needs Amazon credentials, a network or a name the reader
supplies) is compiled and only its ``amzcancel`` imports are run.

In ``console`` blocks, every ``$ amzcancel ...`` command (continuation lines joined, ``&&``
chains split) runs through ``amzcancel.cli.main`` in the page's working directory, in order,
and must exit 0; ``$ amzcancel ...; echo "exit $?"`` followed by an ``exit N`` output line must
exit N. Other commands (``pip``, ``python``, ``curl``, ``export``) are not run; a block with
``export`` lines or pipes must be marked ``not-run``.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from amzcancel import cli, sandbox

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "README.md",
    ROOT / "benchmarks" / "README.md",
]

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)
_NOT_RUN = re.compile(r"<!--\s*not-run:\s*(?P<why>[^>]*?)\s*-->\s*\Z")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_EXIT_ECHO = re.compile(r';\s*echo\s+"exit \$\?"\s*$')
_SANDBOX_ENV = {
    "LWA_APP_ID": sandbox.SANDBOX_LWA_CLIENT_ID,
    "LWA_CLIENT_SECRET": sandbox.SANDBOX_LWA_CLIENT_SECRET,
    "SP_API_REFRESH_TOKEN": sandbox.SANDBOX_LWA_REFRESH_TOKEN,
    "MWS_ACCESS_KEY": sandbox.SANDBOX_MWS_ACCESS_KEY,
    "MWS_SECRET_KEY": sandbox.SANDBOX_MWS_SECRET_KEY,
    "MWS_SELLER_ID": sandbox.SANDBOX_MWS_SELLER_ID,
}


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    lang: str
    body: str
    not_run: str | None

    @property
    def where(self) -> str:
        """``page:line`` of the opening fence, for failure messages."""
        return f"{self.page.relative_to(ROOT)}:{self.line}"


@dataclass(frozen=True)
class Command:
    """One ``$ amzcancel ...`` command of a console block, with the exit status it must give."""

    argv: list[str]
    expected_exit: int
    where: str


def _blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip()
        marker = _NOT_RUN.search(before)
        blocks.append(
            Block(
                page=page,
                line=text.count("\n", 0, match.start()) + 1,
                lang=match.group("lang"),
                body=match.group("body"),
                not_run=marker.group("why") if marker else None,
            )
        )
    return blocks


def _commands(block: Block) -> list[Command]:
    """The amzcancel commands of a console block (continuations joined, ``&&`` split)."""
    lines = block.body.splitlines()
    commands: list[Command] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith("$ "):
            continue
        text = line[2:]
        while text.endswith("\\") and i < len(lines):
            text = text[:-1] + " " + lines[i].strip()
            i += 1
        expected = 0
        if _EXIT_ECHO.search(text):
            text = _EXIT_ECHO.sub("", text)
            shown = next((out for out in lines[i:] if out.startswith("exit ")), None)
            assert shown is not None, f"{block.where}: 'echo exit $?' without an 'exit N' line"
            expected = int(shown.split()[1])
        for part in text.split("&&"):
            argv = shlex.split(part)
            if argv and argv[0] == "amzcancel":
                shell = {"|", ">", "<", ";", "&"} & set(argv)
                assert not shell, f"{block.where}: {part.strip()!r} needs a shell: mark not-run"
                commands.append(Command(argv[1:], expected, f"{block.where}: $ {part.strip()}"))
    return commands


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.fixture
def doc_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch working directory with the test fixtures linked in and the sandbox credentials set.

    ``tests/fixtures`` is a real directory whose entries link to the repository's, so an
    example that writes ``tests/fixtures/orders.json`` writes into the scratch directory.
    """
    fixtures = tmp_path / "tests" / "fixtures"
    fixtures.mkdir(parents=True)
    for entry in (ROOT / "tests" / "fixtures").iterdir():
        (fixtures / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    monkeypatch.chdir(tmp_path)
    for name, value in _SANDBOX_ENV.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def _run_imports(block: Block, namespace: dict[str, Any]) -> None:
    """Run the top-level ``amzcancel`` imports of a block that is not run as a whole."""
    tree = ast.parse(block.body, filename=block.where)
    imports: list[ast.stmt] = [
        node
        for node in tree.body
        if (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("amzcancel"))
        or (
            isinstance(node, ast.Import)
            and all(alias.name.startswith("amzcancel") for alias in node.names)
        )
    ]
    exec(compile(ast.Module(body=imports, type_ignores=[]), block.where, "exec"), namespace)


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_python_blocks_run(page: Path, doc_workdir: Path) -> None:
    """Each Python example of the page compiles, and the runnable ones run in order."""
    namespace: dict[str, Any] = {"__name__": "__doc_snippet__"}
    for block in _blocks(page):
        if block.lang != "python":
            continue
        code = compile(block.body, block.where, "exec")
        if block.not_run is not None:
            assert block.not_run, f"{block.where}: 'not-run:' needs a reason"
            _run_imports(block, dict(namespace))
            continue
        try:
            exec(code, namespace)
        except Exception as exc:
            pytest.fail(f"{block.where}: the example raised {exc!r}")


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
@pytest.mark.slow
def test_console_commands_run(page: Path, doc_workdir: Path) -> None:
    """Each ``$ amzcancel`` command of the page's console blocks exits with the status shown."""
    for block in _blocks(page):
        if block.lang != "console" or block.not_run is not None:
            continue
        assert "\n$ export " not in "\n" + block.body, f"{block.where}: export needs not-run"
        for command in _commands(block):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    status = cli.main(command.argv)
                except SystemExit as exc:  # argparse refusing the flags
                    status = exc.code if isinstance(exc.code, int) else 2
            assert status == command.expected_exit, (
                f"{command.where} exited {status}, expected {command.expected_exit}; "
                f"stderr: {err.getvalue()[-500:]}"
            )


def test_readme_parse_example_prints_what_it_shows(doc_workdir: Path) -> None:
    """The README's ``amzcancel parse`` example prints exactly the JSON line shown under it."""
    (block,) = [b for b in _blocks(ROOT / "README.md") if b.lang == "console" and "parse" in b.body]
    command, shown = block.body.splitlines()[:2]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(shlex.split(command[2:])[1:]) == 0
    assert out.getvalue().strip() == shown


def test_not_run_markers_give_a_reason() -> None:
    """Every ``not-run`` marker names why the block cannot run, so none is left by accident."""
    for page in PAGES:
        for block in _blocks(page):
            if block.not_run is not None:
                assert block.not_run.strip(), f"{block.where}: 'not-run:' needs a reason"


def _links(page: Path) -> Iterator[tuple[int, str]]:
    text = page.read_text(encoding="utf-8")
    fenced = [(m.start(), m.end()) for m in _FENCE.finditer(text)]
    for match in _LINK.finditer(text):
        if any(start <= match.start() < end for start, end in fenced):
            continue
        yield text.count("\n", 0, match.start()) + 1, match.group("target")


def _anchors(page: Path) -> set[str]:
    """GitHub-style anchors of the page's headings."""
    anchors = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            title = re.sub(r"[^\w\- ]", "", title)
            anchors.add(title.replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_relative_links_resolve(page: Path) -> None:
    """Every relative link of the page points at a file (and heading) that exists."""
    broken = []
    for line, target in _links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{page.name}:{line}: {target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{page.name}:{line}: {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_index_links_every_page() -> None:
    """docs/index.md links every page of docs/, so no page is unreachable."""
    linked = {target.partition("#")[0] for _, target in _links(ROOT / "docs" / "index.md")}
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} - {"index.md"}
    assert pages <= linked, f"not linked from docs/index.md: {sorted(pages - linked)}"


def test_the_site_navigation_lists_every_page() -> None:
    """mkdocs.yml's nav names every page under docs/, and only pages that exist.

    MkDocs builds a page left out of the nav but shows it nowhere: that is how a page gets lost.
    """
    import yaml  # the docs extra's dependency (mkdocs)

    class _Loader(yaml.SafeLoader):
        """Reads mkdocs.yml's python tags (the slug function) as plain values."""

    _Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)

    def walk(entries: object) -> Iterator[str]:
        if isinstance(entries, str):
            yield entries
        elif isinstance(entries, list):
            for entry in entries:
                yield from walk(entry)
        elif isinstance(entries, dict):
            for value in entries.values():
                yield from walk(value)

    listed = set(walk(config["nav"]))
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert sorted(pages - listed) == [], "pages missing from mkdocs.yml's nav"
    assert sorted(listed - pages) == [], "mkdocs.yml's nav names pages that are not there"


def test_readme_links_the_docs_index() -> None:
    """The README points readers to docs/index.md."""
    assert "docs/index.md" in {target for _, target in _links(ROOT / "README.md")}


def test_environment_page_lists_every_variable_read() -> None:
    """docs/environment-variables.md names every variable the package reads from the environment."""
    names: set[str] = set()
    for source in (ROOT / "src" / "amzcancel").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        names.update(re.findall(r"\b(?:ENV_[A-Z_]+|[A-Z_]+_ENV)\b = \"([A-Z][A-Z0-9_]+)\"", text))
        names.update(re.findall(r"os\.environ(?:\.get\(|\[)\"([A-Z][A-Z0-9_]+)\"", text))
        names.update(re.findall(r"getenv\(\"([A-Z][A-Z0-9_]+)\"", text))
        for group in re.findall(r"\b[A-Z_]*ENV[A-Z_]* = \(([^)]*)\)", text):
            names.update(re.findall(r"\"([A-Z][A-Z0-9_]+)\"", group))
    doc = (ROOT / "docs" / "environment-variables.md").read_text(encoding="utf-8")
    assert names, "found no environment variable names in the source"
    missing = sorted(name for name in names if f"`{name}`" not in doc)
    assert not missing, f"read by the code but not in docs/environment-variables.md: {missing}"


def test_scratch_directory_is_isolated(doc_workdir: Path) -> None:
    """The examples run in a scratch directory, so a sync writes no amzcancel.db into the repo."""
    assert Path.cwd() == doc_workdir != ROOT
    assert os.environ["LWA_APP_ID"] == sandbox.SANDBOX_LWA_CLIENT_ID


def test_quickstart_cancels_an_open_sandbox_request(doc_workdir: Path) -> None:
    """The order and item the quickstart's dry-run cancel names are open requests after its sync."""
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    found = re.search(
        r"\$ amzcancel cancel (\S+) --item (\S+) --reason BuyerCanceled --sandbox", text
    )
    assert found is not None, "the quickstart has no sandbox cancel example"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["sync", "--sandbox"]) == 0
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["pending", "--json"]) == 0
    open_requests = {(r["amazon_order_id"], r["order_item_id"]) for r in json.loads(out.getvalue())}
    assert found.groups() in open_requests
