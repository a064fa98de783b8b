"""Which group may claim a user task: its own ``candidate_group``, else its lane's declared key.

SpiffWorkflow keeps only a lane's *name* (a display text such as "督查 Supervision") on each
task spec and drops the lane's extension elements, so deploy reads the lanes from the XML
and writes each user task's resolved group into its deployed ``properties``. The rule is
documented in :mod:`engine.properties`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from .deploy_xml import NAMESPACES, bpmn, describe, element_problem
from .errors import DeployError, DeployProblem
from .properties import CANDIDATE_GROUP, CANDIDATE_USER

# Elements whose children SpiffWorkflow parses as a separate spec that inherits the container's lane.
_CONTAINERS = frozenset({bpmn("subProcess"), bpmn("transaction"), bpmn("adHocSubProcess")})
_LANE_GROUP_XPATH = "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name=$name]/@value"


def lane_group(lane: etree._Element) -> str:
    """A lane's group key: its ``candidate_group`` property if declared, else its id."""
    values = lane.xpath(_LANE_GROUP_XPATH, namespaces=NAMESPACES, name=CANDIDATE_GROUP)
    declared = str(values[0]).strip() if values else ""
    return declared or str(lane.get("id") or "").strip()


def lane_groups(root: etree._Element) -> dict[str, str]:
    """The lane group of every flow node that has a lane, by element id.

    Mirrors how SpiffWorkflow assigns lanes: the last lane listing a node in document order
    (so a nested lane wins over its parent), and a node inside a sub-process takes the
    sub-process's lane when the sub-process has one.
    """
    lane_of: dict[str, etree._Element] = {}
    for ref in root.iter(bpmn("flowNodeRef")):
        lane = ref.getparent()
        if ref.text is not None and lane is not None:
            lane_of[ref.text] = lane

    def resolve(node: etree._Element) -> etree._Element | None:
        container = node.getparent()
        while container is not None and container.tag not in _CONTAINERS:
            container = container.getparent()
        inherited = resolve(container) if container is not None else None
        return inherited if inherited is not None else lane_of.get(node.get("id") or "")

    groups = {}
    for node in root.iter(bpmn("userTask"), bpmn("manualTask"), bpmn("task")):
        lane = resolve(node)
        group = lane_group(lane) if lane is not None else ""
        if group:
            groups[str(node.get("id"))] = group
    return groups


def assign_lane_groups(
    specs: Iterable[BpmnProcessSpec],
    groups: Mapping[str, str],
    elements: dict[str, etree._Element],
    source_name: str,
) -> None:
    """Give every user task without a ``candidate_group`` its lane's group; refuse unclaimable tasks.

    ``groups`` is :func:`lane_groups` of the whole document, computed once per file.
    A user task with no ``candidate_group``, no lane and no ``candidate_user`` could never be
    claimed by anyone, so the diagram is refused naming every such task.
    """
    problems: list[DeployProblem] = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            bpmn_id = str(getattr(task_spec, "bpmn_id", None) or task_spec.name)
            extensions = getattr(task_spec, "extensions", None)
            if extensions is None:
                extensions = task_spec.extensions = {}
            properties = extensions.setdefault("properties", {})
            if not (properties.get(CANDIDATE_GROUP) or "").strip() and bpmn_id in groups:
                properties[CANDIDATE_GROUP] = groups[bpmn_id]
            if not any((properties.get(name) or "").strip() for name in (CANDIDATE_GROUP, CANDIDATE_USER)):
                element = elements.get(bpmn_id)
                hint = "give it a candidate_group or candidate_user property, or put it in a lane"
                if element is None:
                    problems.append(DeployProblem(f"{source_name}: user task '{bpmn_id}' can never be claimed; {hint}",
                                                  element_id=bpmn_id, file=source_name, hint=hint))
                    continue
                problems.append(element_problem(
                    element, f"{source_name}: user task {describe(element)} can never be claimed", source_name, hint))
    if problems:
        raise DeployError(problems[0].message, problems)
