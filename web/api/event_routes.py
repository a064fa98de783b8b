"""API routes that deliver a message or a signal to the process instances waiting for it (engine/messages.py).

Supervision and administrators only (others 403), as the instance routes. A message reaches the
instances waiting for it (by business key and/or the values in ``correlation``) or starts the process
whose start event waits for it; a message or signal nobody waits for is a 404 and nothing changes.
Session callers send the CSRF token as every API write does (``core._check_caller``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from engine import ProcessInstance
from engine.messages import Delivery
from workflows.api_resources import can_supervise_instances

from ..db_session import get_session
from ..services import services
from .core import ApiError, api_actor, bp
from .schemas import ApiErrorSchema

_NAME = validate.Length(min=1, max=200)


class SignalSchema(Schema):
    """A signal: its name and the data it carries (become the catching instances' variables)."""

    name = fields.String(required=True, validate=_NAME)
    data = fields.Dict(keys=fields.String(), load_default=dict)


class MessageSchema(SignalSchema):
    """A message: its name, data, and whom it is for (business key and/or variables that must match)."""

    business_key = fields.String(load_default=None, validate=validate.Length(max=200))
    correlation = fields.Dict(keys=fields.String(), load_default=dict)


class InstanceRefSchema(Schema):
    id = fields.Integer(required=True)
    process_key = fields.String(required=True)
    version = fields.Integer(required=True)
    business_key = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)


class DeliverySchema(Schema):
    """The instances that caught the event, and those it started."""

    received = fields.List(fields.Nested(InstanceRefSchema), required=True)
    started = fields.List(fields.Nested(InstanceRefSchema), required=True)


def _refusals(view: Any) -> Any:
    for status in (401, 403, 404, 409, 422, 429):
        view = bp.alt_response(status, schema=ApiErrorSchema, description="refused")(view)
    return view


@bp.post("/messages")
@bp.arguments(MessageSchema, location="json", as_kwargs=True)
@bp.response(200, DeliverySchema)
@_refusals
def send_message(name: str, data: dict[str, Any], business_key: str | None,
                 correlation: dict[str, Any]) -> dict[str, Any]:
    """Send a message: to the instances waiting for it, else starting the process that starts on it; 404 if
    neither."""
    actor = _supervisor()
    delivery = services().workflow_engine.send_message(get_session(), name, business_key=business_key,
                                                       correlation=correlation, data=data, actor=actor)
    return _delivery_json(delivery)


@bp.post("/signals")
@bp.arguments(SignalSchema, location="json", as_kwargs=True)
@bp.response(200, DeliverySchema)
@_refusals
def send_signal(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Broadcast a signal to every instance waiting for it and start every process that starts on it; 404 if
    nobody does."""
    actor = _supervisor()
    return _delivery_json(services().workflow_engine.send_signal(get_session(), name, data=data, actor=actor))


def _supervisor() -> Any:
    actor = api_actor()
    if not can_supervise_instances(actor):
        raise ApiError(403, "forbidden", "messages and signals are for supervision and administrators")
    return actor


def _delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {"received": [_instance(i) for i in delivery.received],
            "started": [_instance(i) for i in delivery.started]}


def _instance(instance: ProcessInstance) -> dict[str, Any]:
    return {"id": instance.id, "process_key": instance.definition.process_key,
            "version": instance.definition.version, "business_key": instance.business_key,
            "status": instance.status.value}
