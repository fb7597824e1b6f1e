"""docs/cli.md documents every command and flag the parser has, and no flag it lacks.

The page has one ``## amzcancel COMMAND`` section per command (``## amzcancel sandbox serve``
for nested ones) and a ``## Global options`` section, each with a table whose first column
names the flags. A flag added to the parser without a row in its command's table, a new choice
not mentioned, or a flag left in a table after it was removed, fails here.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from amzcancel.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "cli.md"
GLOBAL = "Global options"
HELP = frozenset({"-h", "--help"})

_HEADING = re.compile(r"^## +(?P<title>.+?)[ \t]*$", re.M)
_TABLE_ROW = re.compile(r"^\|(?P<first>[^|\n]*)\|", re.M)


def _sections() -> dict[str, str]:
    """The page's ``## `` sections by title (backticks dropped), each with its subsections."""
    text = PAGE.read_text(encoding="utf-8")
    matches = list(_HEADING.finditer(text))
    sections: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following is not None else len(text)
        sections[match.group("title").replace("`", "").strip()] = text[match.end() : end]
    return sections


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's subcommands by name (none for a command that runs)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command that runs (has no subcommands of its own), with its words after amzcancel."""
    for name, sub in _subcommands(parser).items():
        if _subcommands(sub):
            yield from _commands(sub, (*path, name))
        else:
            yield (*path, name), sub


def _mentions(text: str, word: str) -> bool:
    """``word`` (a flag, a choice, a metavar) appears on its own, not inside a longer flag."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def _table_names(section: str) -> set[str]:
    """The backticked names in the first column of the section's tables (flags, PATH, ...)."""
    names: set[str] = set()
    for row in _TABLE_ROW.finditer(section):
        names.update(re.findall(r"`([^`\s]+)`", row.group("first")))
    return names


def _documented_flags(section: str) -> set[str]:
    """The flags in the first column of the section's tables."""
    return {name for name in _table_names(section) if re.fullmatch(r"-{1,2}[a-z][\w-]*", name)}


def _section_for(path: tuple[str, ...]) -> str:
    title = " ".join(("amzcancel", *path))
    sections = _sections()
    assert title in sections, f"docs/cli.md has no '## {title}' section"
    return sections[title]


PARSER = build_parser()
COMMANDS = dict(_commands(PARSER))
GLOBAL_FLAGS = frozenset(
    flag
    for action in PARSER._actions
    if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction)
    for flag in action.option_strings
)
"""Flags of ``amzcancel`` itself; a command that accepts one too (``-v``) documents it once, in
the global section."""


def test_the_parser_has_commands() -> None:
    """The walk finds the commands (so the tests below do not pass on an empty list)."""
    assert {"parse", "sync", "pending", "reasons", "cancel", "record"} <= {p[0] for p in COMMANDS}
    assert ("sandbox", "serve") in COMMANDS


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_option_of_the_command_is_in_its_section(path: tuple[str, ...]) -> None:
    """Each flag and positional has a row in the section's table; each choice is mentioned."""
    section = _section_for(path)
    rows = _table_names(section)
    missing: list[str] = []
    for action in COMMANDS[path]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings and set(action.option_strings) <= GLOBAL_FLAGS:
            continue
        names = list(action.option_strings) or [str(action.metavar or action.dest.upper())]
        missing.extend(name for name in names if name not in rows)
        choices = [str(choice) for choice in action.choices or ()]
        missing.extend(choice for choice in choices if not _mentions(section, choice))
    assert not missing, f"docs/cli.md '## amzcancel {' '.join(path)}' does not document {missing}"


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_the_section_documents_no_flag_the_command_lacks(path: tuple[str, ...]) -> None:
    """A flag in the first column of the section's table exists on the command."""
    known = {flag for action in COMMANDS[path]._actions for flag in action.option_strings}
    unknown = _documented_flags(_section_for(path)) - known
    assert not unknown, f"docs/cli.md '## amzcancel {' '.join(path)}' documents {unknown}"


def test_every_section_names_a_command() -> None:
    """No ``## amzcancel ...`` section is left for a command that no longer exists."""
    titles = {title for title in _sections() if title.startswith("amzcancel ")}
    stale = titles - {" ".join(("amzcancel", *path)) for path in COMMANDS}
    assert not stale, f"docs/cli.md has sections for commands the parser lacks: {stale}"


def test_global_options_are_documented() -> None:
    """``--version``, ``-v``/``--verbose`` and ``-h``/``--help`` are in the global section."""
    sections = _sections()
    assert GLOBAL in sections, f"docs/cli.md has no '## {GLOBAL}' section"
    flags = {
        flag
        for action in PARSER._actions
        if not isinstance(action, argparse._SubParsersAction)
        for flag in action.option_strings
    }
    assert flags >= HELP
    missing = sorted(flags - _table_names(sections[GLOBAL]))
    assert not missing, f"docs/cli.md '## {GLOBAL}' does not mention {missing}"
    counted = {
        flag
        for action in PARSER._actions
        if isinstance(action, argparse._CountAction)
        for flag in action.option_strings
        if len(flag) == 2  # a short flag such as -v, repeatable as -vv, -vvv
    }
    unknown = {
        flag
        for flag in _documented_flags(sections[GLOBAL]) - flags
        if not any(re.fullmatch(rf"-{short[1]}+", flag) for short in counted)
    }
    assert not unknown, f"docs/cli.md '## {GLOBAL}' documents {unknown}"


def test_every_command_is_in_the_overview() -> None:
    """The table at the top links each command's section."""
    overview = PAGE.read_text(encoding="utf-8").split("\n## ", 1)[0]
    for path in COMMANDS:
        anchor = "#" + "-".join(("amzcancel", *path))
        assert f"({anchor})" in overview, f"the overview of docs/cli.md does not link {anchor}"
