"""Realistic inbox data in bulk for bench/inbox_http.py: rounds, parts, problems, measures, people,
instances and their human tasks, written with Core ``insert`` executemany (no lifecycles run).

The shape follows what the real diagram leaves behind (``bpmn/rectification.bpmn``): a problem in
rectification has, per measure, an officer's submit task offered to the measure's unit (some
claimed) or the leader's approval task named for that leader with the officer's submission done;
a problem past its measures waits for supervision (verify, long-term follow-up, look-back), with
the measures' completed tasks behind it. Task names, stages, forms, item keys and candidates are
the diagram's own; deadlines fall from a month ago to half a year ahead.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Engine
from werkzeug.security import generate_password_hash

from engine import HumanTask, ProcessInstance, WorkflowEngine
from engine.db import make_session_factory
from workflows.deadlines import CHINA, NO_DEADLINE, end_of_day_utc
from workflows.models import InspectionRound, Measure, Part, Person, Problem, Unit, measure_unit
from workflows.schema import deploy_bundled

PASSWORD = "bench-password"
UNIT_NAMES = ["办公室", "组织科", "宣传科", "综治科", "财务科", "人事科", "法制科", "信访科", "督查室", "机关党委"]
PART_TITLES = ["党的领导方面", "全面从严治党方面", "党的建设方面", "巡察整改落实方面", "意识形态工作方面"]
PROBLEM_TITLES = ["理论学习不够深入，学用结合不紧", "意识形态责任制落实不到位", "财务管理不规范，经费审核不严",
                  "“三重一大”决策制度执行不严格", "基层党组织建设薄弱", "选人用人工作不够规范",
                  "落实中央八项规定精神有差距", "信访积案化解不力"]
MEASURE_TEXTS = ["每两个月组织一次中心组集中学习，建立学习台账，逐次登记。", "修订完善议事规则，重大事项集体研究决定。",
                 "加大对经费用途的审核，严格执行报销审批流程。", "开展专项检查，对发现的问题逐项整改、建立台账。",
                 "落实“第一议题”制度，定期通报学习情况。", "组织专题培训，提升干部业务能力和纪律意识。"]
# (bpmn id, name, stage, form, lane) of the diagram's user tasks.
SUBMIT = ("Task_submit_progress", "报送整改进展与佐证材料 Submit progress and evidence", "measure_submit",
          "measure_progress", "officer")
APPROVE = ("Task_approve_measure", "审批整改措施 Approve the measure", "measure_approve", "measure_review", "leader")
VERIFY = ("Task_verify", "逐项核实 Verify", "verify", "verification", "supervision")
CLOSE = ("Task_close_long_term", "长期整改跟踪与销号 Follow up and close", "close_long_term", "long_term_close",
         "supervision")
REPORT = ("Task_periodic_report", "报送长期整改进展 Periodic progress report", "long_term_report",
          "periodic_report", "officer")
LOOKBACK = ("Task_lookback", "回头看 Look-back review", "lookback", "lookback", "supervision")


@dataclass
class BenchData:
    """What was generated, and whom to sign in as."""

    officer: str  # an officer of the first unit
    supervisor: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Rows:
    units: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)
    measure_units: list[dict[str, Any]] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)


def generate(db: Engine, *, problems: int, now: datetime, seed: int = 8) -> BenchData:
    """Fill an empty schema with ``problems`` running problems (about three open tasks each)."""
    rng = random.Random(seed)
    with make_session_factory(db).begin() as session:
        deploy_bundled(session, WorkflowEngine(clock=lambda: now), actor="bench")
        definition_id = WorkflowEngine(clock=lambda: now).latest_definition(session, "rectification").id
    rows = _Rows()
    units = _people(rows, unit_count=40)
    _plan(rows, rng, problems=problems, units=units, now=now, definition_id=definition_id)
    tables: list[tuple[Table, list[dict[str, Any]]]] = [
        (_table(Unit), rows.units), (_table(Person), rows.people), (_table(InspectionRound), rows.rounds),
        (_table(Part), rows.parts), (_table(ProcessInstance), rows.instances), (_table(Problem), rows.problems),
        (_table(Measure), rows.measures), (measure_unit, rows.measure_units), (_table(HumanTask), rows.tasks),
    ]
    with db.begin() as conn:
        for table, values in tables:
            for chunk in _chunks(values, 5000):
                conn.execute(insert(table), chunk)
    open_tasks = sum(task["status"] == "open" for task in rows.tasks)
    return BenchData(officer="U01-officer1", supervisor="ducha1", counts={
        "problems": len(rows.problems), "measures": len(rows.measures), "open tasks": open_tasks,
        "completed tasks": len(rows.tasks) - open_tasks, "units": len(rows.units), "people": len(rows.people)})


def _people(rows: _Rows, *, unit_count: int) -> list[tuple[int, str, list[str], str]]:
    """Units with three officers and a leader each; five supervisors. Returns (id, code, officers, leader)."""
    password_hash = generate_password_hash(PASSWORD)
    units = []
    for n in range(1, unit_count + 1):
        code = f"U{n:02d}"
        rows.units.append({"id": n, "code": code, "name": f"{UNIT_NAMES[n % len(UNIT_NAMES)]}（{n}）"})
        officers = [f"{code}-officer{i}" for i in (1, 2, 3)]
        for i, login in enumerate(officers, start=1):
            rows.people.append(_person(len(rows.people) + 1, login, f"经办人{code}-{i}", "officer", n, password_hash))
        leader = f"{code}-leader"
        rows.people.append(_person(len(rows.people) + 1, leader, f"领导{code}", "leader", n, password_hash))
        units.append((n, code, officers, leader))
    for i in range(1, 6):
        rows.people.append(_person(len(rows.people) + 1, f"ducha{i}", f"督查{i}", "supervision", None, password_hash))
    return units


def _person(pid: int, login: str, name: str, role: str, unit_id: int | None, password_hash: str) -> dict[str, Any]:
    return {"id": pid, "login": login, "name": name, "password_hash": password_hash, "unit_id": unit_id,
            "roles": role, "active": True}


def _plan(rows: _Rows, rng: random.Random, *, problems: int, units: list[tuple[int, str, list[str], str]],
          now: datetime, definition_id: int) -> None:
    per_round = 500  # 20 rounds of 5 parts of 100 problems for 10,000 problems
    for number in range(problems):
        round_index, in_round = divmod(number, per_round)
        part_index, ordinal = divmod(in_round, per_round // len(PART_TITLES))
        if in_round == 0:
            rows.rounds.append({"id": round_index + 1, "title": f"第{round_index + 1}轮巡察反馈意见整改",
                                "inspecting_group": "区委第二巡察组", "contacts": {}, "sections": {},
                                "created_at": now - timedelta(days=120)})
        if ordinal == 0:
            rows.parts.append({"id": len(rows.parts) + 1, "round_id": round_index + 1, "ordinal": part_index + 1,
                               "title": PART_TITLES[part_index]})
        unit_id, code, officers, leader = units[rng.randrange(len(units))]
        problem_id = number + 1
        instance_id = problem_id
        created = now - timedelta(days=rng.randint(20, 120), minutes=rng.randint(0, 1440))
        long_term = rng.random() < 0.05
        rows.instances.append({"id": instance_id, "definition_id": definition_id,
                               "business_key": f"problem:{problem_id}", "status": "running", "state": "{}",
                               "data": {}, "created_at": created, "updated_at": created,
                               "version": uuid.uuid4().hex})
        rows.problems.append({"id": problem_id, "part_id": len(rows.parts), "ordinal": ordinal + 1,
                              "title": f"{rng.choice(PROBLEM_TITLES)}（{problem_id}）", "long_term": long_term,
                              "lookback_months": 6, "report_interval_months": 1, "publishable": True,
                              "lead_unit_id": unit_id, "instance_id": instance_id})
        measure_ids = []
        for m in range(1, rng.randint(2, 5) + 1):
            measure_id = len(rows.measures) + 1
            deadline = None if long_term else (now + timedelta(days=rng.randint(-30, 180))).astimezone(CHINA).date()
            rows.measures.append({"id": measure_id, "problem_id": problem_id, "ordinal": m,
                                  "text": rng.choice(MEASURE_TEXTS), "deadline": deadline,
                                  "deadline_text": _deadline_text(deadline)})
            rows.measure_units.append({"measure_id": measure_id, "unit_id": unit_id})
            measure_ids.append((measure_id, deadline))
        _tasks(rows, rng, instance_id, problem_id, measure_ids, code, officers, leader, created, long_term)


def _tasks(rows: _Rows, rng: random.Random, instance_id: int, problem_id: int, measures: list[tuple[int, date | None]],
           code: str, officers: list[str], leader: str, created: datetime, long_term: bool) -> None:
    def add(spec: tuple[str, str, str, str, str], *, item: str, unit: str | None, user: str | None = None,
            due: datetime | None = None, assignee: str | None = None, done_by: str | None = None) -> None:
        bpmn_id, name, stage, form, lane = spec
        at = created + timedelta(hours=rng.randint(1, 400))
        rows.tasks.append({
            "instance_id": instance_id, "task_guid": str(uuid.uuid4()), "process_key": "rectification",
            "bpmn_id": bpmn_id, "name": name, "lane": lane, "candidate_group": lane, "candidate_unit": unit,
            "candidate_user": user, "assignee": assignee or done_by, "business_key": f"problem:{problem_id}",
            "item_key": item, "form_key": form, "stage": stage,
            "due_at": due,
            "status": "completed" if done_by else "open", "data": None, "created_at": at,
            "claimed_at": at if assignee or done_by else None,
            "completed_at": at + timedelta(days=2) if done_by else None, "completed_by": done_by})

    roll = rng.random()
    past_measures = roll >= 0.80  # the rest wait for supervision, with the measures' work done behind them
    for measure_id, deadline in measures:
        item = f"measure:{measure_id}"
        # The diagram's ``due`` of measure steps: the deadline, or the far-off stand-in for none.
        due = end_of_day_utc(deadline) if deadline else datetime.fromisoformat(NO_DEADLINE)
        officer = rng.choice(officers)
        if past_measures or rng.random() < 0.35:
            add(SUBMIT, item=item, unit=code, due=due, done_by=officer)
            if past_measures:
                add(APPROVE, item=item, unit=code, user=leader, due=due, done_by=leader)
            else:
                add(APPROVE, item=item, unit=code, user=leader, due=due,
                    assignee=leader if rng.random() < 0.5 else None)
        else:
            add(SUBMIT, item=item, unit=code, due=due, assignee=officer if rng.random() < 0.3 else None)
    if not past_measures:
        return
    item = f"problem:{problem_id}"
    supervisor = f"ducha{rng.randint(1, 5)}" if rng.random() < 0.2 else None
    if long_term:
        add(CLOSE, item=item, unit=None, assignee=supervisor)
        add(REPORT, item=item, unit=code)
    elif roll < 0.95:
        add(VERIFY, item=item, unit=None, assignee=supervisor)
    else:
        add(LOOKBACK, item=item, unit=None, assignee=supervisor)


def _deadline_text(deadline: date | None) -> str:
    return f"{deadline.year}年{deadline.month}月底前" if deadline else "长期坚持"


def _table(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def _chunks(values: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
