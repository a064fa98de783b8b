"""When a report was made, for pages whose closing block carries no date.

Portal pages and congress reports put the date elsewhere: after the title ("…的通报 (2024-07-26)"),
in a subtitle ("——2022年7月27日在…会议上"), or in the page's header fields (成文日期, then the
publication date). They are tried in that order, most specific first: the publication date of a
page is often days after the report, so it is the last resort.
"""

from __future__ import annotations

import re
from datetime import date

from workflows.plan_import.dates import parse_date
from workflows.plan_import.outline import Line

# a date trailing the title, bare or in brackets
TITLE_DATE_RE = re.compile(r"[\s(（\[【]*(?:\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?)[\s)）\]】]*$")
_SUBTITLE_RE = re.compile(r"^[—\-－~～\s]*(?P<d>(?:\d{4}|[〇○零一二三四五六七八九]{4})\s*年.{2,12}?日)\s*在")
_HEADER_RES = [
    re.compile(r"(?:^|[•·\s])成文日期\s*[:]\s*(?P<v>.*)$"),
    re.compile(r"(?:^|[•·\s])(?:发布日期|发布时间|日期|时间)\s*[:]\s*(?P<v>.*)$"),
]
# a header field whose value is on the next line ("• 成文日期：" / "2023-05-04")
LABEL_ONLY_RE = re.compile(
    r"^[•·\s]*(?:信息索引号|索引号|文件名称|发布机构|发文机关|发文字号|文号|成文日期|发布日期|生成日期|"
    r"公开方式|公开范围|公开时限|主题分类|体裁分类|组配分类|有效性)\s*[:]\s*$"
)


def title_date(title: str | None) -> date | None:
    """The date written after the title, if any."""
    if not title:
        return None
    m = TITLE_DATE_RE.search(title.replace("：", ":"))
    return parse_date(m.group(0)) if m and m.group(0).strip() else None


def fallback_report_date(title: str | None, opening: list[Line], furniture: list[str]) -> date | None:
    """The report date from the title, a subtitle in the first lines, or the page's header fields."""
    found = title_date(title)
    if found:
        return found
    for line in opening[:6]:
        m = _SUBTITLE_RE.match(line.norm)
        if m:
            found = parse_date(m.group("d"))
            if found:
                return found
    for pattern in _HEADER_RES:
        for i, text in enumerate(furniture):
            m = pattern.search(text.replace("：", ":"))
            if not m:
                continue
            value = m.group("v").strip() or (furniture[i + 1] if i + 1 < len(furniture) else "")
            found = parse_date(value)
            if found:
                return found
    return None
