"""Chinese numerals, dates and deadlines as they appear in rectification plans.

Everything here is pure and tolerant: text that does not parse yields ``None``
rather than an exception, because scraped pages lose characters ("2024717日").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM_CHARS = "零〇○一二两三四五六七八九十百千"
#: a number written in Arabic or Chinese digits, for use inside other patterns
NUM = rf"(?:\d+|[{CN_NUM_CHARS}]+)"

_YEAR = r"(\d{4}|[零〇○一二三四五六七八九]{4})"
_MD = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_FULL_DATE_RE = re.compile(rf"{_YEAR}\s*年\s*{_MD}\s*月\s*{_MD}\s*日")
#: a day with or without its year (``3月15日``); a year-less one takes the year of the date before it
_DAY_RE = re.compile(rf"(?<![\d年月])(?:{_YEAR}\s*年\s*)?{_MD}\s*月\s*{_MD}\s*日")
_ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")
_PERIOD_RE = re.compile(
    rf"{_YEAR}\s*年\s*{_MD}\s*月\s*{_MD}\s*日\s*(?:至|到|—|–|-|~|～)+\s*"
    rf"(?:{_YEAR}\s*年)?\s*(?:{_MD}\s*月)?\s*{_MD}\s*日"
)
_MORE_STRETCH_RE = re.compile(
    rf"\s*[、,和及]\s*{_MD}\s*月\s*{_MD}\s*日\s*(?:至|到|—|–|-|~|～)+\s*{_MD}\s*月\s*{_MD}\s*日"
)
_QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}
_DL_DAY_RE = re.compile(rf"{_YEAR}\s*年\s*{_MD}\s*月\s*{_MD}\s*日")
_DL_MONTH_RE = re.compile(rf"{_YEAR}\s*年\s*{_MD}\s*月")
_DL_HALF_RE = re.compile(rf"{_YEAR}\s*年\s*(上半年|下半年)")
_DL_QUARTER_RE = re.compile(rf"{_YEAR}\s*年\s*第?([一二三四1-4])季度")
_DL_YEAR_RE = re.compile(rf"{_YEAR}\s*年\s*(?:年?底|末|内|全年)")
_LONG_TERM_RE = re.compile(r"长期|久久为功|常态化坚持")
#: an unlabelled deadline inside a sentence, e.g. "于2023年12月底前完成"
INLINE_DEADLINE_RE = re.compile(
    r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日|底|末)?|上半年|下半年|年?底)(?:之)?前"
)


@lru_cache(maxsize=4096)
def cn_to_int(text: str) -> int | None:
    """Convert ``"25"``, ``"二十五"``, ``"十二"``, ``"一百零三"`` or ``"二〇二一"`` to an int.

    Returns ``None`` when the text is not a number.
    """
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if any(ch not in CN_DIGITS and ch not in CN_UNITS for ch in text):
        return None
    if not any(ch in CN_UNITS for ch in text):
        # digit-by-digit form used for years: 二〇二一
        return int("".join(str(CN_DIGITS[ch]) for ch in text))
    total = 0
    current = 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        else:
            unit = CN_UNITS[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


def _safe_date(year: int | None, month: int | None, day: int | None) -> date | None:
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _num(text: str | None) -> int | None:
    return cn_to_int(text) if text else None


def month_end(year: int, month: int) -> date | None:
    """The last day of ``month`` in ``year`` (``None`` for an invalid month)."""
    if not 1 <= month <= 12:
        return None
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_date(text: str) -> date | None:
    """The first complete date in ``text`` (``2020年10月21日``, ``二〇二一年十月十四日``, ``2021-10-14``).

    A date that lost characters in scraping ("2024717日") is not guessed at: ``None``.
    """
    m = _FULL_DATE_RE.search(text)
    if m:
        return _safe_date(_num(m.group(1)), _num(m.group(2)), _num(m.group(3)))
    m = _ISO_DATE_RE.search(text)
    if m:
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


def find_full_date(text: str) -> re.Match[str] | None:
    """The match object of the first ``YYYY年M月D日`` date in ``text``."""
    return _FULL_DATE_RE.search(text)


def dated_days(text: str, year: int | None = None) -> Iterator[tuple[re.Match[str], date | None]]:
    """Every ``[YYYY年]M月D日`` in ``text`` with its date.

    Reports name the year once (``2023年2月20日至4月10日…3月15日反馈``): a day written without
    one takes the year of the nearest full date before it, else ``year``; with neither, ``None``.
    """
    for m in _DAY_RE.finditer(text):
        if m.group(1):
            year = _num(m.group(1))
        yield m, _safe_date(year, _num(m.group(2)), _num(m.group(3)))


def parse_period(text: str) -> tuple[date | None, date | None]:
    """An inspection period ``2020年8月24日至9月25日``; the end inherits a missing year or month."""
    m = _PERIOD_RE.search(text)
    if not m:
        return None, None
    y1, m1, d1 = _num(m.group(1)), _num(m.group(2)), _num(m.group(3))
    y2 = _num(m.group(4)) or y1
    m2 = _num(m.group(5)) or m1
    d2 = _num(m.group(6))
    # "3月17日至3月22日、5月5日至7月12日": the period ends with its last stretch
    for more in _MORE_STRETCH_RE.finditer(text, m.end()):
        if more.start() != m.end():
            break
        m2, d2 = _num(more.group(3)), _num(more.group(4))
        m = more
    return _safe_date(y1, m1, d1), _safe_date(y2, m2, d2)


@dataclass
class Deadline:
    """A parsed deadline: the date by which to finish, or a long-term marker."""

    text: str
    due: date | None
    long_term: bool


def parse_deadline(text: str) -> Deadline:
    """Interpret a deadline phrase.

    ``2023年12月底前`` and ``2023年12月前`` -> 2023-12-31 (end of the named month),
    ``2024年6月30日前`` -> that day, ``2023年底前`` -> 12-31, ``上半年`` -> 06-30,
    ``第三季度`` -> 09-30, ``长期坚持`` -> no date and ``long_term``;
    ``立行立改`` and anything unreadable -> no date.
    """
    clean = text.strip().rstrip("。;；,，.")
    if _LONG_TERM_RE.search(clean):
        return Deadline(clean, None, True)
    m = _DL_DAY_RE.search(clean)
    if m:
        return Deadline(clean, _safe_date(_num(m.group(1)), _num(m.group(2)), _num(m.group(3))), False)
    m = _ISO_DATE_RE.search(clean)
    if m:
        return Deadline(clean, _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3))), False)
    m = _DL_MONTH_RE.search(clean)
    if m:
        year, month = _num(m.group(1)), _num(m.group(2))
        due = month_end(year, month) if year and month else None
        return Deadline(clean, due, False)
    m = _DL_HALF_RE.search(clean)
    if m:
        year = _num(m.group(1))
        month = 6 if m.group(2) == "上半年" else 12
        return Deadline(clean, month_end(year, month) if year else None, False)
    m = _DL_QUARTER_RE.search(clean)
    if m:
        year, quarter = _num(m.group(1)), _num(m.group(2))
        if year and quarter in _QUARTER_END:
            mon, day = _QUARTER_END[quarter]
            return Deadline(clean, _safe_date(year, mon, day), False)
    m = _DL_YEAR_RE.search(clean)
    if m:
        year = _num(m.group(1))
        return Deadline(clean, _safe_date(year, 12, 31), False)
    return Deadline(clean, None, False)
