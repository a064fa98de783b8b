"""Rectiflow's generic BPMN engine on SpiffWorkflow.

It knows nothing of the web layer (no Flask import) nor of rectification:
hand it a session, a clock and an actor, and it deploys diagrams, runs
instances, keeps human tasks, timers, events and the audit log in step.

Importing the package corrects SpiffWorkflow once for the whole process
(:mod:`engine.spiff_compat`: timers on the engine's clock, task trees of any
depth, strict timer values): every workflow in the process shares those classes,
so no engine object may run without them, and none applies them on its own.
"""

from . import spiff_compat
from .actor import Actor
from .clock import FixedClock, system_clock
from .errors import (
    ConflictError,
    DeployError,
    EngineError,
    NoReceiver,
    NotAllowed,
    NotFound,
    TaskStateError,
    WorkflowFailure,
)
from .models import HumanTask, InstanceStatus, ProcessDefinition, ProcessEvent, ProcessInstance, TaskStatus, Timer
from .payload import checked_data, parse_json_data, text_fault
from .runtime import WorkflowEngine

spiff_compat.apply()

__all__ = [
    "Actor",
    "ConflictError",
    "DeployError",
    "EngineError",
    "FixedClock",
    "HumanTask",
    "InstanceStatus",
    "NoReceiver",
    "NotAllowed",
    "NotFound",
    "ProcessDefinition",
    "ProcessEvent",
    "ProcessInstance",
    "TaskStateError",
    "TaskStatus",
    "Timer",
    "WorkflowEngine",
    "WorkflowFailure",
    "checked_data",
    "parse_json_data",
    "system_clock",
    "text_fault",
]
