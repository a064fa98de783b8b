"""States saved by an older release load, run on and are saved at the current version; newer ones are refused.

The fixtures (tests/fixtures/states/, made by make_previous_state.py) are a rectification instance
stopped mid-way by SpiffWorkflow 3.1.2, the release before ours, whose serializer writes version
"1.4" (3.2.0 writes "1.5"), and by 3.0.0 ("1.3", two steps back): measure 101 waits for approval,
measure 102 for its submission, two deadline timers pending. Each goes into an instance row as
an installation would hold it, with its timer rows.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, InstanceStatus, ProcessInstance, Timer, WorkflowEngine
from engine.serialization import CURRENT_TAIL
from engine.state_upgrade import upgrade_stored_states
from engine.state_versions import SERIALIZER_VERSION, StateVersionError

from ..conftest import START
from ..lifecycle_helpers import (
    OFFICER,
    SUPERVISOR,
    deploy_lifecycle,
    events,
    finish_measures,
    open_tasks,
    start,
    work,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "states"
SERIALIZER_OF = {"3.1.2": "1.4", "3.0.0": "1.3"}
DEADLINE = START + timedelta(days=30)


def plain_state(release: str = "3.1.2") -> dict[str, Any]:
    """That SpiffWorkflow release's ``serialize_json`` output, as a plain-state installation stored it."""
    state: dict[str, Any] = json.loads((FIXTURES / f"rectification_spiff_{release}.json").read_text(encoding="utf-8"))
    assert state["serializer_version"] == SERIALIZER_OF[release] != SERIALIZER_VERSION
    return state


def rectiflow_layout(serializer_version: str = "1.4", release: str = "3.1.2") -> dict[str, Any]:
    """The same state in Rectiflow's layout (specs stored apart) at an older serializer version:
    what this release's states will be to the next one."""
    state = plain_state(release)
    for key in ("spec", "subprocess_specs", "typename", "serializer_version"):
        del state[key]
    return {**state, "format": "rectiflow-2", "serializer_version": serializer_version}


def insert_instance(session: Session, engine: WorkflowEngine, state: dict[str, Any] | str) -> ProcessInstance:
    """An instance row holding ``state``, with the timer rows its waiting timers had."""
    deploy_lifecycle(session, engine)
    text = state if isinstance(state, str) else json.dumps(state, ensure_ascii=False)
    instance = ProcessInstance(definition=engine.latest_definition(session, "rectification"), business_key="problem:1",
                               status=InstanceStatus.RUNNING, state=text, data={}, created_at=START,
                               updated_at=START, version=uuid.uuid4().hex)
    session.add(instance)
    session.flush()
    parsed = json.loads(text)
    for sub in parsed["subprocesses"].values():
        for task in sub["tasks"].values():
            if task["task_spec"] == "Timer_measure_deadline" and task["state"] == 8:  # WAITING
                session.add(Timer(instance_id=instance.id, task_guid=task["id"], bpmn_id="Timer_measure_deadline",
                                  due_at=DEADLINE, attempts=0))
    session.flush()
    return instance


def stored(session: Session, instance_id: int) -> tuple[str, str]:
    """The row's state and version token as the database holds them."""
    session.expire_all()
    row = session.execute(select(ProcessInstance.state, ProcessInstance.version)
                          .where(ProcessInstance.id == instance_id)).one()
    return row.state, row.version


@pytest.mark.parametrize(("release", "layout"), [("3.1.2", "plain"), ("3.1.2", "rectiflow"), ("3.0.0", "plain"),
                                                  ("3.0.0", "rectiflow")])
def test_a_state_saved_by_an_earlier_release_runs_to_completion(session, wf_engine, clock: FixedClock, release,
                                                                layout):
    state = plain_state(release) if layout == "plain" else rectiflow_layout(SERIALIZER_OF[release], release)
    instance = insert_instance(session, wf_engine, state)
    assert len(session.scalars(select(Timer).where(Timer.instance_id == instance.id)).all()) == 2

    # The deadline passes: the first step loads the old state through the engine's load path.
    clock.advance(days=31)
    assert wf_engine.fire_due_timers(session, clock()) == [instance.id]
    assert events(session, instance.id) == ["measure_overdue", "measure_overdue"]
    text, _ = stored(session, instance.id)
    assert text.endswith(CURRENT_TAIL)
    assert json.loads(text)["serializer_version"] == SERIALIZER_VERSION and "spec" not in json.loads(text)
    # The tasks the old state was waiting on are open, for the people the diagram names.
    waiting = sorted((t.bpmn_id, t.item_key, t.candidate_user) for t in open_tasks(session, instance.id))
    assert waiting == [("Task_approve_measure", "measure:101", "leader1"),
                       ("Task_submit_progress", "measure:102", None)]

    finish_measures(session, wf_engine, instance.id)
    [verify] = open_tasks(session, instance.id, "Task_verify")
    work(session, wf_engine, verify, SUPERVISOR, verify_decision="pass", reason=None, new_deadline=None)
    clock.advance(days=190)
    assert wf_engine.fire_due_timers(session, clock()) == [instance.id]
    [lookback] = open_tasks(session, instance.id, "Task_lookback")
    work(session, wf_engine, lookback, SUPERVISOR, lookback_decision="consolidated", reason=None, new_deadline=None)

    session.refresh(instance)
    assert instance.status == InstanceStatus.COMPLETED
    assert events(session, instance.id) == ["measure_overdue", "measure_overdue", "measure_approved",
                                            "measure_approved", "problem_closed", "problem_consolidated"]
    data = wf_engine.load_workflow(session, instance.id).data
    assert data["verify_decision"] == "pass" and data["lookback_decision"] == "consolidated"
    assert [m["id"] for m in data["measures"]] == [101, 102]
    assert stored(session, instance.id)[0].endswith(CURRENT_TAIL)


@pytest.mark.parametrize("release", ["3.1.2", "3.0.0"])
def test_a_submission_made_before_the_upgrade_is_kept(session, wf_engine, release):
    instance = insert_instance(session, wf_engine, plain_state(release))
    workflow = wf_engine.load_workflow(session, instance.id)
    # 1.3 left a reached multi-instance WAITING; SpiffWorkflow's 1.3 -> 1.4 step makes it STARTED, as 3.2 expects.
    [measures] = [t for t in workflow.tasks.values() if t.task_spec.name == "SubProcess_measures"]
    assert measures.state == TaskState.STARTED
    [approve] = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                 if t.task_spec.bpmn_id == "Task_approve_measure"]
    assert approve.data["progress"] == "done" and approve.data["evidence"] == ["report.pdf"]
    assert approve.data["measure"]["id"] == 101


@pytest.mark.parametrize(("state", "said"), [
    (rectiflow_layout("1.6"), "serializer '1.6', newer than this Rectiflow"),
    (rectiflow_layout("1.2"), "serializer '1.2', not one (from 1.3 on) upgraded by"),
    (rectiflow_layout("banana"), "serializer 'banana', not one"),
    ({**rectiflow_layout(), "format": "rectiflow-9"}, "layout 'rectiflow-9'"),
    ({**plain_state(), "serializer_version": "2.0"}, "serializer '2.0', newer"),
])
def test_a_newer_or_unknown_state_is_refused_naming_the_instance(session, wf_engine, clock, state, said):
    instance = insert_instance(session, wf_engine, state)
    before = stored(session, instance.id)
    with pytest.raises(StateVersionError) as refused:
        wf_engine.load_workflow(session, instance.id)
    assert f"process instance {instance.id} (problem:1) cannot be loaded" in str(refused.value)
    assert said in str(refused.value)
    # Through a real step too (the timer): refused, recorded on the timer, the instance untouched.
    clock.advance(days=31)
    assert wf_engine.fire_due_timers(session, clock()) == []
    errors = set(session.scalars(select(Timer.last_error).where(Timer.instance_id == instance.id)))
    assert len(errors) == 1 and f"process instance {instance.id}" in errors.pop()
    assert stored(session, instance.id) == before
    assert open_tasks(session, instance.id) == []


def test_a_plain_state_of_another_process_version_is_refused(session, wf_engine):
    state = plain_state()
    [sub] = [s for s in state["subprocesses"].values() if s["spec"] == "SubProcess_measure_work"][:1]
    next(iter(sub["tasks"].values()))["task_spec"] = "Task_gone"
    instance = insert_instance(session, wf_engine, state)
    with pytest.raises(StateVersionError, match="task 'Task_gone' of 'SubProcess_measure_work' is not in it"):
        wf_engine.load_workflow(session, instance.id)


def test_the_eager_upgrade_rewrites_every_old_state_once(committing_sessions: sessionmaker[Session], clock):
    engine = WorkflowEngine(clock=clock)
    with committing_sessions() as session, session.begin():
        old = [insert_instance(session, engine, plain_state()).id,
               insert_instance(session, engine, rectiflow_layout()).id]
        current = start(session, engine)
        # A state this release's first version wrote: layout rectiflow-1, no serializer version.
        first_release = start(session, engine, problem_id=2)
        first_release.state = first_release.state.removesuffix(CURRENT_TAIL) + '"format":"rectiflow-1"}'
        newer = insert_instance(session, engine, rectiflow_layout("1.6")).id
        ids = {"current": current.id, "first_release": first_release.id}
    old.append(ids["first_release"])
    with committing_sessions() as session:
        before = {i: stored(session, i) for i in [*old, ids["current"], newer]}

    result = upgrade_stored_states(engine, committing_sessions, batch_size=2)
    assert (result.upgraded, result.skipped) == (3, 0)
    assert len(result.refused) == 1 and f"process instance {newer} (problem:1) cannot be loaded" in result.refused[0]
    assert result.summary().startswith("workflow states: 3 upgraded to rectiflow-2 (SpiffWorkflow serializer 1.5), "
                                       "1 refused: process instance")
    with committing_sessions() as session:
        for i in old:
            text, version = stored(session, i)
            assert text.endswith(CURRENT_TAIL) and version != before[i][1]
            assert len(open_tasks(session, i)) == (2 if i == ids["first_release"] else 0)  # rows left as they were
        assert stored(session, ids["current"]) == before[ids["current"]]
        assert stored(session, newer) == before[newer]
    # An upgraded state runs on: the first release's instance takes a submission.
    with committing_sessions() as session, session.begin():
        [submit, *_] = open_tasks(session, ids["first_release"])
        work(session, engine, submit, OFFICER, progress="done", evidence=[])
        assert [t.bpmn_id for t in open_tasks(session, ids["first_release"])][-1] == "Task_approve_measure"

    again = upgrade_stored_states(engine, committing_sessions)
    assert (again.upgraded, again.skipped, len(again.refused)) == (0, 0, 1)


def test_the_eager_upgrade_leaves_completed_instances_to_their_next_load(committing_sessions: sessionmaker[Session],
                                                                         clock):
    engine = WorkflowEngine(clock=clock)
    with committing_sessions() as session, session.begin():
        finished = insert_instance(session, engine, plain_state())
        finished.status = InstanceStatus.COMPLETED
        finished_id = finished.id
    with committing_sessions() as session:
        before = stored(session, finished_id)

    result = upgrade_stored_states(engine, committing_sessions)

    assert (result.upgraded, result.skipped, result.refused) == (0, 0, [])
    with committing_sessions() as session:
        assert stored(session, finished_id) == before
        instance = session.get(ProcessInstance, finished_id)
        engine.store.deserialise(instance)  # still readable: upgraded in memory when loaded
