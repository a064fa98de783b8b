"""Flagged supervision (挂牌督办) in the domain: who may flag and unflag, what is refused and why, the
audit log and the problem's history, the ledger's flag and the flag's deadline in the problem's colour."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import Actor, FixedClock, NotAllowed, WorkflowEngine
from engine.models import AuditEntry
from workflows.errors import NotFoundError, ValidationError
from workflows.flags import active_flag, active_flags, flag, problem_by_number, round_flags, unflag
from workflows.history import problem_history
from workflows.ledger import LedgerRow, ledger_rows
from workflows.models import ProblemFlag
from workflows.warnings import WarningColour

from .deadline_world import World, do, finish_measures, make_world
from .plan_fixtures import ADMIN

G, Y, R, B = WarningColour.GREEN, WarningColour.YELLOW, WarningColour.RED, WarningColour.BLUE
REASON = "理论学习整改进度滞后"


def china(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


@pytest.fixture
def world(session: Session, wf_engine: WorkflowEngine) -> World:
    return make_world(session, wf_engine)  # the clock stands at 2026-01-05 09:00 in China


def rows(session: Session, world: World, now: datetime | None = None) -> dict[str, LedgerRow]:
    return {r.number: r for r in ledger_rows(session, world.plan.round, now=now)}


def written(session: Session) -> tuple[int, int]:
    """Flag rows and flag audit entries: what a refusal must leave as it was."""
    flags = session.scalar(select(func.count()).select_from(ProblemFlag)) or 0
    audits = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(["problem_flagged", "problem_unflagged"]))) or 0
    return flags, audits


def test_supervision_flags_a_problem_and_the_ledger_the_audit_log_and_the_history_show_it(
    session: Session, clock: FixedClock, world: World
) -> None:
    studying = world.plan.studying
    flagged = flag(session, studying, reason=f"  {REASON} ", deadline=date(2026, 2, 15), actor=world.supervisor,
                   at=clock())

    assert (flagged.reason, flagged.deadline, flagged.flagged_by, flagged.cleared_at) == (
        REASON, date(2026, 2, 15), "sup1", None)
    assert active_flag(session, studying) is flagged and active_flags(session, world.plan.round) == [flagged]
    (audit,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "problem_flagged"))
    assert (audit.actor, audit.instance_id, audit.at) == ("sup1", studying.instance_id, clock())
    assert audit.detail == {"problem_id": studying.id, "number": "1.1", "flag_id": flagged.id, "reason": REASON,
                            "deadline": "2026-02-15"}
    entry = problem_history(session, studying.instance_id)[0]  # newest first
    assert (entry.action, entry.actor_name, entry.reason, entry.flag_deadline) == (
        "problem_flagged", "王督查", REASON, "2026-02-15")

    found = rows(session, world, china("2026-01-06"))
    for number in ("1.1.1", "1.1.2"):
        note = found[number].flag
        assert note is not None and (note.reason, note.deadline, note.by, note.by_login) == (
            REASON, date(2026, 2, 15), "王督查", "sup1")
        assert note.text == f"督办时限2026-02-15：{REASON}"
    assert found["2.1.1"].flag is None and rows(session, world)["1.1.1"].flag is not None  # even without a clock


def test_an_overdue_flag_makes_the_problem_red_while_its_measures_are_green(
    session: Session, clock: FixedClock, world: World
) -> None:
    flag(session, world.plan.studying, reason=REASON, deadline=date(2026, 1, 20), actor=world.supervisor,
         at=clock())

    before = rows(session, world, china("2026-01-06"))["1.1.1"]
    assert before.flag is not None and before.flag.warning is not None
    assert (before.flag.warning.colour, before.problem_warning) == (G, before.flag.warning)  # 14 days: green
    inside = rows(session, world, china("2026-01-15"))["1.1.1"]
    assert inside.problem_warning is not None and (inside.problem_warning.colour, inside.problem_warning.days_left) \
        == (Y, 5)
    after = rows(session, world, china("2026-01-21", 0))
    for number in ("1.1.1", "1.1.2"):
        assert after[number].warning is not None and after[number].warning.colour is G  # measures far off
        assert after[number].problem_warning is not None and after[number].problem_warning.colour is R
        assert after[number].problem_warning.days_left == -1
    assert after["2.1.1"].problem_warning is not None and after["2.1.1"].problem_warning.colour is G


def test_a_flag_on_a_long_term_problem_turns_its_blue_yellow(session: Session, clock: FixedClock, world: World) -> None:
    ideology = world.plan.ideology  # long-term, no measure deadline: any date from today is tight enough
    assert rows(session, world, china("2026-01-06"))["1.2.1"].problem_warning == rows(
        session, world, china("2026-01-06"))["1.2.1"].warning
    flag(session, ideology, reason="第一议题制度落实不到位", deadline=date(2026, 1, 10), actor=ADMIN, at=clock())
    row = rows(session, world, china("2026-01-06"))["1.2.1"]
    assert row.warning is not None and row.warning.colour is B  # the measure itself stays long-term
    assert row.problem_warning is not None and (row.problem_warning.colour, row.problem_warning.days_left) == (Y, 4)


@pytest.mark.parametrize(("who", "reason", "deadline", "error", "message"), [
    ("officer", REASON, date(2026, 2, 15), NotAllowed,
     "officer1 may not flag problem 1.1: only supervision (督查) or an administrator may"),
    ("leader", REASON, date(2026, 2, 15), NotAllowed, "leader1 may not flag problem 1.1"),
    ("supervisor", "", date(2026, 2, 15), ValidationError, "to flag problem 1.1 give a reason (--reason)"),
    ("supervisor", " \n ", date(2026, 2, 15), ValidationError, "give a reason"),
    ("supervisor", "含\x00字符", date(2026, 2, 15), ValidationError, "cannot be stored"),
    ("supervisor", REASON, date(2026, 1, 4), ValidationError,
     "the 督办时限 2026-01-04 has already passed (today is 2026-01-05)"),
    ("supervisor", REASON, date(2026, 7, 1), ValidationError,
     "the 督办时限 2026-07-01 is later than problem 1.1's latest measure deadline 2026-06-30"),
])
def test_a_flag_is_refused_with_a_reason_and_nothing_is_written(
    session: Session, clock: FixedClock, world: World, who: str, reason: str, deadline: date,
    error: type[Exception], message: str
) -> None:
    actor: Actor = {"officer": world.officer, "leader": world.leader, "supervisor": world.supervisor}[who]
    before = written(session)
    with pytest.raises(error) as refused:
        flag(session, world.plan.studying, reason=reason, deadline=deadline, actor=actor, at=clock())
    assert message in str(refused.value)
    assert written(session) == before == (0, 0)


def test_a_deadline_of_today_and_one_equal_to_the_latest_measure_deadline_are_accepted(
    session: Session, clock: FixedClock, world: World
) -> None:
    flag(session, world.plan.studying, reason=REASON, deadline=date(2026, 6, 30), actor=world.supervisor, at=clock())
    flag(session, world.plan.finance, reason=REASON, deadline=date(2026, 1, 5), actor=world.supervisor, at=clock())
    assert [f.deadline for f in active_flags(session, world.plan.round)] == [date(2026, 6, 30), date(2026, 1, 5)]


def test_an_overdue_problem_may_be_flagged_with_any_deadline_from_today(
    session: Session, clock: FixedClock, world: World
) -> None:
    clock.set(china("2026-03-10"))  # 2.1.1, finance's only measure, was due 2026-02-28
    flag(session, world.plan.finance, reason="逾期未整改", deadline=date(2026, 3, 20), actor=world.supervisor,
         at=clock())
    row = rows(session, world, clock())["2.1.1"]
    assert row.flag is not None and row.flag.warning is not None and row.flag.warning.colour is Y
    assert row.warning is not None and row.warning.colour is R  # the flag grants the measure no time
    assert row.problem_warning == row.warning


def test_a_flagged_problem_is_not_flagged_again_and_a_closed_one_not_at_all(
    session: Session, wf_engine: WorkflowEngine, clock: FixedClock, world: World
) -> None:
    studying = world.plan.studying
    flag(session, studying, reason=REASON, deadline=date(2026, 2, 15), actor=world.supervisor, at=clock())
    with pytest.raises(ValidationError, match=r"problem 1.1 is already flagged \(督办时限 2026-02-15, by 王督查 on "
                                              r"2026-01-05\); unflag it first"):
        flag(session, studying, reason="再次", deadline=date(2026, 2, 1), actor=ADMIN, at=clock())
    assert written(session) == (1, 1)

    unflag(session, studying, actor=world.supervisor, at=clock(), reason="改由专班督办")
    finish_measures(session, wf_engine, world, studying)
    do(session, wf_engine, studying, "verify", world.supervisor, verify_decision="pass")
    with pytest.raises(ValidationError, match="problem 1.1 is 已销号: there is nothing left to supervise"):
        flag(session, studying, reason=REASON, deadline=date(2026, 2, 15), actor=world.supervisor, at=clock())


def test_unflag_lifts_the_flag_with_a_reason_and_the_problem_may_be_flagged_again(
    session: Session, clock: FixedClock, world: World
) -> None:
    studying = world.plan.studying
    with pytest.raises(ValidationError, match="problem 1.1 is not flagged"):
        unflag(session, studying, actor=world.supervisor, at=clock(), reason="误操作")
    first = flag(session, studying, reason=REASON, deadline=date(2026, 2, 15), actor=world.supervisor, at=clock())
    with pytest.raises(NotAllowed, match="officer1 may not unflag problem 1.1"):
        unflag(session, studying, actor=world.officer, at=clock(), reason="已整改")
    with pytest.raises(ValidationError, match="to unflag problem 1.1 give a reason"):
        unflag(session, studying, actor=world.supervisor, at=clock(), reason=" ")
    assert active_flag(session, studying) is first

    later = clock.advance(days=3)
    lifted = unflag(session, studying, actor=world.supervisor, at=later, reason="已按期整改")
    assert (lifted.cleared_by, lifted.cleared_at, lifted.clear_reason) == ("sup1", later, "已按期整改")
    assert active_flag(session, studying) is None and rows(session, world)["1.1.1"].flag is None
    (audit,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "problem_unflagged"))
    assert (audit.actor, audit.instance_id, audit.detail) == ("sup1", studying.instance_id, {
        "problem_id": studying.id, "number": "1.1", "flag_id": first.id, "reason": "已按期整改",
        "deadline": "2026-02-15"})
    newest = problem_history(session, studying.instance_id)[0]
    assert (newest.action, newest.reason, newest.flag_deadline) == ("problem_unflagged", "已按期整改", "2026-02-15")

    again = flag(session, studying, reason="反弹苗头", deadline=date(2026, 3, 1), actor=ADMIN, at=later)
    assert active_flags(session, world.plan.round) == [again]
    assert round_flags(session, world.plan.round, include_cleared=True) == [first, again]


def test_a_problem_is_named_by_its_ledger_number(session: Session, world: World) -> None:
    assert problem_by_number(session, world.plan.round, " 2.1 ") is world.plan.finance
    with pytest.raises(ValidationError, match="not '1.1.1'; its problem is 1.1"):
        problem_by_number(session, world.plan.round, "1.1.1")
    with pytest.raises(ValidationError, match="a flag names a problem by its ledger number"):
        problem_by_number(session, world.plan.round, "17")
    with pytest.raises(NotFoundError, match="has no problem 3.1"):
        problem_by_number(session, world.plan.round, "3.1")
