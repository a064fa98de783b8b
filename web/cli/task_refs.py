"""How a command names a task: by id (``17``) or ledger number (``2.2.1``, ``2.2``) with ``--round``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from engine import Actor
from workflows.task_lookup import parse_task_ref, task_for_number

from .rounds import chosen_round

F = TypeVar("F", bound=Callable[..., Any])


def task_argument(command: F) -> F:
    """The ``ID_OR_NUMBER`` argument and the ``--round`` option a ledger number is read in."""
    command = click.option("--round", "round_id", type=int,
                           help="the round a ledger number is in (default: the newest)")(command)
    return click.argument("task_ref", metavar="ID_OR_NUMBER")(command)


def resolve_task(session: Session, task_ref: str, round_id: int | None, actor: Actor | None) -> int:
    """The id of the task ``task_ref`` names for ``actor``: an id as it is (the engine checks it),
    a ledger number as the one open task it means (``workflows.task_lookup``)."""
    ref = parse_task_ref(task_ref)
    if ref.task_id is not None:
        return ref.task_id
    assert ref.number is not None
    return task_for_number(session, chosen_round(session, round_id), ref.number, actor).id
