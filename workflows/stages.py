"""The stages of the rectification lifecycle: what each user task of the diagram is for.

Each user task of ``bpmn/rectification.bpmn`` declares its stage as a literal property
(``<spiffworkflow:property name="stage" value="verify" />``); the engine copies it onto the
task's ``human_task`` row as written. The domain reads stages, never BPMN ids, so the diagram
may be redrawn (tasks renamed, split, moved into sub-processes) as long as it keeps its stages.
tests/workflows/test_stages.py fails when the diagram lacks a stage listed in :data:`REQUIRED`.
"""

from __future__ import annotations

import enum
from collections import defaultdict

from lxml import etree

from .item_keys import ItemKind


class Stage(enum.StrEnum):
    """A user task's place in a problem's life."""

    MEASURE_SUBMIT = "measure_submit"  # the officer reports a measure's progress and evidence
    MEASURE_APPROVE = "measure_approve"  # the leader approves the measure or returns it
    VERIFY = "verify"  # supervision verifies the rectified problem, item by item
    CLOSE_LONG_TERM = "close_long_term"  # supervision follows a long-term problem until closing it
    LONG_TERM_REPORT = "long_term_report"  # the officer's periodic report on a long-term problem
    LOOKBACK = "lookback"  # supervision looks back months after closing, for a rebound
    # Not a problem's stage: supervision triages an opinion from the public page (bpmn/feedback_triage.bpmn);
    # its decision is applied by workflows.feedback, never by the generic task completion.
    FEEDBACK_TRIAGE = "feedback_triage"


# The stages the domain relies on (the ledger's statuses, measure progress). A diagram without
# one of them would run, and the ledger would quietly show wrong statuses.
REQUIRED: frozenset[Stage] = frozenset({
    Stage.MEASURE_SUBMIT,  # tasks.complete records the measure's progress
    Stage.MEASURE_APPROVE,  # status: awaiting approval
    Stage.VERIFY,  # status: awaiting verification; completing it may reopen the problem
    Stage.CLOSE_LONG_TERM,  # status: long-term
    Stage.LOOKBACK,  # status: look-back; completing it may reopen the problem
})

# What the item key of each stage's tasks names.
ITEM_KINDS: dict[Stage, ItemKind] = {
    Stage.MEASURE_SUBMIT: ItemKind.MEASURE,
    Stage.MEASURE_APPROVE: ItemKind.MEASURE,
    Stage.VERIFY: ItemKind.PROBLEM,
    Stage.CLOSE_LONG_TERM: ItemKind.PROBLEM,
    Stage.LONG_TERM_REPORT: ItemKind.PROBLEM,
    Stage.LOOKBACK: ItemKind.PROBLEM,
}

_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_HUMAN_TASKS = (f"{{{_BPMN}}}userTask", f"{{{_BPMN}}}manualTask")
# Diagrams come from the repository or the database; still, no entities and no network.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def diagram_stages(bpmn_xml: str | bytes) -> dict[str, list[str]]:
    """Each human task's declared stage in a diagram: ``{stage: [bpmn id, …]}``; ``""`` for none."""
    content = bpmn_xml.encode("utf-8") if isinstance(bpmn_xml, str) else bpmn_xml
    root = etree.fromstring(content, _PARSER)
    found: dict[str, list[str]] = defaultdict(list)
    for task in root.iter(*_HUMAN_TASKS):
        values = task.xpath("./bpmn:extensionElements/spiff:properties/spiff:property[@name='stage']/@value",
                            namespaces={"bpmn": _BPMN, "spiff": _SPIFF})
        found[str(values[-1]) if values else ""].append(task.get("id") or "")
    return dict(found)


def missing_stages(bpmn_xml: str | bytes) -> set[Stage]:
    """The required stages that no human task of the diagram declares."""
    return set(REQUIRED) - diagram_stages(bpmn_xml).keys()
