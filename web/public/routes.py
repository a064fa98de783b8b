"""The public pages (no sign-in): ``/public`` (each published round's latest report), ``/public/<id>``
(one snapshot) and the feedback form's post (意见建议).

Thin: parse, call one service, render. Only ``Publication`` rows are read — never the live ledger.
A refused feedback post shows the page again with the errors and what was typed (nothing stored,
the request rolls back); an accepted one redirects to the form, which says thank you (post/redirect/get). A post
whose hidden honeypot field is filled is a bot's: it gets the same thank-you and nothing is kept.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from workflows.feedback_intake import MAX_CONTACT, MAX_NAME, MAX_TEXT, RateLimited, submit_feedback
from workflows.form_fields import FormErrors
from workflows.models import Publication
from workflows.publishing import get_publication, other_versions, public_rounds

from ..db_session import get_session
from ..i18n import message_text, t
from ..services import services
from .blueprint import bp
from .settings import feedback_max_bytes, intake_policy

HONEYPOT = "website"  # hidden from people by CSS; a bot filling every field fills it too
FEEDBACK_FIELDS = ("name", "contact", "text")
_ID_DIGITS = 18
# Typed text longer than this is not sent back into the form (a 100,000-character post).
_KEEP_AT_MOST = 4 * MAX_TEXT


@bp.get("/public")
def index() -> str:
    """Every published round: its latest report in full, earlier versions linked."""
    return _page(public_rounds(get_session()))


@bp.get("/public/<int:publication_id>")
def publication(publication_id: int) -> str:
    """One published snapshot, exactly as it was published (404 for an unknown id)."""
    session = get_session()
    found = get_publication(session, publication_id)
    return _publication_page(found)


@bp.url_value_preprocessor
def _limit_feedback_size(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    # Runs before every before_request hook, so the CSRF check's reading of the form already obeys
    # the small limit: a huge post is refused unread instead of parsed into memory.
    if endpoint == "public.feedback":
        request.max_content_length = feedback_max_bytes()


@bp.post("/public/feedback")
def feedback() -> Any:
    """Take one opinion: thank-you and redirect, or the form again with what is wrong."""
    typed = {name: request.form.get(name, "") for name in FEEDBACK_FIELDS}
    publication_id = _publication_id(request.form.get("publication_id"))
    if request.form.get(HONEYPOT, "").strip():
        return _back(publication_id)
    engine = services().workflow_engine
    try:
        submit_feedback(get_session(), engine, name=typed["name"], contact=typed["contact"], text=typed["text"],
                        address=request.remote_addr, publication_id=publication_id, now=engine.clock(),
                        policy=intake_policy())
    except FormErrors as refused:
        errors = {name: message_text(message) for name, message in refused.errors.items()}
        return _form_again(publication_id, typed, errors=errors), 422
    except RateLimited:
        return _form_again(publication_id, typed, notice=t("public.feedback.rate_limited")), 429
    return _back(publication_id)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    """A post over ``FEEDBACK_MAX_BYTES``: the page with the form and a clear message, not a bare 413."""
    notice = t("public.feedback.too_large", max=MAX_TEXT)
    return _form_again(None, {name: "" for name in FEEDBACK_FIELDS}, notice=notice), 413


def _back(publication_id: int | None) -> Response:
    """To the page the opinion came from, at the form, which thanks the sender (``?sent=1``): the
    thanks is shown beside the form the browser scrolls to, not at the top of a long report."""
    if publication_id:
        target = url_for("public.publication", publication_id=publication_id, sent=1)
    else:
        target = url_for("public.index", sent=1)
    return redirect(target + "#feedback", code=303)


def _form_again(publication_id: int | None, typed: dict[str, str], *, errors: dict[str, str] | None = None,
                notice: str | None = None) -> str:
    """The page the post came from, with the form's errors and what was typed."""
    kept = {name: value if len(value) <= _KEEP_AT_MOST else "" for name, value in typed.items()}
    form = {"values": kept, "errors": errors or {}, "notice": notice}
    session = get_session()
    if publication_id is not None:
        found = session.get(Publication, publication_id)
        if found is not None:
            return _publication_page(found, form=form)
    return _page(public_rounds(session), form=form)


def _page(rounds: list[Any], *, form: dict[str, Any] | None = None) -> str:
    return render_template("public/index.html", rounds=rounds, body=_body, form=_form_state(form),
                           publication_id=None)


def _publication_page(found: Publication, *, form: dict[str, Any] | None = None) -> str:
    session = get_session()
    versions = other_versions(session, found)
    is_latest = all(v.version < found.version for v in versions)
    return render_template("public/publication.html", publication=found, versions=versions, is_latest=is_latest,
                           body=_body, form=_form_state(form), publication_id=found.id)


def _form_state(form: dict[str, Any] | None) -> dict[str, Any]:
    state = {"values": {}, "errors": {}, "notice": None, "honeypot": HONEYPOT, "sent": request.args.get("sent") == "1",
             "limits": {"name": MAX_NAME, "contact": MAX_CONTACT, "text": MAX_TEXT}}
    state.update(form or {})
    return state


def _body(publication: Publication) -> Markup:
    """The stored report body. Written by ``workflows.report.render_html``, whose autoescaping has
    already escaped every text a person typed; it is our renderer's output, not user input."""
    return Markup(publication.html)  # noqa: S704 (escaped when published; see the docstring)


def _publication_id(raw: str | None) -> int | None:
    if not raw or not (raw.isascii() and raw.isdecimal()) or len(raw) > _ID_DIGITS:
        return None
    return int(raw)
