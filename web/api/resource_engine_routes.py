"""API routes over the engine: process instances (with their position on the diagram, open tasks and
waiting timers) and process definitions (listing; deploying a new version).

Supervision and administrators only (others 403), as the admin pages; deploying is the
administrators'. A refused diagram is a 422 listing the refusal the engine found, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from werkzeug.datastructures import FileStorage

from engine import DeployError, InstanceStatus, ProcessDefinition, ProcessInstance
from engine.instance_position import instance_position
from workflows.api_resources import can_supervise_instances, definition_query, instance_query, open_tasks
from workflows.models import Role

from ..db_session import get_session
from ..services import services
from .core import ApiError, api_actor, bp, page_of
from .resource_json import definition_json, instance_detail_json, instance_json
from .resource_schemas import (
    DefinitionPage,
    DeployAnswer,
    FileArgs,
    InstanceArgs,
    InstanceDetailSchema,
    InstancePage,
    PageArgs,
    RefusedSchema,
)

MAX_DIAGRAM_UPLOAD = 5 * 1024 * 1024


@bp.route("/instances", methods=["GET"])
@bp.arguments(InstanceArgs, location="query", as_kwargs=True)
@bp.response(200, InstancePage)
def instances(cursor: str | None = None, limit: int | None = None, business_key: str | None = None,
              status: str | None = None, process: str | None = None) -> dict[str, Any]:
    """Process instances by id, filtered by business key, status and process key."""
    _supervisors_only()
    query = instance_query(business_key=business_key, status=InstanceStatus(status) if status else None,
                           process=process)
    page = page_of(get_session(), query, ProcessInstance.id.expression, cursor=cursor, limit=limit)
    return {"items": [instance_json(i) for i in page.items], "next_cursor": page.next_cursor}


@bp.route("/instances/<int:instance_id>", methods=["GET"])
@bp.response(200, InstanceDetailSchema)
def instance_detail(instance_id: int) -> dict[str, Any]:
    """One instance: status, the diagram version it runs, its position, open tasks and waiting timers."""
    _supervisors_only()
    session = get_session()
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise ApiError(404, "not_found", f"no instance {instance_id}")
    position = instance_position(services().workflow_engine, session, instance_id)
    return instance_detail_json(instance, position, open_tasks(session, instance_id))


@bp.route("/process-definitions", methods=["GET"])
@bp.arguments(PageArgs, location="query", as_kwargs=True)
@bp.response(200, DefinitionPage)
def process_definitions(cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
    """Every deployed version of every process (key, version, source, when and by whom)."""
    _supervisors_only()
    page = page_of(get_session(), definition_query(), ProcessDefinition.id.expression, cursor=cursor, limit=limit)
    return {"items": [definition_json(d) for d in page.items], "next_cursor": page.next_cursor}


@bp.route("/process-definitions", methods=["POST"])
@bp.arguments(FileArgs, location="files", as_kwargs=True)
@bp.response(201, DeployAnswer)
@bp.alt_response(422, schema=RefusedSchema, description="the diagram was refused")
def deploy_definition(file: FileStorage) -> Any:
    """Deploy an uploaded ``.bpmn`` (administrators): 201 with the new version of each process in it
    (``created`` false for content deployed already), or 422 with the refusals."""
    actor = api_actor()
    if Role.ADMIN.value not in actor.groups:
        raise ApiError(403, "forbidden", "only administrators deploy diagrams")
    name = file.filename or "upload.bpmn"
    if not name.lower().endswith(".bpmn"):
        return _refused([f"{name}: not a .bpmn file"])
    content = file.stream.read(MAX_DIAGRAM_UPLOAD + 1)
    if len(content) > MAX_DIAGRAM_UPLOAD:
        raise ApiError(413, "too_large", f"a diagram may be at most {MAX_DIAGRAM_UPLOAD // 1024 // 1024} MB")
    try:
        results = services().workflow_engine.deploy(get_session(), content, name, actor=actor.key)
    except DeployError as refused:
        return _refused([str(refused)])
    return {"items": [definition_json(r.definition) | {"created": r.created} for r in results]}


def _refused(refusals: list[str]) -> tuple[Response, int]:
    # The engine stops at the first refusal it finds; the list keeps room for more.
    return jsonify(error="diagram_refused", message=refusals[0], refusals=refusals), 422


def _supervisors_only() -> None:
    if not can_supervise_instances(api_actor()):
        raise ApiError(403, "forbidden", "instances and diagrams are for supervision and administrators")
