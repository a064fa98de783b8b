"""The operational figures ``/metrics`` reports, read from the database at scrape time.

Every web worker reads the same rows, so every worker reports the same values, whichever one a
scrape reaches. The cost is a fixed handful of aggregate queries whatever the data's size:

* open human tasks by step (BPMN id) and warning colour, in one ``GROUP BY`` — the colour as
  the inbox shows it (``workflows.warnings.warning_for``, in SQL as
  ``workflows.inbox_filters.colour_condition``): blue for a long-term problem, red once the
  deadline has passed (overdue), yellow inside ``WARNING_WINDOW_DAYS``, green otherwise;
* the scheduler's replicas, due-timer backlog, lateness and timer incidents
  (``engine.heartbeat.scheduler_status``, three queries);
* open service incidents (one count on the ``ix_service_incident_open`` index);
* reminders by reason and mail status (one ``GROUP BY``): mails sent, pending, failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine import HumanTask, TaskStatus
from engine.heartbeat import SchedulerStatus, scheduler_status
from engine.models import SchedulerHeartbeat, ServiceIncident

from .models import Problem, Reminder
from .warnings import WarningColour, yellow_until


@dataclass(frozen=True)
class OperationalFigures:
    """What the database says at ``now``: see the module for each figure."""

    open_tasks: dict[tuple[str, str], int]  # (step, colour) -> open human tasks
    scheduler: SchedulerStatus
    service_incidents: int  # open (unresolved) service incidents
    reminders: dict[tuple[str, str], int]  # (reason, mail status) -> reminders


def operational_figures(session: Session, now: datetime, *, window_days: int,
                        interval_seconds: float) -> OperationalFigures:
    """The figures at ``now``, with the inbox's warning window and the scheduler's tick interval."""
    return OperationalFigures(
        open_tasks=open_tasks_by_step_and_colour(session, now, window_days=window_days),
        scheduler=scheduler_status(session, now, interval_seconds=interval_seconds),
        service_incidents=session.scalar(
            select(func.count(ServiceIncident.id)).where(ServiceIncident.resolved_at.is_(None))) or 0,
        reminders={(str(reason), str(status)): count for reason, status, count in session.execute(
            select(Reminder.reason, Reminder.mail_status, func.count(Reminder.id))
            .group_by(Reminder.reason, Reminder.mail_status)).tuples()},
    )


def open_tasks_by_step_and_colour(session: Session, now: datetime, *, window_days: int) -> dict[tuple[str, str], int]:
    """Open human tasks counted by (BPMN id, warning colour) at ``now``, in one query."""
    due = HumanTask.due_at
    colour = case(
        (Problem.long_term.is_(True), WarningColour.BLUE.value),
        (due.is_(None), WarningColour.GREEN.value),
        (due < now, WarningColour.RED.value),
        (due <= yellow_until(now, window_days), WarningColour.YELLOW.value),
        else_=WarningColour.GREEN.value,
    ).label("colour")
    rows = session.execute(
        select(HumanTask.bpmn_id, colour, func.count(HumanTask.id))
        .select_from(HumanTask)
        .outerjoin(Problem, Problem.instance_id == HumanTask.instance_id)
        .where(HumanTask.status == TaskStatus.OPEN)
        .group_by(HumanTask.bpmn_id, colour)
    ).tuples()
    return {(step, str(found)): count for step, found, count in rows}


def last_heartbeat_at(connection: Connection) -> datetime | None:
    """When the freshest scheduler replica last ticked (or started, before its first tick); None: never."""
    latest = func.coalesce(SchedulerHeartbeat.last_tick_at, SchedulerHeartbeat.started_at)
    found: datetime | None = connection.scalar(select(func.max(latest)))
    return found
