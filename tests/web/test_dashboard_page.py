"""The dashboard page (``/dashboard``) without JavaScript: the figures of a round whose answer is known,
each linked to the filtered ledger behind it; the same figures in the charts' data block; the round
selector; a leader's own share; bad round parameters; Chinese first, English with ``?lang=en``.

The round is ``tests/workflows/test_dashboard.known_round`` on 2026-02-20: 4 problems and 6 measures,
1.1 closed on 2026-02-10 (1 problem and 2 measures done), 2.1.2 overdue, 2.1.1 and 2.2.1 due soon.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock
from web.services import services
from workflows.models import Role
from workflows.people import create_person
from workflows.plans import add_measure, add_part, add_problem, create_round

from ..conftest import START
from ..workflows.test_dashboard import known_round
from .authorisation_world import sign_in
from .conftest import PASSWORD, make_test_app


@dataclass
class Desk:
    app: Flask
    round_id: int
    part_ids: list[int]

    def client(self, login: str) -> FlaskClient:
        client = self.app.test_client()
        sign_in(client, login)
        return client


@pytest.fixture
def desk(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Desk:
    clock = FixedClock(START)
    app = make_test_app(db_engine, ENGINE_CLOCK=clock)
    found = services(app)
    with found.unit_of_work() as session:
        world = known_round(session, found.workflow_engine, clock)
        return Desk(app, world.plan.round.id, [p.id for p in world.plan.round.parts])


def page(client: FlaskClient, url: str = "/dashboard") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert found, name
    return found.group(1)


def data_block(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.DOTALL)
    assert found
    loaded: dict[str, object] = json.loads(found.group(1))
    return loaded


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_supervision_sees_the_known_figures_each_linked_to_its_ledger(desk: Desk) -> None:
    html = page(desk.client("sup1"))
    rid = desk.round_id
    first, second = desk.part_ids
    assert [figure(html, n) for n in ("problem-rate", "measure-rate", "overdue", "due-soon", "closed-this-month")] \
        == ["25%", "33%", "1", "2", "1"]
    shown = text(html)
    assert "已完成 1 个 / 共 4 个" in shown and "已完成 2 项 / 共 6 项" in shown and "统计截至 2026-02-20" in shown
    for link in (f"/ledger?round={rid}&amp;colour=red", f"/ledger?round={rid}&amp;colour=yellow",
                 f"/ledger?round={rid}&amp;status=closed", f"/ledger?round={rid}&amp;part={first}",
                 f"/ledger?round={rid}&amp;part={second}&amp;colour=red",
                 f"/ledger?round={rid}&amp;part={second}&amp;colour=yellow",
                 f"/ledger?round={rid}&amp;unit=U2&amp;colour=red", f"/ledger?round={rid}&amp;unit=U1",
                 f"/ledger?round={rid}&amp;status=pending", f"/ledger?round={rid}&amp;status=overdue"):
        assert f'href="{link}"' in html, link
    # the tables: part 2 has 0 of 2 problems and 0 of 3 measures done, 1 overdue and 2 due soon
    row = re.search(r'<tr>\s*<th scope="row" class="dash-label"><a [^>]*>全面从严治党方面</a>.*?</tr>', html, re.DOTALL)
    assert row and text(row.group(0)) == "全面从严治党方面 0 / 2 0 / 3 0% 1 2"
    assert re.search(r"待整改</a></th>\s*<td class=\"num\">2<", html)


def test_the_charts_data_block_carries_the_same_figures_and_links(desk: Desk) -> None:
    data = data_block(page(desk.client("sup1")))
    rid = desk.round_id
    parts = data["parts"]
    assert isinstance(parts, list) and [p["values"] for p in parts] == [
        {"done": 2, "green": 0, "blue": 1, "yellow": 0, "red": 0},
        {"done": 0, "green": 0, "blue": 0, "yellow": 2, "red": 1}]
    assert parts[1]["urls"]["red"] == f"/ledger?round={rid}&part={desk.part_ids[1]}&colour=red"
    assert parts[0]["urls"]["done"] == f"/ledger?round={rid}&part={desk.part_ids[0]}&status=done"
    assert [(u["label"], u["url"]) for u in data["units"]] == [  # type: ignore[attr-defined]
        ("综治科", f"/ledger?round={rid}&unit=U1"), ("办公室", f"/ledger?round={rid}&unit=U2")]
    assert [(s["key"], s["value"]) for s in data["statuses"]] == [  # type: ignore[attr-defined]
        ("pending", 2), ("closed", 1), ("overdue", 1)]
    trend = data["trend"]
    assert isinstance(trend, dict) and trend["name"] == "每周销号问题数"
    assert [(p["label"], p["value"]) for p in trend["points"]][-2:] == [("02-09", 1), ("02-16", 0)]


def test_a_leader_sees_only_their_own_share(desk: Desk) -> None:
    html = page(desk.client("leader2"))  # 陈副书记: 2.1 and 2.2
    assert [figure(html, n) for n in ("problem-rate", "measure-rate", "overdue", "due-soon", "closed-this-month")] \
        == ["0%", "0%", "1", "2", "0"]
    assert "仅统计您可查看的问题和措施。" in html and "党的领导方面" not in html


def test_the_round_selector_picks_a_round_and_refuses_what_is_not_there(desk: Desk) -> None:
    with services(desk.app).unit_of_work() as session:
        round_ = create_round(session, title="区委第三巡察组</script><script>alert(1)</script>", at=START)
        problem = add_problem(session, add_part(session, round_, "作风建设方面"), "会风文风不实")
        add_measure(session, problem, "精简会议文件")
        newest = round_.id
    client = desk.client("sup1")
    html = page(client)  # the newest round by default: not launched, nothing done yet
    assert re.search(rf'<option value="{newest}" selected>', html) and figure(html, "problem-rate") == "0%"
    assert "<script>alert(1)" not in html and "&lt;/script&gt;&lt;script&gt;alert(1)" in html
    html = page(client, f"/dashboard?round={desk.round_id}")
    assert re.search(rf'<option value="{desk.round_id}" selected>', html) and figure(html, "problem-rate") == "25%"
    for bad in ("abc", "-1", "1" * 40, str(newest + 100)):
        response = client.get(f"/dashboard?round={bad}")
        assert response.status_code == 404, bad
    assert "找不到该巡察轮次" in client.get(f"/dashboard?round={newest + 100}").get_data(as_text=True)


def test_english_and_an_empty_dashboard(desk: Desk) -> None:
    html = page(desk.client("sup1"), "/dashboard?lang=en")
    assert "Progress by part" in html and "Closed this month" in html and "Problems closed per week" in html
    html = page(desk.client("leader1"), "/dashboard")
    assert figure(html, "closed-this-month") == "1"
    with services(desk.app).unit_of_work() as session:
        create_person(session, login="leader9", name="周主任", password=PASSWORD, roles=[Role.LEADER])
    assert "暂无可统计的巡察轮次" in page(desk.client("leader9"))
