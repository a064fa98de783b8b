"""Service tasks that failed: listing their incidents, retrying one, skipping one.

A service that fails inside a step leaves its task in SpiffWorkflow's ERROR state and a
``service_incident`` row (:mod:`engine.step`, :mod:`engine.service_calls`); the instance
waits at that task. An administrator fixes the cause (the configuration, the data, the other
system) and *retries* it: the task is made ready again and the instance runs on, in one step
under the instance's lock. Or they *skip* it, with a reason: the task completes without its
service being called (its result variable is set to ``None``) and the instance runs on. Either
way the incident is marked resolved in the same step; a retry that fails again opens a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .actor import Actor
from .errors import NotFound, TaskStateError
from .failures import as_failure
from .instance_store import InstanceStore
from .models import ServiceIncident
from .step import Audit, instance_step

__all__ = ["ServiceIncidentOperations", "list_open"]


def list_open(session: Session, *, limit: int = 200) -> list[ServiceIncident]:
    """The unresolved service incidents, the oldest first."""
    return list(session.scalars(
        select(ServiceIncident).where(ServiceIncident.resolved_at.is_(None))
        .order_by(ServiceIncident.created_at, ServiceIncident.id).limit(limit)
    ))


class ServiceIncidentOperations:
    """The engine's operations on service incidents (mixed into ``WorkflowEngine``)."""

    clock: Callable[[], datetime]
    store: InstanceStore
    step_seconds: float

    def service_incidents(self, session: Session, *, limit: int = 200) -> list[ServiceIncident]:
        """Service tasks that failed and wait for an administrator, the oldest first."""
        return list_open(session, limit=limit)

    def retry_service_incident(self, session: Session, incident_id: int, actor: Actor) -> ServiceIncident:
        """Run the failed service task again now and let the instance go on; audited under ``actor``.

        The incident is resolved either way; if the service fails again, a new incident says so.
        """
        return self._resolve(session, incident_id, actor, action="service_retry", resolution="retried",
                             detail={}, work=_make_ready)

    def skip_service_incident(self, session: Session, incident_id: int, actor: Actor, reason: str) -> ServiceIncident:
        """Complete the failed service task without calling its service, and go on; audited with ``reason``.

        The task's result variable is set to ``None``. The reason is required.
        """
        reason = " ".join(reason.split())
        if not reason:
            raise TaskStateError("say why the service task is skipped")
        return self._resolve(session, incident_id, actor, action="service_skip", resolution=f"skipped: {reason}",
                             detail={"reason": reason}, work=_complete_without_service)

    def _resolve(self, session: Session, incident_id: int, actor: Actor, *, action: str, resolution: str,
                 detail: dict[str, str], work: Callable[[Task], None]) -> ServiceIncident:
        incident = session.get(ServiceIncident, incident_id)
        if incident is None:
            raise NotFound(f"service incident {incident_id} does not exist")
        if incident.resolved_at is not None:
            raise TaskStateError(f"service incident {incident_id} is resolved already ({incident.resolution})")
        now = self.clock()
        audit = Audit(actor.key, action, bpmn_id=incident.bpmn_id,
                      detail={"incident": incident_id, "error": incident.message, **detail})
        with instance_step(self.store, session, incident.instance_id, now=now, seconds=self.step_seconds,
                           audit=audit) as step:
            # Under the instance's lock: of two administrators acting at once, one resolves it.
            claimed = session.execute(
                update(ServiceIncident)
                .where(ServiceIncident.id == incident_id, ServiceIncident.resolved_at.is_(None))
                .values(resolved_at=now, resolved_by=actor.key, resolution=resolution)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise TaskStateError(f"service incident {incident_id} is resolved already")
            task = _failed_task(step.workflow, incident)
            try:
                work(task)
            except Exception as exc:  # a post-script of a skipped task, say: the step's failure
                raise as_failure(exc, incident.bpmn_id) from None
            step.advance()
        refreshed = session.get(ServiceIncident, incident_id, populate_existing=True)
        assert refreshed is not None
        return refreshed


def _failed_task(workflow: BpmnWorkflow, incident: ServiceIncident) -> Task:
    try:
        task = workflow.get_task_from_id(UUID(incident.task_id))
    except (TaskNotFoundException, ValueError):
        task = None
    if task is None or task.state != TaskState.ERROR:
        raise TaskStateError(f"service incident {incident.id}: '{incident.bpmn_id}' is no longer failed; reload")
    return task


def _make_ready(task: Task) -> None:
    # Back to READY with its children as they are: the next advance runs it like any engine task.
    task._set_state(TaskState.READY)


def _complete_without_service(task: Task) -> None:
    variable = getattr(task.task_spec, "result_variable", None)
    if variable:
        task.data[variable] = None
    task.complete()
