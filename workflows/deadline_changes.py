"""Changes of a measure's deadline (整改时限): recorded, carried into the lifecycle, followed from it.

``Measure.deadline`` is the current deadline everywhere (ledger, Excel, report, warning colours);
every change of it adds a ``DeadlineChange`` row (old → new, who, why, when). Three doors:

* ``record_change`` — the one place that moves ``Measure.deadline`` and writes the row; fill-in
  (补录) and the ledger import (台账导入) call it.
* ``follow_lifecycle`` — after a task completes. The diagram, not Python, decides when deadlines
  move (a failed verification or a rebound with a new deadline sets every measure's deadline in
  ``Script_reopen``); this reads what the engine now holds — the due dates of the measure tasks
  the step opened — and records where they moved away from ``Measure.deadline``. Nothing in
  Python knows which steps move deadlines: a redrawn diagram is followed all the same.
* ``extend`` — a leader approves an extension (批准延期): recorded, and the running lifecycle's
  deadline timer and open tasks move with it (``replan.push_measure`` → ``engine.amend``).

Who may extend: an administrator, or a person with the leader role who is the measure's
responsible leader (the measure's own, else its problem's); when neither names a leader, any
leader. An extension needs a reason and moves the deadline later (to correct a deadline, use
fill-in).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BindParameter, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from engine import Actor, HumanTask, NotAllowed, TaskStatus, WorkflowEngine
from engine.actor import SYSTEM

from .deadlines import china_date, has_deadline
from .errors import ValidationError
from .item_keys import measure_id
from .models import DeadlineChange, DeadlineSource, Measure, Role
from .replan import push_measure
from .stages import Stage
from .text_checks import check_text

# What moved a deadline when a task of this stage completed (its form's new_deadline).
STAGE_SOURCES: dict[str, DeadlineSource] = {
    Stage.VERIFY: DeadlineSource.VERIFICATION_FAILED,
    Stage.LOOKBACK: DeadlineSource.REBOUND,
}
# A step of another stage that moves a deadline is a decision taken inside the process about
# the measure's time: the nearest thing the domain knows is an approved extension.
OTHER_STAGE_SOURCE = DeadlineSource.EXTENSION
MAX_REASON = 2000


def record_change(
    session: Session,
    measure: Measure,
    new: date | None,
    *,
    source: DeadlineSource,
    actor: str,
    at: datetime,
    reason: str | None = None,
) -> DeadlineChange | None:
    """Make ``new`` the measure's deadline and record the change; None (nothing written) if it is
    already the deadline. The plan's wording of the old deadline (``deadline_text``) no longer
    applies and is cleared. Only flushes."""
    if measure.deadline == new:
        return None
    change = DeadlineChange(
        measure_id=measure.id, old_deadline=measure.deadline, new_deadline=new, source=source,
        reason=(reason or "").strip() or None, changed_by=actor, changed_at=at,
    )
    measure.deadline, measure.deadline_text = new, None
    session.add(change)
    session.flush()
    return change


def last_task_id(session: Session, instance_id: int) -> int:
    """The newest ``human_task`` id of an instance (0 for none): taken before a step, it tells the
    tasks the step opened."""
    return session.scalar(_LAST_TASK_ID, {"instance_id": instance_id}) or 0


def follow_lifecycle(session: Session, task: HumanTask, *, opened_after: int) -> list[DeadlineChange]:
    """After ``task`` completed: record the deadlines its step moved, as the engine now holds them.

    The step opened the instance's tasks with ids above ``opened_after`` (``last_task_id`` before
    it). A measure task among them carries the lifecycle's deadline of that measure as its due
    date (``measure['deadline']``, the end of that day in China). Where that date differs from
    the one the measure's newest task from before the step carried, the step moved the deadline; where it also
    differs from ``Measure.deadline``, the measure takes it and a change is recorded, by whoever
    completed the task, with the task's ``reason``. The source follows the task's stage
    (``STAGE_SOURCES``). A deadline the lifecycle never moved is left alone, even where the plan
    says otherwise (an edited ledger does not reach a running lifecycle). Only flushes.
    """
    # One round trip, run after every completion: the open tasks the step opened, and each of their
    # items' newest task from before the step (read as plain rows: only ids, keys and dates are needed).
    rows = session.execute(_OPENED_AND_BEFORE, {"instance_id": task.instance_id,
                                                 "opened_after": opened_after}).all()
    opened = [row for row in rows if row.id > opened_after and measure_id(row.item_key) is not None]
    if not opened:
        return []
    before = {row.item_key: row.due_at for row in rows if row.id <= opened_after}
    changes: list[DeadlineChange] = []
    seen: set[int] = set()
    for fresh in opened:
        mid = measure_id(fresh.item_key)
        assert mid is not None  # kept above
        if mid in seen:
            continue
        seen.add(mid)
        new = _due_date(fresh.due_at)
        if fresh.item_key in before and _due_date(before[fresh.item_key]) == new:
            continue  # the lifecycle's deadline did not move in this step
        measure = session.get(Measure, mid)
        if measure is None:
            continue
        change = record_change(
            session, measure, new, source=STAGE_SOURCES.get(task.stage or "", OTHER_STAGE_SOURCE),
            actor=task.completed_by or SYSTEM, at=task.completed_at or fresh.created_at,
            reason=_reason(task),
        )
        if change is not None:
            changes.append(change)
    return changes


def _opened_and_before() -> Select[tuple[int, str | None, datetime | None, datetime]]:
    """The instance's open tasks above ``opened_after`` and, for each of their item keys, the newest
    task at or below it (any status), in id order. Built once, as it runs after every completion."""
    in_instance = HumanTask.instance_id == bindparam("instance_id")
    after: BindParameter[int] = bindparam("opened_after")
    opened_keys = select(HumanTask.item_key).where(in_instance, HumanTask.status == TaskStatus.OPEN,
                                                   HumanTask.id > after)
    newest_before = (select(func.max(HumanTask.id))
                     .where(in_instance, HumanTask.id <= after, HumanTask.item_key.in_(opened_keys))
                     .group_by(HumanTask.item_key))
    return (select(HumanTask.id, HumanTask.item_key, HumanTask.due_at, HumanTask.created_at)
            .where(in_instance, or_(and_(HumanTask.status == TaskStatus.OPEN, HumanTask.id > after),
                                    HumanTask.id.in_(newest_before)))
            .order_by(HumanTask.id))


_OPENED_AND_BEFORE = _opened_and_before()
_LAST_TASK_ID = select(func.max(HumanTask.id)).where(HumanTask.instance_id == bindparam("instance_id"))


def extend(
    session: Session,
    engine: WorkflowEngine,
    measure: Measure,
    new: date,
    *,
    actor: Actor,
    reason: str,
    number: str | None = None,
) -> DeadlineChange:
    """A leader's approved extension (批准延期) of ``measure`` to ``new``, with ``reason``.

    Refused (``NotAllowed``) unless the actor may approve it (see the module's docstring);
    refused (``ValidationError``) without a reason, or when ``new`` is not later than the current
    deadline. The running lifecycle takes the new deadline: its timer and open tasks move.
    ``number`` (3.2.1) names the measure in the lifecycle's audit entry. Only flushes.
    """
    if not may_extend(measure, actor):
        raise NotAllowed(f"{actor.key} may not extend the deadline of this measure: only its responsible "
                         "leader or an administrator may")
    check_text(reason, "the reason", MAX_REASON)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("an extension needs a reason (--reason)")
    if measure.deadline == new:
        raise ValidationError(f"the deadline is already {new.isoformat()}")
    if measure.deadline is not None and new < measure.deadline:
        raise ValidationError(f"an extension moves the deadline later than {measure.deadline.isoformat()}; "
                              "to correct a deadline use fill-in")
    change = record_change(session, measure, new, source=DeadlineSource.EXTENSION, actor=actor.key,
                           at=engine.clock(), reason=reason)
    assert change is not None  # the deadline differs
    name = number or f"measure {measure.id}"
    push_measure(session, engine, measure, actor, reason=f"extend {name} to {new.isoformat()}: {reason}")
    session.flush()
    return change


def may_extend(measure: Measure, actor: Actor) -> bool:
    """Whether ``actor`` may approve an extension of ``measure``'s deadline."""
    if Role.ADMIN.value in actor.groups:
        return True
    if Role.LEADER.value not in actor.groups:
        return False
    leader = measure.responsible_leader or measure.problem.responsible_leader
    return leader is None or leader.login == actor.key


def _due_date(due: datetime | None) -> date | None:
    return china_date(due) if due is not None and has_deadline(due) else None


def _reason(task: HumanTask) -> str | None:
    reason = (task.data or {}).get("reason")
    return reason if isinstance(reason, str) else None
