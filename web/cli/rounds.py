"""Rounds: ``rounds`` lists them; ``chosen_round`` is the one a command works on (``--round``, else the newest)."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.services import Services
from workflows.deadlines import china_date
from workflows.models import InspectionRound
from workflows.plans import get_round
from workflows.round_overview import round_overviews

from .app_context import pass_services
from .failures import fail, failures
from .tables import cut, table


def chosen_round(session: Session, round_id: int | None) -> InspectionRound:
    """Round ``round_id`` (the domain's NotFoundError if there is none), or the newest one."""
    if round_id is not None:
        return get_round(session, round_id)
    round_ = session.scalar(select(InspectionRound).order_by(InspectionRound.id.desc()).limit(1))
    if round_ is None:
        fail("no inspection round yet: run 'rectiflow import-plan FILE' or 'rectiflow demo' first")
    return round_


@click.command("rounds")
@pass_services
def rounds_command(found: Services) -> None:
    """List the inspection rounds, newest first (the one commands take without --round)."""
    with failures(), found.unit_of_work() as session:
        lines = [
            [str(o.round.id), cut(o.round.title, 24),
             o.round.inspected_unit.name if o.round.inspected_unit else "-", o.round.inspecting_group or "-",
             str(o.problems), str(o.measures), f"{o.measures_done}/{o.measures}", f"{o.problems_closed}/{o.problems}",
             str(o.open_tasks), china_date(o.round.created_at).isoformat()]
            for o in round_overviews(session)
        ]
    table(["轮次", "标题", "被巡察单位", "巡察组", "问题", "措施", "措施完成", "问题销号", "待办任务", "创建"], lines)


COMMANDS: list[click.Command] = [rounds_command]
