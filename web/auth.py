"""Signing in and out, and who may see what.

Every page needs a signed-in person except the login page, ``/health``,
static files and ``/public/...``. The person is loaded through the request's
session; ``current_actor()`` is how routes hand the person to the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response as WerkzeugResponse

from engine import Actor
from workflows.models import Person, Role
from workflows.people import actor_for, authenticate, person_by_login

from .db_session import get_session
from .errors import error_response, wants_json
from .i18n import t

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

# Endpoints anyone may open; everything else needs a signed-in person.
PUBLIC_ENDPOINTS = frozenset({"static", "auth.login", "health.health"})
PUBLIC_PATH_PREFIX = "/public/"

F = TypeVar("F", bound=Callable[..., Any])


class SignedInUser(UserMixin):
    """Flask-Login's view of a person; the domain model stays free of web concerns."""

    def __init__(self, person: Person) -> None:
        self.person = person

    def get_id(self) -> str:
        return str(self.person.id)

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
def _load_user(user_id: str) -> SignedInUser | None:
    try:
        person = get_session().get(Person, int(user_id))
    except ValueError:
        return None
    if person is None or not person.active:  # deactivated people lose their open sessions
        return None
    return SignedInUser(person)


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
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("home.index"))
    failed = False
    login_name = ""
    if request.method == "POST":
        login_name = request.form.get("login", "")
        person = _authenticate(get_session(), login_name, request.form.get("password", ""))
        if person is not None:
            login_user(SignedInUser(person))
            return redirect(next_url or url_for("home.index"))
        failed = True
    return render_template("login.html", failed=failed, login_name=login_name, next_url=next_url)


@bp.post("/logout")
def logout() -> WerkzeugResponse:
    logout_user()
    return redirect(url_for("auth.login"))


def _authenticate(session: Session, login_name: str, password: str) -> Person | None:
    person = authenticate(session, login_name, password)
    if person is None:
        known = person_by_login(session, login_name.strip())
        if known is None or not known.active:
            # authenticate() returns early for unknown or inactive logins; hash anyway so the
            # response time does not tell which logins exist.
            check_password_hash(_dummy_hash(), password)
    return person


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password")
