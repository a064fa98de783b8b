"""API routes: personal tokens — create (the token shown once), list, revoke.

Everyone manages their own tokens; an administrator may list and revoke anyone's (``person=<login>``).
"""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy import select

from workflows.api_tokens import create_token, list_tokens, revoke_token
from workflows.models import Person, Role

from ..auth import current_person
from ..db_session import get_session
from ..services import services
from .core import ApiError, api_actor, bp
from .schemas import ApiErrorSchema, CreatedTokenSchema, TokenCreateSchema, TokenListArgs, TokenListSchema


@bp.post("/tokens")
@bp.arguments(TokenCreateSchema)
@bp.response(201, CreatedTokenSchema)
@bp.alt_response(401, schema=ApiErrorSchema, description="refused")
@bp.alt_response(422, schema=ApiErrorSchema, description="refused")
def tokens_create(body: dict[str, Any]) -> dict[str, Any]:
    """A new personal token for the caller; the response is the only time its plaintext is shown."""
    token, plaintext = create_token(get_session(), current_person(), body["name"], actor=api_actor(),
                                    now=services().workflow_engine.clock())
    return {"id": token.id, "name": token.name, "token": plaintext, "prefix": token.prefix,
            "created_at": token.created_at, "last_used_at": None}


@bp.get("/tokens")
@bp.arguments(TokenListArgs, location="query")
@bp.response(200, TokenListSchema)
@bp.alt_response(401, schema=ApiErrorSchema, description="refused")
@bp.alt_response(403, schema=ApiErrorSchema, description="refused")
@bp.alt_response(404, schema=ApiErrorSchema, description="refused")
def tokens_list(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's live tokens; an administrator may ask for another person's (``person=<login>``)."""
    person = current_person()
    login = args.get("person")
    if login and login != person.login:
        if not person.has_role(Role.ADMIN):
            raise ApiError(403, "forbidden", "only an administrator may list another person's tokens")
        other = get_session().scalar(select(Person).where(Person.login == login))
        if other is None:
            raise ApiError(404, "not_found", f"no person with login {login!r}")
        person = other
    return {"items": list_tokens(get_session(), person)}


@bp.delete("/tokens/<int:token_id>")
@bp.response(204)
@bp.alt_response(401, schema=ApiErrorSchema, description="refused")
@bp.alt_response(404, schema=ApiErrorSchema, description="refused")
def token_revoke(token_id: int) -> Response:
    """Revoke a token: one's own, or anyone's for an administrator (any other answers 404)."""
    revoke_token(get_session(), token_id, actor=api_actor(), now=services().workflow_engine.clock())
    return Response(status=204)
