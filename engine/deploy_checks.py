"""Checks deploy runs on the diagram's XML itself, before SpiffWorkflow reads it.

SpiffWorkflow keeps only what it reaches from a start event, so checking its parsed specs
misses whatever it dropped. These checks walk every element of the document instead:

* ids SpiffWorkflow uses for its own task specs (``Start``, ``End``, ``Root``, …) are
  refused: an element with such an id is silently merged with the internal one, and the
  elements after it disappear from the parsed process;
* every id is unique and every literal fits the database column it will be stored in;
* every script and expression the engine could run, wherever it sits, passes the
  sandbox's static check.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from .deploy_xml import BPMN_NS, bpmn, clip, describe, element_problem, local_name, owner, spiff
from .errors import DeployError, DeployProblem
from .juel import is_juel, to_python
from .lane_groups import lane_group
from .models import HumanTask, ProcessDefinition, ProcessEvent, column_length
from .properties import CANDIDATE_GROUP, EVENT, EXPRESSION_PROPERTIES, FORM, STAGE
from .sandbox import ScriptRejected, check_expression, check_script
from .timer_values import TimerValueError, check_timer_literal, plain_literal

# Task spec names SpiffWorkflow 3.2 creates itself (BpmnProcessSpec, ProcessParser, TaskParser)
# or drops on restore (the serializer pops 'Root'). A diagram element with one of these ids is
# merged with the internal spec: parse_node returns the existing spec and stops there.
RESERVED_IDS = frozenset({"Start", "End", "Root", "StartEventSplit", "StartEventJoin"})
# '<process>.EndJoin', '<element>.BoundaryEventSplit/Join' and '<loop task> [child]'.
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin", " [child]")

# Statement scripts, by element; everything else below is an expression.
_SCRIPTS = {
    bpmn("script"): "script",
    spiff("preScript"): "pre-script",
    spiff("postScript"): "post-script",
}
_EXPRESSIONS = {
    bpmn("conditionExpression"): "condition",
    bpmn("condition"): "condition",
    bpmn("loopCondition"): "loop condition",
    bpmn("loopCardinality"): "loop cardinality",
    bpmn("completionCondition"): "completion condition",
    bpmn("timeDate"): "timer date",
    bpmn("timeDuration"): "timer duration",
    bpmn("timeCycle"): "timer cycle",
    bpmn("formalExpression"): "expression",
    spiff("messagePayload"): "message payload",
    spiff("payloadExpression"): "payload expression",
    spiff("expression"): "correlation expression",
}
# Every element whose text is an expression (the normaliser translates plain JUEL in them).
EXPRESSION_TAGS = tuple(_EXPRESSIONS)
_PROPERTY = spiff("property")
_SERVICE_PARAMETER = spiff("parameter")
_HUMAN_TASKS = (bpmn("userTask"), bpmn("manualTask"))
_SCRIPT_TASK = bpmn("scriptTask")


def check_document(root: etree._Element, source_name: str) -> dict[str, etree._Element]:
    """Run every XML-level check; return the BPMN elements by id for later messages.

    Every check runs even after one refuses, so the DeployError lists every problem found.
    """
    problems: list[DeployProblem] = []
    elements: dict[str, etree._Element] = {}
    for check in (check_ids, check_sizes, check_code):
        try:
            found = check(root, source_name)
        except DeployError as exc:
            problems.extend(exc.problems or (DeployProblem(str(exc)),))
            continue
        if isinstance(found, dict):
            elements = found
    if problems:
        raise DeployError(problems[0].message, problems)
    return elements


# A refusal about an element: its id, type, name and line as well as the message (and its hint).
problem = element_problem


def _refuse(problems: list[DeployProblem]) -> None:
    if problems:
        raise DeployError(problems[0].message, problems)


def check_ids(root: etree._Element, source_name: str) -> dict[str, etree._Element]:
    """Refuse reserved, duplicate and over-long ids of BPMN elements; return the elements by id."""
    limit = column_length(HumanTask, "bpmn_id")
    elements: dict[str, etree._Element] = {}
    problems: list[DeployProblem] = []
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        element_id = element.get("id")
        if element_id is None:
            continue
        if element_id in RESERVED_IDS or element_id.endswith(RESERVED_SUFFIXES):
            problems.append(problem(element, (
                f"{source_name}: element id {describe(element)} is reserved by the workflow engine"
            ), source_name, "rename the element"))
        elif not element_id.strip() or len(element_id) > limit:
            problems.append(problem(element, (
                f"{source_name}: element id {describe(element)} must be 1 to {limit} characters"
            ), source_name, "rename the element"))
        elif element_id in elements:
            first = elements[element_id].sourceline
            problems.append(problem(element, (
                f"{source_name}: element id {describe(element)} is already used on line {first}"
            ), source_name, "rename one of them"))
        else:
            elements[element_id] = element
    _refuse(problems)
    return elements


def check_sizes(root: etree._Element, source_name: str) -> None:
    """Refuse literals longer than the column that will hold them (PostgreSQL would fail mid-run)."""
    limits = [
        (root.iterfind("bpmn:process", {"bpmn": BPMN_NS}), "id", column_length(ProcessDefinition, "process_key")),
        (root.iterfind("bpmn:process", {"bpmn": BPMN_NS}), "name", column_length(ProcessDefinition, "name")),
        (root.iter(*_HUMAN_TASKS), "name", column_length(HumanTask, "name")),
        (root.iter(bpmn("lane")), "name", column_length(HumanTask, "lane")),
    ]
    problems: list[DeployProblem] = []
    for elements, attribute, limit in limits:
        for element in elements:
            if len(element.get(attribute) or "") > limit:
                problems.append(problem(element, (
                    f"{source_name}: the {attribute} of {describe(element)} is longer than {limit} characters"
                ), source_name, f"shorten the {attribute}"))
    group_limit = column_length(HumanTask, "candidate_group")
    for lane in root.iter(bpmn("lane")):
        if len(lane_group(lane)) > group_limit:
            problems.append(problem(lane, (
                f"{source_name}: the group of lane {describe(lane)} (its candidate_group, else its id) is longer "
                f"than {group_limit} characters"
            ), source_name, "give the lane a shorter candidate_group property"))
    literal_limits = {
        CANDIDATE_GROUP: column_length(HumanTask, "candidate_group"),
        FORM: column_length(HumanTask, "form_key"),
        STAGE: column_length(HumanTask, "stage"),
        EVENT: column_length(ProcessEvent, "name"),
    }
    for prop in root.iter(_PROPERTY):
        name = prop.get("name") or ""
        if name in literal_limits and len(prop.get("value") or "") > literal_limits[name]:
            problems.append(problem(owner(prop), (
                f"{source_name}: property '{name}' of {describe(owner(prop))} is longer than "
                f"{literal_limits[name]} characters"
            ), source_name, "shorten the value"))
    _refuse(problems)


def check_code(root: etree._Element, source_name: str) -> None:
    """Statically check every script and expression in the document, wherever it sits."""
    problems: list[DeployProblem] = []
    for element, kind, source, is_script in _code(root):
        if not is_script and is_juel(source):
            source = to_python(source) or source  # plain JUEL runs as the Python it means (engine.juel)
        try:
            if is_script:
                check_script(source)
            elif kind.startswith("timer ") and plain_literal(source) is not None:
                # ISO 8601 written as plain text (P7D): deploy hands it to the engine as that literal.
                check_timer_literal(repr(plain_literal(source)), kind.removeprefix("timer "))
            else:
                check_expression(source)
                if kind.startswith("timer "):
                    # A plain literal ('P1D') is checked now; any other expression when it is evaluated.
                    check_timer_literal(source, kind.removeprefix("timer "))
        except (ScriptRejected, TimerValueError, ValueError, OverflowError) as exc:
            problems.append(problem(owner(element), f"{source_name}: {kind} of {_where(element)} is rejected: {exc}",
                                    source_name, _code_hint(kind, isinstance(exc, TimerValueError), source)))
    _refuse(problems)


def _code(root: etree._Element) -> Iterator[tuple[etree._Element, str, str, bool]]:
    """Every piece of code in the document as ``(element, kind, source, is_script)``."""
    for element in root.iter(*_SCRIPTS, *_EXPRESSIONS):
        is_script = element.tag in _SCRIPTS
        kind = _SCRIPTS[element.tag] if is_script else _EXPRESSIONS[element.tag]
        # SpiffWorkflow runs the leading text; check the whole text too in case a comment or
        # child element splits it.
        for source in {element.text or "", "".join(element.itertext())}:
            if source.strip():
                yield element, kind, source, is_script
    for task in root.iter(_SCRIPT_TASK):
        # SpiffWorkflow's script task parser runs the text of any child whose tag merely ends
        # in 'script', whatever its namespace ('<x:script>'), so those are scripts too.
        for child in task:
            if isinstance(child.tag, str) and child.tag.endswith("script") and child.tag not in _SCRIPTS:
                if (child.text or "").strip():
                    yield child, "script", child.text or "", True
    for prop in root.iter(_PROPERTY):
        name = prop.get("name") or ""
        if name in EXPRESSION_PROPERTIES and (prop.get("value") or "").strip():
            yield prop, f"property '{clip(name)}'", prop.get("value") or "", False
    for param in root.iter(_SERVICE_PARAMETER):
        if (param.get("value") or "").strip():
            yield param, f"service parameter '{clip(param.get('id') or '')}'", param.get("value") or "", False


def _code_hint(kind: str, timer_value: bool, source: str) -> str:
    if source.strip().startswith(("${", "#{")):
        # Camunda's and Flowable's expression language (JUEL); the engine evaluates Python.
        return ("only plain JUEL is translated (names, literals, comparisons, &&, ||, !, eq, ne, lt, gt, le, ge); "
                "write this one as a Python expression without ${…}, e.g. amount > 100 or delay")
    if kind.startswith("timer "):
        if timer_value:
            return ("write an ISO 8601 value such as P7D, PT36H, R6/P1D or 2027-01-01T09:00:00Z, "
                    "or an expression that gives one")
        return "write an ISO 8601 value such as P7D, or a Python expression over the process data"
    if kind in ("script", "pre-script", "post-script"):
        return "use plain Python over the process data: no imports, no dunder names, no file or system calls"
    return "use a plain Python expression over the process data (no imports, no dunder names, no calls to eval/open)"


def _where(element: etree._Element) -> str:
    """The element a piece of code belongs to; a condition also names its flow's source."""
    holder = owner(element)
    text = describe(holder)
    if local_name(holder) == "sequenceFlow" and holder.get("sourceRef"):
        text += f" from '{clip(holder.get('sourceRef') or '')}'"
    return text

