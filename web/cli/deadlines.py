"""Deadline commands: ``extend`` (a leader approves a measure's deadline extension)."""

from __future__ import annotations

import click

from web.services import Services
from workflows.deadline_changes import extend
from workflows.deadlines import parse_date
from workflows.people import actor_by_login
from workflows.plan_import import measure_by_number

from .app_context import pass_services
from .failures import failures
from .rounds import chosen_round


@click.command("extend")
@click.argument("number")
@click.option("--deadline", required=True, help="the new 整改时限, YYYY-MM-DD (later than the current one)")
@click.option("--reason", required=True, help="why the extension is approved (延期理由)")
@click.option("--user", "login", required=True,
              help="the approving leader: the measure's responsible leader, or an administrator")
@click.option("--round", "round_id", type=int, help="round id (default: the newest)")
@pass_services
def extend_command(found: Services, number: str, deadline: str, reason: str, login: str,
                   round_id: int | None) -> None:
    """Extend the deadline of measure NUMBER (part.problem.measure, e.g. 3.2.1), approved by a leader.

    The ledger, the Excel sheet and the report show the new deadline with the original and the
    reason; a running lifecycle moves its deadline timer and open tasks.
    """
    with failures(), found.unit_of_work() as session:
        new = parse_date(deadline)
        actor = actor_by_login(session, login)
        measure = measure_by_number(chosen_round(session, round_id), number)
        change = extend(session, found.workflow_engine, measure, new, actor=actor, reason=reason,
                        number=number.strip())
        old = change.old_deadline.isoformat() if change.old_deadline else "未定"
    click.echo(f"measure {number.strip()}: deadline {old} → {new.isoformat()} (批准延期: {reason.strip()})")


COMMANDS: list[click.Command] = [extend_command]
