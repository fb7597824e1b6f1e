"""A plain text table that fits the terminal: columns dropped by priority, never cut.

Order and item ids are what a seller copies into Seller Central or ``amzcancel cancel``: a
table that folds them mid-number, or ends a date in "…", is worse than one with fewer
columns. So every cell is shown whole; one column may wrap at word boundaries (the buyer's
reason); and when the terminal is too narrow, whole columns are left out, the least needed
first, and the table says which ones (``--json`` has them all).

Piped or redirected output has no width: every column, one line per row (grep-able).

Added in 0.2.0.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["GAP", "Column", "Layout", "layout", "render"]

GAP = 2
"""Spaces between two columns."""


@dataclass(frozen=True)
class Column:
    """One column of the table."""

    header: str
    priority: int
    """Lower is kept longer: the column of highest priority number is dropped first."""
    wrap_to: int | None = None
    """The narrowest this column may wrap to (at word boundaries); ``None``: never wraps."""


@dataclass(frozen=True)
class Layout:
    """Which columns are shown, how wide each is, and which were left out."""

    shown: tuple[int, ...]
    """Indexes of the columns shown, in table order."""
    widths: tuple[int, ...]
    """The width of each shown column."""
    hidden: tuple[str, ...]
    """Headers of the columns left out, in table order."""


def _natural(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[int]:
    widths = [len(column.header) for column in columns]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    return widths


def layout(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None) -> Layout:
    """The columns that fit ``width`` characters (``None``: no limit) and their widths."""
    natural = _natural(columns, rows)
    shown = list(range(len(columns)))
    while True:
        widths = [natural[i] for i in shown]
        if width is None:
            break
        overflow = sum(widths) + GAP * (len(shown) - 1) - width
        for position, index in enumerate(shown):
            floor = columns[index].wrap_to
            if overflow > 0 and floor is not None and widths[position] > floor:
                give = min(overflow, widths[position] - floor)
                widths[position] -= give
                overflow -= give
        if overflow <= 0 or len(shown) == 1:
            break
        # Leave out the least needed column and try again with the others at full width.
        shown.remove(max(shown, key=lambda i: (columns[i].priority, i)))
    hidden = tuple(c.header for i, c in enumerate(columns) if i not in shown)
    return Layout(tuple(shown), tuple(widths), hidden)


def render(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None
) -> tuple[list[str], tuple[str, ...]]:
    """The table's lines (header first) and the headers of the columns left out."""
    plan = layout(columns, rows, width)
    lines = [_line([columns[i].header for i in plan.shown], plan.widths)]
    for row in rows:
        cells = [_wrap(row[i], w, columns[i]) for i, w in zip(plan.shown, plan.widths, strict=True)]
        for n in range(max(len(c) for c in cells)):
            lines.append(_line([c[n] if n < len(c) else "" for c in cells], plan.widths))
    return lines, plan.hidden


def _wrap(cell: str, width: int, column: Column) -> list[str]:
    if column.wrap_to is None or len(cell) <= width:
        return [cell]
    # A single word longer than the column is split too: better than a line past the edge.
    return textwrap.wrap(cell, width, break_on_hyphens=False) or [""]


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return (" " * GAP).join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
