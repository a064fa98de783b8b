"""Public feedback (意见建议): checked and rate-limited intake with its triage task started in the same
transaction, and supervision's decision — reply, forward as a new problem, dismiss — applied on completion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import Actor, FixedClock, HumanTask, NotAllowed, ProcessInstance, TaskStateError, TaskStatus, WorkflowEngine
from engine.models import AuditEntry
from workflows.errors import ValidationError
from workflows.feedback import TRIAGED, feedback_for_task, triage, triage_task, triage_view
from workflows.feedback_intake import IntakePolicy, RateLimited, address_hash, submit_feedback
from workflows.form_fields import FormErrors
from workflows.models import FeedbackStatus, Problem, PublicFeedback
from workflows.publishing import publish
from workflows.stages import Stage
from workflows.tasks import complete

from ..conftest import BPMN_DIR
from .plan_fixtures import SmallPlan, small_plan

SUPERVISOR = Actor("ducha", groups=frozenset({"supervision"}))
OTHER_SUPERVISOR = Actor("ducha2", groups=frozenset({"supervision"}))
POLICY = IntakePolicy(per_address=3, window=timedelta(hours=1), secret=b"test-key")
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def plan(session: Session, wf_engine: WorkflowEngine) -> SmallPlan:
    found = small_plan(session, wf_engine)
    wf_engine.deploy_path(session, BPMN_DIR / "feedback_triage.bpmn", actor="admin")
    return found


def send(session: Session, engine: WorkflowEngine, text: str = "建议公开整改台账", *, address: str = "203.0.113.9",
         name: str = "", contact: str = "", publication_id: int | None = None) -> PublicFeedback:
    return submit_feedback(session, engine, name=name, contact=contact, text=text, address=address,
                           publication_id=publication_id, now=engine.clock(), policy=POLICY)


def claimed_task(session: Session, engine: WorkflowEngine, feedback: PublicFeedback,
                 actor: Actor = SUPERVISOR) -> HumanTask:
    task = triage_task(session, feedback)
    assert task is not None
    return engine.claim(session, task.id, actor)


def test_an_opinion_is_stored_with_a_hashed_address_and_its_triage_task_waits_for_supervision(
    session: Session, wf_engine: WorkflowEngine, plan: SmallPlan
) -> None:
    published = publish(session, plan.round.id, SUPERVISOR, now=wf_engine.clock())
    feedback = send(session, wf_engine, " 建议公开整改台账 ", name="王先生", contact="13800000000",
                    publication_id=published.id)

    assert (feedback.text, feedback.name, feedback.contact) == ("建议公开整改台账", "王先生", "13800000000")
    assert (feedback.publication_id, feedback.round_id) == (published.id, plan.round.id)
    assert feedback.status == FeedbackStatus.NEW
    assert feedback.address_hash == address_hash("203.0.113.9", b"test-key")
    assert "203.0.113" not in feedback.address_hash
    assert address_hash("203.0.113.9", b"other-key") != feedback.address_hash
    instance = session.get(ProcessInstance, feedback.instance_id)
    assert instance is not None and instance.business_key == f"feedback:{feedback.id}"
    task = triage_task(session, feedback)
    assert task is not None and task.stage == Stage.FEEDBACK_TRIAGE.value and task.status == TaskStatus.OPEN
    assert task.candidate_group == "supervision" and task.form_key == "feedback_triage"
    assert feedback_for_task(session, task) is feedback


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"text": "   "}, {"text": "feedback.required"}),
        ({"text": "x" * 2001}, {"text": "feedback.too_long"}),
        ({"text": "x" * 100_000, "name": "名" * 51, "contact": "c" * 101},
         {"name": "feedback.too_long", "contact": "feedback.too_long", "text": "feedback.too_long"}),
        ({"text": "含有\x00的文字"}, {"text": "feedback.unstorable"}),
    ],
)
def test_bad_fields_are_refused_each_with_its_message_and_nothing_is_stored(
    session: Session, wf_engine: WorkflowEngine, plan: SmallPlan, fields: dict[str, str], errors: dict[str, str]
) -> None:
    with pytest.raises(FormErrors) as refused:
        send(session, wf_engine, **fields)
    assert {name: message.key for name, message in refused.value.errors.items()} == errors
    assert session.scalar(select(func.count()).select_from(PublicFeedback)) == 0
    assert session.scalar(select(func.count()).select_from(HumanTask)
                          .where(HumanTask.stage == Stage.FEEDBACK_TRIAGE.value)) == 0


def test_an_address_is_limited_per_window_and_others_are_not(
    session: Session, wf_engine: WorkflowEngine, plan: SmallPlan, clock: FixedClock
) -> None:
    for n in range(3):
        send(session, wf_engine, f"意见{n}")
    with pytest.raises(RateLimited):
        send(session, wf_engine, "第四条")
    send(session, wf_engine, "另一个地址的意见", address="198.51.100.7")
    assert session.scalar(select(func.count()).select_from(PublicFeedback)) == 4
    clock.advance(hours=1, seconds=1)
    send(session, wf_engine, "一小时后")  # the window has moved on
    assert session.scalar(select(func.count()).select_from(PublicFeedback)) == 5


def test_a_reply_completes_the_task_and_is_kept_with_the_feedback(
    session: Session, wf_engine: WorkflowEngine, plan: SmallPlan
) -> None:
    feedback = send(session, wf_engine, SCRIPT)
    task = claimed_task(session, wf_engine, feedback)
    triage(session, wf_engine, feedback.id, SUPERVISOR, {"decision": "reply", "reply": " 已答复：台账将按月公开。",
                                                           "unit": "U1"}, now=wf_engine.clock())

    assert feedback.status == FeedbackStatus.REPLIED and feedback.reply == "已答复：台账将按月公开。"
    assert (feedback.handled_by, feedback.handled_at, feedback.problem_id) == ("ducha", wf_engine.clock(), None)
    session.refresh(task)
    assert task.status == TaskStatus.COMPLETED and task.data is not None and task.data["unit"] is None
    instance = session.get(ProcessInstance, feedback.instance_id)
    assert instance is not None and instance.status.value == "completed"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == TRIAGED)).one()
    assert entry.detail == {"feedback_id": feedback.id, "decision": "reply", "problem_id": None}


def test_dismissing_needs_a_reason_and_a_refused_form_changes_nothing(
    session: Session, wf_engine: WorkflowEngine, plan: SmallPlan
) -> None:
    feedback = send(session, wf_engine)
    task = claimed_task(session, wf_engine, feedback)
    with pytest.raises(FormErrors) as refused:
        triage(session, wf_engine, feedback.id, SUPERVISOR, {"decision": "dismiss", "reason": " "},
               now=wf_engine.clock())
    assert list(refused.value.errors) == ["reason"]
    with pytest.raises(FormErrors) as refused:
        triage(session, wf_engine, feedback.id, SUPERVISOR, {"decision": "maybe"}, now=wf_engine.clock())
    assert list(refused.value.errors) == ["decision"]
    session.refresh(task)
    assert task.status == TaskStatus.OPEN and feedback.status == FeedbackStatus.NEW

    triage(session, wf_engine, feedback.id, SUPERVISOR, {"decision": "dismiss", "reason": "与巡察整改无关"},
           now=wf_engine.clock())
    assert feedback.status == FeedbackStatus.DISMISSED and feedback.reason == "与巡察整改无关"
    with pytest.raises(TaskStateError):  # a second decision is refused
        triage(session, wf_engine, feedback.id, SUPERVISOR, {"decision": "dismiss", "reason": "x"},
               now=wf_engine.clock())


def test_forwarding_creates_a_withheld_problem_for_the_unit_and_starts_its_lifecycle(
    session: Session, wf_engine: WorkflowEngine, plan: SmallPlan
) -> None:
    feedback = send(session, wf_engine, "某科室办事推诿，群众多次反映未果")
    claimed_task(session, wf_engine, feedback)
    part = plan.round.parts[1]
    with pytest.raises(FormErrors) as refused:
        triage(session, wf_engine, feedback.id, SUPERVISOR,
               {"decision": "forward", "unit": "NOPE", "part": str(part.id)}, now=wf_engine.clock())
    assert list(refused.value.errors) == ["unit"]
    with pytest.raises(FormErrors) as refused:
        triage(session, wf_engine, feedback.id, SUPERVISOR, {"decision": "forward", "unit": "U2", "part": "99999"},
               now=wf_engine.clock())
    assert list(refused.value.errors) == ["part"]

    triage(session, wf_engine, feedback.id, SUPERVISOR, {"decision": "forward", "unit": "U2", "part": str(part.id)},
           now=wf_engine.clock())
    assert feedback.status == FeedbackStatus.FORWARDED
    problem = session.get(Problem, feedback.problem_id)
    assert problem is not None and problem.part_id == part.id and problem.ordinal == 3
    assert problem.title == "某科室办事推诿，群众多次反映未果" and problem.lead_unit == plan.office
    assert problem.publishable is False
    [measure] = problem.measures
    assert measure.responsible_units == [plan.office]
    officer_task = session.scalars(select(HumanTask).where(HumanTask.instance_id == problem.instance_id)).one()
    assert officer_task.stage == Stage.MEASURE_SUBMIT.value and officer_task.candidate_unit == "U2"
    # Forwarded text is withheld from the next publication until supervision decides otherwise.
    published = publish(session, plan.round.id, SUPERVISOR, now=wf_engine.clock())
    assert "办事推诿" not in published.html


def test_only_the_holder_may_decide_and_the_view_says_who_holds_it(
    session: Session, wf_engine: WorkflowEngine, plan: SmallPlan
) -> None:
    feedback = send(session, wf_engine)
    view = triage_view(session, feedback.id, SUPERVISOR)
    assert view.can_claim and not view.holds and view.is_open
    claimed_task(session, wf_engine, feedback, OTHER_SUPERVISOR)
    with pytest.raises(NotAllowed):
        triage(session, wf_engine, feedback.id, SUPERVISOR, {"decision": "reply", "reply": "好"},
               now=wf_engine.clock())
    view = triage_view(session, feedback.id, SUPERVISOR)
    assert not view.can_claim and not view.holds and view.holder_name == "ducha2"
    assert feedback.status == FeedbackStatus.NEW


def test_the_generic_task_completion_cannot_bypass_the_decision(
    session: Session, wf_engine: WorkflowEngine, plan: SmallPlan
) -> None:
    """``rectiflow complete`` and the generic task page refuse the triage form: only ``triage`` applies it."""
    feedback = send(session, wf_engine)
    task = claimed_task(session, wf_engine, feedback)
    with pytest.raises(ValidationError, match="unknown form 'feedback_triage'"):
        complete(session, wf_engine, task.id, SUPERVISOR, {"decision": "dismiss", "reason": "x"})
    session.refresh(task)
    assert task.status == TaskStatus.OPEN and feedback.status == FeedbackStatus.NEW
    other = session.scalars(select(HumanTask).where(HumanTask.stage == Stage.MEASURE_SUBMIT.value)).first()
    assert other is not None and feedback_for_task(session, other) is None
