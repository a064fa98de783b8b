"""The request's database session and the one place a request's work is committed.

Routes and services never commit: services flush, and the request commits here
once it has produced a successful response (status < 400). Any error response
or exception rolls the whole request back.

The commit runs inside dispatch, as indico's ``RH.process`` does: Flask sends
whatever ``preprocess_request`` and ``dispatch_request`` raise to the app's error
handlers, so a commit that loses a race (a stale version, a locked database)
becomes the same 409 with a plain message as a race the services noticed, not a
500. Side effects queued during the request (``after_commit``) run only once the
commit has succeeded. Teardown only rolls back what was not committed and closes.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from engine.side_effects import SideEffect, commit_then_run, side_effects

from .services import services

log = logging.getLogger(__name__)

_SESSION = "rectiflow_db_session"


class CommittingFlask(Flask):
    """Flask, ending each request's unit of work inside dispatch, where errors reach the handlers."""

    def preprocess_request(self) -> ResponseReturnValue | None:
        """Run the ``before_request`` hooks; a response one of them returns ends the unit of work."""
        rv = super().preprocess_request()
        return None if rv is None else _end_unit_of_work(self.make_response(rv))

    def dispatch_request(self) -> ResponseReturnValue:
        """Run the view, then commit if its response is a success (and run the side effects)."""
        return _end_unit_of_work(self.make_response(super().dispatch_request()))


def get_session() -> Session:
    """This request's session, opened on first use; do not commit or close it yourself."""
    session: Session | None = g.get(_SESSION)
    if session is None:
        session = services().session_factory()
        setattr(g, _SESSION, session)
    return session


def after_commit(effect: SideEffect) -> None:
    """Run ``effect`` once this request has committed; never if it rolls back or its commit fails.

    A failing effect is logged and does not change the response. Services that have
    no request use ``engine.side_effects.side_effects(session).add`` on the session they
    were handed, which is the same queue when that session is the request's.
    """
    side_effects(get_session()).add(effect)


def init_app(app: Flask) -> None:
    """Close the request's session at teardown; the app must be a ``CommittingFlask``."""
    if not isinstance(app, CommittingFlask):  # a plain Flask would never commit anything
        raise TypeError("the Rectiflow app must be a CommittingFlask")
    app.teardown_appcontext(_close)


def _end_unit_of_work(response: Response) -> Response:
    session: Session | None = g.get(_SESSION)
    if session is None:
        return response
    if response.status_code < 400:
        # A failure propagates to the error handlers (a lost race answers 409).
        commit_then_run(session)
    else:
        side_effects(session).discard()  # teardown rolls the work back
    return response


def _close(_exc: BaseException | None) -> None:
    session: Session | None = g.pop(_SESSION, None)
    if session is None:
        return
    side_effects(session).discard()  # an exception skipped the commit: nobody is told
    try:
        session.rollback()  # no-op after a commit; undoes failed or error requests
    except Exception:  # the connection may be gone; closing must still happen
        log.exception("rolling back the request session failed")
    finally:
        session.close()
