"""Rewrites of the copy SpiffWorkflow reads, so modelers' diagrams run as Camunda runs them.

Called by :func:`engine.bpmn_normalise.normalise`, on the copy only:

* a timer value written as ISO 8601 text (``P7D``) becomes the quoted literal SpiffWorkflow
  evaluates (``'P7D'``); expressions stay as written;
* abstract tasks, manual tasks outside lanes, and send/receive tasks without a message pass
  through (they complete as soon as they are reached), unless the process says
  ``abstractTasks = human`` (see :data:`ABSTRACT_TASKS`);
* an activity or event with several outgoing flows gets an explicit gateway after it: a
  parallel gateway for unconditioned flows, an inclusive one for conditioned flows (the
  default flow kept as the gateway's default);
* a link throw event and the link catch event of the same name in the same process become two
  plain intermediate events joined by a sequence flow (SpiffWorkflow 3.2 has no link events).
"""

from __future__ import annotations

from lxml import etree

from .deploy_xml import BPMN_NS, SPIFF_NS, bpmn, clip, local_name, refusal
from .errors import DeployProblem
from .properties import CANDIDATE_GROUP, CANDIDATE_USER
from .timer_values import plain_literal

# A process property (``spiffworkflow:property`` or ``camunda:property`` in the process's
# extensionElements): "pass-through" (the default) or "human".
ABSTRACT_TASKS = "abstractTasks"
PASS_THROUGH, HUMAN = "pass-through", "human"
# What a pass-through task runs: nothing.
_NOTHING = "pass"

_TIMERS = (bpmn("timeDate"), bpmn("timeDuration"), bpmn("timeCycle"))
_GATEWAYS = frozenset(bpmn(t) for t in (
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"))
_CONTAINERS = (bpmn("subProcess"), bpmn("transaction"), bpmn("adHocSubProcess"))
_ABSTRACT = (bpmn("task"), bpmn("manualTask"), bpmn("sendTask"), bpmn("receiveTask"))
_MESSAGING = frozenset({"messageRef", "operationRef"})
# Vendor attributes (camunda:class, flowable:expression, …) naming code the vendor's engine would run.
_VENDOR_CODE = frozenset({"class", "expression", "delegateExpression", "type", "topic"})


def quote_timer_literals(root: etree._Element) -> None:
    """Turn each timer's plain ISO 8601 text (``P7D``) into the literal SpiffWorkflow evaluates."""
    for element in root.iter(*_TIMERS):
        if len(element) == 0 and element.text:
            literal = plain_literal(element.text)
            if literal is not None:
                element.text = repr(literal)


def abstract_tasks_mode(process: etree._Element) -> str:
    """The process's ``abstractTasks`` property as written ("" when it has none)."""
    for extensions in process.iterchildren(bpmn("extensionElements")):
        for prop in extensions.iter():
            if isinstance(prop.tag, str) and local_name(prop) == "property" and prop.get("name") == ABSTRACT_TASKS:
                return (prop.get("value") or "").strip()
    return ""


def pass_through_abstract_tasks(process: etree._Element, source_name: str) -> list[DeployProblem]:
    """Make abstract tasks complete when reached (or, with ``abstractTasks = human``, human tasks)."""
    mode = abstract_tasks_mode(process) or PASS_THROUGH
    if mode not in (PASS_THROUGH, HUMAN):
        return [refusal(source_name, process, f"its {ABSTRACT_TASKS} property is '{clip(mode)}'",
                        f'write value="{PASS_THROUGH}" (the default) or value="{HUMAN}"')]
    in_lanes = {(ref.text or "").strip() for ref in process.iter(bpmn("flowNodeRef"))}
    problems = []
    for task in list(process.iter(*_ABSTRACT)):
        code = sorted(name for name in task.attrib if etree.QName(name).localname in _VENDOR_CODE
                      and etree.QName(name).namespace)
        if code:
            # Camunda or Flowable would run Java or an expression here; passing through would skip it.
            problems.append(refusal(
                source_name, task, f"has an implementation the engine cannot run ({etree.QName(code[0]).localname})",
                "remove it so the task passes through, or use a service task with a registered service"))
            continue
        messaging = bool(_MESSAGING & set(task.attrib)) or task.find(bpmn("messageEventDefinition")) is not None
        if task.tag in (bpmn("sendTask"), bpmn("receiveTask")):
            if messaging:
                continue  # a real send or receive: SpiffWorkflow's message events handle it
            if mode == HUMAN:
                task.tag = bpmn("manualTask")
                continue
        elif mode == HUMAN or _claimable(task):
            continue
        elif task.tag == bpmn("manualTask") and _in_lane(task, in_lanes):
            continue
        _make_pass_through(task)
    return problems


def _claimable(task: etree._Element) -> bool:
    """The diagram names who does the task: it stays a human task."""
    path = "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    found = task.iterfind(path, {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS})
    names = {p.get("name") for p in found if (p.get("value") or "").strip()}
    return bool(names & {CANDIDATE_GROUP, CANDIDATE_USER})


def _in_lane(task: etree._Element, in_lanes: set[str]) -> bool:
    node: etree._Element | None = task
    while node is not None:
        if node.get("id") in in_lanes:
            return True
        node = node.getparent()
        if node is not None and node.tag == bpmn("process"):
            return False
    return False


def _make_pass_through(task: etree._Element) -> None:
    task.tag = bpmn("scriptTask")
    for attribute in ("implementation", "messageRef", "operationRef", "instantiate"):
        task.attrib.pop(attribute, None)
    script = etree.SubElement(task, bpmn("script"))
    script.text = _NOTHING


def split_implicit_forks(process: etree._Element, ids: dict[str, etree._Element]) -> dict[str, str]:
    """Put an explicit gateway after every non-gateway node with several outgoing flows.

    Returns the added elements' ids, each with the id of the node it splits (for messages).
    """
    origins: dict[str, str] = {}
    for container in [process, *process.iter(*_CONTAINERS)]:
        flows: dict[str, list[etree._Element]] = {}
        for flow in container.iterchildren(bpmn("sequenceFlow")):
            flows.setdefault(str(flow.get("sourceRef")), []).append(flow)
        for node in list(container):
            outgoing = flows.get(str(node.get("id")), [])
            if len(outgoing) > 1 and node.tag not in _GATEWAYS and node.tag != bpmn("sequenceFlow"):
                for added in _split(container, node, outgoing, ids):
                    origins[added] = str(node.get("id"))
    return origins


def _conditioned(flow: etree._Element) -> bool:
    condition = flow.find(bpmn("conditionExpression"))
    return condition is not None and bool("".join(condition.itertext()).strip())


def _split(container: etree._Element, node: etree._Element, outgoing: list[etree._Element],
           ids: dict[str, etree._Element]) -> list[str]:
    node_id = str(node.get("id"))
    default_id = node.attrib.pop("default", None)
    default = next((f for f in outgoing if f.get("id") == default_id), None)
    conditioned = [f for f in outgoing if f is not default and _conditioned(f)]
    plain = [f for f in outgoing if f is not default and not _conditioned(f)]
    if default is not None and not conditioned:
        plain.append(default)  # a default with nothing to be the default of is just a flow
        default = None
    added: list[str] = []
    if not conditioned:
        _gateway(container, node, "parallelGateway", f"{node_id}_split", plain, None, ids, added)
    elif not plain:
        _gateway(container, node, "inclusiveGateway", f"{node_id}_conditions", conditioned, default, ids, added)
    else:
        # Unconditioned flows always run; the conditioned ones (and the default) are decided together.
        fork = _gateway(container, node, "parallelGateway", f"{node_id}_split", plain, None, ids, added)
        _gateway(container, fork, "inclusiveGateway", f"{node_id}_conditions", conditioned, default, ids, added)
    return added


def _gateway(container: etree._Element, source: etree._Element, kind: str, wanted_id: str,
             flows: list[etree._Element], default: etree._Element | None,
             ids: dict[str, etree._Element], added: list[str]) -> etree._Element:
    """A new gateway after ``source`` taking over ``flows`` (and ``default``)."""
    gateway = etree.Element(bpmn(kind), id=_fresh(wanted_id, ids))
    source.addnext(gateway)
    ids[str(gateway.get("id"))] = gateway
    link = etree.SubElement(container, bpmn("sequenceFlow"), id=_fresh(f"{wanted_id}_flow", ids),
                            sourceRef=str(source.get("id")), targetRef=str(gateway.get("id")))
    ids[str(link.get("id"))] = link
    for flow in [*flows, *([default] if default is not None else [])]:
        flow.set("sourceRef", str(gateway.get("id")))
    if default is not None:
        gateway.set("default", str(default.get("id")))
    added.extend([str(gateway.get("id")), str(link.get("id"))])
    return gateway


def join_link_events(root: etree._Element, ids: dict[str, etree._Element], source_name: str
                     ) -> list[DeployProblem]:
    """Replace each link (throw → catch of the same name, same process level) by a sequence flow."""
    problems: list[DeployProblem] = []
    for container in [*root.iter(bpmn("process")), *root.iter(*_CONTAINERS)]:
        links: dict[str, dict[str, list[etree._Element]]] = {}
        for kind in ("intermediateThrowEvent", "intermediateCatchEvent"):
            for event in container.iterchildren(bpmn(kind)):
                definition = event.find(bpmn("linkEventDefinition"))
                if definition is not None:
                    name = (definition.get("name") or event.get("name") or "").strip()
                    links.setdefault(name, {}).setdefault(kind, []).append(event)
        for name, ends in links.items():
            throws, catches = ends.get("intermediateThrowEvent", []), ends.get("intermediateCatchEvent", [])
            if len(catches) != 1:
                what = "no link catch event" if not catches else f"{len(catches)} link catch events"
                for event in throws or catches:
                    problems.append(refusal(source_name, event, f"link '{clip(name)}' has {what} of that name "
                                            "in the same process", "give each link exactly one catch event "
                                            "with the same name, in the same process or sub-process"))
                continue
            for event in [*throws, *catches]:
                event.remove(event.find(bpmn("linkEventDefinition")))
            for throw in throws:
                flow = etree.SubElement(container, bpmn("sequenceFlow"), id=_fresh(f"{throw.get('id')}_link", ids),
                                        sourceRef=str(throw.get("id")), targetRef=str(catches[0].get("id")))
                ids[str(flow.get("id"))] = flow
    return problems


def _fresh(wanted: str, ids: dict[str, etree._Element]) -> str:
    candidate, number = wanted, 2
    while candidate in ids:
        candidate, number = f"{wanted}_{number}", number + 1
    return candidate
