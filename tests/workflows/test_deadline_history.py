"""Every deadline change follows the lifecycle into the ledger, the Excel file and the report, with history.

Each path is driven on the real diagram: fill-in (补录), a failed verification with a new deadline
(核实未通过), a rebound found by 回头看 with a new deadline (反弹重启), a leader's extension (批准延期)
and an edited ledger workbook (台账导入).
"""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import WorkflowEngine
from engine.clock import FixedClock
from engine.models import AuditEntry, Timer
from workflows.deadline_changes import extend
from workflows.deadlines import CHINA, end_of_day_utc
from workflows.ledger import deadline_history_text, reopen_text
from workflows.models import DeadlineChange, DeadlineSource
from workflows.models import ProblemStatus as S
from workflows.plan_import import fill_in, parse_text
from workflows.report import build_report, render_html, write_docx
from workflows.warnings import WarningColour, warning_for

from .deadline_world import (
    REPORT_DAY,
    World,
    changes,
    do,
    excel_deadlines,
    finish_measures,
    make_world,
    report_texts,
    rows_by_number,
    task_due_dates,
)
from .plan_fixtures import ADMIN

APRIL_15 = datetime(2026, 4, 15, 2, 0, tzinfo=CHINA)  # after 1.1.1's planned 2026-03-31


@pytest.fixture
def world(session: Session, wf_engine: WorkflowEngine) -> World:
    return make_world(session, wf_engine)


def test_fill_in_records_the_change_and_every_view_shows_it(session: Session, wf_engine: WorkflowEngine,
                                                            world: World) -> None:
    studying, ideology = world.plan.studying, world.plan.ideology
    fill_in(session, world.plan.round, "1.1.1", deadline=date(2026, 4, 30), engine=wf_engine, actor=ADMIN,
            reason="会议安排调整")
    fill_in(session, world.plan.round, "1.2.1", deadline=date(2026, 12, 31), engine=wf_engine, actor=ADMIN)
    fill_in(session, world.plan.round, "1.1.2", deadline=date(2026, 6, 30), engine=wf_engine, actor=ADMIN)

    first = studying.measures[0]
    assert first.deadline == date(2026, 4, 30)
    [change] = changes(session, first)
    assert (change.old_deadline, change.new_deadline, change.source, change.reason, change.changed_by) == (
        date(2026, 3, 31), date(2026, 4, 30), DeadlineSource.FILL_IN, "会议安排调整", "admin")
    assert changes(session, studying.measures[1]) == []  # the same date is no change
    assert task_due_dates(session, studying)[first.item_key] == date(2026, 4, 30)  # the lifecycle moved too

    rows = rows_by_number(session, world)
    assert (rows["1.1.1"].deadline, rows["1.1.1"].original_deadline) == (date(2026, 4, 30), date(2026, 3, 31))
    assert deadline_history_text(rows["1.1.1"]) == (
        "原定时限2026-03-31，调整后时限2026-04-30。调整记录：2026-03-31→2026-04-30（补录，admin，2026-01-05：会议安排调整）")
    assert rows["1.1.2"].original_deadline == rows["1.1.2"].deadline and not rows["1.1.2"].deadline_history
    # a deadline filled in where the plan had none is the original one; the history says it was filled in
    assert rows["1.2.1"].original_deadline == rows["1.2.1"].deadline == date(2026, 12, 31)
    assert deadline_history_text(rows["1.2.1"]).startswith("调整记录：未定→2026-12-31（补录，admin，")
    assert excel_deadlines(session, world)["1.1.1"] == date(2026, 4, 30)

    text, markdown = report_texts(session, world)
    assert "每两个月组织一次中心组集中学习（整改时限：2026-04-30；原定2026-03-31，因补录调整）" in text
    assert "落实“第一议题”制度。" in text or "落实“第一议题”制度；" in text  # no adjustment to note
    assert "建立学习台账，逐次登记。" in text  # a measure whose deadline never moved has no note
    assert "整改时限：2026-04-30；原定2026-03-31，因补录调整" in markdown
    assert ideology.measures[0].deadline == date(2026, 12, 31)


def test_a_failed_verification_with_a_new_deadline_moves_every_view(
    session: Session, wf_engine: WorkflowEngine, clock: FixedClock, world: World
) -> None:
    studying = world.plan.studying
    finish_measures(session, wf_engine, world, studying)
    do(session, wf_engine, studying, "verify", world.supervisor, verify_decision="fail", reason="整改不到位",
       new_deadline="2026-09-30")

    first, second = studying.measures
    assert (first.deadline, second.deadline) == (date(2026, 9, 30), date(2026, 9, 30))
    assert first.deadline_text is None  # the plan's 2026年3月底前 no longer applies
    # the engine's new measure tasks carry the new deadline: the ledger agrees with them
    assert set(task_due_dates(session, studying).values()) == {date(2026, 9, 30)}
    [change] = changes(session, first)
    assert (change.old_deadline, change.new_deadline, change.source, change.reason, change.changed_by) == (
        date(2026, 3, 31), date(2026, 9, 30), DeadlineSource.VERIFICATION_FAILED, "整改不到位", "sup1")

    rows = rows_by_number(session, world)
    row = rows["1.1.1"]
    assert (row.deadline, row.original_deadline) == (date(2026, 9, 30), date(2026, 3, 31))
    assert rows["1.1.2"].original_deadline == date(2026, 6, 30)
    assert [(s.old, s.new, s.by, s.reason) for s in row.deadline_history] == [
        (date(2026, 3, 31), date(2026, 9, 30), "王督查", "整改不到位")]
    assert row.reopen is not None and not row.reopen.rebound and row.reopen.times == 1
    assert reopen_text(row.reopen) == "核实未通过，重新整改（王督查，2026-01-05）。原因：整改不到位"
    assert excel_deadlines(session, world)["1.1.1"] == date(2026, 9, 30)
    text, _ = report_texts(session, world)
    assert "每两个月组织一次中心组集中学习（整改时限：2026-09-30；原定2026-03-31，因核实未通过调整）" in text
    assert "整改情况：核实未通过，重新整改（王督查，2026-01-05）。原因：整改不到位" in text

    # the old deadline passes: nothing is overdue, the warning colour follows the new deadline
    clock.set(APRIL_15)
    wf_engine.fire_due_timers(session, clock())
    assert rows_by_number(session, world)["1.1.1"].status != S.OVERDUE
    colour = warning_for(end_of_day_utc(first.deadline), clock(), window_days=10, long_term=False).colour
    assert colour == WarningColour.GREEN
    assert warning_for(end_of_day_utc(date(2026, 3, 31)), clock(), window_days=10,
                       long_term=False).colour == WarningColour.RED  # what the old deadline would show

    # a second failure without a new deadline changes no deadline and records nothing
    finish_measures(session, wf_engine, world, studying)
    do(session, wf_engine, studying, "verify", world.supervisor, verify_decision="fail", reason="佐证不足")
    assert first.deadline == date(2026, 9, 30) and len(changes(session, first)) == 1
    row = rows_by_number(session, world)["1.1.1"]
    assert row.reopen is not None and row.reopen.times == 2 and row.reopen.reason == "佐证不足"


def test_a_rebound_with_a_new_deadline_reopens_the_problem_in_every_view(
    session: Session, wf_engine: WorkflowEngine, clock: FixedClock, world: World
) -> None:
    studying = world.plan.studying
    finish_measures(session, wf_engine, world, studying)
    do(session, wf_engine, studying, "verify", world.supervisor, verify_decision="pass")
    clock.advance(days=200)  # the look-back delay (six months) passes
    wf_engine.fire_due_timers(session, clock())
    assert [c.source for m in studying.measures for c in changes(session, m)] == []  # closing moved nothing
    do(session, wf_engine, studying, "lookback", world.supervisor, lookback_decision="rebound",
       reason="问题反弹回潮", new_deadline="2027-03-31")

    first = studying.measures[0]
    assert first.deadline == date(2027, 3, 31)
    assert set(task_due_dates(session, studying).values()) == {date(2027, 3, 31)}
    [change] = changes(session, first)
    assert (change.source, change.reason, change.changed_by) == (DeadlineSource.REBOUND, "问题反弹回潮", "sup1")
    row = rows_by_number(session, world)["1.1.1"]
    assert row.problem_status == S.REOPENED
    assert row.reopen is not None and row.reopen.rebound and row.reopen.by == "王督查"
    rebound_day = clock().astimezone(CHINA).date().isoformat()
    note = f"反弹重启（王督查，{rebound_day}）。原因：问题反弹回潮"
    assert reopen_text(row.reopen) == note
    assert excel_deadlines(session, world)["1.1.1"] == date(2027, 3, 31)
    text, markdown = report_texts(session, world)
    assert "（整改时限：2027-03-31；原定2026-03-31，因反弹重启调整）" in text
    assert f"整改情况：{note}" in text and f"整改情况：{note}" in markdown
    report = build_report(session, world.plan.round, on=REPORT_DAY)
    assert f'<p class="note">整改情况：{note}</p>' in render_html(report)
    stream = io.BytesIO()
    write_docx(report, stream)
    assert f"整改情况：{note}" in [p.text for p in Document(io.BytesIO(stream.getvalue())).paragraphs]

    # the problem moves on (measures done, awaiting verification): the reopening stays in the ledger
    finish_measures(session, wf_engine, world, studying)
    row = rows_by_number(session, world)["1.1.1"]
    assert row.problem_status == S.AWAITING_VERIFICATION and reopen_text(row.reopen) == note


def test_a_leader_extends_a_deadline_and_the_lifecycle_follows(
    session: Session, wf_engine: WorkflowEngine, clock: FixedClock, world: World
) -> None:
    studying = world.plan.studying
    first = studying.measures[0]
    change = extend(session, wf_engine, first, date(2026, 5, 31), actor=world.leader, reason="需协调上级部门",
                    number="1.1.1")

    assert (change.source, change.changed_by, change.old_deadline) == (
        DeadlineSource.EXTENSION, "leader1", date(2026, 3, 31))
    assert first.deadline == date(2026, 5, 31)
    assert task_due_dates(session, studying)[first.item_key] == date(2026, 5, 31)
    timers = set(session.scalars(select(Timer.due_at).where(Timer.instance_id == studying.instance_id)))
    assert end_of_day_utc(date(2026, 5, 31)) in timers and end_of_day_utc(date(2026, 3, 31)) not in timers
    audit = session.scalars(select(AuditEntry).where(AuditEntry.instance_id == studying.instance_id,
                                                     AuditEntry.action == "amend")).one()
    assert audit.actor == "leader1" and "需协调上级部门" in audit.detail["reason"]

    row = rows_by_number(session, world)["1.1.1"]
    assert [(s.source, s.by) for s in row.deadline_history] == [(DeadlineSource.EXTENSION, "李书记")]
    assert excel_deadlines(session, world)["1.1.1"] == date(2026, 5, 31)
    text, _ = report_texts(session, world)
    assert "（整改时限：2026-05-31；原定2026-03-31，因批准延期调整）" in text

    clock.set(APRIL_15)  # the old deadline passes: the timer moved, so nothing is marked overdue
    wf_engine.fire_due_timers(session, clock())
    assert rows_by_number(session, world)["1.1.1"].status != S.OVERDUE


def test_an_extension_is_refused_to_others_and_without_a_reason(
    session: Session, wf_engine: WorkflowEngine, world: World
) -> None:
    from engine import NotAllowed
    from workflows.errors import ValidationError

    first = world.plan.studying.measures[0]
    for actor in (world.officer, world.supervisor, world.other_leader):
        with pytest.raises(NotAllowed, match="only its responsible leader or an administrator"):
            extend(session, wf_engine, first, date(2026, 5, 31), actor=actor, reason="理由")
    for new, reason, message in ((date(2026, 5, 31), "  ", "needs a reason"),
                                 (date(2026, 3, 31), "理由", "already 2026-03-31"),
                                 (date(2026, 2, 28), "理由", "later than 2026-03-31")):
        with pytest.raises(ValidationError, match=message):
            extend(session, wf_engine, first, new, actor=world.leader, reason=reason)
    assert first.deadline == date(2026, 3, 31)
    assert session.scalars(select(DeadlineChange)).all() == []
    assert task_due_dates(session, world.plan.studying)[first.item_key] == date(2026, 3, 31)
    extend(session, wf_engine, first, date(2026, 4, 30), actor=ADMIN, reason="管理员代为登记")
    assert first.deadline == date(2026, 4, 30)


def test_an_imported_ledger_records_its_deadline_changes(
    session: Session, wf_engine: WorkflowEngine, world: World
) -> None:
    from .xlsx_helpers import edit, export, load

    unchanged = export(session, world.plan)
    load(session, wf_engine, unchanged)
    assert session.scalars(select(DeadlineChange)).all() == []  # the same workbook changes nothing

    def new_deadline(book):
        sheet = book.worksheets[0]
        header = [cell.value for cell in sheet[2]]
        for row in sheet.iter_rows(min_row=3):
            if row[header.index("序号")].value == "1.1.1":
                row[header.index("整改时限")].value = datetime(2026, 7, 15)

    load(session, wf_engine, edit(unchanged, new_deadline))
    first = world.plan.studying.measures[0]
    [change] = changes(session, first)
    assert (change.old_deadline, change.new_deadline, change.source, change.changed_by) == (
        date(2026, 3, 31), date(2026, 7, 15), DeadlineSource.LEDGER_IMPORT, "admin")
    assert excel_deadlines(session, world)["1.1.1"] == date(2026, 7, 15)
    assert "因台账导入调整" in report_texts(session, world)[0]

    # the running lifecycle keeps its deadline (the import says so); completing a task there
    # neither undoes the imported deadline nor records a change the lifecycle did not make
    do(session, wf_engine, world.plan.studying, "measure_submit", world.officer, progress="已落实")
    assert first.deadline == date(2026, 7, 15) and len(changes(session, first)) == 1


def test_a_report_with_notes_reads_back_into_the_same_tree(
    session: Session, wf_engine: WorkflowEngine, clock: FixedClock, world: World
) -> None:
    studying = world.plan.studying
    finish_measures(session, wf_engine, world, studying)
    do(session, wf_engine, studying, "verify", world.supervisor, verify_decision="fail",
       reason="长期坚持不够，整改不彻底", new_deadline="2026-09-30")
    text, _ = report_texts(session, world)

    again = parse_text(text)
    assert [p.title for p in again.iter_problems()] == ["理论学习不够深入", "意识形态责任制虚化", "财务管理不规范"]
    problem = again.iter_problems()[0]
    assert len(problem.measures) == 2 and not problem.long_term  # the reason's words are no status
    assert problem.measures[0].text.startswith("每两个月组织一次中心组集中学习（整改时限：2026-09-30")
    assert [m.deadline for m in problem.measures] == [date(2026, 9, 30), date(2026, 9, 30)]


def test_the_ledger_costs_the_same_queries_with_history_and_reopenings(
    session: Session, wf_engine: WorkflowEngine, world: World
) -> None:
    from .test_history import counted

    fill_in(session, world.plan.round, "1.2.1", deadline=date(2026, 12, 31), engine=wf_engine, actor=ADMIN)
    session.expire_all()
    with counted(session) as one_change:
        rows_by_number(session, world)
    finish_measures(session, wf_engine, world, world.plan.studying)
    do(session, wf_engine, world.plan.studying, "verify", world.supervisor, verify_decision="fail",
       reason="不到位", new_deadline="2026-09-30")
    for number, day in (("2.1.1", date(2026, 3, 15)), ("2.2.1", date(2026, 3, 20))):
        fill_in(session, world.plan.round, number, deadline=day, engine=wf_engine, actor=ADMIN)
    session.expire_all()
    with counted(session) as with_history:
        rows = rows_by_number(session, world)
    assert sum(len(r.deadline_history) for r in rows.values()) == 5
    assert sum(r.reopen is not None for r in rows.values()) == 2
    assert len(with_history) == len(one_change)

