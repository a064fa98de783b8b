"""The marshmallow schemas of the resource routes: their query arguments (validated and documented in
one declaration) and their answers (the OpenAPI document's response shapes)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from engine import InstanceStatus
from workflows.ledger_page import MAX_QUERY
from workflows.models import ProblemStatus
from workflows.warnings import WarningColour

from .core import MAX_PAGE

_STATUSES = [s.name.lower() for s in ProblemStatus]
_COLOURS = [c.value for c in WarningColour]


def _id() -> fields.Integer:
    """A positive id."""
    return fields.Integer(validate=validate.Range(min=1, max=2**53))


class PageArgs(Schema):
    """``cursor`` (from the previous page's ``next_cursor``) and ``limit`` (1–200, default 50)."""

    cursor = fields.String(validate=validate.Length(max=40))
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE))


class ProblemArgs(PageArgs):
    """The ledger's filters: round (default the newest), part, unit code, status, colour, text."""

    round = _id()
    part = _id()
    unit = fields.String(validate=validate.Length(max=50))
    status = fields.String(validate=validate.OneOf(_STATUSES))
    colour = fields.String(validate=validate.OneOf(_COLOURS))
    q = fields.String(validate=validate.Length(max=MAX_QUERY))


class InstanceArgs(PageArgs):
    """Instances by business key (exact), status and process key."""

    business_key = fields.String(validate=validate.Length(max=200))
    status = fields.String(validate=validate.OneOf([s.value for s in InstanceStatus]))
    process = fields.String(validate=validate.Length(max=200))


class ReminderArgs(PageArgs):
    """``unread=true``: only the unread ones."""

    unread = fields.Boolean()


class MarkReadArgs(Schema):
    """The reminders to mark read (``ids``); without ``ids`` all of one's reminders."""

    ids = fields.List(_id(), validate=validate.Length(max=MAX_PAGE))


class FileArgs(Schema):
    """A multipart upload: the diagram in the ``file`` field."""

    file = Upload(required=True)


class WarningSchema(Schema):
    colour = fields.String()
    days_left = fields.Integer(allow_none=True)
    text = fields.String()


class DeadlineStepSchema(Schema):
    old = fields.Date(allow_none=True)
    new = fields.Date(allow_none=True)
    source = fields.String()
    reason = fields.String()
    by = fields.String()
    at = fields.DateTime()


class FlagSchema(Schema):
    reason = fields.String()
    deadline = fields.Date()
    by = fields.String()
    by_login = fields.String()
    at = fields.DateTime()
    warning = fields.Nested(WarningSchema, allow_none=True)


class MeasureSchema(Schema):
    """One measure: a row of the ledger."""

    id = fields.Integer()
    problem_id = fields.Integer()
    number = fields.String()
    text = fields.String()
    status = fields.String(metadata={"description": "the ledger's status word (e.g. 整改中)"})
    status_name = fields.String(metadata={"description": "the status as a filter value (e.g. in_progress)"})
    warning = fields.Nested(WarningSchema, allow_none=True)
    lead_unit = fields.String()
    responsible_units = fields.String()
    responsible_leader = fields.String()
    deadline = fields.Date(allow_none=True)
    deadline_text = fields.String()
    original_deadline = fields.Date(allow_none=True)
    deadline_history = fields.List(fields.Nested(DeadlineStepSchema))
    progress = fields.String()
    evidence_count = fields.Integer()
    updated_at = fields.DateTime(allow_none=True)


class ProblemSchema(Schema):
    """One problem with the measures the caller may see."""

    id = fields.Integer()
    round_id = fields.Integer()
    part_id = fields.Integer()
    part = fields.String()
    number = fields.String()
    title = fields.String()
    status = fields.String()
    status_name = fields.String()
    colour = fields.String(allow_none=True)
    warning = fields.Nested(WarningSchema, allow_none=True)
    long_term = fields.Boolean()
    publishable = fields.Boolean()
    lead_unit = fields.String(allow_none=True)
    responsible_leader = fields.String(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    flag = fields.Nested(FlagSchema, allow_none=True)
    measures = fields.List(fields.Nested(MeasureSchema))


class ProblemPage(Schema):
    items = fields.List(fields.Nested(ProblemSchema))
    next_cursor = fields.String(allow_none=True)


class StatsSchema(Schema):
    parts = fields.Integer()
    problems = fields.Integer()
    measures = fields.Integer()
    completed = fields.Integer()
    in_progress = fields.Integer()
    long_term = fields.Integer()
    withheld = fields.Integer()


class RoundSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    inspecting_group = fields.String(allow_none=True)
    inspected_unit = fields.String(allow_none=True)
    feedback_date = fields.Date(allow_none=True)
    report_date = fields.Date(allow_none=True)


class RoundDetailSchema(RoundSchema):
    """A round and its counters over the rows the caller may see."""

    counters = fields.Nested(StatsSchema)
    matching = fields.Integer(metadata={"description": "problems the caller sees, withheld ones included"})


class RoundPage(Schema):
    items = fields.List(fields.Nested(RoundSchema))
    next_cursor = fields.String(allow_none=True)


class TaskBriefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    stage = fields.String(allow_none=True)
    bpmn_id = fields.String()
    assignee = fields.String(allow_none=True)
    candidate_group = fields.String(allow_none=True)
    candidate_unit = fields.String(allow_none=True)
    item_key = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)


class TimerSchema(Schema):
    bpmn_id = fields.String()
    due_at = fields.DateTime()
    item_key = fields.String(allow_none=True)


class PositionSchema(Schema):
    completed = fields.List(fields.String())
    current = fields.Dict(keys=fields.String(), values=fields.Integer())
    active = fields.List(fields.String())


class InstanceSchema(Schema):
    id = fields.Integer()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    process_key = fields.String()
    definition_id = fields.Integer()
    version = fields.Integer(metadata={"description": "the version of the diagram the instance runs"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)


class InstanceDetailSchema(InstanceSchema):
    position = fields.Nested(PositionSchema)
    open_tasks = fields.List(fields.Nested(TaskBriefSchema))
    timers = fields.List(fields.Nested(TimerSchema))


class InstancePage(Schema):
    items = fields.List(fields.Nested(InstanceSchema))
    next_cursor = fields.String(allow_none=True)


class DefinitionSchema(Schema):
    id = fields.Integer()
    process_key = fields.String()
    name = fields.String(allow_none=True)
    version = fields.Integer()
    source_name = fields.String()
    deployed_at = fields.DateTime()
    deployed_by = fields.String(allow_none=True)


class DefinitionPage(Schema):
    items = fields.List(fields.Nested(DefinitionSchema))
    next_cursor = fields.String(allow_none=True)


class DeployedSchema(DefinitionSchema):
    created = fields.Boolean(metadata={"description": "false: the same content was deployed already"})


class DeployAnswer(Schema):
    items = fields.List(fields.Nested(DeployedSchema))


class RefusedSchema(Schema):
    """A refused diagram: ``{"error": "diagram_refused", "message": the first refusal, "refusals": [...]}``."""

    error = fields.String()
    message = fields.String()
    refusals = fields.List(fields.String())


class ReminderSchema(Schema):
    id = fields.Integer()
    reason = fields.String()
    subject = fields.String()
    body = fields.String()
    item_key = fields.String(allow_none=True)
    problem_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class ReminderPage(Schema):
    items = fields.List(fields.Nested(ReminderSchema))
    next_cursor = fields.String(allow_none=True)


class MarkedSchema(Schema):
    marked = fields.Integer()
