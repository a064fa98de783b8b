"""The words of a reminder (督办提醒): its subject and body, in Chinese, as offices write them.

The same text is stored on the reminder row, shown in the app and on the command line, and
mailed, so what a person reads is the same everywhere and never changes after the fact.
Each text names the item (its ledger number, the problem, the measure) and its deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .models import Person, ReminderReason

# Subjects are stored in a 300-character column; a long problem title is shortened to fit.
_TITLE_MAX = 60
_MEASURE_MAX = 300
_SIGNATURE = "—— 整改通（Rectiflow）自动提醒，请勿直接回复本邮件。"

_TAGS = {
    ReminderReason.WARNING: "临期预警",
    ReminderReason.OVERDUE: "逾期督办",
    ReminderReason.OVERDUE_AGAIN: "逾期再次督办",
    ReminderReason.AWAITING_VERIFICATION: "待核实提醒",
    ReminderReason.FLAGGED: "挂牌督办",
}


@dataclass(frozen=True)
class MeasureFacts:
    """What a measure reminder says about its measure."""

    number: str  # 2.1.1
    problem_title: str
    measure_text: str
    deadline: date
    days_left: int  # calendar days in China; negative once overdue
    status: str  # 整改中, 待审批, 逾期 …
    unit: str  # the unit its officer task is offered to ("" when none)
    leader: str  # the responsible leader's name ("" when none)


@dataclass(frozen=True)
class ProblemFacts:
    """What a problem reminder (awaiting verification, flagged) says about its problem."""

    number: str  # 2.1
    title: str
    status: str
    leader: str


def days_text(days_left: int) -> str:
    """``剩余 5 天``, ``今日到期`` or ``已逾期 3 天``."""
    if days_left > 0:
        return f"剩余 {days_left} 天"
    if days_left == 0:
        return "今日到期"
    return f"已逾期 {-days_left} 天"


def measure_subject(reason: ReminderReason, facts: MeasureFacts) -> str:
    """``【临期预警】2.1.1 扫黑除恶专项斗争宣传工作不到位：整改时限 2027-03-31（剩余 5 天）``."""
    return (f"【{_TAGS[reason]}】{facts.number} {_short(facts.problem_title, _TITLE_MAX)}："
            f"整改时限 {facts.deadline.isoformat()}（{days_text(facts.days_left)}）")


def measure_body(reason: ReminderReason, facts: MeasureFacts, recipient: Person, *, repeat: int = 0) -> str:
    """The body of a warning or overdue reminder; ``repeat`` counts the repeated overdue reminders."""
    if reason is ReminderReason.WARNING:
        lead = (f"以下整改措施将于 {facts.deadline.isoformat()} 到期（{days_text(facts.days_left)}），"
                "请抓紧落实，按时报送整改进展和佐证材料。")
    elif reason is ReminderReason.OVERDUE:
        lead = "以下整改措施已超过整改时限仍未完成，请立即督促落实；确需延期的，请按程序报分管领导批准。"
    else:
        lead = (f"以下整改措施已逾期 {-facts.days_left} 天仍未完成（第 {repeat + 1} 次逾期提醒），"
                "请立即督促落实。")
    lines = [
        f"问题：{facts.number.rpartition('.')[0]} {facts.problem_title}",
        f"整改措施：{facts.number} {_short(facts.measure_text, _MEASURE_MAX)}",
        f"整改时限：{facts.deadline.isoformat()}（{days_text(facts.days_left)}）",
        f"当前状态：{facts.status}",
    ]
    if facts.unit:
        lines.append(f"责任单位：{facts.unit}")
    if facts.leader:
        lines.append(f"分管领导：{facts.leader}")
    return _letter(recipient, lead, lines, "请登录整改通，在“待办任务”中办理。")


def verification_subject(facts: ProblemFacts, waited_days: int) -> str:
    """``【待核实提醒】2.1 …：整改措施已全部完成，已等待核实 8 天``."""
    return (f"【{_TAGS[ReminderReason.AWAITING_VERIFICATION]}】{facts.number} {_short(facts.title, _TITLE_MAX)}："
            f"整改措施已全部完成，已等待核实 {waited_days} 天")


def verification_body(facts: ProblemFacts, recipient: Person, *, waiting_since: date, waited_days: int) -> str:
    """The body of a reminder to supervision that a problem has waited too long for verification."""
    lead = (f"以下问题的整改措施已全部完成并经审批，自 {waiting_since.isoformat()} 起等待督查核实，"
            f"已等待 {waited_days} 天，请及时逐项核实、销号。")
    lines = [f"问题：{facts.number} {facts.title}", f"当前状态：{facts.status}"]
    if facts.leader:
        lines.append(f"分管领导：{facts.leader}")
    return _letter(recipient, lead, lines, "请登录整改通，在“待办任务”中领取核实任务。")


def flag_subject(facts: ProblemFacts, deadline: date, days_left: int) -> str:
    """``【挂牌督办】2.1 …：督办时限 2027-03-31（剩余 5 天）``."""
    return (f"【{_TAGS[ReminderReason.FLAGGED]}】{facts.number} {_short(facts.title, _TITLE_MAX)}："
            f"督办时限 {deadline.isoformat()}（{days_text(days_left)}）")


def flag_body(facts: ProblemFacts, recipient: Person, *, deadline: date, days_left: int, reason: str,
              flagged_by: str, flagged_on: date) -> str:
    """The daily body of a flagged problem's reminder (挂牌督办)."""
    lead = f"以下问题已被挂牌督办，请于督办时限 {deadline.isoformat()} 前完成整改（{days_text(days_left)}）。"
    lines = [
        f"问题：{facts.number} {facts.title}",
        f"督办时限：{deadline.isoformat()}（{days_text(days_left)}）",
        f"督办原因：{_short(reason, _MEASURE_MAX)}",
        f"挂牌督办：{flagged_by}，{flagged_on.isoformat()}",
        f"当前状态：{facts.status}",
    ]
    if facts.leader:
        lines.append(f"分管领导：{facts.leader}")
    return _letter(recipient, lead, lines, "挂牌期间每日提醒，直至摘牌或销号。请登录整改通办理。")


def _letter(recipient: Person, lead: str, facts: list[str], action: str) -> str:
    return "\n".join([f"{recipient.name}：", "", lead, "", *facts, "", action, "", _SIGNATURE])


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
