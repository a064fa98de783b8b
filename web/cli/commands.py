"""Every ``rectiflow`` command, and ``init_app`` which registers them on an app's ``app.cli``.

``create_app`` calls ``init_app``, so ``flask --app web.app COMMAND`` runs the same
commands in that app; ``rectiflow`` (``web.cli.main``) holds them too and builds the
app only when a command runs. This module never imports ``web.app``.
"""

from __future__ import annotations

import click
from flask import Flask

from . import (
    backup,
    config_check,
    database,
    deadlines,
    demo,
    flags,
    incidents,
    ledger,
    migrate_data,
    people,
    plans,
    processes,
    reminders,
    rounds,
    serve,
    tasks,
    timers,
)

COMMANDS: list[click.Command] = [
    *database.COMMANDS,
    *demo.COMMANDS,
    *people.COMMANDS,
    *rounds.COMMANDS,
    *tasks.COMMANDS,
    *deadlines.COMMANDS,
    *timers.COMMANDS,
    *incidents.COMMANDS,
    *reminders.COMMANDS,
    *flags.COMMANDS,
    *ledger.COMMANDS,
    *plans.COMMANDS,
    *processes.COMMANDS,
    *serve.COMMANDS,
    *config_check.COMMANDS,
    *backup.COMMANDS,
    *migrate_data.COMMANDS,
]


def add_commands(group: click.Group) -> None:
    """Add every command to ``group``; adding them again changes nothing."""
    for command in COMMANDS:
        group.add_command(command)


def init_app(app: Flask) -> None:
    """Register the command line on ``app`` (``app.cli``), as Flask's tutorial does."""
    add_commands(app.cli)
