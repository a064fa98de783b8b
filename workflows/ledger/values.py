"""Reading a ledger cell's value: as text, and the 整改时限 column as a deadline."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from ..plan_import import parse_deadline


def cell_text(value: Any) -> str:
    """A cell's value as stripped text; dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


_ISO_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NO_DATE_TEXTS = {"立行立改", "即知即改"}


def read_deadline(value: Any, hidden_text: str | None) -> tuple[date | None, str | None]:
    """(deadline, deadline text) from a 整改时限 cell and the plan's text kept in the hidden column."""
    text = cell_text(value)
    m = _ISO_RE.match(text)
    if isinstance(value, datetime | date) or m:
        try:
            day = value if isinstance(value, date) else date(*(int(g) for g in m.groups()))  # type: ignore[union-attr]
        except ValueError:
            raise ValueError(f"无法识别的日期 \"{_shown(text)}\"") from None
        day = day.date() if isinstance(day, datetime) else day
        keep = hidden_text is not None and parse_deadline(hidden_text).due == day
        return day, hidden_text if keep else None
    if not text or text == hidden_text:  # a text the plan already had, such as 长期坚持
        return None, hidden_text if text else None
    if isinstance(value, int | float):
        raise ValueError(f"无法识别的日期 \"{_shown(text)}\"")
    parsed = parse_deadline(text)
    if parsed.due or parsed.long_term or text in _NO_DATE_TEXTS:
        return parsed.due, text
    raise ValueError(f"无法识别的日期 \"{_shown(text)}\"")


def _shown(text: str) -> str:
    """A text quoted in an error message: a cell may hold 32,767 characters."""
    return text if len(text) <= 40 else text[:40] + "…"
