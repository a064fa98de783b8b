"""The API's marshmallow schemas: they validate the query strings and bodies, shape the answers and
make the OpenAPI document (``/api/v1/openapi.json``)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from workflows.inbox import Tab
from workflows.inbox_filters import MAX_SEARCH
from workflows.stages import Stage
from workflows.warnings import WarningColour

from .core import MAX_PAGE


class CursorArgs(Schema):
    """Keyset paging: ``cursor`` from the previous page's ``next_cursor``; ``limit`` rows (1–200)."""

    class Meta:
        unknown = EXCLUDE

    cursor = fields.String(load_default=None, validate=validate.Length(max=40))
    limit = fields.Integer(load_default=None, validate=validate.Range(1, MAX_PAGE))


class TaskListArgs(CursorArgs):
    """The inbox's tabs and filters."""

    tab = fields.String(load_default=Tab.MINE.value, validate=validate.OneOf([tab.value for tab in Tab]))
    round = fields.Integer(load_default=None, validate=validate.Range(min=1))
    part = fields.Integer(load_default=None, validate=validate.Range(min=1))
    unit = fields.String(load_default=None, validate=validate.Length(max=100))
    step = fields.String(load_default=None, validate=validate.OneOf([stage.value for stage in Stage]))
    colour = fields.String(load_default=None, validate=validate.OneOf([colour.value for colour in WarningColour]))
    overdue = fields.Boolean(load_default=False)
    q = fields.String(load_default="", validate=validate.Length(max=MAX_SEARCH))


class TaskSchema(Schema):
    """One human task of a problem's lifecycle."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    stage = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    status = fields.String(required=True)
    assignee = fields.String(allow_none=True)
    candidate_unit = fields.String(allow_none=True)
    instance_id = fields.Integer(required=True)
    problem_id = fields.Integer(allow_none=True)
    measure_id = fields.Integer(allow_none=True)
    item_key = fields.String(allow_none=True)
    deadline = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)


class TaskDetailSchema(TaskSchema):
    """A task with the fields of its form (JSON-Schema-like, from ``workflows.forms.describe``)."""

    form = fields.Dict(allow_none=True)


class TaskPageSchema(Schema):
    """One page of tasks."""

    items = fields.List(fields.Nested(TaskSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CompleteSchema(Schema):
    """Completing a task as JSON: the form's values. Files go as multipart instead (fields and files
    under the form's file field)."""

    data = fields.Dict(keys=fields.String(), load_default=dict)


class TokenCreateSchema(Schema):
    """A new token's name (what it is for: "OA 系统", "督查平台")."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class TokenListArgs(Schema):
    """Whose tokens: one's own; an administrator may name another person's login."""

    person = fields.String(load_default=None, validate=validate.Length(max=100))


class TokenSchema(Schema):
    """A token as listed: never the token itself."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(allow_none=True)


class CreatedTokenSchema(TokenSchema):
    """A token just created: the only time its plaintext is shown."""

    token = fields.String(required=True)


class TokenListSchema(Schema):
    """A person's live tokens."""

    items = fields.List(fields.Nested(TokenSchema), required=True)


class ApiErrorSchema(Schema):
    """Every refusal: a short code for programs and a message for people (``fields`` for a refused form)."""

    error = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")
