"""Stored workflow states written by older code, brought up to date before they are restored.

A stored state records two versions, the last two keys of its text:

* ``format``: Rectiflow's layout. ``rectiflow-2`` is SpiffWorkflow's serializer output for the
  workflow without its specs (they are stored once per process version), finished history
  compacted away (:mod:`engine.compaction`, the same keys, fewer tasks);
* ``serializer_version``: the ``VERSION`` of the SpiffWorkflow serializer that wrote it, under
  SpiffWorkflow's own key, so a plain SpiffWorkflow state and ours say it the same way.

Loading a state at the current layout and version costs two string compares
(:meth:`engine.serialization.StateSerializer.load_state`); anything else comes here:

* ``rectiflow-1`` (before the serializer version was recorded): every such state was written by
  SpiffWorkflow 3.2.0, pinned since Rectiflow's first commit, so it is serializer "1.5"; the
  step records that, and the layout is otherwise the same;
* a plain ``BpmnWorkflowSerializer.serialize_json`` state (specs inside, no ``format``): what an
  installation storing SpiffWorkflow's own JSON holds; its specs are used for the migration and
  then dropped: the instance runs on its process version's specs, which must name every task spec
  the state refers to;
* an older serializer version goes through SpiffWorkflow's own migration steps, one version at a
  time, up to the current one;
* a newer or unknown version, or an unknown layout, is refused (:class:`StateVersionError`) before
  SpiffWorkflow sees it, and nothing is changed.

SpiffWorkflow's steps are applied to each (sub)workflow separately, with its own specs: in
3.2.0 the wrappers (``migration.version_migration``) walk subprocesses through a variable they
never define (a ``NameError`` on any state with a subprocess, which every rectification state
has) and look subprocess specs up where they are not; and ``deserialize_json`` runs only the
first step of a chain. The step functions themselves are used unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.serializer.migration.version_1_4 import update_mi_states
from SpiffWorkflow.bpmn.serializer.migration.version_1_5 import update_event_gateway_children
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

from .errors import WorkflowFailure

__all__ = ["FORMAT", "SERIALIZER_VERSION", "VERSION_KEY", "StateVersionError", "upgrade"]

# Rectiflow's layout of a stored state; bump it (and add a step to _LAYOUT_STEPS) when it changes.
FORMAT = "rectiflow-2"
VERSION_KEY = BpmnWorkflowSerializer.VERSION_KEY
# Every rectiflow-1 state was written by SpiffWorkflow 3.2.0 (pyproject.toml pins it since the first commit).
_RECTIFLOW_1_SERIALIZER = "1.5"

SpecDicts = dict[str, Any]  # {"spec": {...}, "subprocess_specs": {name: {...}}}
Step = Callable[[dict[str, Any]], None]

# SpiffWorkflow's migration steps: from a version, the version it leads to and the step that gets there.
_SPIFF_STEPS: dict[str, tuple[str, Step]] = {
    "1.3": ("1.4", update_mi_states),  # multi-instance tasks reached are STARTED, not WAITING
    "1.4": ("1.5", update_event_gateway_children),  # an event-based gateway's children take a none event
}


class StateVersionError(WorkflowFailure):
    """A stored state (or specs) this code cannot read: newer, unknown, or for another process version."""


def upgrade(dct: dict[str, Any], layout: str | None, written_by: str | None, specs: Callable[[], SpecDicts]
            ) -> dict[str, Any]:
    """``dct`` (its ``format`` and version keys removed) at the current layout and serializer version.

    ``specs`` gives the process version's specs in stored form (copies: steps may change them);
    SpiffWorkflow's steps read a workflow's specs along with its tasks. Raises
    :class:`StateVersionError` for what cannot be upgraded (``dct`` is the caller's fresh parse of the
    stored text; nothing stored is changed here).
    """
    if layout == "rectiflow-1":
        layout, written_by = FORMAT, written_by or _RECTIFLOW_1_SERIALIZER
    if layout is None and "spec" in dct and "subprocess_specs" in dct:
        return _upgrade_plain(dct, written_by, specs)
    if layout != FORMAT:
        raise StateVersionError(f"its stored state has the layout {layout!r}, which this Rectiflow does not know "
                                f"(it reads {FORMAT!r}): it was written by another release")
    steps = _steps_from(written_by)
    if steps:
        given = specs()
        _check_same_specs(dct, given)
        _migrate({**dct, "spec": given["spec"], "subprocess_specs": given["subprocess_specs"]}, steps)
    return dct


def _upgrade_plain(dct: dict[str, Any], written_by: str | None, specs: Callable[[], SpecDicts]) -> dict[str, Any]:
    steps = _steps_from(written_by)
    _check_same_specs(dct, specs())
    _migrate(dct, steps)
    del dct["spec"], dct["subprocess_specs"]
    dct.pop("typename", None)
    return dct


def _steps_from(written_by: str | None) -> list[Step]:
    """SpiffWorkflow's steps from ``written_by`` to the current version; refuses a version it cannot reach."""
    if written_by == SERIALIZER_VERSION:
        return []
    if written_by is None:
        raise StateVersionError("its stored state does not say which SpiffWorkflow serializer version wrote it")
    steps, version = [], written_by
    while version != SERIALIZER_VERSION:
        found = _SPIFF_STEPS.get(version)
        if found is None:
            oldest = min(_SPIFF_STEPS, key=_numbers)
            newer = _numbers(written_by) > _numbers(SERIALIZER_VERSION)
            why, hint = ("newer than", "run it with the release that wrote it") if newer else (
                f"not one (from {oldest} on) upgraded by", "upgrade it with an intermediate release first")
            raise StateVersionError(f"its stored state was written by SpiffWorkflow serializer {written_by!r}, "
                                    f"{why} this Rectiflow (serializer {SERIALIZER_VERSION}): {hint}")
        version, step = found
        steps.append(step)
    return steps


def _numbers(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (-1,)  # not a version at all: unknown, never newer


def _migrate(workflow: dict[str, Any], steps: list[Step]) -> None:
    """Apply each step to the top workflow and to each subprocess, each with its own specs."""
    try:
        for step in steps:
            step({"tasks": workflow["tasks"], "spec": workflow["spec"], "subprocesses": {}})
            for sub in workflow["subprocesses"].values():
                step({"tasks": sub["tasks"], "spec": workflow["subprocess_specs"][sub["spec"]], "subprocesses": {}})
    except (KeyError, TypeError, AttributeError) as exc:  # a state its own steps cannot read: refused, named
        raise StateVersionError(f"SpiffWorkflow's migration could not upgrade its stored state "
                                f"({type(exc).__name__}: {exc})") from None


def _check_same_specs(dct: dict[str, Any], current: SpecDicts) -> None:
    """Refuse a state whose tasks name specs its process version does not have (before any step reads them)."""
    pairs = [(dct["tasks"], current["spec"]["name"], current["spec"])]
    for sub in dct["subprocesses"].values():
        pairs.append((sub["tasks"], sub["spec"], current["subprocess_specs"].get(sub["spec"])))
    for tasks, name, spec in pairs:
        missing = sorted({t["task_spec"] for t in tasks.values()} - set(spec["task_specs"] if spec else ()))
        if spec is None or missing:
            what = f"task {missing[0]!r} of {name!r}" if spec is not None else f"process {name!r}"
            raise StateVersionError(f"its stored state does not match its process version: {what} is not in it")
