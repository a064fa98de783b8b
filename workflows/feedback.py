"""Triage of public feedback (意见建议处理): each opinion is a ``feedback_triage`` process instance whose
one user task supervision completes with a decision — reply, forward to a unit as a new problem,
or dismiss with a reason — applied here in the same transaction as the task's completion.

The opinions arrive through ``workflows.feedback_intake``, which calls ``start_triage`` in the
transaction that stores the row. Completing the task goes through ``triage`` only (its form is
not one the generic task page can complete, see ``workflows.feedback_form``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine import Actor, HumanTask, TaskStateError, TaskStatus, WorkflowEngine
from engine.audit import record
from engine.models import task_is_claimable_by

from .errors import Message, NotFoundError
from .feedback_form import DISMISS, FORWARD, REPLY, check_triage, field_error
from .history import people_names
from .models import FeedbackStatus, InspectionRound, Part, Problem, PublicFeedback, Unit
from .plans import LIFECYCLE_PROCESS, add_measure, add_problem, start_data
from .stages import Stage

TRIAGE_PROCESS = "feedback_triage"
TRIAGED = "feedback_triaged"  # the audit entry's action
# The measure a forwarded opinion starts with; the unit replans it as it rectifies.
FORWARDED_MEASURE = "核实群众反映的情况，依规依纪整改，并将处理结果报巡察整改工作领导小组办公室"
_STATUS_BY_DECISION = {REPLY: FeedbackStatus.REPLIED, FORWARD: FeedbackStatus.FORWARDED,
                       DISMISS: FeedbackStatus.DISMISSED}


def feedback_key(feedback_id: int) -> str:
    """The business key of an opinion's triage instance."""
    return f"feedback:{feedback_id}"


def start_triage(session: Session, engine: WorkflowEngine, feedback: PublicFeedback, actor: Actor) -> None:
    """Start ``feedback``'s triage instance (its task waits in supervision's inbox) and link it."""
    instance = engine.start(session, TRIAGE_PROCESS, {"feedback": {"id": feedback.id}}, actor=actor,
                            business_key=feedback_key(feedback.id))
    feedback.instance_id = instance.id
    session.flush()


def feedback_for_task(session: Session, task: HumanTask) -> PublicFeedback | None:
    """The opinion a triage task is about (None for any other task): for pages that list tasks
    to send a triage task to its own page (``public.triage_page``), where the decision is applied."""
    if task.stage != Stage.FEEDBACK_TRIAGE.value:
        return None
    return session.scalar(select(PublicFeedback).where(PublicFeedback.instance_id == task.instance_id))


@dataclass(frozen=True)
class TriageView:
    """What the triage page shows of one opinion and what ``actor`` may do with it."""

    feedback: PublicFeedback
    task: HumanTask | None  # the triage task, open or done (None: never started)
    holds: bool  # the actor holds the open task: the form is theirs
    can_claim: bool
    holder_name: str | None
    handled_by_name: str | None
    problem: Problem | None  # the problem a forwarded opinion became
    units: list[Unit]  # choices for forwarding
    parts: list[Part]

    @property
    def is_open(self) -> bool:
        """Whether the opinion still waits for a decision."""
        return self.feedback.status == FeedbackStatus.NEW


def get_feedback(session: Session, feedback_id: int) -> PublicFeedback:
    """The opinion, or ``NotFoundError``."""
    feedback = session.get(PublicFeedback, feedback_id)
    if feedback is None:
        raise NotFoundError(Message("feedback.not_found", "this feedback does not exist"))
    return feedback


def triage_task(session: Session, feedback: PublicFeedback) -> HumanTask | None:
    """The triage task of ``feedback``'s instance (the newest, should there ever be more)."""
    if feedback.instance_id is None:
        return None
    return session.scalar(
        select(HumanTask).where(HumanTask.instance_id == feedback.instance_id,
                                HumanTask.stage == Stage.FEEDBACK_TRIAGE.value)
        .order_by(HumanTask.id.desc()).limit(1)
    )


def triage_view(session: Session, feedback_id: int, actor: Actor) -> TriageView:
    """The triage page of an opinion as ``actor`` sees it (the caller lets only supervision and admins in)."""
    feedback = get_feedback(session, feedback_id)
    task = triage_task(session, feedback)
    is_open = task is not None and task.status == TaskStatus.OPEN
    names = people_names(session, {login for login in (task.assignee if task else None, feedback.handled_by)
                                   if login})
    return TriageView(
        feedback=feedback, task=task,
        holds=is_open and task is not None and task.assignee == actor.key,
        can_claim=is_open and task is not None and task.assignee is None
        and task_is_claimable_by(task, actor.key, actor.groups, actor.units),
        holder_name=names.get(task.assignee, task.assignee) if task and task.assignee else None,
        handled_by_name=names.get(feedback.handled_by, feedback.handled_by) if feedback.handled_by else None,
        problem=session.get(Problem, feedback.problem_id) if feedback.problem_id else None,
        units=list(session.scalars(select(Unit).order_by(Unit.code))),
        parts=list(session.scalars(select(Part).options(joinedload(Part.round))
                                   .order_by(Part.round_id.desc(), Part.ordinal))),
    )


def recent_feedback(session: Session, *, limit: int = 50) -> list[PublicFeedback]:
    """The newest opinions, waiting ones first."""
    waiting_first = (PublicFeedback.status != FeedbackStatus.NEW)
    return list(session.scalars(
        select(PublicFeedback).order_by(waiting_first, PublicFeedback.submitted_at.desc(), PublicFeedback.id.desc())
        .limit(limit)
    ))


def triage(session: Session, engine: WorkflowEngine, feedback_id: int, actor: Actor, data: Mapping[str, Any],
           *, now: datetime) -> PublicFeedback:
    """Complete ``feedback_id``'s triage task held by ``actor`` with ``data`` and apply the decision.

    ``forms.FormErrors`` for a refused form (nothing changes); the engine's ``TaskStateError`` /
    ``NotAllowed`` / ``ConflictError`` when the task is done, not the actor's or changed meanwhile.
    Forwarding adds a problem (withheld from publication until supervision decides otherwise:
    the public's text may name people) with one measure for the unit, and starts its lifecycle.
    """
    feedback = get_feedback(session, feedback_id)
    task = triage_task(session, feedback)
    if task is None or feedback.status != FeedbackStatus.NEW:
        raise TaskStateError(f"feedback {feedback.id} has been handled already")
    engine.completable_task(session, task.id, actor)  # holder check first: a stranger learns nothing more
    cleaned = check_triage(data)
    unit, part = _forward_target(session, cleaned) if cleaned["decision"] == FORWARD else (None, None)
    engine.complete(session, task.id, actor, cleaned)
    feedback.status = _STATUS_BY_DECISION[cleaned["decision"]]
    feedback.reply = cleaned["reply"]
    feedback.reason = cleaned["reason"]
    feedback.handled_by, feedback.handled_at = actor.key, now
    if unit is not None and part is not None:
        feedback.problem_id = _forward(session, engine, feedback, unit, part, actor).id
    record(session, at=now, actor=actor.key, action=TRIAGED, instance_id=feedback.instance_id, task_id=task.id,
           detail={"feedback_id": feedback.id, "decision": cleaned["decision"], "problem_id": feedback.problem_id})
    session.flush()
    return feedback


def _forward_target(session: Session, cleaned: Mapping[str, Any]) -> tuple[Unit, Part]:
    unit = session.scalar(select(Unit).where(Unit.code == cleaned["unit"]))
    if unit is None:
        raise field_error("unit", "feedback.unknown_unit", "{label}: no such unit")
    raw = cleaned["part"]
    part = session.get(Part, int(raw)) if raw.isascii() and raw.isdecimal() else None
    if part is None:
        raise field_error("part", "feedback.unknown_part", "{label}: no such part")
    return unit, part


def _forward(session: Session, engine: WorkflowEngine, feedback: PublicFeedback, unit: Unit, part: Part,
             actor: Actor) -> Problem:
    """A new problem in ``part`` from the opinion's text, for ``unit``, with its lifecycle started
    (as ``plans.launch`` starts a plan's problems)."""
    problem = add_problem(session, part, feedback.text, lead_unit=unit, publishable=False)
    add_measure(session, problem, FORWARDED_MEASURE, lead_unit=unit, units=[unit])
    instance = engine.start(session, LIFECYCLE_PROCESS, start_data(problem), actor=actor,
                            business_key=problem.item_key)
    problem.instance_id = instance.id
    session.flush()
    return problem


def round_of(session: Session, feedback: PublicFeedback) -> InspectionRound | None:
    """The round whose published report the opinion was sent from, if any."""
    return session.get(InspectionRound, feedback.round_id) if feedback.round_id else None
