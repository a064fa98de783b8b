"""Workflow state to and from JSON, with the specs kept out of every instance.

SpiffWorkflow's serializer writes the whole process spec into every
serialised workflow; a ledger of thousands of problems would store the same
diagram thousands of times. Specs are stored once per deployed version
(``process_definition.specs``) and handed back in when an instance is loaded.

Saving serialises only what changed since the workflow's last save (:mod:`engine.state_fragments`),
and the JSON text is written and read by :mod:`engine.json_codec`.
"""

from __future__ import annotations

import functools
import threading
import weakref
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from . import json_codec, state_versions
from .state_fragments import Fragments, StateAssembler
from .state_versions import SERIALIZER_VERSION, VERSION_KEY, StateVersionError

# The layout every state is written in; the SpiffWorkflow serializer version is recorded beside it.
STATE_VERSION = state_versions.FORMAT


class _TaskConverter(TaskConverter):
    """SpiffWorkflow's task converter, same output, without its repeated work.

    Every step serialises every task: the stock converter looks the parent up four
    times and formats each UUID anew; this one does each once.
    """

    def to_dict(self, task: Task) -> dict[str, Any]:
        parent = task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            parent_data, data_ = parent.data, task.data
            data = {}
            delta = {
                "updates": {k: v for k, v in data_.items() if k not in parent_data or v != parent_data[k]},
                "deletions": [k for k in parent_data if k not in data_],
            }
        return {
            "id": _text(task.id),
            "parent": _text(task._parent) if parent is not None else None,
            "children": [_text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data),
            "data": data,
            "delta": delta,
        }


@functools.lru_cache(maxsize=65536)
def _text(value: UUID) -> str:
    return str(value)


class _StateConverter(BpmnWorkflowConverter):
    """Restores a workflow from its state and the specs handed in (writing is :mod:`engine.state_fragments`)."""

    def restore_with_specs(
        self, dct: dict[str, Any], spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
    ) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class StateSerializer:
    """Converts workflows and specs to plain JSON-ready dicts and back."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _StateConverter
        config[Task] = _TaskConverter
        self.registry = BpmnWorkflowSerializer.configure(config)
        self._converter = _StateConverter(BpmnWorkflow, self.registry)
        self._default = create_encoder(self.registry, None)().default
        self._assembler = StateAssembler(self.registry, self._encode, STATE_VERSION)
        # Per live workflow, the fragments of its finished tasks from its last save.
        self._fragments: weakref.WeakKeyDictionary[BpmnWorkflow, Fragments] = weakref.WeakKeyDictionary()
        self._fragments_lock = threading.Lock()

    def _encode(self, value: Any) -> str:
        return json_codec.dumps(value, self._default)

    def specs_to_dict(
        self, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
    ) -> dict[str, Any]:
        """The stored form of one process version's specs."""
        return {
            "spec": self.registry.convert(spec),
            "subprocess_specs": {name: self.registry.convert(s) for name, s in subprocess_specs.items()},
            VERSION_KEY: SERIALIZER_VERSION,
        }

    def specs_from_dict(self, dct: dict[str, Any]) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
        """Rebuild spec objects from their stored form.

        Specs stored without a version were deployed under SpiffWorkflow 3.2.0 (serializer "1.5"),
        as every Rectiflow release before the version was recorded. Specs of any other version
        are refused: SpiffWorkflow migrates specs only along with a workflow's tasks, and a
        process version's specs are rebuilt from its diagram by deploying it again.
        """
        written_by = dct.get(VERSION_KEY, "1.5")
        if written_by != SERIALIZER_VERSION:
            raise StateVersionError(f"its process version's specs were written by SpiffWorkflow serializer "
                                    f"{written_by!r}, not {SERIALIZER_VERSION!r} as this Rectiflow reads them")
        spec = self.registry.restore(_copy(dct["spec"]))
        subs = {name: self.registry.restore(_copy(s)) for name, s in dct["subprocess_specs"].items()}
        return spec, subs

    def dump_state(self, workflow: BpmnWorkflow) -> str:
        """The workflow's state without its specs, as JSON text.

        Only what changed since this workflow object's last save is serialised again: the text
        of finished tasks is kept per workflow (:mod:`engine.state_fragments`) until
        :meth:`forget` or until the workflow is gone.
        """
        with self._fragments_lock:
            cached = self._fragments.get(workflow)
        text, fresh = self._dump(workflow, {} if cached is None else cached)
        with self._fragments_lock:
            self._fragments[workflow] = fresh
        return text

    def dump_state_full(self, workflow: BpmnWorkflow) -> str:
        """The same text as :meth:`dump_state`, every task serialised afresh; the cache is left alone."""
        return self._dump(workflow, None)[0]

    def forget(self, workflow: BpmnWorkflow) -> None:
        """Drop what was kept of ``workflow``'s last save (after its finished tasks' data was rewritten)."""
        with self._fragments_lock:
            self._fragments.pop(workflow, None)

    def _dump(self, workflow: BpmnWorkflow, cached: Fragments | None) -> tuple[str, Fragments]:
        # Encoder mode leaves nested values to the JSON encoder: one pass instead of two.
        self.registry._encoder_mode = True
        try:
            return self._assembler.dump(workflow, cached)
        finally:
            self.registry._encoder_mode = False

    def encode_value(self, value: Any) -> bytes:
        """One task-data value as UTF-8 JSON, converted as :meth:`dump_state` would (raises as it would)."""
        return json_codec.dumps(value, self._default).encode("utf-8")

    def load_state(
        self, text: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
    ) -> BpmnWorkflow:
        """Rebuild a workflow from its stored state and its version's specs.

        A state of an older layout or SpiffWorkflow serializer version is upgraded first
        (:mod:`engine.state_versions`); the next save writes the current ones. One that cannot be
        (newer, unknown) raises ``StateVersionError``. A current state pays two string compares.
        """
        dct = json_codec.loads(text)
        layout, written_by = dct.pop("format", None), dct.pop(VERSION_KEY, None)
        if layout != STATE_VERSION or written_by != SERIALIZER_VERSION:
            dct = state_versions.upgrade(dct, layout, written_by, lambda: self.specs_to_dict(spec, subprocess_specs))
        return self._converter.restore_with_specs(dct, spec, subprocess_specs)

    @staticmethod
    def is_current(text: str) -> bool:
        """Whether stored state text ends as this code writes it: current layout and serializer version."""
        return text.endswith(CURRENT_TAIL)


# The end of every state this code writes (the assembler writes these two keys last).
CURRENT_TAIL = f'"format":"{STATE_VERSION}","{VERSION_KEY}":"{SERIALIZER_VERSION}"}}'


def _copy(value: Any) -> Any:
    # The converters pop keys from the dicts they restore; never let them eat the caller's copy.
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
