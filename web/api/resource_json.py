"""The resource routes' objects as the plain values their schemas (``resource_schemas``) dump."""

from __future__ import annotations

from typing import Any

from engine import HumanTask, ProcessDefinition, ProcessInstance
from engine.instance_position import InstancePosition
from workflows.api_resources import ProblemRows, RoundCounters
from workflows.flags import FlagNote
from workflows.ledger import LedgerRow
from workflows.models import InspectionRound, Reminder
from workflows.warnings import DeadlineWarning, warning_json


def round_json(round_: InspectionRound) -> dict[str, Any]:
    return {"id": round_.id, "title": round_.title, "inspecting_group": round_.inspecting_group,
            "inspected_unit": round_.inspected_unit.name if round_.inspected_unit else None,
            "feedback_date": round_.feedback_date, "report_date": round_.report_date}


def round_detail_json(found: RoundCounters) -> dict[str, Any]:
    stats = found.stats
    counters = {"parts": stats.parts, "problems": stats.problems, "measures": stats.measures,
                "completed": stats.completed, "in_progress": stats.in_progress, "long_term": stats.long_term,
                "withheld": stats.withheld}
    return round_json(found.round) | {"counters": counters, "matching": found.matching}


def measure_json(row: LedgerRow) -> dict[str, Any]:
    return {
        "id": row.measure_id, "problem_id": row.problem_id, "number": row.number, "text": row.measure,
        "status": row.status.value, "status_name": row.status.name.lower(), "warning": _warning(row.warning),
        "lead_unit": row.lead_unit, "responsible_units": row.responsible_units,
        "responsible_leader": row.responsible_leader, "deadline": row.deadline, "deadline_text": row.deadline_text,
        "original_deadline": row.original_deadline,
        "deadline_history": [{"old": s.old, "new": s.new, "source": s.source.value, "reason": s.reason,
                              "by": s.by, "at": s.at} for s in row.deadline_history],
        "progress": row.progress, "evidence_count": row.evidence_count, "updated_at": row.updated_at,
    }


def problem_json(found: ProblemRows) -> dict[str, Any]:
    problem, rows = found.problem, found.rows
    head = rows[0] if rows else None
    warning = head.problem_warning if head else None
    status = head.problem_status if head else None
    return {
        "id": problem.id, "round_id": problem.part.round_id, "part_id": problem.part_id, "part": problem.part.title,
        "number": f"{problem.part.ordinal}.{problem.ordinal}", "title": problem.title,
        "status": status.value if status else None, "status_name": status.name.lower() if status else None,
        "colour": warning.colour.value if warning else None, "warning": _warning(warning),
        "long_term": problem.long_term, "publishable": problem.publishable,
        "lead_unit": problem.lead_unit.name if problem.lead_unit else None,
        "responsible_leader": problem.responsible_leader.name if problem.responsible_leader else None,
        "instance_id": problem.instance_id, "flag": _flag(head.flag if head else None),
        "measures": [measure_json(row) for row in rows],
    }


def instance_json(instance: ProcessInstance) -> dict[str, Any]:
    definition = instance.definition
    return {"id": instance.id, "business_key": instance.business_key, "status": instance.status.value,
            "process_key": definition.process_key, "definition_id": definition.id, "version": definition.version,
            "created_at": instance.created_at, "updated_at": instance.updated_at,
            "completed_at": instance.completed_at}


def instance_detail_json(instance: ProcessInstance, position: InstancePosition,
                         tasks: list[HumanTask]) -> dict[str, Any]:
    return instance_json(instance) | {
        "position": {"completed": sorted(position.completed), "current": dict(position.current),
                     "active": sorted(position.active)},
        "open_tasks": [{"id": t.id, "name": t.name, "stage": t.stage, "bpmn_id": t.bpmn_id, "assignee": t.assignee,
                        "candidate_group": t.candidate_group, "candidate_unit": t.candidate_unit,
                        "item_key": t.item_key, "due_at": t.due_at} for t in tasks],
        "timers": [{"bpmn_id": t.bpmn_id, "due_at": t.due_at, "item_key": t.item_key} for t in position.timers],
    }


def definition_json(definition: ProcessDefinition) -> dict[str, Any]:
    return {"id": definition.id, "process_key": definition.process_key, "name": definition.name,
            "version": definition.version, "source_name": definition.source_name,
            "deployed_at": definition.deployed_at, "deployed_by": definition.deployed_by}


def reminder_json(reminder: Reminder) -> dict[str, Any]:
    return {"id": reminder.id, "reason": reminder.reason.value, "subject": reminder.subject, "body": reminder.body,
            "item_key": reminder.item_key, "problem_id": reminder.problem_id, "created_at": reminder.created_at,
            "read_at": reminder.read_at}


def _warning(warning: DeadlineWarning | None) -> dict[str, Any] | None:
    return warning_json(warning)


def _flag(flag: FlagNote | None) -> dict[str, Any] | None:
    if flag is None:
        return None
    return {"reason": flag.reason, "deadline": flag.deadline, "by": flag.by, "by_login": flag.by_login,
            "at": flag.at, "warning": _warning(flag.warning)}
