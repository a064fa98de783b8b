"""Who does a user task, as Camunda, Flowable and Activiti write it, in the engine's own terms.

Camunda Modeler exports ``camunda:candidateGroups="supervision"``, ``camunda:candidateUsers`` and
``camunda:assignee`` on user tasks (Flowable and Activiti the same names in their namespaces). On the
copy SpiffWorkflow reads, a single literal group becomes the task's ``candidate_group`` property and a
single literal user its ``candidate_user``; a task that already names them keeps its own. What the
engine cannot honour is refused, not dropped: several groups or users (a task is offered to one group
or one person), and expressions of the other engine (``${initiator}``).
"""

from __future__ import annotations

from lxml import etree

from .deploy_xml import BPMN_NS, SPIFF_NS, bpmn, clip, refusal
from .errors import DeployProblem
from .properties import CANDIDATE_GROUP, CANDIDATE_USER

_HUMAN = (bpmn("userTask"), bpmn("manualTask"))
# vendor attribute -> (engine property, whether its value is an expression in the engine)
_ATTRIBUTES = {"candidateGroups": (CANDIDATE_GROUP, False), "candidateUsers": (CANDIDATE_USER, True),
               "assignee": (CANDIDATE_USER, True)}
_PROPERTIES = "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
_NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
ONE_HINT = "give the task one group (or one person), or put it in a lane of that group"
EXPRESSION_HINT = ("write the group or login itself, or set the task's candidate_user property to a Python "
                   "expression over the process data")


def vendor_assignments(root: etree._Element, source_name: str) -> list[DeployProblem]:
    """Turn vendor assignment attributes into the engine's properties; refuse what cannot be kept."""
    problems: list[DeployProblem] = []
    for task in root.iter(*_HUMAN):
        declared = {p.get("name") for p in task.iterfind(_PROPERTIES, _NS) if (p.get("value") or "").strip()}
        for attribute, raw in sorted(task.attrib.items()):
            qname = etree.QName(attribute)
            if qname.namespace in (None, BPMN_NS) or qname.localname not in _ATTRIBUTES:
                continue
            prop, expression = _ATTRIBUTES[qname.localname]
            values = [v.strip() for v in str(raw).split(",") if v.strip()]
            if prop in declared or not values:
                continue
            if any(mark in str(raw) for mark in ("${", "#{")):
                problems.append(refusal(source_name, task, f"its {qname.localname} '{clip(str(raw))}' is an "
                                        "expression of another engine", EXPRESSION_HINT))
            elif len(values) > 1:
                problems.append(refusal(source_name, task, f"its {qname.localname} names {len(values)} "
                                        f"({clip(', '.join(values))}); a task is offered to one", ONE_HINT))
            else:
                _set_property(task, prop, repr(values[0]) if expression else values[0])
                declared.add(prop)
    return problems


def _set_property(task: etree._Element, name: str, value: str) -> None:
    extensions = task.find(bpmn("extensionElements"))
    if extensions is None:
        extensions = etree.Element(bpmn("extensionElements"))
        task.insert(0, extensions)
    properties = extensions.find(f"{{{SPIFF_NS}}}properties")
    if properties is None:
        properties = etree.SubElement(extensions, f"{{{SPIFF_NS}}}properties")
    etree.SubElement(properties, f"{{{SPIFF_NS}}}property", name=name, value=value)
