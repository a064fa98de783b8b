"""Skipping an incident: its timer never fires again, the instance stays where it is, and the audit says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine import Actor, InstanceStatus, ProcessInstance, TaskStateError
from engine.models import AuditEntry
from engine.runtime import MAX_TIMER_ATTEMPTS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn"
ADMIN = Actor("admin")


def _incident(session, wf_engine, clock):
    wf_engine.deploy_path(session, FIXTURES / "poison_duration.bpmn", actor="admin")
    bad = wf_engine.start(session, "poison_duration", {"delay": "-P1D"}, actor=ADMIN).id
    clock.advance(days=2)
    for _ in range(MAX_TIMER_ATTEMPTS):
        wf_engine.fire_due_timers(session, clock())
    [timer] = wf_engine.incidents(session)
    return bad, timer


def test_a_skipped_incident_never_fires_again_and_is_audited_with_its_reason(session, wf_engine, clock):
    bad, timer = _incident(session, wf_engine, clock)
    state_before = session.get(ProcessInstance, bad).state

    wf_engine.skip_incident(session, timer.id, Actor("ops"), "  deadline  no longer applies ")

    assert wf_engine.incidents(session) == []
    clock.advance(days=3)
    assert wf_engine.fire_due_timers(session, clock()) == []
    instance = session.get(ProcessInstance, bad)
    assert instance.status == InstanceStatus.RUNNING and instance.state == state_before
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "incident_skip"))
    assert entry.actor == "ops" and entry.instance_id == bad
    assert entry.detail["reason"] == "deadline no longer applies" and entry.detail["timer"] == timer.id


def test_skipping_needs_a_reason_and_an_incident(session, wf_engine, clock):
    _bad, timer = _incident(session, wf_engine, clock)
    with pytest.raises(TaskStateError, match="why"):
        wf_engine.skip_incident(session, timer.id, ADMIN, "   ")
    assert [t.id for t in wf_engine.incidents(session)] == [timer.id]  # nothing changed
    wf_engine.skip_incident(session, timer.id, ADMIN, "done by hand")
    with pytest.raises(TaskStateError, match="not an incident"):
        wf_engine.skip_incident(session, timer.id, ADMIN, "again")  # the second of two admins loses
    with pytest.raises(TaskStateError, match="not an incident"):
        wf_engine.retry_incident(session, timer.id, ADMIN)
    with pytest.raises(Exception, match="does not exist"):
        wf_engine.skip_incident(session, 10**9, ADMIN, "gone")
