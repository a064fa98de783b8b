"""Which inspection round a command works on: the one given with ``--round``, else the newest."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import InspectionRound
from workflows.plans import get_round

from .failures import fail


def chosen_round(session: Session, round_id: int | None) -> InspectionRound:
    """Round ``round_id`` (the domain's NotFoundError if there is none), or the newest one."""
    if round_id is not None:
        return get_round(session, round_id)
    round_ = session.scalar(select(InspectionRound).order_by(InspectionRound.id.desc()).limit(1))
    if round_ is None:
        fail("no inspection round yet: run 'rectiflow import-plan FILE' or 'rectiflow demo' first")
    return round_


COMMANDS: list[click.Command] = []
