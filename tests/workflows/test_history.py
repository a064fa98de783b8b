"""A problem's history and the browser's completion service, on the real diagram.

The history tells who did what and when — submissions with their evidence, returns with their
reasons, claims, reassignments, overdue measures — newest first, in the same few queries however
long it grows; ``submit`` completes a task with its files in one unit of work, or changes nothing.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from engine import FixedClock, HumanTask, TaskStatus, WorkflowEngine
from workflows import forms
from workflows.evidence import EvidenceStore, Upload
from workflows.history import problem_history
from workflows.models import Evidence, Role
from workflows.people import create_person
from workflows.tasks import Submission, is_same_submission, submit

from ..lifecycle_helpers import LEADER, OFFICER, deploy_lifecycle, open_tasks, start, work
from .evidence_samples import pdf_bytes


@pytest.fixture
def instance_id(session: Session, wf_engine: WorkflowEngine) -> int:
    """One problem with one measure, the officer and leader known by name."""
    deploy_lifecycle(session, wf_engine)
    create_person(session, login=OFFICER.key, name="王晓明", password="x" * 12, roles=[Role.OFFICER])
    create_person(session, login=LEADER.key, name="李书记", password="x" * 12, roles=[Role.LEADER])
    return start(session, wf_engine, measures=1).id


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", max_bytes=1024 * 1024, allowed=frozenset({"pdf", "png"}))


def submit_task(session: Session, instance_id: int) -> HumanTask:
    [task] = open_tasks(session, instance_id, "Task_submit_progress")
    return task


def review_task(session: Session, instance_id: int) -> HumanTask:
    [task] = open_tasks(session, instance_id, "Task_approve_measure")
    return task


def test_the_history_tells_submissions_returns_and_claims_newest_first(
    session: Session, wf_engine: WorkflowEngine, clock: FixedClock, instance_id: int
) -> None:
    work(session, wf_engine, submit_task(session, instance_id), OFFICER, progress="已组织学习", measure_done=True,
         evidence=[])
    clock.advance(hours=1)
    work(session, wf_engine, review_task(session, instance_id), LEADER, review_decision="return",
         reason="缺少签到记录")
    clock.advance(hours=1)
    again = submit_task(session, instance_id)
    wf_engine.claim(session, again.id, OFFICER)
    wf_engine.unclaim(session, again.id, OFFICER)

    history = problem_history(session, instance_id)
    assert [(e.action, e.actor_name) for e in history] == [
        ("unclaim", "王晓明"), ("claim", "王晓明"),
        ("complete", "李书记"), ("claim", "李书记"),
        ("complete", "王晓明"), ("claim", "王晓明"),
        ("start", "admin"),  # a login without a person shows as the login
    ]
    returned, submitted = history[2], history[4]
    assert [(v.name, v.choice_key, v.text) for v in returned.values] == [
        ("review_decision", "label.measure_review.review_decision.return", None), ("reason", None, "缺少签到记录")]
    assert [(v.name, v.text, v.flag) for v in submitted.values] == [
        ("progress", "已组织学习", None), ("measure_done", None, True)]
    assert returned.task is not None and returned.task.stage == "measure_approve"
    assert returned.item_key == submitted.item_key == f"measure:{101}"
    assert [e.action for e in problem_history(session, instance_id, newest_first=False)][0] == "start"


def test_evidence_submitted_with_a_form_is_shown_with_its_completion(
    session: Session, wf_engine: WorkflowEngine, instance_id: int, store: EvidenceStore
) -> None:
    task = submit_task(session, instance_id)
    wf_engine.claim(session, task.id, OFFICER)
    files = [Upload("签到表.pdf", io.BytesIO(pdf_bytes())), Upload("现场.png", io.BytesIO(b"\x89PNG\r\n\x1a\n1"))]
    submission = Submission({"progress": "已整改"}, files, "token-0123456789abcdef")
    done = submit(session, wf_engine, task.id, OFFICER, submission, store=store, now=wf_engine.clock())
    kept = list(session.scalars(select(Evidence).order_by(Evidence.id)))
    assert [e.filename for e in kept] == ["签到表.pdf", "现场.png"]
    assert done.data == {"progress": "已整改", "measure_done": False, "evidence": [e.id for e in kept],
                         "submission_token": "token-0123456789abcdef"}
    [entry] = [e for e in problem_history(session, instance_id) if e.action == "complete"]
    assert entry.evidence == kept
    assert is_same_submission(done, OFFICER, "token-0123456789abcdef")
    assert not is_same_submission(done, OFFICER, "another-token-0000000")
    assert not is_same_submission(done, LEADER, "token-0123456789abcdef")


def test_a_refused_submission_writes_nothing_and_names_the_field(
    session: Session, wf_engine: WorkflowEngine, instance_id: int, store: EvidenceStore
) -> None:
    task = submit_task(session, instance_id)
    wf_engine.claim(session, task.id, OFFICER)
    with pytest.raises(forms.FormErrors) as refused:
        submit(session, wf_engine, task.id, OFFICER,
               Submission({"progress": ""}, [Upload("a.pdf", io.BytesIO(pdf_bytes()))]), store=store,
               now=wf_engine.clock())
    assert list(refused.value.errors) == ["progress"]
    with pytest.raises(forms.FormErrors) as bad_file:
        submit(session, wf_engine, task.id, OFFICER,
               Submission({"progress": "ok"}, [Upload("a.pdf", io.BytesIO(pdf_bytes())),
                                               Upload("b.exe", io.BytesIO(b"MZ"))]),
               store=store, now=wf_engine.clock())
    assert list(bad_file.value.errors) == ["evidence"]
    assert "b.exe: this type of file cannot be uploaded" in str(bad_file.value)
    session.refresh(task)
    assert task.status == TaskStatus.OPEN
    assert session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_reassignments_and_overdue_measures_are_in_the_history(
    session: Session, wf_engine: WorkflowEngine, clock: FixedClock, instance_id: int
) -> None:
    create_person(session, login="officer3", name="孙丽", password="x" * 12, roles=[Role.OFFICER])
    task = submit_task(session, instance_id)
    wf_engine.claim(session, task.id, OFFICER)
    wf_engine.reassign(session, task.id, "officer3", LEADER, "王晓明出差")
    clock.advance(days=40)  # past the measure's deadline
    wf_engine.fire_due_timers(session)
    newest, reassigned = problem_history(session, instance_id)[:2]
    assert newest.action == "event:measure_overdue" and newest.item_key == task.item_key
    assert reassigned.action == "reassign" and reassigned.reason == "王晓明出差"
    assert reassigned.names[reassigned.detail["to"]] == "孙丽" and reassigned.actor_name == "李书记"


@contextlib.contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_long_history_costs_the_same_queries_as_a_short_one(
    session: Session, wf_engine: WorkflowEngine, instance_id: int
) -> None:
    work(session, wf_engine, submit_task(session, instance_id), OFFICER, progress="p0", evidence=[])
    session.expire_all()
    with counted(session) as short:
        assert len(problem_history(session, instance_id)) == 3
    for n in range(5):
        work(session, wf_engine, review_task(session, instance_id), LEADER, review_decision="return", reason=f"r{n}")
        work(session, wf_engine, submit_task(session, instance_id), OFFICER, progress=f"p{n + 1}", evidence=[])
    session.expire_all()
    with counted(session) as long:
        assert len(problem_history(session, instance_id)) == 23
    assert len(long) == len(short) <= 5
