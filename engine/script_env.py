"""SpiffWorkflow integration of the script sandbox (:mod:`engine.sandbox`).

:class:`SandboxScriptEngine` replaces SpiffWorkflow's ``eval``/``exec`` based script engine: every
script task, pre/post-script, gateway condition, loop/multi-instance expression, timer and event
expression of a workflow runs in the sandbox's tree-walking interpreter.

:func:`collect_scripts` lists every piece of user code in parsed process specs and
:func:`validate_process_specs` checks them all statically. Deploy checks the diagram's XML
instead (:mod:`engine.deploy_checks`), which also sees the elements SpiffWorkflow drops.
"""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, StandardLoopTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.specs.MultiChoice import MultiChoice
from SpiffWorkflow.task import Task

from . import sandbox
from .clock import current_time
from .sandbox import ScriptError, ScriptRejected, check_expression, check_script
from .service_calls import calling
from .services import ServiceRegistry

__all__ = [
    "SCRIPT_KINDS",
    "SandboxEnvironment",
    "SandboxScriptEngine",
    "collect_scripts",
    "step_script_engine",
    "validate_process_specs",
]

Clock = Callable[[], datetime]

SCRIPT_KINDS = frozenset({"script", "prescript", "postscript"})
"""Kinds reported by :func:`collect_scripts` that are statement scripts; all others are expressions."""

_KIND_LABELS: dict[str, str] = {
    "script": "script task {id}",
    "prescript": "pre-script of {id}",
    "postscript": "post-script of {id}",
    "condition": "condition of gateway {id}",
    "loop condition": "loop condition of {id}",
    "cardinality": "loop cardinality of {id}",
    "completion condition": "completion condition of {id}",
    "timer": "timer expression of {id}",
    "conditional event": "conditional event expression of {id}",
    "event payload": "event payload expression of {id}",
    "correlation": "correlation expression of {id}",
    "service parameter": "service task parameter of {id}",
}


def _system_clock() -> datetime:
    return datetime.now(UTC)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Script environment that evaluates and executes through :mod:`engine.sandbox`."""

    def __init__(self, clock: Clock, services: ServiceRegistry | None = None) -> None:
        super().__init__()
        self.clock = clock
        self.services = services if services is not None else ServiceRegistry()

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        """Evaluate ``expression``; task data (``context``) shadows ``external_context`` (data objects)."""
        names: Mapping[str, Any] = ChainMap(context, external_context) if external_context else context
        return sandbox.evaluate(expression, names, clock=self.clock)

    def execute(
        self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> bool:
        """Run ``script``; top-level assignments are written into ``context`` (the task data).

        Returns ``True`` because SpiffWorkflow completes a script task only on a true result.
        """
        sandbox.execute(script, context, clock=self.clock, external=external_context or {})
        return True

    def call_service(
        self, context: Mapping[str, Any], operation_name: str = "", operation_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> str:
        """Call the enabled service ``operation_name``; its result as JSON (SpiffWorkflow loads it).

        SpiffWorkflow hands the evaluated parameters as ``{name: {"value": …, "type": …}}``; the
        service gets ``{name: value}``. Any failure is a ``ServiceFailure`` (an incident).
        """
        params = {name: param.get("value") if isinstance(param, Mapping) else param
                  for name, param in (operation_params or {}).items()}
        return json.dumps(self.services.call(operation_name, params, context), ensure_ascii=False)


class SandboxScriptEngine(PythonScriptEngine):
    """SpiffWorkflow script engine running all user code in the sandbox.

    ``now()`` in scripts returns ``clock()``; the clock stays reachable (and replaceable) as
    :attr:`clock`.
    """

    def __init__(self, clock: Clock | None = None, services: ServiceRegistry | None = None) -> None:
        self._clock: Clock = clock or _system_clock
        self._sandbox = SandboxEnvironment(self._call_clock, services)
        super().__init__(environment=self._sandbox)

    @property
    def services(self) -> ServiceRegistry:
        """The services service tasks may call (default: none)."""
        return self._sandbox.services

    @services.setter
    def services(self, services: ServiceRegistry) -> None:
        self._sandbox.services = services

    def call_service(self, task: Task, **kwargs: Any) -> str:
        """Call a service task's service (SpiffWorkflow's own version fails on its error path).

        A failure is raised as SpiffWorkflow's task error caused by the ``ServiceFailure``, and
        SpiffWorkflow leaves the task in its ERROR state: the step makes it an incident.
        """
        try:
            with calling(str(task.task_spec.bpmn_id or task.task_spec.name)):
                return str(self._sandbox.call_service(task.data, **kwargs))
        except Exception as exc:
            raise WorkflowTaskException(str(exc), task=task, exception=exc) from exc

    @property
    def clock(self) -> Clock:
        """The clock ``now()`` reads."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock

    def _call_clock(self) -> datetime:
        return self._clock()

    def validate(self, expression: str) -> None:
        """Check an expression statically (raises :class:`ScriptRejected`)."""
        check_expression(expression)

    def get_error_line_number_and_content(self, script: str, err: BaseException) -> tuple[int, str]:
        """Report the script line of a sandbox error (the base class looks for ``exec`` frames)."""
        lineno = getattr(err, "lineno", None)
        if isinstance(err, ScriptError | ScriptRejected) and lineno:
            lines = (script or "").splitlines()
            return lineno, lines[lineno - 1] if 0 < lineno <= len(lines) else ""
        line_number, error_line = super().get_error_line_number_and_content(script, err)
        return int(line_number or 0), str(error_line or "")


def step_script_engine(services: ServiceRegistry | None = None) -> SandboxScriptEngine:
    """The engine's default script engine: the sandbox, whose ``now()`` is the time of the step in progress.

    Service tasks call ``services`` (default: none enabled, so every operator is refused).

    Each step runs on a clock stopped at its own time (:func:`engine.clock.running_on`), so a
    script, a timer and the audit entry of one step all see the same instant.
    """
    return SandboxScriptEngine(clock=current_time, services=services)


# --------------------------------------------------------------------------------------------------
# Static validation of process specs


def _element_id(task_spec: Any) -> str:
    return str(getattr(task_spec, "bpmn_id", None) or task_spec.name)


def _event_expressions(event_definition: Any, seen: set[int]) -> Iterator[tuple[str, str]]:
    if event_definition is None or id(event_definition) in seen:
        return
    seen.add(id(event_definition))
    expression = getattr(event_definition, "expression", None)
    if isinstance(expression, str):
        if isinstance(event_definition, TimerEventDefinition):
            yield "timer", expression
        elif isinstance(event_definition, ConditionalEventDefinition):
            yield "conditional event", expression
        else:  # message / signal / error / escalation payloads (Spiff extensions)
            yield "event payload", expression
    for attribute in ("correlation_properties", "process_correlations"):
        for prop in getattr(event_definition, attribute, None) or []:
            retrieval = getattr(prop, "retrieval_expression", None)
            if isinstance(retrieval, str):
                yield "correlation", retrieval
    for child in getattr(event_definition, "event_definitions", None) or []:
        yield from _event_expressions(child, seen)


def _task_scripts(task_spec: Any) -> Iterator[tuple[str, str]]:
    if isinstance(task_spec, ScriptTask) and isinstance(task_spec.script, str):
        yield "script", task_spec.script
    for kind in ("prescript", "postscript"):
        value = getattr(task_spec, kind, None)
        if isinstance(value, str):
            yield kind, value
    if isinstance(task_spec, MultiChoice):
        for condition, _target in task_spec.cond_task_specs:
            args = getattr(condition, "args", None) or ()
            if args and isinstance(args[0], str):
                yield "condition", args[0]
    if isinstance(task_spec, StandardLoopTask) and isinstance(task_spec.condition, str):
        yield "loop condition", task_spec.condition
    if isinstance(task_spec, MultiInstanceTask):
        if isinstance(task_spec.cardinality, str):
            yield "cardinality", task_spec.cardinality
        if isinstance(task_spec.condition, str):
            yield "completion condition", task_spec.condition
    yield from _event_expressions(getattr(task_spec, "event_definition", None), set())
    operation_params = getattr(task_spec, "operation_params", None)
    if isinstance(operation_params, Mapping):
        for param in operation_params.values():
            value = param.get("value") if isinstance(param, Mapping) else None
            if isinstance(value, str):
                yield "service parameter", value


def collect_scripts(process_specs: Iterable[BpmnProcessSpec]) -> list[tuple[str, str, str]]:
    """Every piece of user code the specs will run, as ``(element_id, kind, source)``.

    Kinds: ``script``, ``prescript``, ``postscript`` (statement scripts, see :data:`SCRIPT_KINDS`)
    and the expressions ``condition`` (gateway sequence-flow conditions, reported on the gateway),
    ``loop condition``, ``cardinality``, ``completion condition`` (multi-instance, or an ad-hoc
    sub-process's, reported on the process), ``timer``, ``conditional event``, ``event payload``,
    ``correlation`` and ``service parameter``.  Duplicates are reported once.
    """
    found: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str, str]] = set()

    def add(element_id: str, kind: str, source: str) -> None:
        entry = (element_id, kind, source)
        if entry not in seen:
            seen.add(entry)
            found.append(entry)

    for process_spec in process_specs:
        completion = getattr(process_spec, "completion_condition", None)
        if isinstance(completion, str):
            add(str(process_spec.name), "completion condition", completion)
        for task_spec in process_spec.task_specs.values():
            for kind, source in _task_scripts(task_spec):
                add(_element_id(task_spec), kind, source)
    return found


def validate_process_specs(process_specs: Iterable[BpmnProcessSpec]) -> None:
    """Check every script and expression statically.

    Raises :class:`ScriptRejected` naming the element, e.g. ``script task 'Activity_1' is
    rejected: attribute '__class__' is not allowed (line 1, col 3)``.
    """
    for element_id, kind, source in collect_scripts(process_specs):
        try:
            if kind in SCRIPT_KINDS:
                check_script(source)
            else:
                check_expression(source)
        except ScriptRejected as exc:
            label = _KIND_LABELS.get(kind, kind + " of {id}").format(id=repr(element_id))
            error = ScriptRejected(f"{label} is rejected: {exc}")
            error.lineno, error.col = exc.lineno, exc.col
            raise error from None
