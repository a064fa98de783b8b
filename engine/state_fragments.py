"""Workflow state text assembled from one JSON fragment per task, reusing those that did not change.

Every step saves the whole state, yet most tasks of a live workflow are finished or predicted and
no step touches them. The text is built from pieces: per (sub)workflow its scalar fields, and one
fragment per task, ``"<id>":{...}``. Each task's fragment is kept between saves of the same
workflow object and reused while the fingerprint of everything its fragment is made from is the
same (finished or not: the fingerprint, not the state, says whether it changed): state,
``last_state_change``, parent, children, ``triggered``, spec, internal data, its data, and the data of
its parent (the fragment stores its data as a delta against it).

Data is fingerprinted by content, not by state alone: SpiffWorkflow hands a child shallow copies of
its parent's data, so a script that changes a nested value in place (the reopen script sets every
measure's new deadline) changes the data of finished ancestors that never changed state, and a
multi-instance merges its results into the data of finished tasks. A key of states alone fails
the property test (tests/engine/test_state_incremental.py) on both.

With no cache the same assembler writes every fragment afresh: that is the full dump, and the
incremental one must equal it byte for byte.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task

from .state_versions import SERIALIZER_VERSION, VERSION_KEY

# A task's fragment ('"<id>":{...}') and the fingerprint it was written from.
Entry = tuple[tuple[Any, ...], str]
Fragments = dict[Task, Entry]
Encode = Callable[[Any], str]


class StateAssembler:
    """Writes a workflow's state text (without specs) from per-task fragments."""

    def __init__(self, registry: DefaultRegistry, encode: Encode, version: str) -> None:
        self.registry = registry
        self.encode = encode
        self.version = version

    def dump(self, workflow: BpmnWorkflow, cached: Fragments | None) -> tuple[str, Fragments]:
        """The state text, and the fragments of its finished tasks for the next save.

        ``cached`` holds the fragments of this workflow's previous save (None: write every task
        afresh and keep nothing).
        """
        run = _Run(self, cached)
        convert = self.registry.convert
        subprocesses = ",".join(
            f'"{task_id}":' + self._workflow(run, sub, {
                "parent_task_id": str(sub.parent_task_id),
                "spec": sub.spec.name,
                "typename": self.registry.typenames[sub.__class__],
            })
            for task_id, sub in _loading_order(workflow)
        )
        # The layout and the serializer version come last: a state's end says what wrote it (engine.state_versions).
        tail = self.encode({"bpmn_events": convert(workflow.bpmn_events), "format": self.version,
                            VERSION_KEY: SERIALIZER_VERSION})
        text = self._workflow(run, workflow, None)[:-1] + ',"subprocesses":{' + subprocesses + "}," + tail[1:]
        return text, run.fresh

    def _workflow(self, run: _Run, workflow: BpmnWorkflow, extra: dict[str, Any] | None) -> str:
        """One (sub)workflow's object, keys in the order SpiffWorkflow's converter writes them."""
        registry = self.registry
        head = self.encode({
            "data": registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
        })
        tasks = ",".join([run.fragment(task) for task in workflow.tasks.values()])
        tail = self.encode({"root": str(workflow.task_tree.id), **(extra or {})})
        return head[:-1] + ',"tasks":{' + tasks + "}," + tail[1:]

    def task_fragment(self, task: Task) -> str:
        """``"<id>":{...}``: the task as the registry's task converter writes it."""
        return f'"{task.id}":' + self.encode(self.registry.convert(task))


class _Run:
    """One dump: the fragments it writes or reuses, and the data fingerprints it has taken."""

    __slots__ = ("assembler", "cached", "fingerprints", "fresh")

    def __init__(self, assembler: StateAssembler, cached: Fragments | None) -> None:
        self.assembler = assembler
        self.cached = cached
        self.fresh: Fragments = {}
        self.fingerprints: dict[Task, object] = {}

    def fragment(self, task: Task) -> str:
        # every task's fragment is kept, finished or not (bench/state_dump.py: incremental/full 0.83 when
        # only finished ones were, 0.79 now): the fingerprint, not the state, says whether it changed
        if self.cached is None:
            return self.assembler.task_fragment(task)
        key = self._key(task)
        entry = self.cached.get(task)
        if entry is None or entry[0] != key:
            entry = (key, self.assembler.task_fragment(task))
        self.fresh[task] = entry
        return entry[1]

    def _key(self, task: Task) -> tuple[Any, ...]:
        """Everything the task's fragment is written from."""
        parent = task.parent
        return (
            task.state,
            task.last_state_change,
            task._parent,
            tuple(task._children),
            task.triggered,
            task.task_spec.name,
            fingerprint(task.internal_data),
            self._data(task),
            self._data(parent) if parent is not None else None,
        )

    def _data(self, task: Task) -> object:
        found = self.fingerprints.get(task)
        if found is None:
            found = self.fingerprints[task] = fingerprint(task.data)
        return found


def _loading_order(workflow: BpmnWorkflow) -> list[tuple[UUID, BpmnWorkflow]]:
    """The subprocesses in the order loading recreates them (each after the task that runs it, depth
    first), so that a loaded workflow writes the same text again; any others after them."""
    subprocesses = workflow.subprocesses
    ordered: dict[UUID, BpmnWorkflow] = {}

    def visit(parent: BpmnWorkflow) -> None:
        for task_id in parent.tasks:
            sub = subprocesses.get(task_id)
            if sub is not None and task_id not in ordered:
                ordered[task_id] = sub
                visit(sub)

    visit(workflow)
    ordered.update((task_id, sub) for task_id, sub in subprocesses.items() if task_id not in ordered)
    return list(ordered.items())


def fingerprint(value: Any) -> object:
    """Bytes equal only for values that serialise alike; an object equal to nothing when there are none.

    Pickle is exact (types, float bits, key order, datetimes) and about as fast as marshal, which
    takes builtin values only; JSON text would be faster but cannot tell NaN from None, or a tuple
    from a list, which a value changed in place may differ by.
    """
    if not value:
        return _EMPTY
    try:
        return pickle.dumps(value, 5)
    except Exception:  # noqa: BLE001 - what cannot be pickled is written afresh on every save
        return object()


_EMPTY = b""
