"""The diagram declares every stage the domain relies on, and its item keys are the domain's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, DeployError, FixedClock, HumanTask, ProcessDefinition, ProcessInstance, WorkflowEngine
from engine.deploy import parse_diagram
from engine.serialization import StateSerializer
from workflows import forms, item_keys, status, tasks
from workflows.item_keys import ItemKey, ItemKind
from workflows.plans import LIFECYCLE_PROCESS
from workflows.schema import upgrade
from workflows.stages import ITEM_KINDS, REQUIRED, Stage, diagram_stages, missing_stages

from ..conftest import BPMN_DIR, START
from ..lifecycle_helpers import problem_data

BUNDLED = (BPMN_DIR / "rectification.bpmn").read_bytes()
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
STAGE_LINE = re.compile(rb'\s*<spiffworkflow:property name="stage" value="([a-z_]+)" />')


def _without_stage(content: bytes, stage: str | None = None) -> bytes:
    """The diagram with one stage's declarations (or all of them) taken out."""
    return STAGE_LINE.sub(lambda m: b"" if stage is None or m.group(1) == stage.encode() else m.group(0), content)


def test_the_bundled_diagram_declares_every_stage_the_domain_relies_on():
    declared = diagram_stages(BUNDLED)
    assert missing_stages(BUNDLED) == set()
    assert "" not in declared, f"user tasks without a stage: {declared.get('')}"
    assert set(declared) <= set(Stage), f"stages the domain does not know: {set(declared) - set(Stage)}"
    # What status and tasks read is declared as required, so the check above covers it.
    used = {*status.PROBLEM_STAGES, *status.REOPENING_STAGES, status.APPROVAL_STAGE, tasks.PROGRESS_STAGE}
    assert used <= REQUIRED
    # tasks.complete records the progress that the form of a progress-stage task returns.
    root = etree.fromstring(BUNDLED)
    for bpmn_id in declared[tasks.PROGRESS_STAGE]:
        [form] = root.xpath(f"//bpmn:userTask[@id='{bpmn_id}']//spiff:property[@name='form']/@value", namespaces=NS)
        assert forms.validate(form, {"progress": "已整改"})["progress"] == "已整改"


@pytest.mark.parametrize("stage", sorted(REQUIRED))
def test_a_diagram_missing_a_required_stage_is_caught(stage):
    assert missing_stages(_without_stage(BUNDLED, stage)) == {stage}


def test_the_deployed_diagram_declares_every_stage(session: Session, wf_engine: WorkflowEngine):
    wf_engine.deploy(session, BUNDLED, "rectification.bpmn", actor="admin")
    definition = wf_engine.latest_definition(session, LIFECYCLE_PROCESS)
    assert missing_stages(definition.bpmn_xml) == set()


def test_each_stage_s_item_keys_name_the_item_the_domain_expects():
    data: dict[str, Any] = {"measure": {"id": 17}, "problem": {"id": 4}, "str": str}
    expected = {ItemKind.MEASURE: ItemKey(ItemKind.MEASURE, 17), ItemKind.PROBLEM: ItemKey(ItemKind.PROBLEM, 4)}
    root = etree.fromstring(BUNDLED)
    checked = 0
    for prop in root.iterfind(".//spiff:property[@name='item_key']", NS):
        element = prop.getparent().getparent().getparent()
        # The diagram's own expressions, from this repository: plain eval is enough to read them.
        key = item_keys.parse(eval(prop.get("value"), {"__builtins__": {}}, data))
        assert key in expected.values(), f"{element.get('id')}: item_key {prop.get('value')!r}"
        stage = element.find("bpmn:extensionElements/spiff:properties/spiff:property[@name='stage']", NS)
        if stage is not None:
            assert key == expected[ITEM_KINDS[Stage(stage.get("value"))]], element.get("id")
            checked += 1
    assert checked == sum(len(ids) for ids in diagram_stages(BUNDLED).values())


@pytest.mark.parametrize("key, parsed", [
    ("measure:12", ItemKey(ItemKind.MEASURE, 12)),
    ("problem:3", ItemKey(ItemKind.PROBLEM, 3)),
    (None, None), ("", None), ("measure", None), ("measure:", None), ("measure:x", None), ("measure: 7", None),
    ("measure:+7", None), ("measure:٣", None), ("timer:7", None), ("Measure:7", None),
])
def test_item_keys_are_read_back_exactly(key, parsed):
    assert item_keys.parse(key) == parsed
    if parsed is not None:
        assert str(parsed) == key
    assert item_keys.measure_id(key) == (parsed.id if parsed and parsed.kind == ItemKind.MEASURE else None)


def test_item_keys_round_trip():
    assert item_keys.parse(item_keys.measure_key(5)) == ItemKey(ItemKind.MEASURE, 5)
    assert item_keys.parse(item_keys.problem_key(5)) == ItemKey(ItemKind.PROBLEM, 5)


def test_a_stage_longer_than_its_column_is_refused_at_deploy(session: Session, wf_engine: WorkflowEngine):
    long = BUNDLED.replace(b'value="verify"', b'value="' + b"v" * 51 + b'"')
    refused = r"property 'stage' of 'Task_verify' \(userTask .*\) is longer than 50 characters"
    with pytest.raises(DeployError, match=refused):
        wf_engine.deploy(session, long, "rectification.bpmn", actor="admin")


def test_upgrade_gives_tasks_of_earlier_versions_their_stages(empty_database):
    """A version deployed before stages existed: its open tasks and the tasks it opens later get one."""
    upgrade(empty_database, "0002")
    old = _without_stage(BUNDLED)
    assert diagram_stages(old).keys() == {""}
    spec, subs = parse_diagram(old, "rectification.bpmn").specs[LIFECYCLE_PROCESS]
    with empty_database.begin() as conn:
        definition_id = conn.execute(ProcessDefinition.__table__.insert().values(
            process_key=LIFECYCLE_PROCESS, name="old", version=1, content_hash="0" * 64, source_name="old.bpmn",
            bpmn_xml=old.decode(), specs=StateSerializer().specs_to_dict(spec, subs), deployed_at=START,
        )).inserted_primary_key[0]
        instance_id = conn.execute(ProcessInstance.__table__.insert().values(
            definition_id=definition_id, status="running", state="{}", data={}, created_at=START, updated_at=START,
            version="v1",
        )).inserted_primary_key[0]
        for guid, process_key in (("a", LIFECYCLE_PROCESS), ("b", "another_process")):
            conn.execute(HumanTask.__table__.insert().values(
                instance_id=instance_id, task_guid=guid, process_key=process_key, bpmn_id="Task_verify",
                name="Verify", status="open", created_at=START,
            ))
    upgrade(empty_database)

    with Session(empty_database) as session:
        stages = dict(session.execute(select(HumanTask.task_guid, HumanTask.stage)).tuples().all())
        assert stages == {"a": Stage.VERIFY, "b": None}  # another process's ids mean nothing here
        engine = WorkflowEngine(clock=FixedClock(START))
        instance = engine.start(session, LIFECYCLE_PROCESS, problem_data(START), actor=Actor("admin"),
                                business_key="problem:1")
        assert instance.definition_id == definition_id
        opened = session.scalars(select(HumanTask.stage).where(HumanTask.instance_id == instance.id)).all()
        assert opened == [Stage.MEASURE_SUBMIT, Stage.MEASURE_SUBMIT]
        session.rollback()
