"""Messages and signals: each diagram of tests/fixtures/bpmn/messages runs to completion (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import Actor, HumanTask, InstanceStatus, NoReceiver, ProcessInstance, TaskStateError, TaskStatus
from engine.models import AuditEntry

DIAGRAMS = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "messages"
ADMIN = Actor("admin", groups=frozenset({"admin"}))
CLERK = Actor("clerk1", groups=frozenset({"clerk"}))


@pytest.fixture(params=[0, 256], ids=["reloaded", "cached"])
def engine_(request, wf_engine):
    """The engine with its in-memory workflow cache on, and off (every step reloads from the database)."""
    wf_engine.store.cache_size = request.param
    return wf_engine


def deploy(session, engine, *names):
    for name in names:
        engine.deploy_path(session, DIAGRAMS / f"{name}.bpmn", actor="admin")


def open_tasks(session, instance_id):
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.status == TaskStatus.OPEN)).all()


def finish_task(session, engine, task, data=None):
    engine.claim(session, task.id, CLERK)
    engine.complete(session, task.id, CLERK, data or {})


def final_data(engine, session, instance):
    """The data at the end event the instance reached (by its id)."""
    workflow = engine.load_workflow(session, instance.id)
    return {t.task_spec.bpmn_id: t.data for t in workflow.get_tasks() if t.task_spec.bpmn_id
            and t.task_spec.bpmn_id.startswith("End")}


def audit_actions(session, instance_id):
    return session.scalars(select(AuditEntry.action).where(AuditEntry.instance_id == instance_id)
                           .order_by(AuditEntry.id)).all()


def test_message_start_starts_an_instance_with_the_key_and_data(session, engine_):
    deploy(session, engine_, "msg_start")
    delivery = engine_.send_message(session, "order_received", business_key="ORD-1", data={"amount": 120},
                                    actor=ADMIN)
    [instance] = delivery.started
    assert delivery.received == [] and instance.business_key == "ORD-1"
    [task] = open_tasks(session, instance.id)
    assert task.name == "Confirm order" and task.business_key == "ORD-1"
    finish_task(session, engine_, task)
    assert instance.status == InstanceStatus.COMPLETED
    assert final_data(engine_, session, instance)["End_confirmed"]["amount"] == 120
    entry = session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance.id,
                                                     AuditEntry.action == "start")).one()
    assert entry.actor == "admin" and entry.detail["message"] == "order_received"


def test_plain_start_of_a_message_start_process_is_refused(session, engine_):
    deploy(session, engine_, "msg_start", "signal_alarm")
    with pytest.raises(TaskStateError, match="starts on message 'order_received': use send-message order_received"):
        engine_.start(session, "msg_start", {}, actor=ADMIN)
    with pytest.raises(TaskStateError, match="use send-signal alarm"):
        engine_.start(session, "signal_alarm", {}, actor=ADMIN)
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_intermediate_catch_is_correlated_by_business_key(session, engine_):
    deploy(session, engine_, "msg_catch")
    first = engine_.start(session, "msg_catch", {"order_id": "A1"}, actor=ADMIN, business_key="INV-1")
    second = engine_.start(session, "msg_catch", {"order_id": "A2"}, actor=ADMIN, business_key="INV-2")
    delivery = engine_.send_message(session, "payment_received", business_key="INV-2", data={"paid": 50},
                                    actor=ADMIN)
    assert [i.id for i in delivery.received] == [second.id] and delivery.started == []
    assert second.status == InstanceStatus.COMPLETED and first.status == InstanceStatus.RUNNING
    assert final_data(engine_, session, second)["End_paid"] == {"order_id": "A2", "paid": 50}
    assert audit_actions(session, second.id) == ["start", "message"]
    assert audit_actions(session, first.id) == ["start"]
    # The key's instance has finished: nothing waits for it any more, and nothing starts on it.
    with pytest.raises(NoReceiver, match="no instance with business key 'INV-2' waits for message "
                                         "'payment_received'"):
        engine_.send_message(session, "payment_received", business_key="INV-2", actor=ADMIN)


def test_intermediate_catch_is_correlated_by_process_variables(session, engine_):
    deploy(session, engine_, "msg_catch")
    first = engine_.start(session, "msg_catch", {"order_id": "A1"}, actor=ADMIN)
    second = engine_.start(session, "msg_catch", {"order_id": "A2"}, actor=ADMIN)
    with pytest.raises(NoReceiver, match="order_id='A9'"):
        engine_.send_message(session, "payment_received", correlation={"order_id": "A9"}, actor=ADMIN)
    delivery = engine_.send_message(session, "payment_received", correlation={"order_id": "A1"}, actor=ADMIN)
    assert [i.id for i in delivery.received] == [first.id]
    assert first.status == InstanceStatus.COMPLETED and second.status == InstanceStatus.RUNNING
    engine_.send_message(session, "payment_received", correlation={"order_id": "A2"}, actor=ADMIN)
    assert second.status == InstanceStatus.COMPLETED


def test_boundary_message_cancels_the_user_task(session, engine_):
    deploy(session, engine_, "msg_boundary")
    withdrawn = engine_.start(session, "msg_boundary", {}, actor=ADMIN, business_key="C-1")
    reviewed = engine_.start(session, "msg_boundary", {}, actor=ADMIN, business_key="C-2")
    [task] = open_tasks(session, withdrawn.id)
    engine_.send_message(session, "withdrawn", business_key="C-1", data={"reason": "settled"}, actor=ADMIN)
    assert withdrawn.status == InstanceStatus.COMPLETED
    assert session.get(HumanTask, task.id).status == TaskStatus.CANCELLED
    assert final_data(engine_, session, withdrawn)["End_withdrawn"] == {"reason": "settled"}
    [other] = open_tasks(session, reviewed.id)
    finish_task(session, engine_, other)
    assert reviewed.status == InstanceStatus.COMPLETED
    assert "End_reviewed" in final_data(engine_, session, reviewed)


def test_receive_task(session, engine_):
    deploy(session, engine_, "msg_receive_task")
    instance = engine_.start(session, "msg_receive_task", {}, actor=ADMIN, business_key="DOC-7")
    assert instance.status == InstanceStatus.RUNNING
    engine_.send_message(session, "document_arrived", business_key="DOC-7", data={"pages": 3}, actor=ADMIN)
    assert instance.status == InstanceStatus.COMPLETED
    assert final_data(engine_, session, instance)["End_1"] == {"pages": 3}


def test_signal_starts_then_reaches_every_waiting_instance(session, engine_):
    deploy(session, engine_, "signal_alarm")
    first = engine_.send_signal(session, "alarm", data={"zone": "north"}, actor=ADMIN)
    second = engine_.send_signal(session, "alarm", data={"zone": "south"}, actor=ADMIN)
    started = first.started + second.started
    assert len(started) == 2 and all(i.status == InstanceStatus.RUNNING for i in started)
    clear = engine_.send_signal(session, "all_clear", actor=ADMIN)
    assert sorted(i.id for i in clear.received) == sorted(i.id for i in started)
    assert all(i.status == InstanceStatus.COMPLETED for i in started)
    assert final_data(engine_, session, started[1])["End_1"]["zone"] == "south"
    with pytest.raises(NoReceiver, match="signal 'all_clear'"):
        engine_.send_signal(session, "all_clear", actor=ADMIN)


def test_event_gateway_takes_the_message(session, engine_):
    deploy(session, engine_, "msg_event_gateway")
    instance = engine_.start(session, "msg_event_gateway", {}, actor=ADMIN, business_key="Q-1")
    engine_.send_message(session, "reply_received", business_key="Q-1", data={"answer": "yes"}, actor=ADMIN)
    assert instance.status == InstanceStatus.COMPLETED
    ends = final_data(engine_, session, instance)
    assert ends["End_replied"] == {"answer": "yes"} and "End_timed_out" not in ends


def test_event_gateway_takes_the_timer(session, engine_, clock):
    deploy(session, engine_, "msg_event_gateway")
    instance = engine_.start(session, "msg_event_gateway", {}, actor=ADMIN, business_key="Q-2")
    clock.advance(hours=1, minutes=1)
    assert engine_.fire_due_timers(session) == [instance.id]
    session.refresh(instance)
    assert instance.status == InstanceStatus.COMPLETED
    assert "End_timed_out" in final_data(engine_, session, instance)
    with pytest.raises(NoReceiver, match="'Q-2'"):
        engine_.send_message(session, "reply_received", business_key="Q-2", actor=ADMIN)


def test_no_receiver_changes_nothing(session, engine_):
    deploy(session, engine_, "msg_catch")
    instance = engine_.start(session, "msg_catch", {}, actor=ADMIN, business_key="INV-1")
    version = instance.version
    with pytest.raises(NoReceiver, match="message 'unknown_message'"):
        engine_.send_message(session, "unknown_message", business_key="INV-1", actor=ADMIN)
    with pytest.raises(NoReceiver, match="'INV-9'"):
        engine_.send_message(session, "payment_received", business_key="INV-9", actor=ADMIN)
    session.refresh(instance)
    assert instance.version == version and audit_actions(session, instance.id) == ["start"]


def test_bad_message_data_is_refused(session, engine_):
    deploy(session, engine_, "msg_catch")
    engine_.start(session, "msg_catch", {}, actor=ADMIN, business_key="INV-1")
    with pytest.raises(TaskStateError, match="invalid field name"):
        engine_.send_message(session, "payment_received", business_key="INV-1", data={"__class__": 1},
                             actor=ADMIN)
