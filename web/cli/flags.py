"""Flagged supervision (挂牌督办) commands: ``flag``, ``unflag`` and ``flags`` (the list apart).

The rules are ``workflows.flags``'s: supervision (督查) or an administrator; a reason; a 督办时限
from today up to the problem's latest measure deadline; one active flag a problem.
"""

from __future__ import annotations

import click

from web.config import warning_window_days
from web.services import Services
from workflows.deadlines import china_date, parse_date
from workflows.flags import flag, problem_by_number, problem_number, round_flags, unflag
from workflows.history import people_names
from workflows.models import ProblemFlag
from workflows.people import actor_by_login
from workflows.plans import round_problems
from workflows.status import derive
from workflows.warnings import flag_warning, warning_text

from .app_context import pass_services
from .failures import failures
from .rounds import chosen_round
from .tables import cut, table


@click.command("flag")
@click.argument("number")
@click.option("--reason", required=True, help="why the problem is flagged (督办理由)")
@click.option("--deadline", required=True,
              help="the 督办时限, YYYY-MM-DD: today or later, no later than the problem's latest measure deadline")
@click.option("--user", "login", required=True, help="who flags it: supervision (督查) or an administrator")
@click.option("--round", "round_id", type=int, help="round id (default: the newest)")
@pass_services
def flag_command(found: Services, number: str, reason: str, deadline: str, login: str, round_id: int | None) -> None:
    """Flag problem NUMBER (part.problem, e.g. 2.1) for supervision (挂牌督办) with a reason and a
    tighter deadline (督办时限). The ledger marks it 【挂牌】, ``flags`` lists it, the audit log and the
    problem's history record it."""
    with failures(), found.unit_of_work() as session:
        day = parse_date(deadline)
        actor = actor_by_login(session, login)
        problem = problem_by_number(session, chosen_round(session, round_id), number)
        flagged = flag(session, problem, reason=reason, deadline=day, actor=actor,
                       at=found.workflow_engine.clock())
        line = (f"problem {problem_number(problem)} flagged (挂牌督办): 督办时限 {flagged.deadline.isoformat()}, "
                f"reason: {flagged.reason}")
    click.echo(line)


@click.command("unflag")
@click.argument("number")
@click.option("--reason", required=True, help="why the flag is lifted")
@click.option("--user", "login", required=True, help="who lifts it: supervision (督查) or an administrator")
@click.option("--round", "round_id", type=int, help="round id (default: the newest)")
@pass_services
def unflag_command(found: Services, number: str, reason: str, login: str, round_id: int | None) -> None:
    """Lift the flag (挂牌督办) of problem NUMBER (e.g. 2.1), with a reason."""
    with failures(), found.unit_of_work() as session:
        actor = actor_by_login(session, login)
        problem = problem_by_number(session, chosen_round(session, round_id), number)
        cleared = unflag(session, problem, actor=actor, at=found.workflow_engine.clock(), reason=reason)
        line = (f"problem {problem_number(problem)} unflagged (督办时限 was {cleared.deadline.isoformat()}): "
                f"{cleared.clear_reason}")
    click.echo(line)


@click.command("flags")
@click.option("--round", "round_id", type=int, help="round id (default: the newest)")
@click.option("--all", "show_all", is_flag=True, help="also the flags lifted since (with who lifted them and why)")
@pass_services
def flags_command(found: Services, round_id: int | None, show_all: bool) -> None:
    """List the flagged problems (挂牌督办) of a round: number, title, reason, 督办时限 with its days
    left and warning colour (红 overdue, 黄 within WARNING_WINDOW_DAYS, 绿 before), who flagged it
    and when."""
    with failures(), found.unit_of_work() as session:
        now, window = found.workflow_engine.clock(), warning_window_days()
        round_ = chosen_round(session, round_id)
        flags = round_flags(session, round_, include_cleared=show_all)
        problems = {p.id: p for p in round_problems(round_)}
        states = derive(session, [problems[f.problem_id] for f in flags])
        names = people_names(session, {f.flagged_by for f in flags} | {f.cleared_by for f in flags if f.cleared_by})
        rows = []
        for f in flags:
            problem = problems[f.problem_id]
            active = f.cleared_at is None
            warning = flag_warning(f.deadline, states[problem.id].status, now, window_days=window)
            row = [problem_number(problem), cut(problem.title, 16), cut(f.reason, 20), f.deadline.isoformat(),
                   warning_text(warning) if active else "—", names.get(f.flagged_by, f.flagged_by),
                   china_date(f.flagged_at).isoformat()]
            if show_all:
                row.append("督办中" if active else _lifted(f, names))
            rows.append(row)
        title = round_.title
    click.echo(f"{title}：挂牌督办")
    header = ["问题", "标题", "督办理由", "督办时限", "预警", "挂牌人", "挂牌时间"]
    table(header + (["状态"] if show_all else []), rows)


def _lifted(lifted: ProblemFlag, names: dict[str, str]) -> str:
    """``已撤销（赵督查，2027-04-02：已按期整改）``."""
    by = names.get(lifted.cleared_by or "", lifted.cleared_by or "")
    day = china_date(lifted.cleared_at).isoformat() if lifted.cleared_at else ""
    return f"已撤销（{by}，{day}：{lifted.clear_reason or ''}）"


COMMANDS: list[click.Command] = [flag_command, unflag_command, flags_command]
