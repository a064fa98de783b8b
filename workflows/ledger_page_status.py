"""The ledger's derived statuses and warning colours as SQL, to filter and count a whole round
without loading it.

The rules are those of ``workflows.status.derive`` (a measure's status from its open task and its
events since the problem's last reopening; a problem's from its instance, its open supervision task,
its last event and its measures) and of ``workflows.warnings`` (a problem's colour: red > yellow >
blue > green over its open measures and its flag's 督办时限; none once closed), written as one query
over the engine's tables. ``tests/workflows/test_ledger_page.py`` proves that the two agree on
worlds with every status; the page itself still shows the rows ``ledger_rows`` derives in Python.

``measure_table`` gives one row per measure of the round (its status and whether the viewer is shown
it); ``problem_table`` one row per problem with a shown measure (its status, colour and counts).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from engine import HumanTask, InstanceStatus, ProcessEvent, ProcessInstance, TaskStatus

from .models import Measure, Part, Problem, ProblemFlag
from .models import ProblemStatus as S
from .status import APPROVAL_STAGE, PROBLEM_STAGES, REOPEN_EVENTS, REOPENING_STAGES
from .warnings import CLOSED, WarningColour

REBOUND = "problem_rebound"
CLOSED_EVENT = "problem_closed"
APPROVED_EVENT = "measure_approved"
OVERDUE_EVENT = "measure_overdue"


def _name(status: S) -> ColumnElement[str]:
    return literal(status.name, String)


def round_instances(round_id: int) -> Select[tuple[int | None]]:
    """The instance ids of the round's problems (for ``IN``)."""
    return (select(Problem.instance_id).join(Part, Problem.part_id == Part.id)
            .where(Part.round_id == round_id, Problem.instance_id.is_not(None)))


def _instance_facts(round_id: int) -> Subquery:
    """Per instance of the round: its status, its last reopening (id, name), the task id before which
    measure tasks belong to an earlier round of rectification, its last event's name and the stage of
    its first open supervision task."""
    instances = round_instances(round_id)
    reopen = (select(ProcessEvent.instance_id, func.max(ProcessEvent.id).label("reopen_id"))
              .where(ProcessEvent.name.in_(sorted(REOPEN_EVENTS)), ProcessEvent.instance_id.in_(instances))
              .group_by(ProcessEvent.instance_id).subquery("reopen"))
    since = (select(HumanTask.instance_id, func.max(HumanTask.id).label("since_id"))
             .where(HumanTask.stage.in_(sorted(REOPENING_STAGES)), HumanTask.status == TaskStatus.COMPLETED,
                    HumanTask.instance_id.in_(instances))
             .group_by(HumanTask.instance_id).subquery("since"))
    last = (select(ProcessEvent.instance_id, func.max(ProcessEvent.id).label("last_id"))
            .where(ProcessEvent.instance_id.in_(instances)).group_by(ProcessEvent.instance_id).subquery("last"))
    first_stage = (select(HumanTask.instance_id, func.min(HumanTask.id).label("task_id"))
                   .where(HumanTask.status == TaskStatus.OPEN, HumanTask.stage.in_(sorted(PROBLEM_STAGES)),
                          HumanTask.instance_id.in_(instances))
                   .group_by(HumanTask.instance_id).subquery("first_stage"))
    reopen_event, last_event, stage_task = aliased(ProcessEvent), aliased(ProcessEvent), aliased(HumanTask)
    return (
        select(
            ProcessInstance.id.label("instance_id"),
            case((ProcessInstance.status == InstanceStatus.COMPLETED, 1), else_=0).label("completed"),
            func.coalesce(reopen.c.reopen_id, 0).label("reopen_id"),
            reopen_event.name.label("reopen_name"),
            case((reopen.c.reopen_id.is_not(None), func.coalesce(since.c.since_id, 0)), else_=0).label("since_id"),
            last_event.name.label("last_name"),
            stage_task.stage.label("problem_stage"),
        )
        .outerjoin(reopen, reopen.c.instance_id == ProcessInstance.id)
        .outerjoin(reopen_event, reopen_event.id == reopen.c.reopen_id)
        .outerjoin(since, since.c.instance_id == ProcessInstance.id)
        .outerjoin(last, last.c.instance_id == ProcessInstance.id)
        .outerjoin(last_event, last_event.id == last.c.last_id)
        .outerjoin(first_stage, first_stage.c.instance_id == ProcessInstance.id)
        .outerjoin(stage_task, stage_task.id == first_stage.c.task_id)
        .where(ProcessInstance.id.in_(instances))
        .subquery("inst")
    )


def measure_table(round_id: int, *, shown: ColumnElement[bool] | None = None,
                  text_hit: ColumnElement[bool] | None = None) -> Subquery:
    """One row per measure of the round: ``measure_id``, ``problem_id``, ``status`` (a
    ``ProblemStatus`` name), ``deadline``, ``shown`` (1 when ``shown`` — a clause over ``Measure``
    and ``Problem``: the viewer's scope and the unit filter — holds; every row without one) and
    ``hit`` (1 when ``text_hit`` holds for a shown row)."""
    instances = round_instances(round_id)
    tasks = (select(HumanTask.item_key,
                    func.max(case((HumanTask.status == TaskStatus.OPEN, HumanTask.id))).label("open_id"),
                    func.max(case((HumanTask.status == TaskStatus.COMPLETED, HumanTask.id))).label("done_id"))
             .where(HumanTask.instance_id.in_(instances), HumanTask.item_key.like("measure:%"))
             .group_by(HumanTask.item_key).subquery("task_facts"))
    events = (select(ProcessEvent.item_key,
                     func.max(case((ProcessEvent.name == APPROVED_EVENT, ProcessEvent.id))).label("approved_id"),
                     func.max(case((ProcessEvent.name == OVERDUE_EVENT, ProcessEvent.id))).label("overdue_id"))
              .where(ProcessEvent.instance_id.in_(instances), ProcessEvent.name.in_([APPROVED_EVENT, OVERDUE_EVENT]))
              .group_by(ProcessEvent.item_key).subquery("event_facts"))
    inst = _instance_facts(round_id)
    open_task = aliased(HumanTask)
    key = literal("measure:", String) + cast(Measure.id, String)
    since = func.coalesce(inst.c.since_id, 0)
    reopened_at = func.coalesce(inst.c.reopen_id, 0)
    is_open = and_(tasks.c.open_id.is_not(None), tasks.c.open_id > since)
    overdue = and_(events.c.overdue_id.is_not(None), events.c.overdue_id > reopened_at)
    approved = and_(events.c.approved_id.is_not(None), events.c.approved_id > reopened_at)
    working = case(
        (open_task.stage == APPROVAL_STAGE, _name(S.AWAITING_APPROVAL)),
        (or_(open_task.assignee.is_not(None), and_(tasks.c.done_id.is_not(None), tasks.c.done_id > since)),
         _name(S.IN_PROGRESS)),
        else_=_name(S.PENDING),
    )
    status = case(
        (Problem.instance_id.is_(None), _name(S.NOT_STARTED)),
        (and_(is_open, overdue), _name(S.OVERDUE)),
        (is_open, working),
        (approved, _name(S.DONE)),
        (overdue, _name(S.OVERDUE)),
        else_=_name(S.PENDING),
    )
    shown_flag = case((shown, 1), else_=0) if shown is not None else literal(1, Integer)
    hit = case((and_(shown if shown is not None else true(), text_hit), 1), else_=0) \
        if text_hit is not None else literal(0, Integer)
    return (
        select(Measure.id.label("measure_id"), Measure.problem_id, status.label("status"),
               Measure.deadline, shown_flag.label("shown"), hit.label("hit"),
               # the instance's facts ride along, so the problems need not join them again
               case((Problem.instance_id.is_(None), 0), else_=1).label("has_instance"),
               inst.c.completed, inst.c.reopen_name, inst.c.last_name, inst.c.problem_stage)
        .join(Problem, Measure.problem_id == Problem.id)
        .join(Part, Problem.part_id == Part.id)
        .outerjoin(inst, inst.c.instance_id == Problem.instance_id)
        .outerjoin(tasks, tasks.c.item_key == key)
        .outerjoin(events, events.c.item_key == key)
        .outerjoin(open_task, and_(open_task.id == tasks.c.open_id, tasks.c.open_id > since))
        .where(Part.round_id == round_id)
        .subquery("measure_facts")
    )


def problem_table(round_id: int, *, today: date, window_days: int, shown: ColumnElement[bool] | None = None,
                  text_hit: ColumnElement[bool] | None = None, measure_status: S | None = None) -> Subquery:
    """One row per problem of the round with a shown measure: ``problem_id``, ``status`` (its
    ``ProblemStatus`` name), ``colour`` (a ``WarningColour`` value or NULL), ``measures`` and
    ``done`` (its shown measures, those done), ``hit`` (a shown measure's text matched) and
    ``status_hit`` (a shown measure has ``measure_status``). ``today`` is China's date at the
    engine's ``now``."""
    m = measure_table(round_id, shown=shown, text_hit=text_hit)
    done = m.c.status == S.DONE.name
    aggregated = (
        select(
            m.c.problem_id,
            func.max(m.c.has_instance).label("has_instance"),
            func.max(m.c.completed).label("completed"),
            func.max(m.c.reopen_name).label("reopen_name"),
            func.max(m.c.last_name).label("last_name"),
            func.max(m.c.problem_stage).label("problem_stage"),
            func.max(case((m.c.status == S.OVERDUE.name, 1), else_=0)).label("any_overdue"),
            func.min(case((done, 1), else_=0)).label("all_done"),
            func.max(case((m.c.status == S.AWAITING_APPROVAL.name, 1), else_=0)).label("any_approval"),
            func.max(case((m.c.status.in_([S.PENDING.name, S.IN_PROGRESS.name]), 1), else_=0)).label("any_working"),
            func.max(case((m.c.status != S.PENDING.name, 1), else_=0)).label("any_moved"),
            func.max(case((done, 0), else_=1)).label("any_open"),
            func.min(case((done, None), else_=m.c.deadline)).label("open_deadline"),
            func.sum(m.c.shown).label("measures"),
            func.sum(case((and_(done, m.c.shown == 1), 1), else_=0)).label("done"),
            func.max(m.c.hit).label("hit"),
            (func.max(case((and_(m.c.status == measure_status.name, m.c.shown == 1), 1), else_=0))
             if measure_status is not None else literal(0, Integer)).label("status_hit"),
        )
        .group_by(m.c.problem_id)
        .having(func.sum(m.c.shown) > 0)
        .subquery("problem_facts")
    )
    a = aggregated.c
    stage_status = [(a.problem_stage == stage, _name(found)) for stage, found in PROBLEM_STAGES.items()]
    status = case(
        (a.has_instance == 0, _name(S.NOT_STARTED)),
        (a.completed == 1, _name(S.CONSOLIDATED)),
        *stage_status,
        (a.last_name == CLOSED_EVENT, _name(S.CLOSED)),
        (a.any_overdue == 1, _name(S.OVERDUE)),
        (a.reopen_name == REBOUND, _name(S.REOPENED)),
        (a.all_done == 1, _name(S.AWAITING_VERIFICATION)),
        (and_(a.any_approval == 1, a.any_working == 0), _name(S.AWAITING_APPROVAL)),
        (a.any_moved == 1, _name(S.IN_PROGRESS)),
        else_=_name(S.PENDING),
    )
    flag = (select(ProblemFlag.problem_id, ProblemFlag.deadline).where(ProblemFlag.cleared_at.is_(None))
            .subquery("active_flag"))
    inner = (
        select(Problem.id.label("problem_id"), Problem.part_id, Problem.long_term, Problem.publishable,
               status.label("status"), a.any_open, a.open_deadline, flag.c.deadline.label("flag_deadline"),
               a.measures, a.done, a.hit, a.status_hit)
        .join(aggregated, a.problem_id == Problem.id)
        .outerjoin(flag, flag.c.problem_id == Problem.id)
        .subquery("problem_status")
    )
    return (
        select(*inner.c, _colour(inner, today, window_days).label("colour"))
        .subquery("problem_table")
    )


def _colour(p: Subquery, today: date, window_days: int) -> ColumnElement[str | None]:
    """``workflows.warnings.problem_warning`` over a ``problem_status`` row (see the module)."""
    last_yellow = today + timedelta(days=window_days)
    timed = and_(p.c.long_term == false(), p.c.any_open == 1)
    red = or_(p.c.flag_deadline < today, and_(timed, p.c.open_deadline < today))
    yellow = or_(p.c.flag_deadline <= last_yellow, and_(timed, p.c.open_deadline <= last_yellow))
    return case(
        (p.c.status.in_([s.name for s in CLOSED]), None),
        (red, literal(WarningColour.RED.value, String)),
        (yellow, literal(WarningColour.YELLOW.value, String)),
        (p.c.long_term == true(), literal(WarningColour.BLUE.value, String)),
        (or_(p.c.any_open == 1, p.c.flag_deadline.is_not(None)), literal(WarningColour.GREEN.value, String)),
        else_=None,
    )
