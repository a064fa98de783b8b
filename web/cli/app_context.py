"""How a command reaches the app: the configured app's context and services, loaded once per command.

``rectiflow`` puts an ``AppLoader`` on the click context (see ``web.cli.main``); under
``flask --app web.app`` the app is already current, and ``app.test_cli_runner()`` hands it
over in Flask's ``ScriptInfo``. Either way a command reads the
same configuration as the web (web/config.py) and uses the app's services.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo

from web.services import Services, services

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


def pass_services(command: Callable[Concatenate[Services, P], R]) -> Callable[P, R]:
    """Call ``command`` with the app's services first; the app is loaded when the command runs."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return command(services(app_for(click.get_current_context())), *args, **kwargs)

    return run


def pass_app(command: Callable[Concatenate[Flask, P], R]) -> Callable[P, R]:
    """Call ``command`` with the app itself (e.g. to schedule its jobs)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return command(app_for(click.get_current_context()), *args, **kwargs)

    return run


def pass_serving_app(command: Callable[Concatenate[Flask, P], R]) -> Callable[P, R]:
    """Call ``command`` with the app it serves over HTTP."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return command(app_for(click.get_current_context(), serving=True), *args, **kwargs)

    return run


def setting(name: str) -> Any:
    """A setting of the current command's app (call inside a ``pass_services`` command)."""
    return current_app.config[name]
