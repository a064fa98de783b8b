"""Reminders (issue 10, part 2): who is reminded of what, and when, on the real lifecycle and a moving clock.

The small plan (``deadline_world``): 1.1.1 due 2026-03-31 and 1.1.2 due 2026-06-30 (officer1 张干事 of
综治科, leader1 李书记), 1.2 long-term, 2.1.1 due 2026-02-28 (leader2 陈副书记, offered to 办公室).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import FixedClock, WorkflowEngine
from workflows.deadline_changes import extend
from workflows.models import MailStatus, ProblemFlag, Reminder, ReminderReason, Role
from workflows.people import actor_for, create_person
from workflows.reminders import ReminderSettings, generate_reminders
from workflows.tasks import claim

from .deadline_world import do, finish_measures, make_world, open_tasks
from .plan_fixtures import PASSWORD

SETTINGS = ReminderSettings(window_days=10, repeat_days=7, verification_wait_days=7)


def at(day: date, hour: int = 1) -> datetime:
    """``hour`` o'clock UTC on ``day`` (09:00 in China)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def run(session: Session, engine: WorkflowEngine, clock: FixedClock, day: date,
        settings: ReminderSettings = SETTINGS) -> int:
    """Move the clock to ``day``, fire the timers due by then, and generate the reminders."""
    clock.set(at(day))
    engine.fire_due_timers(session, clock())
    return generate_reminders(session, clock(), settings)


def reminders(session: Session, **where: object) -> list[Reminder]:
    query = select(Reminder).order_by(Reminder.id)
    for name, value in where.items():
        query = query.where(getattr(Reminder, name) == value)
    return list(session.scalars(query))


def sent(session: Session, number_prefix: str) -> set[tuple[str, ReminderReason]]:
    """(recipient, reason) of the reminders whose subject names ``number_prefix`` (e.g. ``1.1.1``)."""
    return {(r.recipient, r.reason) for r in reminders(session) if f"】{number_prefix} " in r.subject}


def about(session: Session, number: str) -> list[Reminder]:
    """The reminders whose subject names the item ``number``."""
    return [r for r in reminders(session) if f"】{number} " in r.subject]


def test_a_measure_entering_the_warning_window_warns_its_officer_once(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    world = make_world(session, wf_engine)
    run(session, wf_engine, clock, date(2026, 3, 20))  # 11 days before 1.1.1's deadline: green
    assert sent(session, "1.1.1") == set()
    assert run(session, wf_engine, clock, date(2026, 3, 21)) >= 1  # 10 days: yellow
    assert sent(session, "1.1.1") == {("officer1", ReminderReason.WARNING)}
    [warning] = [r for r in reminders(session, recipient="officer1") if "1.1.1" in r.subject]
    measure = world.plan.studying.measures[0]
    assert warning.cause == f"warning:measure:{measure.id}:2026-03-31"
    assert warning.subject == "【临期预警】1.1.1 理论学习不够深入：整改时限 2026-03-31（剩余 10 天）"
    assert "每两个月组织一次中心组集中学习" in warning.body and "张干事" in warning.body
    assert "综治科" in warning.body and "李书记" in warning.body
    assert (warning.read_at, warning.mail_status) == (None, MailStatus.NONE)  # SMTP not configured
    assert run(session, wf_engine, clock, date(2026, 3, 25)) == 0  # still yellow: nothing new
    assert len(reminders(session, recipient="officer1")) == 1


def test_the_warning_waits_for_whoever_holds_the_task(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    """Claimed by a colleague, the task's holder is warned, not every officer of the unit."""
    world = make_world(session, wf_engine)
    colleague = create_person(session, login="officer9", name="黄婷", password=PASSWORD, roles=[Role.OFFICER],
                              unit=world.plan.security)
    key = world.plan.studying.measures[0].item_key
    [first] = [t for t in open_tasks(session, world.plan.studying, "measure_submit") if t.item_key == key]
    claim(session, wf_engine, first.id, actor_for(colleague))
    run(session, wf_engine, clock, date(2026, 3, 22))
    assert sent(session, "1.1.1") == {("officer9", ReminderReason.WARNING)}


def test_overdue_escalates_to_the_leader_and_repeats_at_the_interval(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    make_world(session, wf_engine)
    run(session, wf_engine, clock, date(2026, 3, 31))  # due today: still a warning
    assert sent(session, "1.1.1") == {("officer1", ReminderReason.WARNING)}
    run(session, wf_engine, clock, date(2026, 4, 1))
    assert sent(session, "1.1.1") == {("officer1", ReminderReason.WARNING), ("officer1", ReminderReason.OVERDUE),
                                      ("leader1", ReminderReason.OVERDUE)}
    [overdue] = reminders(session, recipient="leader1", reason=ReminderReason.OVERDUE)
    assert overdue.subject == "【逾期督办】1.1.1 理论学习不够深入：整改时限 2026-03-31（已逾期 1 天）"
    assert "李书记" in overdue.body and "逾期" in overdue.body
    run(session, wf_engine, clock, date(2026, 4, 7))  # six days later: not yet again
    assert len(about(session, "1.1.1")) == 3
    run(session, wf_engine, clock, date(2026, 4, 8))  # seven days after the first
    again = reminders(session, reason=ReminderReason.OVERDUE_AGAIN)
    assert {(r.recipient, r.cause.rsplit(":", 1)[1]) for r in again} >= {("officer1", "1"), ("leader1", "1")}
    first_again = next(r for r in again if r.recipient == "leader1")
    assert first_again.subject.startswith("【逾期再次督办】1.1.1") and "已逾期 8 天" in first_again.subject
    assert "第 2 次逾期提醒" in first_again.body
    run(session, wf_engine, clock, date(2026, 4, 14))
    assert len(about(session, "1.1.1")) == 5
    run(session, wf_engine, clock, date(2026, 4, 15))
    numbers = sorted(r.cause.rsplit(":", 1)[1] for r in reminders(session, recipient="leader1",
                                                                    reason=ReminderReason.OVERDUE_AGAIN)
                     if "1.1.1" in r.subject)
    assert numbers == ["1", "2"]


def test_a_scheduler_back_after_weeks_sends_one_reminder_not_a_burst(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    make_world(session, wf_engine)
    run(session, wf_engine, clock, date(2026, 5, 20))  # seven weeks overdue, never reminded
    assert sent(session, "1.1.1") == {("officer1", ReminderReason.OVERDUE), ("leader1", ReminderReason.OVERDUE)}
    run(session, wf_engine, clock, date(2026, 5, 21))
    assert len(about(session, "1.1.1")) == 2


def test_a_new_deadline_reminds_again(session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    world = make_world(session, wf_engine)
    run(session, wf_engine, clock, date(2026, 3, 25))
    run(session, wf_engine, clock, date(2026, 4, 2))
    assert ("leader1", ReminderReason.OVERDUE) in sent(session, "1.1.1")
    measure = world.plan.studying.measures[0]
    extend(session, wf_engine, measure, date(2026, 4, 10), actor=world.leader, reason="需协调上级部门")
    assert run(session, wf_engine, clock, date(2026, 4, 3)) >= 1
    warnings = reminders(session, reason=ReminderReason.WARNING, recipient="officer1")
    assert [r.cause for r in warnings if "1.1.1" in r.subject] == [
        f"warning:measure:{measure.id}:2026-03-31", f"warning:measure:{measure.id}:2026-04-10"]
    assert "整改时限 2026-04-10（剩余 7 天）" in warnings[-1].subject


def test_done_measures_and_closed_problems_remind_nobody(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    world = make_world(session, wf_engine)
    finish_measures(session, wf_engine, world, world.plan.studying)
    do(session, wf_engine, world.plan.studying, "verify", world.supervisor, verify_decision="pass")
    run(session, wf_engine, clock, date(2026, 4, 1))
    assert sent(session, "1.1.1") == set() and sent(session, "1.1.2") == set()
    assert sent(session, "1.2.1") == set()  # long-term: blue, never warned


def test_leader_of_another_problem_is_told_of_its_overdue_measures(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    """2.1.1 is offered to 办公室: its officer with an e-mail is warned (mail pending), its leader escalated."""
    world = make_world(session, wf_engine)
    office = create_person(session, login="officer2", name="王敏", password=PASSWORD, roles=[Role.OFFICER],
                           unit=world.plan.office)
    office.email = "wangmin@example.cn"
    mailing = ReminderSettings(mail=True)
    run(session, wf_engine, clock, date(2026, 2, 20), mailing)
    [warning] = [r for r in reminders(session, recipient="officer2") if "2.1.1" in r.subject]
    assert warning.subject == "【临期预警】2.1.1 财务管理不规范：整改时限 2026-02-28（剩余 8 天）"
    assert (warning.mail_status, warning.mail_next_at) == (MailStatus.PENDING, at(date(2026, 2, 20)))
    run(session, wf_engine, clock, date(2026, 3, 1), mailing)
    assert sent(session, "2.1.1") == {("officer2", ReminderReason.WARNING), ("officer2", ReminderReason.OVERDUE),
                                      ("leader2", ReminderReason.OVERDUE)}
    [leader] = [r for r in about(session, "2.1.1") if r.recipient == "leader2"]
    assert leader.mail_status == MailStatus.NONE  # leader2 has no address


def test_a_problem_waiting_too_long_for_verification_reminds_supervision_once(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    world = make_world(session, wf_engine)
    create_person(session, login="sup2", name="钱督查", password=PASSWORD, roles=[Role.SUPERVISION])
    clock.set(at(date(2026, 3, 2)))
    finish_measures(session, wf_engine, world, world.plan.studying)  # the verify task opens on 3-2
    run(session, wf_engine, clock, date(2026, 3, 8))  # six days
    assert sent(session, "1.1") == set()
    run(session, wf_engine, clock, date(2026, 3, 9))  # seven days
    assert sent(session, "1.1") == {("sup1", ReminderReason.AWAITING_VERIFICATION),
                                    ("sup2", ReminderReason.AWAITING_VERIFICATION)}
    [reminder] = about(session, "1.1")[:1]
    assert reminder.subject == "【待核实提醒】1.1 理论学习不够深入：整改措施已全部完成，已等待核实 7 天"
    assert "自 2026-03-02 起等待督查核实" in reminder.body
    [verify] = open_tasks(session, world.plan.studying, "verify")
    assert reminder.cause == f"awaiting_verification:problem:{world.plan.studying.id}:{verify.id}"
    run(session, wf_engine, clock, date(2026, 3, 20))
    assert len(about(session, "1.1")) == 2  # once per verification task


def test_a_claimed_verification_reminds_its_holder_only(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    world = make_world(session, wf_engine)
    create_person(session, login="sup2", name="钱督查", password=PASSWORD, roles=[Role.SUPERVISION])
    finish_measures(session, wf_engine, world, world.plan.studying)
    [verify] = open_tasks(session, world.plan.studying, "verify")
    claim(session, wf_engine, verify.id, world.supervisor)
    run(session, wf_engine, clock, date(2026, 2, 1))
    assert sent(session, "1.1") == {("sup1", ReminderReason.AWAITING_VERIFICATION)}


def test_a_flagged_problem_reminds_its_leader_and_officers_daily_until_cleared(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    world = make_world(session, wf_engine)
    problem = world.plan.studying
    flag = ProblemFlag(problem_id=problem.id, reason="群众反映强烈，限期整改", deadline=date(2026, 2, 15),
                       flagged_by="sup1", flagged_at=at(date(2026, 2, 1)))
    session.add(flag)
    session.flush()
    run(session, wf_engine, clock, date(2026, 2, 10))
    assert sent(session, "1.1") == {("officer1", ReminderReason.FLAGGED), ("leader1", ReminderReason.FLAGGED)}
    leader = next(r for r in about(session, "1.1") if r.recipient == "leader1")
    assert leader.subject == "【挂牌督办】1.1 理论学习不够深入：督办时限 2026-02-15（剩余 5 天）"
    assert "群众反映强烈，限期整改" in leader.body and "王督查，2026-02-01" in leader.body
    assert leader.cause == f"flagged:problem:{problem.id}:{flag.id}:2026-02-10"
    clock.set(at(date(2026, 2, 10), hour=9))  # later the same day: nothing new
    assert generate_reminders(session, clock(), SETTINGS) == 0
    run(session, wf_engine, clock, date(2026, 2, 11))
    assert len(about(session, "1.1")) == 4
    flag.cleared_at, flag.cleared_by = at(date(2026, 2, 11), hour=5), "sup1"
    session.flush()
    run(session, wf_engine, clock, date(2026, 2, 12))
    assert len(about(session, "1.1")) == 4
