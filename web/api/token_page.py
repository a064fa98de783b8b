"""``/account/tokens``: a page for people to create and revoke their own API tokens without the API.

A plain blueprint (server-rendered, no JavaScript): the new token is shown once, on the page that
answers the creating POST, and never again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflows.api_tokens import create_token, list_tokens, revoke_token
from workflows.errors import DomainError

from ..auth import current_actor, current_person
from ..db_session import get_session
from ..i18n import add_texts, error_text, t
from ..services import services
from .texts import TEXTS

add_texts(TEXTS)
bp = Blueprint("api_tokens", __name__)


@bp.get("/account/tokens")
def index() -> str:
    """The signed-in person's live tokens and the form to create one."""
    return _page()


@bp.post("/account/tokens")
def create() -> Any:
    """Create a token and show it, once; a refused name shows the form again with the reason."""
    try:
        token, plaintext = create_token(get_session(), current_person(), request.form.get("name", ""),
                                        actor=current_actor(), now=services().workflow_engine.clock())
    except DomainError as refused:
        return _page(error=error_text(refused), name=request.form.get("name", "")), 422
    return _page(new_token=plaintext, new_name=token.name)


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke(token_id: int) -> Any:
    """Revoke one of one's own tokens (someone else's answers 404, even for an administrator here)."""
    person = current_person()
    if token_id not in {token.id for token in list_tokens(get_session(), person)}:
        return _page(error=t("api_tokens.not_found")), 404
    token = revoke_token(get_session(), token_id, actor=current_actor(), now=services().workflow_engine.clock())
    flash(t("api_tokens.revoked", name=token.name), "success")
    return redirect(url_for("api_tokens.index"), code=303)


def _page(**extra: Any) -> str:
    tokens = list_tokens(get_session(), current_person())
    return render_template("api/tokens.html", tokens=tokens, **extra)
