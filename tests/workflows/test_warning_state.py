"""The warning state (预警) of every measure and problem in the ledger, on the real lifecycle: green →
yellow ten days before → red once the deadline's day has ended in China → none once done; blue for
long-term items; the same colour as the inbox and the task page, and in the Excel sheet's 预警 cell."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from engine import FixedClock, WorkflowEngine
from workflows import tasks as task_service
from workflows.inbox import InboxQuery, Tab, inbox_page
from workflows.ledger import HISTORY_HEADER, SHEET_HEADER, SUPERVISION_HEADER, LedgerRow, export_ledger, ledger_rows
from workflows.models import Problem
from workflows.models import ProblemStatus as S
from workflows.task_view import task_view
from workflows.warnings import DeadlineWarning, WarningColour, warning_text

from .deadline_world import World, do, finish_measures, make_world, open_tasks

G, Y, R, B = WarningColour.GREEN, WarningColour.YELLOW, WarningColour.RED, WarningColour.BLUE


def china(day: str, hour: int = 9) -> datetime:
    """``hour`` o'clock in China on ``day``, as a UTC instant."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


@pytest.fixture
def world(session: Session, wf_engine: WorkflowEngine) -> World:
    return make_world(session, wf_engine)


def rows(session: Session, world: World, now: datetime | None, window_days: int = 10) -> dict[str, LedgerRow]:
    return {r.number: r for r in ledger_rows(session, world.plan.round, now=now, window_days=window_days)}


def colour(warning: DeadlineWarning | None) -> tuple[WarningColour, int | None] | None:
    return (warning.colour, warning.days_left) if warning is not None else None


def finish_measure(session: Session, engine: WorkflowEngine, world: World, problem: Problem, ordinal: int) -> None:
    """The officer submits measure ``ordinal`` of ``problem`` and its leader approves it."""
    key = problem.measures[ordinal - 1].item_key
    for stage, actor, data in (("measure_submit", world.officer, {"progress": "已落实"}),
                               ("measure_approve", world.leader, {"review_decision": "approve"})):
        (task,) = [t for t in open_tasks(session, problem, stage) if t.item_key == key]
        task_service.claim(session, engine, task.id, actor)
        task_service.complete(session, engine, task.id, actor, data)


@pytest.mark.parametrize(("now", "expected"), [
    (china("2026-03-20"), (G, 11)),  # 1.1.1 is due 2026-03-31: eleven days out, still green
    (china("2026-03-21"), (Y, 10)),  # the window's first day
    (china("2026-03-31", 23), (Y, 0)),  # due today, the last hour
    (china("2026-04-01", 0), (R, -1)),  # the deadline's day has ended in China
])
def test_a_measure_turns_yellow_ten_days_before_and_red_after_its_day(
    session: Session, world: World, now: datetime, expected: tuple[WarningColour, int]
) -> None:
    row = rows(session, world, now)["1.1.1"]
    assert colour(row.warning) == expected
    assert row.deadline is not None and row.deadline.isoformat() == "2026-03-31"


def test_without_a_clock_there_are_no_colours_and_the_window_is_the_callers(session: Session, world: World) -> None:
    assert all(r.warning is None and r.problem_warning is None for r in rows(session, world, None).values())
    assert colour(rows(session, world, china("2026-03-11"), window_days=20)["1.1.1"].warning) == (Y, 20)
    assert colour(rows(session, world, china("2026-03-11"), window_days=10)["1.1.1"].warning) == (G, 20)


def test_a_problem_takes_its_most_urgent_open_measure_and_a_done_measure_has_none(
    session: Session, wf_engine: WorkflowEngine, clock: FixedClock, world: World
) -> None:
    studying = world.plan.studying  # 1.1.1 due 2026-03-31, 1.1.2 due 2026-06-30
    at = china("2026-03-25")
    found = rows(session, world, at)
    assert (colour(found["1.1.1"].warning), colour(found["1.1.2"].warning)) == ((Y, 6), (G, 97))
    assert colour(found["1.1.1"].problem_warning) == colour(found["1.1.2"].problem_warning) == (Y, 6)

    clock.set(china("2026-03-26"))
    finish_measure(session, wf_engine, world, studying, 1)
    found = rows(session, world, china("2026-04-10"))
    assert found["1.1.1"].status is S.DONE and found["1.1.1"].warning is None  # done: no colour, 已完成
    assert warning_text(found["1.1.1"].warning) == "已完成"
    assert colour(found["1.1.2"].warning) == (G, 81)
    assert colour(found["1.1.1"].problem_warning) == (G, 81)  # the done measure no longer counts

    assert colour(rows(session, world, china("2026-07-01", 0))["1.1.2"].problem_warning) == (R, -1)


def test_a_closed_problem_has_no_warning_and_one_awaiting_verification_none_either(
    session: Session, wf_engine: WorkflowEngine, world: World
) -> None:
    studying = world.plan.studying  # 1.1.1 due 2026-03-31, 1.1.2 due 2026-06-30
    finish_measures(session, wf_engine, world, studying)
    late = china("2026-07-10")
    row = rows(session, world, late)["1.1.2"]
    assert (row.problem_status, row.warning, row.problem_warning) == (S.AWAITING_VERIFICATION, None, None)

    do(session, wf_engine, studying, "verify", world.supervisor, verify_decision="pass")
    found = rows(session, world, late)
    assert [(found[n].problem_status, found[n].warning, found[n].problem_warning) for n in ("1.1.1", "1.1.2")] == [
        (S.CLOSED, None, None)] * 2
    assert colour(found["2.1.1"].warning) == (R, -132)  # the other problems are still late


def test_long_term_items_are_blue(session: Session, world: World) -> None:
    found = rows(session, world, china("2027-01-01"))
    assert found["1.2.1"].long_term and colour(found["1.2.1"].warning) == (B, None)  # 长期坚持: no date
    assert colour(found["1.2.1"].problem_warning) == (B, None)
    assert warning_text(found["1.2.1"].warning) == "蓝（长期整改）"
    assert warning_text(found["1.1.1"].warning) == "红（逾期276天）"


def test_the_ledger_agrees_with_the_inbox_and_the_task_page(session: Session, world: World) -> None:
    studying = world.plan.studying
    key = studying.measures[0].item_key
    (task,) = [t for t in open_tasks(session, studying, "measure_submit") if t.item_key == key]
    for at in (china("2026-03-20"), china("2026-03-21"), china("2026-04-01", 0)):
        ledger = rows(session, world, at)["1.1.1"].warning
        page = task_view(session, task, world.officer, now=at, window_days=10)
        inbox = inbox_page(session, world.officer, InboxQuery(tab=Tab.CLAIMABLE, per_page=50), now=at,
                           window_days=10)
        (listed,) = [r for r in inbox.rows if r.task_id == task.id]
        assert ledger == page.warning == listed.warning
        assert page.measure is not None and page.measure.warning == ledger


def sheet_of(session: Session, world: World, now: datetime | None):  # type: ignore[no-untyped-def]
    stream = io.BytesIO()
    export_ledger(session, [world.plan.round], stream, now=now, window_days=10)
    return load_workbook(io.BytesIO(stream.getvalue())).worksheets[0]


def test_the_excel_sheet_has_a_warning_column_filled_in_its_colour(session: Session, world: World) -> None:
    sheet = sheet_of(session, world, china("2026-03-25"))
    header = [c.value for c in sheet[2]]
    assert header[:len(SHEET_HEADER)] == SHEET_HEADER  # the importer's columns and the history are unmoved
    assert header[len(SHEET_HEADER):len(SHEET_HEADER) + 2] == SUPERVISION_HEADER == ["预警", "挂牌督办"]
    col = header.index("预警") + 1
    cells = {sheet.cell(r, 1).value: sheet.cell(r, col) for r in range(3, sheet.max_row + 1)}
    assert (cells["1.1.1"].value, cells["1.1.1"].fill.fgColor.rgb) == ("黄（剩6天）", "00FFEB9C")
    assert (cells["1.1.2"].value, cells["1.1.2"].fill.fgColor.rgb) == ("绿（剩97天）", "00C6EFCE")
    assert (cells["1.2.1"].value, cells["1.2.1"].fill.fgColor.rgb) == ("蓝（长期整改）", "00BDD7EE")
    assert (cells["2.1.1"].value, cells["2.1.1"].fill.fgColor.rgb) == ("红（逾期25天）", "00FFC7CE")
    assert sheet.auto_filter.ref == f"A2:Q{sheet.max_row}"  # the warning can be filtered on


def test_an_export_without_a_moment_keeps_the_exchange_layout(session: Session, world: World) -> None:
    header = [c.value for c in sheet_of(session, world, None)[2]]
    assert "预警" not in header and header[12:15] == HISTORY_HEADER and header[15] == "round_id"


def test_a_done_measure_is_grey_in_the_sheet(session: Session, wf_engine: WorkflowEngine, world: World) -> None:
    finish_measure(session, wf_engine, world, world.plan.studying, 1)
    sheet = sheet_of(session, world, china("2026-04-10"))
    col = [c.value for c in sheet[2]].index("预警") + 1
    assert (sheet.cell(3, 1).value, sheet.cell(3, col).value, sheet.cell(3, col).fill.fgColor.rgb) == (
        "1.1.1", "已完成", "00E7E6E6")


def test_the_open_task_and_the_ledger_use_the_same_deadline(session: Session, world: World) -> None:
    """The ledger reads Measure.deadline, the task page the open task's due: they are the same instant."""
    studying = world.plan.studying
    due = {t.item_key: t.due_at for t in open_tasks(session, studying, "measure_submit")}
    for measure in studying.measures:
        task_due = due[measure.item_key]
        assert isinstance(task_due, datetime) and measure.deadline is not None
        assert task_due.astimezone(UTC) == datetime.fromisoformat(
            f"{measure.deadline.isoformat()}T23:59:59+08:00").astimezone(UTC)
