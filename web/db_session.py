"""The request's database session and the one place a request's work is committed.

Routes and services never commit: services flush, and the request commits here
once it has produced a successful response (status < 400). Any error response
or exception rolls the whole request back.

The commit runs as the last ``after_request`` step rather than at teardown:
teardown runs after the response is built, so a commit failing there (a lost
race, a constraint) could no longer change what the user is told. Committing
just before the response leaves makes such a failure an error response, and
teardown only rolls back whatever was not committed and closes the session.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g
from sqlalchemy.orm import Session

from .services import services

log = logging.getLogger(__name__)

_SESSION = "rectiflow_db_session"


def get_session() -> Session:
    """This request's session, opened on first use; do not commit or close it yourself."""
    session: Session | None = g.get(_SESSION)
    if session is None:
        session = services().session_factory()
        setattr(g, _SESSION, session)
    return session


def init_app(app: Flask) -> None:
    """Commit successful requests, roll back the others, always close."""
    # after_request functions run in reverse order of registration: registered
    # first here, the commit runs after every other after_request function.
    app.after_request(_commit_if_successful)
    app.teardown_appcontext(_close)


def _commit_if_successful(response: Response) -> Response:
    session: Session | None = g.get(_SESSION)
    if session is not None and response.status_code < 400:
        session.commit()  # a failure propagates and becomes an error response
    return response


def _close(_exc: BaseException | None) -> None:
    session: Session | None = g.pop(_SESSION, None)
    if session is None:
        return
    try:
        session.rollback()  # no-op after a commit; undoes failed or error requests
    except Exception:  # the connection may be gone; closing must still happen
        log.exception("rolling back the request session failed")
    finally:
        session.close()
