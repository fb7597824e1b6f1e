"""The package's shape: the core never imports a tool, tools use public names, no import circles.

Every import statement counts, wherever it stands (module top, inside a function, under
``TYPE_CHECKING``): a circle hidden in a function still ties two modules into one, and a core
module that reaches for the sandbox only "when needed" still ships the dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "amzcancel"

TOOLS = (
    "amzcancel.sandbox",
    "amzcancel.testing",
    "amzcancel.cli",
    "amzcancel._commands",
    "amzcancel.__main__",
)
"""What is built on the core: the simulated marketplace, the testing kit, the command line
(and ``python -m amzcancel``, which runs it)."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _is_tool(name: str) -> bool:
    return any(name == t or name.startswith(t + ".") for t in TOOLS)


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str) -> Iterator[tuple[str, list[str], int]]:
    """``(module imported, names taken from it, line)`` for every import in module ``name``."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if _is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, [a.name for a in node.names], node.lineno


def _targets(imported: str, names: list[str]) -> set[str]:
    """The modules of this package an import loads: the module, or submodules named in it."""
    found: set[str] = set()
    if imported in MODULES:
        found.add(imported)
    for name in names:
        sub = f"{imported}.{name}"
        if sub in MODULES:
            found.add(sub)
    return found


def _edges() -> dict[str, set[str]]:
    """Module -> modules of this package it imports, parent packages included.

    ``import a.b.c`` runs ``a/b/__init__.py`` first, so it depends on that package too, unless
    the importer lives inside the package already (then the package is being imported anyway).
    """
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name in MODULES:
        for imported, names, _ in _imports(name):
            for target in _targets(imported, names):
                chain = target.split(".")
                for depth in range(2, len(chain) + 1):
                    step = ".".join(chain[:depth])
                    if step in MODULES and step != name and not name.startswith(step + "."):
                        graph[name].add(step)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_core_never_imports_a_tool() -> None:
    """No core module imports the sandbox, the testing kit or the CLI, anywhere in its code."""
    offences = [
        f"{name}:{line} imports {imported}"
        for name in MODULES
        if not _is_tool(name) and name != "amzcancel"
        for imported, _, line in _imports(name)
        if _is_tool(imported)
    ]
    assert offences == []


def test_tools_use_only_the_cores_public_names() -> None:
    """Tools import core modules without a private segment, and no private name from them."""
    offences = []
    for name in MODULES:
        if not _is_tool(name):
            continue
        for imported, names, line in _imports(name):
            if not imported.startswith("amzcancel") or _is_tool(imported):
                continue
            private = [p for p in imported.split(".") if p.startswith("_")]
            hidden = [n for n in names if n.startswith("_") and not n.endswith("__")]
            if private or hidden:
                offences.append(f"{name}:{line} imports {imported} {hidden or ''}".rstrip())
    assert offences == []


def test_no_import_circles() -> None:
    """No two modules of the package import each other, directly or around a loop."""
    assert _cycles(_edges()) == []


def test_the_checks_see_what_they_should() -> None:
    """The graph is not empty: the engine imports the store's protocol, the CLI the sync."""
    graph = _edges()
    assert "amzcancel.sync._protocol" in graph["amzcancel.sync.engine"]
    assert any(t.startswith("amzcancel.sync") for t in graph["amzcancel._commands.sync"])
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_loading_the_pytest_plugin_costs_nearly_nothing() -> None:
    """Every pytest run of a project that installed amzcancel loads the plugin: it must not
    import pydantic, httpx or amzcancel's models until a fixture is used."""
    import subprocess
    import sys

    code = (
        "import sys, amzcancel.testing.plugin\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('pydantic', 'httpx', 'rich')"
        " or m in ('amzcancel.models', 'amzcancel.errors', 'amzcancel.sync')]\n"
        "print(','.join(sorted(heavy)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


def test_every_public_name_still_loads() -> None:
    """The lazy package resolves every name of ``__all__``, the version included."""
    import amzcancel

    for name in amzcancel.__all__:
        assert getattr(amzcancel, name) is not None
    assert amzcancel.__version__.count(".") >= 2
