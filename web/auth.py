"""Signing in and out, and who may see what.

Every page needs a signed-in person except the login page, ``/health``, ``/ready``, ``/metrics``,
static files and ``/public/...``. The person is loaded through the request's
session; ``current_actor()`` is how routes hand the person to the engine.

The session cookie holds no person id, only the token of a server-side session
(``workflows.user_sessions``): logging out deletes it, so a copy of the cookie
opens nothing afterwards, and a password change ends all of the person's
sessions. Sign-in attempts go through a throttle (``workflows.login_guard``).

Under ``/api/`` a personal token (``Authorization: Bearer <token>``, ``workflows.api_tokens``) also
signs a request in, through Flask-Login's ``request_loader``: such a request carries no cookie, so
it needs no CSRF token; the browser session still does (``X-CSRFToken``), see ``web.api.core``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from engine import Actor
from workflows.api_tokens import person_for_token
from workflows.login_guard import ThrottlePolicy, sign_in
from workflows.models import Person, Role
from workflows.people import actor_for
from workflows.user_sessions import end_session, person_for_session

from .db_session import get_session
from .errors import error_response, wants_json
from .i18n import t
from .services import services

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

# Endpoints anyone may open; everything else needs a signed-in person.
PUBLIC_ENDPOINTS = frozenset({"static", "report_stylesheet", "auth.login", "health.health", "vendor.asset",
                              "public.index", "public.publication", "public.feedback"})
# Probes and the Prometheus scrape: no session; /metrics checks its own bearer token (web.metrics).
PUBLIC_ENDPOINTS |= {"health.ready", "metrics.metrics"}
PUBLIC_PATH_PREFIX = "/public/"
API_PATH_PREFIX = "/api/"
# The API's description and its docs page: public, they hold no data.
PUBLIC_ENDPOINTS |= {"api-docs.openapi_json", "api_docs.docs"}

F = TypeVar("F", bound=Callable[..., Any])


class SignedInUser(UserMixin):
    """Flask-Login's view of a person signed in under one server-side session token."""

    def __init__(self, person: Person, token: str) -> None:
        self.person = person
        self.token = token

    def get_id(self) -> str:
        # What Flask-Login keeps in the cookie: the session token, never the person's id.
        return self.token

    @property
    def is_active(self) -> bool:
        return bool(self.person.active)


def init_app(app: Flask) -> None:
    """Install Flask-Login, the sign-in requirement and the auth pages on ``app``."""
    login_manager.init_app(app)
    app.before_request(_require_login)
    app.register_blueprint(bp)
    app.context_processor(lambda: {"signed_in": current_person_or_none()})


@login_manager.user_loader
def _load_user(token: str) -> SignedInUser | None:
    # None for an ended, expired or unknown session and for deactivated people. An API request that
    # carries a personal token is the token's alone (``_load_token_user``), whatever cookie comes with it.
    if request.path.startswith(API_PATH_PREFIX) and bearer_token() is not None:
        return None
    person = person_for_session(get_session(), token, at=_now(), max_age=_session_max_age())
    return SignedInUser(person, token) if person is not None else None


class TokenUser(SignedInUser):
    """A person signed in for one API request by a personal token (nothing is kept in the session)."""

    def get_id(self) -> str:
        return ""


@login_manager.request_loader
def _load_token_user(req: Any) -> SignedInUser | None:
    # Only API paths accept a token; a page never does (a token in a browser is no sign-in).
    if not req.path.startswith(API_PATH_PREFIX):
        return None
    token = bearer_token()
    if token is None:
        return None
    person = person_for_token(get_session(), token, now=_now())
    return TokenUser(person, "") if person is not None else None


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def signed_in_by_token() -> bool:
    """Whether this request's person came with a personal API token (not the browser session)."""
    return isinstance(current_user, TokenUser)  # the proxy passes isinstance through


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if wants_json():
        return error_response(401, t("error.401"))
    target = request.full_path.rstrip("?")
    return redirect(url_for("auth.login", next=target) if target not in ("/", "") else url_for("auth.login"))


def _require_login() -> Any:
    if request.endpoint is None:  # unknown URL or method: let it be a 404 / 405
        return None
    if request.endpoint in PUBLIC_ENDPOINTS or request.path.startswith(PUBLIC_PATH_PREFIX):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def current_person_or_none() -> Person | None:
    """The signed-in person, or ``None`` for anonymous requests."""
    if current_user.is_authenticated:
        return cast(SignedInUser, current_user).person
    return None


def current_person() -> Person:
    """The signed-in person (routes behind the sign-in requirement only)."""
    person = current_person_or_none()
    if person is None:
        abort(401)
    return person


def current_actor() -> Actor:
    """The signed-in person as the engine's ``Actor``, to pass into services."""
    return actor_for(current_person())


def role_required(*roles: Role | str) -> Callable[[F], F]:
    """Let only people with one of ``roles`` into the view; others get 403."""
    wanted = frozenset(Role(r) for r in roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            person = current_person_or_none()
            if person is None:
                return login_manager.unauthorized()
            if not person.roles & wanted:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/inbox?x=1``), else ``None``: no open redirects."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # browsers read "/\evil" as "//evil"; control characters hide schemes
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form; a refused attempt shows the form again with a message.

    A refused attempt is answered with status 200, not 401 or 429, on purpose: the
    request commits only below 400 (``db_session``), and the failure counter and its
    audit entries must be committed for the throttle to count at all.
    """
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("inbox.index"))
    failed = False
    locked_minutes = 0
    login_name = ""
    if request.method == "POST":
        login_name = request.form.get("login", "")
        now = _now()
        result = sign_in(
            get_session(), login_name, request.form.get("password", ""),
            address=request.remote_addr, at=now, policy=_policy(), session_max_age=_session_max_age(),
        )
        if result.person is not None and result.token is not None:
            login_user(SignedInUser(result.person, result.token))
            return redirect(next_url or url_for("inbox.index"))
        failed = True
        if result.locked_until is not None:
            locked_minutes = max(1, math.ceil((result.locked_until - now).total_seconds() / 60))
    return render_template(
        "auth/login.html", failed=failed, locked_minutes=locked_minutes, login_name=login_name, next_url=next_url
    )


@bp.post("/logout")
def logout() -> WerkzeugResponse:
    """End this sign-in on the server too, so a copy of the cookie is worth nothing."""
    if current_user.is_authenticated:
        end_session(get_session(), cast(SignedInUser, current_user).token)
    logout_user()
    return redirect(url_for("auth.login"))


def _now() -> datetime:
    # The app's one clock (tests hand in ENGINE_CLOCK and move it instead of sleeping).
    return services().workflow_engine.clock()


def _policy() -> ThrottlePolicy:
    config = current_app.config
    return ThrottlePolicy(
        account_failures=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        address_failures=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        window=timedelta(seconds=config["LOGIN_FAILURE_WINDOW_SECONDS"]),
        first_lockout=timedelta(seconds=config["LOGIN_LOCKOUT_SECONDS"]),
        max_lockout=timedelta(seconds=config["LOGIN_LOCKOUT_MAX_SECONDS"]),
    )


def _session_max_age() -> timedelta:
    return timedelta(seconds=current_app.config["SESSION_MAX_AGE_SECONDS"])
