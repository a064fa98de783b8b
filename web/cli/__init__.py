"""The ``rectiflow`` command line: one module per command group, one unit of work (one commit) per command.

Every command runs in the app ``create_app`` builds from the configuration (web/config.py:
defaults, ``instance/rectiflow.cfg``, ``RECTIFLOW_*``), so the command line and the web use the
same database and settings, and takes its database, sessions and workflow engine from the app's
services. The app is built only when a command runs: ``rectiflow --help`` needs no configuration,
and a bad setting is a one-line error. Nothing ever ends in a traceback: every failure is one
line and a non-zero exit (web/cli/failures.py), a bug included.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import click
from flask import Flask

from web.config import ConfigError

from .app_context import AppLoader
from .commands import COMMANDS, add_commands, init_app
from .failures import failures

__all__ = ["COMMANDS", "init_app", "main"]


class RectiflowGroup(click.Group):
    """A click group that gives each invocation an ``AppLoader`` for the configured app."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        """A fresh loader per invocation, so each run reads the configuration anew (like FlaskGroup)."""
        extra.setdefault("obj", AppLoader(create=_create_app))
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; whatever escapes it (even outside its own ``failures()``) is one line."""
        with failures():
            return super().invoke(ctx)


def _create_app(serving: bool) -> Flask:
    # web.app registers these commands on app.cli (web/cli/commands.py), so it is imported here,
    # when a command runs, and never at the top of the command-line package.
    from web.app import create_app

    with contextlib.ExitStack() as stack:
        if not serving:
            # Only a server signs people in; elsewhere a missing SECRET_KEY is not worth a warning.
            stack.enter_context(_quiet_logger("web.app"))
        try:
            return create_app()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@click.group(cls=RectiflowGroup)
def main() -> None:
    """Rectiflow 整改通: BPMN workflow for inspection rectification (巡察整改)."""


add_commands(main)
