"""How a command reaches the app: the configured app's context and services, loaded once per command.

``rectiflow`` puts an ``AppLoader`` on the click context (see ``web.cli.main``); under
``flask --app web.app`` the app is already current, and ``app.test_cli_runner()`` hands it
over in Flask's ``ScriptInfo``. Either way a command reads the
same configuration as the web (web/config.py) and uses the app's services.

Each command runs inside ``failures()``, so nothing it raises reaches the user as a traceback,
and checks the database before its first unit of work: reachable, initialised, and at the
schema revision this code needs (``check_database``). ``serve`` and ``scheduler`` check at once,
before they start; ``init-db`` and ``demo``, which create or upgrade the schema, never do
(``pass_schema_services``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from web.services import Services, services
from workflows.schema import schema_state

from .failures import fail, failures, not_initialised, schema_problem, sqlite_file

P = ParamSpec("P")
R = TypeVar("R")

@dataclass
class AppLoader:
    """Builds the app for a command; ``create(serving)`` raises ``click.ClickException`` on a bad setting."""

    create: Callable[[bool], Flask]


def app_for(ctx: click.Context, *, serving: bool = False) -> Flask:
    """The app this command runs in, with its app context pushed until the command ends.

    ``serving``: the command serves web pages (its app warns about a missing SECRET_KEY).
    """
    if current_app:
        return current_app._get_current_object()  # type: ignore[attr-defined]
    loader = ctx.find_object(AppLoader)
    if loader is not None:
        app = loader.create(serving)
        # This command built the app: close its pool's connections when it ends, whatever happens.
        ctx.call_on_close(services(app).db_engine.dispose)
    else:
        info = ctx.find_object(ScriptInfo)  # Flask's own runners (app.test_cli_runner) hand over the app
        if info is None:
            raise click.UsageError("run this command as 'rectiflow COMMAND' or 'flask --app web.app COMMAND'")
        app = info.load_app()
    ctx.with_resource(app.app_context())
    return app


def check_database(db_engine: Engine) -> None:
    """Stop the command with one line unless the database can be reached and holds the schema this
    code needs: one connection, one or two queries. A missing SQLite file is not created."""
    path = sqlite_file(db_engine.url)
    if path is not None and not path.exists():
        fail(not_initialised(db_engine.url))
    with failures(db_engine.url), db_engine.connect() as connection:
        state = schema_state(connection)
    problem = schema_problem(state, db_engine.url)
    if problem is not None:
        fail(problem)


@dataclass(frozen=True)
class CheckedServices(Services):
    """The app's services, whose units of work first check the database (``check_database``).

    The check waits for the first unit of work, so a command that needs no database
    (``import-plan --dry-run``, a refused argument) neither touches nor creates one.
    """

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """``Services.unit_of_work`` on a database found fit for this code."""
        check_database(self.db_engine)
        with super().unit_of_work() as session:
            yield session


def pass_services(command: Callable[Concatenate[Services, P], R]) -> Callable[P, R]:
    """Call ``command`` with the app's services first, their units of work on a database found fit
    for this code (``check_database``); the app is loaded when the command runs."""
    return _with_services(command, checked=True)


def pass_schema_services(command: Callable[Concatenate[Services, P], R]) -> Callable[P, R]:
    """``pass_services`` for the commands that create or upgrade the schema themselves (``init-db``,
    ``demo``): the only ones that run on a database that is missing, empty or behind."""
    return _with_services(command, checked=False)


def _with_services(command: Callable[Concatenate[Services, P], R], *, checked: bool) -> Callable[P, R]:
    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with failures():
            found = services(app_for(click.get_current_context()))
            if checked:
                found = CheckedServices(**{f.name: getattr(found, f.name) for f in dataclasses.fields(found)})
            return command(found, *args, **kwargs)

    run.checks_schema = checked  # type: ignore[attr-defined]  # read by the command-line failure tests
    return run


def pass_app(command: Callable[Concatenate[Flask, P], R]) -> Callable[P, R]:
    """Call ``command`` with the app itself (e.g. to schedule its jobs), once its database is found fit."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with failures():
            app = app_for(click.get_current_context())
            check_database(services(app).db_engine)
            return command(app, *args, **kwargs)

    return run


def pass_serving_app(command: Callable[Concatenate[Flask, P], R]) -> Callable[P, R]:
    """Call ``command`` with the app it serves over HTTP, once its database is found fit."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with failures():
            app = app_for(click.get_current_context(), serving=True)
            check_database(services(app).db_engine)
            return command(app, *args, **kwargs)

    return run


def setting(name: str) -> Any:
    """A setting of the current command's app (call inside a ``pass_services`` command)."""
    return current_app.config[name]
