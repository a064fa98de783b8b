"""Terminal tables for the command line, aligned for CJK text (wide characters take two columns)."""

from __future__ import annotations

import unicodedata

import click


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def cut(text: str, limit: int) -> str:
    """``text`` shortened with an ellipsis to about ``limit`` wide characters."""
    out, used = "", 0
    for c in text:
        w = width(c)
        if used + w > limit * 2 - 2:
            return out + "…"
        out, used = out + c, used + w
    return out


def table(header: list[str], rows: list[list[str]]) -> None:
    """Print ``rows`` under ``header`` in aligned columns, or ``(none)``."""
    if not rows:
        click.echo("(none)")
        return
    widths = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(c) + " " * (widths[i] - width(str(c))) for i, c in enumerate(row)).rstrip())
