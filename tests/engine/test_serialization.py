"""Stored workflow state: SpiffWorkflow's own format minus the specs, and a faithful round trip."""

from __future__ import annotations

import json

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine import ProcessInstance

from ..lifecycle_helpers import LEADER, OFFICER, deploy_lifecycle, open_tasks, start, work


def test_state_matches_spiffworkflow_and_survives_a_round_trip(session, wf_engine):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=3)
    first, second, _ = open_tasks(session, instance.id)
    work(session, wf_engine, first, OFFICER, progress="进展", evidence=["会议纪要.pdf"])
    work(session, wf_engine, second, OFFICER, progress="进展二")
    [approve, *_] = open_tasks(session, instance.id, "Task_approve_measure")
    work(session, wf_engine, approve, LEADER, review_decision="return", reason="补充材料")

    workflow = wf_engine.load_workflow(session, instance.id)
    ours = json.loads(wf_engine.serializer.dump_state(workflow))
    stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    theirs = json.loads(stock.serialize_json(workflow))
    for key in ("spec", "subprocess_specs", "typename"):
        theirs.pop(key)
    assert ours.pop("format") == "rectiflow-2"
    assert ours == theirs

    again = wf_engine.serializer.load_state(session.get(ProcessInstance, instance.id).state, *workflow_specs(
        wf_engine, instance))
    assert json.loads(wf_engine.serializer.dump_state(again)) == json.loads(wf_engine.serializer.dump_state(workflow))


def workflow_specs(engine, instance):
    return engine.store.specs_for(instance.definition)
