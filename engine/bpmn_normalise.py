"""What modelers export, rewritten into what SpiffWorkflow runs, on a copy of the diagram.

bpmn.io, Camunda Modeler, Signavio and Bizagi export diagrams that are valid BPMN 2.0 but that
bare SpiffWorkflow refuses or runs differently from Camunda and Flowable. Deploy hands
SpiffWorkflow a rewritten *copy* of the parsed XML (the stored diagram stays the bytes the
modeler wrote), in which:

* references written with a namespace prefix (``messageRef="ns:Message_1"``) name the id alone;
* only processes marked ``isExecutable="true"`` remain, black-box pools (a process without flow
  nodes) and documentation-only pools are left out;
* data objects, data stores, their references and associations, unused ``ioSpecification``,
  text annotations, associations and groups are documentation, as in Camunda, and are removed;
* timers written as ISO 8601 text (``P7D``) become that literal, abstract tasks pass through,
  and an activity with several outgoing flows gets an explicit gateway (:mod:`engine.bpmn_rewrites`).

Every refusal found on the way is returned, each naming the file, the element and a hint.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from lxml import etree

from .bpmn_assignments import vendor_assignments
from .bpmn_rewrites import (
    join_link_events,
    pass_through_abstract_tasks,
    quote_timer_literals,
    split_implicit_forks,
)
from .deploy_checks import EXPRESSION_TAGS
from .deploy_xml import BPMN_NS, bpmn, clip, describe, element_problem, owner, refusal
from .errors import DeployProblem
from .juel import is_juel, to_python

# SpiffWorkflow 3.2 parses them but fails on completing their first activity (it pops a key it never set)
ADHOC_HINT = ("model the activities as branches of an inclusive gateway, or as a multi-instance task over "
              "a list of what is to be done")
EVENT_SUBPROCESS_HINT = ("attach the timer, message or signal as a boundary event to a sub-process holding "
                         "the main path (interrupting or not), as Camunda also models it")
TIMER_START_CYCLE_HINT = ("use a timer date or duration on the start event and start each instance with "
                          "'rectiflow start' from the system's scheduler (cron, systemd timer)")
BUSINESS_RULE_HINT = "write the decision as a script task setting a variable, or as an exclusive gateway"
COMPENSATION_HINT = ("model the undo step explicitly: an error boundary event leading to the activities "
                     "that undo the work")
NO_EXECUTABLE = 'no process is marked executable (isExecutable="true")'
NO_EXECUTABLE_HINT = (
    'set isExecutable="true" on the process to run (bpmn.io and Camunda Modeler: tick "Executable" '
    "in the process's properties)"
)

# Flow nodes: what makes a process more than a black-box pool.
FLOW_NODES = frozenset(bpmn(tag) for tag in (
    "startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent",
    "task", "userTask", "scriptTask", "serviceTask", "manualTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
))
# Documentation to Camunda and Flowable; SpiffWorkflow would try to bind data to them.
DOCUMENTATION = tuple(bpmn(tag) for tag in (
    "dataObject", "dataObjectReference", "dataStore", "dataStoreReference", "dataInputAssociation",
    "dataOutputAssociation", "textAnnotation", "association", "group", "category",
))
# Attributes holding the id of another element; an exporter may write them as QNames (ns:id).
_REFERENCE_ATTRIBUTES = frozenset({"default", "bpmnElement", "sourceElement", "targetElement", "calledElement"})
_REFERENCE_TEXTS = frozenset(bpmn(tag) for tag in ("incoming", "outgoing", "flowNodeRef", "sourceRef", "targetRef"))
# References deploy checks resolve, with what to do when one points nowhere.
_CHECKED_REFERENCES = {
    (bpmn("sequenceFlow"), "sourceRef"): "connect the flow to an element of the process, or delete it",
    (bpmn("sequenceFlow"), "targetRef"): "connect the flow to an element of the process, or delete it",
    (bpmn("boundaryEvent"), "attachedToRef"): "attach the event to an activity of the process",
    (None, "messageRef"): "define the message in the diagram, or remove the reference",
    (None, "signalRef"): "define the signal in the diagram, or remove the reference",
    (None, "errorRef"): "define the error in the diagram, or remove the reference",
    (None, "escalationRef"): "define the escalation in the diagram, or remove the reference",
}


@dataclass
class Normalised:
    """The copy SpiffWorkflow reads, the processes to deploy, and the problems found."""

    root: etree._Element
    process_ids: list[str] = field(default_factory=list)
    problems: list[DeployProblem] = field(default_factory=list)
    # Elements deploy added to the copy, by id: the original element a message should name instead.
    origins: dict[str, str] = field(default_factory=dict)


def is_executable(process: etree._Element) -> bool:
    """``isExecutable`` is an xsd:boolean: "true" or "1" (surrounding spaces allowed)."""
    return (process.get("isExecutable") or "").strip() in ("true", "1")


def executable_problem(root: etree._Element, source_name: str) -> DeployProblem | None:
    """The refusal of a file with no process marked ``isExecutable="true"`` (checked before anything else)."""
    processes = root.findall(bpmn("process"))
    if any(is_executable(p) for p in processes):
        return None
    if not processes:
        return element_problem(root, f"{source_name}: {NO_EXECUTABLE}: the file has no process at all "
                               f"(definitions {describe(root)})", source_name,
                               "draw a process, then " + NO_EXECUTABLE_HINT)
    first = processes[0]
    written = first.get("isExecutable")
    state = f'isExecutable="{clip(written)}"' if written is not None else "no isExecutable attribute"
    return element_problem(first, f"{source_name}: {NO_EXECUTABLE}: process {describe(first)} has {state}",
                           source_name, NO_EXECUTABLE_HINT)


def normalise(root: etree._Element, source_name: str) -> Normalised:
    """A rewritten copy of ``root`` for SpiffWorkflow, with every problem found on the way."""
    copied = copy.deepcopy(root)
    result = Normalised(copied)
    ids = {str(e.get("id")): e for e in copied.iter(f"{{{BPMN_NS}}}*") if e.get("id")}
    resolve_prefixed_references(copied, ids)
    result.problems.extend(dangling_references(copied, ids, source_name))
    result.process_ids = keep_executable_processes(copied, source_name, result.problems)
    remove_documentation(copied)
    translate_juel(copied)
    quote_timer_literals(copied)
    result.problems.extend(join_link_events(copied, ids, source_name))
    result.problems.extend(unsupported(copied, source_name))
    result.problems.extend(vendor_assignments(copied, source_name))
    for process in copied.findall(bpmn("process")):
        result.problems.extend(pass_through_abstract_tasks(process, source_name))
        result.origins.update(split_implicit_forks(process, ids))
    return result


def translate_juel(root: etree._Element) -> None:
    """Write every plain ``${…}`` expression as the Python it means (deploy_checks checked that one)."""
    for element in root.iter(*EXPRESSION_TAGS):
        if len(element) == 0 and element.text and is_juel(element.text):
            python = to_python(element.text)
            if python is not None:
                element.text = python


def unsupported(root: etree._Element, source_name: str) -> list[DeployProblem]:
    """Constructs SpiffWorkflow 3.2 parses but runs wrongly: refused rather than run wrongly."""
    problems = [refusal(source_name, adhoc, "ad-hoc sub-processes are not supported", ADHOC_HINT)
                for adhoc in root.iter(bpmn("adHocSubProcess"))]
    for sub in root.iter(bpmn("subProcess")):
        if sub.get("triggeredByEvent") == "true":
            problems.append(refusal(source_name, sub, "event sub-processes are not supported (an interrupting "
                                    "one would run beside the main path, a message one would never start)",
                                    EVENT_SUBPROCESS_HINT))
    problems.extend(refusal(source_name, task, "business rule tasks (DMN decisions) are not supported",
                            BUSINESS_RULE_HINT) for task in root.iter(bpmn("businessRuleTask")))
    problems.extend(refusal(source_name, e.getparent(), "compensation is not supported", COMPENSATION_HINT)
                    for e in root.iter(bpmn("compensateEventDefinition")))
    for process in root.iter(bpmn("process")):
        for start in process.iterchildren(bpmn("startEvent")):
            if start.find(f"{bpmn('timerEventDefinition')}/{bpmn('timeCycle')}") is not None:
                problems.append(refusal(source_name, start, "a start event with a repeating timer would start a "
                                        "new instance at each repetition, which this engine does not do",
                                        TIMER_START_CYCLE_HINT))
    return problems


def _local_id(value: str, element: etree._Element, ids: dict[str, etree._Element]) -> str | None:
    """The id a QName reference (``ns:Task_1``) means, when its prefix is declared and the id exists."""
    prefix, _, local = value.strip().partition(":")
    if not local or value in ids or local not in ids:
        return None
    return local if prefix in {p for p in element.nsmap if p} else None


def resolve_prefixed_references(root: etree._Element, ids: dict[str, etree._Element]) -> None:
    """Rewrite every ``prefix:id`` reference (attribute or text) to the plain id it names."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute, value in element.attrib.items():
            if (attribute.endswith("Ref") or attribute in _REFERENCE_ATTRIBUTES) and ":" in value:
                local = _local_id(value, element, ids)
                if local is not None:
                    element.set(attribute, local)
        if element.tag in _REFERENCE_TEXTS and element.text and ":" in element.text:
            local = _local_id(element.text, element, ids)
            if local is not None:
                element.text = local


def dangling_references(root: etree._Element, ids: dict[str, etree._Element], source_name: str
                        ) -> list[DeployProblem]:
    """A refusal for each flow, event or data association pointing at an element the file lacks."""
    problems = []
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        for (tag, attribute), hint in _CHECKED_REFERENCES.items():
            value = element.get(attribute)
            if value is not None and (tag is None or element.tag == tag) and value not in ids:
                problems.append(refusal(source_name, owner(element),
                                        f"its {attribute} '{clip(value)}' is not in the file", hint))
        if element.tag in (bpmn("dataInputAssociation"), bpmn("dataOutputAssociation")):
            for ref in element.iterchildren(bpmn("sourceRef"), bpmn("targetRef")):
                value = (ref.text or "").strip()
                if value and value not in ids:
                    holder = element.getparent()
                    problems.append(refusal(
                        source_name, holder if holder is not None else element,
                        f"its data association refers to '{clip(value)}', which is not in the file",
                        "point the association at a data object or data store of the diagram, or delete it"))
    return problems


def keep_executable_processes(root: etree._Element, source_name: str, problems: list[DeployProblem]) -> list[str]:
    """Remove every process not marked executable and every black-box pool; the ids of those kept.

    A process another executable process calls (``callActivity``) stays: SpiffWorkflow needs it.
    """
    processes = root.findall(bpmn("process"))
    called = {str(c.get("calledElement")) for c in root.iter(bpmn("callActivity")) if c.get("calledElement")}
    kept = []
    for process in processes:
        has_nodes = any(child.tag in FLOW_NODES for child in process)
        if is_executable(process) and has_nodes:
            process.set("isExecutable", "true")  # "1" is the same xsd:boolean; SpiffWorkflow reads "true" only
            kept.append(str(process.get("id")))
        elif process.get("id") not in called or not has_nodes:
            root.remove(process)
    marked = [p for p in processes if is_executable(p)]
    if marked and not kept:
        problems.append(refusal(
            source_name, marked[0], "is marked executable but has no start event, task or other flow node",
            "draw the process in its pool, or mark the process that has one executable"))
    return kept


def remove_documentation(root: etree._Element) -> None:
    """Drop data objects, data stores, associations, annotations and unused IO specifications."""
    for element in list(root.iter(*DOCUMENTATION)):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    for io_spec in list(root.iter(bpmn("ioSpecification"))):
        holder = io_spec.getparent()
        if holder is None:
            continue
        # A multi-instance may read its collection through the task's IO specification; then it is code.
        loop_refs = {(r.text or "").strip() for r in holder.iterfind(
            "bpmn:multiInstanceLoopCharacteristics/*", {"bpmn": BPMN_NS})
            if r.tag in (bpmn("loopDataInputRef"), bpmn("loopDataOutputRef"))}
        declared = {d.get("id") for d in io_spec.iter(bpmn("dataInput"), bpmn("dataOutput"))}
        declared |= {d.get("name") for d in io_spec.iter(bpmn("dataInput"), bpmn("dataOutput"))}
        if not loop_refs & declared:
            holder.remove(io_spec)
