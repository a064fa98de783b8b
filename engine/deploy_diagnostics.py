"""SpiffWorkflow's parse errors as refusals a modeler can act on.

SpiffWorkflow names the element by id only, wraps unexpected errors as
``ValidationException("%r" % ex)`` and sometimes puts an lxml element's repr in a message.
Here each error becomes a :class:`DeployProblem` naming the file, the element (id, type,
name and line, read from the diagram itself), what is wrong and what to do instead; no
Python repr, exception class or object address reaches the user.
"""

from __future__ import annotations

import re

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from .deploy_xml import clip, local_name, refusal
from .errors import DeployProblem

# SpiffWorkflow's message (a fragment of it) → what it means and what to do, in a modeler's words.
_KNOWN: list[tuple[str, str, str]] = [
    ("No start event found", "has no start event", "draw a start event in the process"),
    ("no support implemented for this task type", "is an element type the engine cannot run",
     "replace it with a task, user task, script task, service task, gateway or sub-process"),
    ("Non-default exclusive outgoing sequence flow without condition",
     "leaves a gateway without a condition and is not the gateway's default flow",
     "give the flow a condition, or make it the gateway's default flow"),
    ("Multiple outgoing flows are not supported", "has several outgoing flows",
     "split the flows with a gateway after the element"),
    ("loopMaximum or loopCondition", "is a loop without a loop condition or maximum",
     "give the loop a loop condition or a loop maximum"),
    ("multiinstance task must specify", "is a multi-instance without exactly one of a cardinality "
     "or a collection", "give the multi-instance a loop cardinality or a collection (loopDataInputRef), not both"),
    ("missing from the IO specification", "is a multi-instance whose collection is not in its IO specification",
     "declare the collection as a data input of the task, or remove the IO specification"),
    ("SubWorkflow Must contain an End event", "is a sub-process without an end event",
     "draw an end event inside the sub-process"),
    ("Cancel Events may only be used with transactions", "has a cancel event outside a transaction",
     "attach cancel events only to a transaction sub-process"),
    ("Conditional event definition with missing condition", "is a conditional event without a condition",
     "give the event a condition"),
    ("Time Specification", "is a timer without a date, duration or cycle",
     "give the timer a timeDate, timeDuration or timeCycle"),
    ("When looking for a task spec", "has an outgoing flow to an element that is not in the process",
     "connect the flow to an element of the same process"),
    ("Duplicate process ID", "is a process whose id is used twice", "rename one of the processes"),
    ("is not executable", "calls a process that is not marked executable",
     'mark the called process isExecutable="true"'),
    ("identifier is missing", "has no id", "give the element an id in the modeler"),
    ("Could not find messageRef", "is a message event without a message",
     "choose the message in the event's properties"),
]
_FALLBACK = ("SpiffWorkflow cannot read this element",
             "check the element's settings in the modeler, or replace it with a supported element")
_REPR = re.compile(r"<[^<>\n]{0,300}? at 0x[0-9a-fA-F]+>|\b[A-Za-z_][\w.]*(Error|Exception)\(")


def spiff_problem(exc: BaseException, source_name: str, elements: dict[str, etree._Element],
                  origins: dict[str, str]) -> DeployProblem:
    """The refusal a SpiffWorkflow parse error means, naming the element it is about."""
    text = str(exc.args[0]) if exc.args else ""
    what, hint = _FALLBACK
    for fragment, meaning, advice in _KNOWN:
        if fragment in text:
            what, hint = meaning, advice
            break
    else:
        first = text.strip().splitlines()[0] if text.strip() else ""
        if first and not _REPR.search(first) and isinstance(exc, ValidationException) and "%r" not in first:
            what = f"cannot be read: {clip(first, 200).rstrip('. ')}"
    if isinstance(exc, RecursionError) or text.lstrip().startswith("RecursionError("):
        return refusal(source_name, None, "the chain of elements is too long to read",
                       "split the process into sub-processes or call activities")
    element_id = str(getattr(exc, "id", None) or "")
    element_id = origins.get(element_id, element_id)
    element = elements.get(element_id)
    if element is not None:
        if "no support implemented" in text:
            kind = local_name(element)
            what = f"the engine cannot run a {kind}"
            if kind.endswith("Gateway"):
                hint = "use an exclusive, inclusive or parallel gateway with conditions on its flows"
        return refusal(source_name, element, what, hint)
    if element_id:
        return DeployProblem(f"{source_name}: element '{clip(element_id)}': {what}; {hint}",
                             element_id=element_id, file=source_name, hint=hint)
    return refusal(source_name, None, f"the diagram {what}", hint)
