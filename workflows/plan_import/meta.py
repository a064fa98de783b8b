"""Document metadata, portal furniture, the closing block and the statistics a report states.

All functions work on normalised text (see ``plan_outline.normalise``), which is aligned
character for character with the original, so values are sliced from the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from workflows.plan_import.dates import NUM, cn_to_int, dated_days, find_full_date, parse_date, parse_period
from workflows.plan_import.outline import Line, parse_heading
from workflows.plan_import.report_date import TITLE_DATE_RE
from workflows.plan_import.tree import ParsedPlan, PlanMeta, StatedStats

_FURNITURE_RE = re.compile(
    r"^[•·]?\s*(?:信息索引号|索引号|发布时间|发布日期|发布机构|发文机关|发文日期|成文日期|生成日期|来源|信息来源|"
    r"文章来源|浏览量|浏览次数|访问量|访问次数|阅读量|阅读次数|点击量|点击数|点击次数|字号|字体|分享到|"
    r"责任编辑|编辑|作者|当前位置|您当前的位置|您的位置|所属栏目|主题分类|体裁分类|公开方式|公开范围|文号|"
    r"上一篇|下一篇|扫一扫|文件名称|日期)\s*[:]"
    r"|^(?:【[^】]{1,8}】\s*)+$"
    r"|^(?:\[[^\]]{1,6}\]\s*)+$"
    r"|^(?:打印本页|关闭窗口|返回顶部|打印|关闭|收藏|分享到|大\s*中\s*小)(?:\s+\S{1,6}){0,4}$"
    r"|^首页\s*[>›»]"
)
_TITLE_WORD_RE = re.compile(r"整改|巡察|巡视|通报|公告|公示|报告|方案")
_DATE_LINE_RE = re.compile(r"^[\d〇○零一二三四五六七八九十年月日\s./-]{5,20}$")
_SIGN_DATE_RE = re.compile(r"^(?P<sign>[^\s,;。]{2,40})\s+(?P<date>\d{4}\s*年[\d年月日\s]{2,12})$")
_SIGNATORY_SUFFIX_RE = re.compile(r"(委员会|党委|党组|总支|支部|委|局|办公室|政府|院|中心|公司|厅|部|处)$")
_CLOSING_RE = re.compile(
    r"欢迎.{0,30}监督|联系方式|联系电话|电话[:]?\s*[\d(]|传真|邮政信箱|通信地址|通讯地址|邮政编码|邮编|"
    r"电子邮箱|电子信箱|邮箱[:]|^如有|来信来访|来电来信"
)

# who inspected: a 巡察/巡视 group, or else an audit office (审计局/厅/署, its numbered 审计组)
_TOUR_GROUP = r"(?P<group>[^\s,。;:、]{2,40}?(?:巡察|巡视)[^\s,。;:、]{0,12}?组)"
_AUDIT_GROUP = (
    r"(?P<group>[^\s,。;:、]{0,40}?审计(?:局|厅|署)(?:第[^\s,。;:、对]{1,4}审计组)?"
    r"|[^\s,。;:、]{2,40}?审计组)\s*(?:派出(?:的)?审计组)?"
)
_ON_UNIT = r"\s*(?:于[^对。]{0,40}?)?(?:对|进驻)\s*(?P<unit>[^\s,。;:]{2,40}?)\s*(?:进行了?|开展了?|实施了?)"
_TO_UNIT = r"\s*向\s*(?P<unit>[^\s,。;:]{2,40}?)\s*(?:集中)?反馈"
# a 巡察/巡视 sentence wins over an audit one: a tour report may mention an audit in passing
_GROUP_RES = [re.compile(group + unit) for group in (_TOUR_GROUP, _AUDIT_GROUP) for unit in (_ON_UNIT, _TO_UNIT)]
# an audited unit is often named with what was audited: "区财政局2022年度预算执行情况"
_UNIT_TAIL_RE = re.compile(r"(?:\d{4}\s*(?:年|至|-|—)|[一二〇零○]{4}年|原?(?:党政)?主要领导|经济责任|预算执行|任期).*$")
_KIND_WORDS = ("审计", "巡视", "巡察")
_KIND_RE = re.compile(r"(审计|巡视|巡察)(?:整改|组|反馈|意见)|(审计)(?:局|厅|署|发现|查出|问题|调查)")
# "省审计厅厅长刘文华…报告": an audit office named by the official who reports for it
_AUDIT_BYLINE_RE = re.compile(r"(?P<group>[^\s,。;:、]{0,20}?审计(?:局|厅|署))\s*(?:副?局长|副?厅长|审计长)")
_GOV = r"(?P<u>[\u4e00-\u9fff]{2,8}?(?:自治区|省|市|区|县))"
_GOVERNMENT_RES = [re.compile(_GOV + r"人民政府关于我(?:省|区|市|县)"),
                   re.compile(r"关于" + _GOV + r"\d{4}\s*年度"),
                   re.compile(r"在" + _GOV + r"[第]?[\d一二三四五六七八九十]*届人大常委会")]
_SINCE_RE = re.compile(r"(?:于|自|从)\s*(?P<d>\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*起")
_PHONE_RE = re.compile(
    r"(?:电话|热线|联系方式)\s*[:]?\s*(?P<v>(?:\(?0\d{2,3}\)?\s*[-—]?\s*)?\d{7,8}(?:[-转]\d{1,5})?|1\d{10})"
)
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_POSTCODE_RE = re.compile(r"(?:邮政编码|邮编)\s*[:]?\s*(?P<v>\d{6})(?!\d)")
_POST_RE = re.compile(r"(?:邮政信箱|通信地址|通讯地址|来信地址|邮寄地址)\s*[:]?\s*(?P<v>[^,;。\s]+)")

_UNIT = r"(?:个|项|条)"
_QUOTE = r"[“\"「『]"  # 79个“问题清单”
_EXCLUDE_BEFORE = re.compile(r"完成|推进|正在|长期|坚持|已|其中|整改中")
_NUM_PREV_OK = set("共有计及涉馈括出理含中了为面的、,:;( \n")
_STAT_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "parts": [
        re.compile(rf"(?P<n>{NUM})\s*个\s*方面(?=[^。\n]{{0,24}}?(?:问题|整改措施))"),
        # "五方面17项问题": without 个, but never "一方面" (on the one hand)
        re.compile(rf"(?!一\s*方面)(?P<n>{NUM})\s*方面(?=[^。\n]{{0,4}}?\d+\s*{_UNIT}[^。\n]{{0,6}}?问题)"),
    ],
    "problems": [
        re.compile(rf"(?P<n>{NUM})\s*{_UNIT}\s*{_QUOTE}?(?:具体|反馈|巡察反馈|巡视反馈|突出|主要|审计发现)?问题"),
        re.compile(rf"问题\s*(?:共|总计|共计|有|共有)?\s*(?P<n>{NUM})\s*{_UNIT}"),
    ],
    "measures": [
        re.compile(rf"(?P<n>{NUM})\s*{_UNIT}\s*{_QUOTE}?(?:具体|细化)?(?:整改)?(?:措施|举措|任务)"),
        re.compile(rf"(?:整改)?(?:措施|举措)\s*(?:共|总计|共计)?\s*(?P<n>{NUM})\s*{_UNIT}"),
    ],
    "completed": [
        re.compile(rf"已(?:经)?(?:全部)?(?:整改)?完成(?:整改)?(?:问题|措施|任务)?\s*(?P<n>{NUM})\s*{_UNIT}"),
        re.compile(rf"(?<![未尚性本])(?:完成整改|整改完成)(?:问题|措施)?\s*(?P<n>{NUM})\s*{_UNIT}"),
        re.compile(rf"(?P<n>{NUM})\s*{_UNIT}(?:问题|措施)?\s*已(?:经)?(?:整改)?(?:完成|到位)"),
        # "已整改1153个": audit wording, without 完成
        re.compile(rf"已(?:经)?整改(?:到位|完毕)?(?:问题|措施)?\s*(?P<n>{NUM})\s*{_UNIT}"),
    ],
    "in_progress": [
        re.compile(
            rf"(?:正在整改|正在推进|正在落实|持续推进|持续整改|整改中|推进中)(?:中)?(?:的)?(?:问题|措施)?"
            rf"\s*(?P<n>{NUM})\s*{_UNIT}"
        ),
        re.compile(rf"(?P<n>{NUM})\s*{_UNIT}(?:问题|措施)?\s*(?:正在|仍在|持续)(?:整改|推进)"),
    ],
    "long_term": [
        re.compile(rf"(?:需要?)?长期(?:坚持|整改|推进)(?:的)?(?:问题|措施|事项)?\s*(?P<n>{NUM})\s*{_UNIT}"),
        re.compile(rf"(?P<n>{NUM})\s*{_UNIT}(?:问题|措施|事项)?\s*(?:需要?)?长期(?:坚持|整改)"),
    ],
}
# "阶段性完成12个" and "未完成5个" are not finished either: they count towards ``in_progress``
_PARTIAL_PATTERNS = [
    re.compile(rf"(?:阶段性|基本)(?:整改)?完成(?:整改)?(?:问题|措施|任务)?\s*(?P<n>{NUM})\s*{_UNIT}"),
    re.compile(rf"(?P<n>{NUM})\s*{_UNIT}(?:问题|措施)?\s*(?:已)?(?:取得)?(?:阶段性|基本)(?:整改)?(?:完成|成效)"),
]
_NOT_DONE_PATTERNS = [
    re.compile(rf"(?:尚)?未(?:整改)?完成(?:整改)?(?:问题|措施|任务)?(?:的)?\s*(?P<n>{NUM})\s*{_UNIT}"),
    re.compile(rf"(?P<n>{NUM})\s*{_UNIT}(?:问题|措施)?\s*(?:尚)?未(?:整改)?完成"),
]
_STAT_HINT_RE = re.compile(r"[\d零〇一二两三四五六七八九十百千]\s*(?:个|项|条)|完成率|整改率")
_RATE_RE = re.compile(r"(?:完成率|整改率)\s*(?:为|达|达到|是)?\s*(?P<n>\d+(?:\.\d+)?)\s*%")


def is_furniture(line: Line) -> bool:
    """True for web-portal furniture (信息索引号, 发布时间, 浏览量, 字号, 【打印】【关闭】 …)."""
    return len(line.norm) <= 200 and _FURNITURE_RE.search(line.norm) is not None


def detect_title(lines: list[Line]) -> tuple[str | None, int]:
    """The document title at the start of ``lines`` and how many lines it takes (0, 1 or 2)."""
    if not lines:
        return None, 0
    if _is_title(lines[0]):
        return lines[0].raw, 1
    if (
        len(lines) > 1
        and len(lines[0].norm) <= 30
        and not re.search(r"[,;。:]", lines[0].norm)
        and parse_heading(lines[0]) is None
        and lines[1].norm.startswith("关于")
        and _is_title(lines[1])
    ):
        return lines[0].raw + lines[1].raw, 2
    return None, 0


def _is_title(line: Line) -> bool:
    norm = TITLE_DATE_RE.sub("", line.norm)  # "…的通报 (2024-07-26)" is still a title
    return (
        len(norm) <= 60
        and parse_heading(line) is None
        and not re.search(r"[,;。]", norm)
        and find_full_date(norm) is None
        and _TITLE_WORD_RE.search(norm) is not None
    )


@dataclass
class Closing:
    """The tail of a report: invitation and contacts, signatory, date."""

    lines: list[Line] = field(default_factory=list)
    signatory: Line | None = None
    date_line: Line | None = None


def detect_closing(lines: list[Line]) -> Closing:
    """Find the signature date, the signatory and the contact block at the end of ``lines``."""
    closing = Closing()
    end = len(lines)
    if end and parse_heading(lines[end - 1]) is None:
        last = lines[end - 1]
        if _DATE_LINE_RE.match(last.norm) and re.search(r"\d|年", last.norm):
            closing.date_line = last
            end -= 1
        elif _SIGN_DATE_RE.match(last.norm):
            closing.date_line = closing.signatory = last
            end -= 1
    if closing.signatory is None and end:
        cand = lines[end - 1]
        short = len(cand.norm) <= 40 and not re.search(r"[,;。:]", cand.norm)
        if short and parse_heading(cand) is None and not _CLOSING_RE.search(cand.norm):
            if closing.date_line is not None or _SIGNATORY_SUFFIX_RE.search(cand.norm):
                closing.signatory = cand
                end -= 1
    start = end
    while start > 0 and parse_heading(lines[start - 1]) is None and _CLOSING_RE.search(lines[start - 1].norm):
        start -= 1
    closing.lines = lines[start:end]
    return closing


def fill_meta(meta: PlanMeta, opening: list[Line], closing: Closing) -> None:
    """Fill ``meta`` from the opening paragraph(s) and the closing block."""
    norm = "\n".join(line.norm for line in opening)
    raw = "\n".join(line.raw for line in opening)
    meta.period_start, meta.period_end = parse_period(norm)
    m = next(filter(None, (pattern.search(norm) for pattern in _GROUP_RES)), None)
    if m:
        meta.inspecting_group = _clean_group(raw[m.start("group"): m.end("group")])
        unit = raw[m.start("unit"): m.end("unit")]
        meta.inspected_unit = _UNIT_TAIL_RE.sub("", unit) or unit
        if meta.inspected_unit.startswith("我") and closing.signatory is not None:
            meta.inspected_unit = closing.signatory.raw  # "对我公司…": the unit that signs the report
    elif byline := _AUDIT_BYLINE_RE.search(norm):
        meta.inspecting_group = raw[byline.start("group"): byline.end("group")]
    if meta.inspected_unit is None and "审计" in (meta.inspecting_group or ""):
        # a congress audit report covers a government's own budget: "广东省人民政府关于我省…",
        # "《关于瑞金市2020年度…》", "在慈溪市十七届人大常委会…上"
        government = next(filter(None, (p.search(norm) for p in _GOVERNMENT_RES)), None)
        if government:
            meta.inspected_unit = raw[government.start("u"): government.end("u")]
    if meta.period_start is None and (since := _SINCE_RE.search(norm)):
        meta.period_start = parse_date(since.group("d"))
    meta.feedback_date = _feedback_date(norm)
    if closing.date_line is not None:
        date_norm = closing.date_line.norm
        meta.report_date = parse_date(date_norm) or _yearless_report_date(date_norm, meta)
        sd = _SIGN_DATE_RE.match(date_norm)
        if sd and closing.signatory is closing.date_line:
            meta.signatory = closing.date_line.raw[: sd.end("sign")]
    if closing.signatory is not None and meta.signatory is None:
        meta.signatory = closing.signatory.raw
    meta.contacts = extract_contacts(closing.lines)


def _clean_group(group: str) -> str:
    group = re.sub(r"^.*\d+\s*日", "", group)
    group = re.sub(r"(?:组建|派出|成立)了?[\d一二三四五六七八九十]+个", "", group)  # "区委组建4个巡察组"
    group = re.sub(r"^根据.*?部署", "", group)
    return group.strip(" ,，")


# What a round is called after the kind of inspection it rectifies.
_ROUND_WORDING = {"巡察": "巡察反馈意见整改", "巡视": "巡视反馈意见整改", "审计": "审计发现问题整改"}


def round_wording(plan: ParsedPlan) -> str:
    """``巡察反馈意见整改``, ``巡视反馈意见整改`` or ``审计发现问题整改``, by :func:`round_kind`."""
    return _ROUND_WORDING[round_kind(plan)]


def round_kind(plan: ParsedPlan) -> str:
    """What the round rectifies: "巡察" (the default), "巡视" or "审计".

    Read from the inspecting group, else from the title or preamble ("审计整改", "巡视组"); a
    bare "巡视" there is not enough, since 巡察 reports cite the 巡视工作条例.
    """
    group = plan.meta.inspecting_group or ""
    for word in _KIND_WORDS:
        if word in group:
            return word
    for text in (plan.meta.title or "", "\n".join(plan.sections["preamble"])):
        m = _KIND_RE.search(text)
        if m:
            return m.group(1) or m.group(2)
    return "巡察"


def _feedback_date(norm: str) -> date | None:
    """The first date followed (in the same sentence) by 反馈, skipping a period's start and end.

    A date without its year (``3月15日``) takes the year of the full date before it.
    """
    for m, day in dated_days(norm):
        after = norm[m.end(): m.end() + 80].split("。")[0]
        if after.lstrip().startswith(("至", "到", "-", "—")):
            continue
        if norm[max(0, m.start() - 2): m.start()].rstrip().endswith(("至", "到", "-", "—", "~")):
            continue
        if day is not None and "反馈" in after:
            return day
    return None


def _yearless_report_date(text: str, meta: PlanMeta) -> date | None:
    """A signature date without its year (``3月15日``) in the year of the latest date read before it."""
    known = [d for d in (meta.feedback_date, meta.period_end, meta.period_start) if d is not None]
    if not known:
        return None
    return next((day for _m, day in dated_days(text, max(known).year)), None)


def extract_contacts(lines: list[Line]) -> dict[str, str]:
    """Phone, post (address), postcode and e-mail from the closing lines."""
    norm = "\n".join(line.norm for line in lines)
    raw = "\n".join(line.raw for line in lines)
    contacts: dict[str, str] = {}
    for key, pattern in (("phone", _PHONE_RE), ("post", _POST_RE), ("postcode", _POSTCODE_RE)):
        m = pattern.search(norm)
        if m:
            contacts[key] = re.sub(r"\s+", "", raw[m.start("v"): m.end("v")])
    m = _EMAIL_RE.search(norm)
    if m:
        contacts["email"] = m.group(0).rstrip(".")
    return contacts


def extract_stats(norm_text: str) -> StatedStats:
    """The statistics a report states about itself; the first occurrence of each wins."""
    stats = StatedStats()
    # only sentences with a count in them can state statistics; this keeps the scan cheap
    norm_text = "\n".join(s for s in re.split(r"[。\n]", norm_text) if _STAT_HINT_RE.search(s))
    for name, patterns in _STAT_PATTERNS.items():
        value = _first_number(norm_text, patterns, exclude=name in ("problems", "measures"))
        setattr(stats, name, value)
    # "阶段性完成9个，未完成1个" / "持续整改4个，未完成5个": every count of what is still open adds
    # up to ``in_progress``, each phrase once (a number two patterns both read counts once)
    going = _first_match(norm_text, _STAT_PATTERNS["in_progress"], exclude=False)
    counted = {going[0]} if going else set()
    for patterns in (_PARTIAL_PATTERNS, _NOT_DONE_PATTERNS):
        found = _first_match(norm_text, patterns, exclude=False)
        if found and found[0] not in counted:
            counted.add(found[0])
            stats.in_progress = (stats.in_progress or 0) + found[1]
    m = _RATE_RE.search(norm_text)
    if m:
        stats.completion_rate = float(m.group("n"))
    return stats


def _first_number(text: str, patterns: list[re.Pattern[str]], exclude: bool) -> int | None:
    best = _first_match(text, patterns, exclude)
    return best[1] if best else None


def _first_match(text: str, patterns: list[re.Pattern[str]], exclude: bool) -> tuple[int, int] | None:
    """(where the number stands, its value) of the earliest count any of ``patterns`` reads."""
    best: tuple[int, int] | None = None
    for pattern in patterns:
        for m in pattern.finditer(text):
            token = m.group("n")
            start = m.start("n")
            # "每一个问题" is not a count: a Chinese numeral opening the phrase must not follow other words
            prev = text[start - 1] if start > 0 else ""
            if not token.isdigit() and start == m.start() and prev and prev not in _NUM_PREV_OK:
                if "\u4e00" <= prev <= "\u9fff":
                    continue
            if exclude and _EXCLUDE_BEFORE.search(text[max(0, m.start() - 6): m.start()]):
                continue
            value = cn_to_int(token)
            if value is not None and (best is None or start < best[0]):
                best = (start, value)
            break
    return best
