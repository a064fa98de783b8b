"""The inbox at ``/`` as people use it: tabs, rows, filters, paging, colours, claiming, the badge."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock

from .conftest import AuthActions, make_test_app
from .plan_helpers import RunningPlan, add_running_problem, claim_as, complete_as, open_tasks, running_plan

LATE_MARCH = datetime(2026, 3, 25, 1, 0, tzinfo=UTC)  # 25 March, 09:00 in China


@pytest.fixture
def plan(committing_sessions: sessionmaker[Session], clock: FixedClock) -> RunningPlan:
    return running_plan(committing_sessions, clock)


@pytest.fixture
def app(db_engine: Engine, plan: RunningPlan, clock: FixedClock) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=clock)


def signed_in(app: Flask, sessions: sessionmaker[Session], login: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client, sessions).login(login).status_code == 302
    return client


def html(client: FlaskClient, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def counts(page: str) -> dict[str, int]:
    return {tab: int(n) for tab, n in re.findall(r'data-tab="(\w+)">(\d+)<', page)}


def badge(page: str) -> int | None:
    found = re.search(r'class="nav-badge[^"]*"[^>]*>(\d+)<', page)
    return int(found.group(1)) if found else None


def rows(page: str) -> list[str]:
    """Each row's text, tags stripped and spaces squeezed."""
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r'<tr class="task-row.*?</tr>', page, re.DOTALL)]


def test_tabs_and_rows_show_what_is_mine_and_what_i_may_claim(app, committing_sessions, plan):
    officer = signed_in(app, committing_sessions, "officer1")
    mine = html(officer)
    assert counts(mine) == {"mine": 0, "claimable": 3, "done": 0}
    assert "您目前没有待办任务" in mine and badge(mine) == 0
    claimable = html(officer, "/?tab=claimable")
    step = "报送整改进展与佐证材料 综治科"
    assert rows(claimable) == [
        f"1.1 理论学习不够深入 措施1 每两个月组织一次中心组集中学习 {step} 2026-03-31 剩 85 天 待领取 领取",
        f"1.1 理论学习不够深入 措施2 建立学习台账，逐次登记。 {step} 2026-06-30 剩 176 天 待领取 领取",
        f"1.2 意识形态责任制虚化 措施1 落实“第一议题”制度 {step} 长期整改 待领取 领取",
    ]
    # The other unit's officer sees their own unit's measures only.
    assert counts(html(signed_in(app, committing_sessions, "officer2"))) == {"mine": 0, "claimable": 2, "done": 0}


def test_claim_and_release_in_one_click(app, committing_sessions, plan):
    officer = signed_in(app, committing_sessions, "officer1")
    task = open_tasks(committing_sessions, unit="U1")[0]
    claimed = officer.post(f"/tasks/{task.id}/claim", data={"next": "/?tab=claimable"})
    assert (claimed.status_code, claimed.location) == (302, "/?tab=claimable")
    back = html(officer, "/?tab=claimable")
    assert "已领取“报送整改进展与佐证材料”" in back
    assert counts(back) == {"mine": 1, "claimable": 2, "done": 0} and badge(back) == 1
    mine = html(officer)
    assert f'href="/tasks/{task.id}"' in mine and "王晓明" in rows(mine)[0] and "办理" in rows(mine)[0]
    released = officer.post(f"/tasks/{task.id}/unclaim", data={"next": "https://evil.example/"})
    assert released.location == "/"  # only paths on this site are followed
    after = html(officer)
    assert "其他人现在可以领取" in after and counts(after)["claimable"] == 3 and badge(after) == 0


def test_a_claim_lost_to_a_colleague_names_the_winner(app, committing_sessions, plan, clock):
    officer = signed_in(app, committing_sessions, "officer1")
    html(officer, "/?tab=claimable")  # the list as the officer saw it...
    task = open_tasks(committing_sessions, unit="U1")[0]
    claim_as(committing_sessions, clock, task.id, "officer3")  # ...before a colleague was quicker
    lost = officer.post(f"/tasks/{task.id}/claim", data={"next": "/?tab=claimable"})
    assert lost.status_code == 302
    page = html(officer, "/?tab=claimable")
    assert "该任务已被孙丽领取。" in page and counts(page) == {"mine": 0, "claimable": 2, "done": 0}
    assert open_tasks(committing_sessions, assignee="officer3")[0].id == task.id
    # Releasing it is the holder's alone; the answer names them too.
    officer.post(f"/tasks/{task.id}/unclaim")
    assert "该任务由孙丽办理，只有本人可以退回。" in html(officer)


def test_refused_claims_are_messages_or_not_found(app, committing_sessions, plan, clock):
    task = open_tasks(committing_sessions, unit="U1")[0]
    complete_as(committing_sessions, clock, task.id, "officer1", progress="已完成", evidence=[])
    officer = signed_in(app, committing_sessions, "officer1")
    officer.post(f"/tasks/{task.id}/claim")
    assert "该任务已办理完成。" in html(officer)
    # A task of another unit is not there at all for this officer; neither is one that does not exist.
    other = open_tasks(committing_sessions, unit="U2")[0]
    assert officer.post(f"/tasks/{other.id}/claim").status_code == 404
    assert officer.post("/tasks/999999/claim").status_code == 404
    assert open_tasks(committing_sessions, unit="U2")[0].assignee is None


def test_claiming_needs_the_page_csrf_token(db_engine, committing_sessions, plan, clock):
    app = make_test_app(db_engine, ENGINE_CLOCK=clock, WTF_CSRF_ENABLED=True)
    officer = app.test_client()
    login_page = officer.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)  # type: ignore[union-attr]
    officer.post("/login", data={"login": "officer1", "password": "correct-horse-battery", "csrf_token": token})
    task = open_tasks(committing_sessions, unit="U1")[0]
    assert officer.post(f"/tasks/{task.id}/claim", data={"csrf_token": "forged"}).status_code == 400
    assert open_tasks(committing_sessions, unit="U1")[0].assignee is None
    page = html(officer, "/?tab=claimable")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert officer.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}).status_code == 302
    assert open_tasks(committing_sessions, assignee="officer1")[0].id == task.id


def test_filters_sort_and_paging_come_from_the_query_string(app, committing_sessions, plan, clock):
    add_running_problem(committing_sessions, clock, plan, title="档案管理不规范", measures=22)
    officer = signed_in(app, committing_sessions, "officer1")
    first = html(officer, "/?tab=claimable")
    assert counts(first)["claimable"] == 25 and len(rows(first)) == 20
    assert "第 1 / 2 页，共 25 项" in first and 'href="/?tab=claimable&amp;page=2"' in first
    second = html(officer, "/?tab=claimable&page=2")
    assert len(rows(second)) == 5 and rows(second)[-1].startswith("1.2 意识形态责任制虚化")
    assert len(rows(html(officer, "/?tab=claimable&page=2&sort=age"))) == 5
    searched = html(officer, "/?tab=claimable&q=台账")
    assert [r.split()[3] for r in rows(searched)] == ["建立学习台账，逐次登记。"] and counts(searched)["claimable"] == 1
    assert 'value="台账"' in searched  # the form keeps what was asked
    assert len(rows(html(officer, f"/?tab=claimable&part={plan.part_ids[1]}"))) == 20
    assert len(rows(html(officer, f"/?tab=claimable&part={plan.part_ids[0]}&step=measure_submit"))) == 3
    assert rows(html(officer, "/?tab=claimable&colour=blue"))[0].startswith("1.2 意识形态责任制虚化")
    assert "没有符合筛选条件的任务。" in html(officer, "/?tab=claimable&unit=U2")
    assert "没有符合筛选条件的任务。" in html(officer, f"/?tab=claimable&round={plan.round_id + 1}")
    # Nonsense in the query string falls back to the defaults, never an error.
    assert counts(html(officer, "/?tab=zzz&page=-3&colour=pink&sort=x&round=abc&step=nope")) == {
        "mine": 0, "claimable": 25, "done": 0}


def test_colours_follow_the_engine_clock(db_engine, committing_sessions, plan):
    app = make_test_app(db_engine, ENGINE_CLOCK=FixedClock(LATE_MARCH))
    officer1 = signed_in(app, committing_sessions, "officer1")
    page = html(officer1, "/?tab=claimable")
    assert re.findall(r'<tr class="task-row row-(\w+)"', page) == ["yellow", "green", "blue"]
    assert '<span class="warn warn-yellow" title="黄色：临近时限">剩 6 天</span>' in page
    officer2 = signed_in(app, committing_sessions, "officer2")
    red = html(officer2, "/?tab=claimable&colour=red")
    assert len(rows(red)) == 2 and all("2026-02-28 逾期 25 天" in row for row in rows(red))
    assert len(rows(html(officer2, "/?tab=claimable&overdue=1"))) == 2
    wide = make_test_app(db_engine, ENGINE_CLOCK=FixedClock(LATE_MARCH), WARNING_WINDOW_DAYS=100)
    page = html(signed_in(wide, committing_sessions, "officer1"), "/?tab=claimable")
    assert re.findall(r'<tr class="task-row row-(\w+)"', page) == ["yellow", "yellow", "blue"]


def test_done_tab_lists_my_finished_work(app, committing_sessions, plan, clock):
    task = open_tasks(committing_sessions, unit="U1")[0]
    complete_as(committing_sessions, clock, task.id, "officer1", progress="已组织学习", evidence=[])
    page = html(signed_in(app, committing_sessions, "officer1"), "/?tab=done")
    assert counts(page) == {"mine": 0, "claimable": 2, "done": 1}
    assert "完成于 2026-01-05" in rows(page)[0] and f'href="/tasks/{task.id}"' in page


def test_the_badge_counts_my_open_tasks_on_every_page(app, committing_sessions, plan, clock):
    for task in open_tasks(committing_sessions, unit="U1")[:2]:
        claim_as(committing_sessions, clock, task.id, "officer1")
    officer = signed_in(app, committing_sessions, "officer1")
    assert badge(html(officer, "/?tab=done")) == 2
    assert badge(html(officer, "/?tab=claimable&q=不存在的内容")) == 2  # a filtered page counts it apart
    missing = officer.get("/no-such-page")
    assert missing.status_code == 404 and badge(missing.get_data(as_text=True)) == 2
    supervision = html(signed_in(app, committing_sessions, "ducha"))
    assert badge(supervision) == 0 and "nav-badge-zero" in supervision


def test_people_without_tasks_get_a_welcome_page(app, committing_sessions, plan, auth: AuthActions):
    auth.create(login="admin", name="管理员", roles=("admin",), unit=None)
    auth.create(login="newcomer", name="新同事", roles=(), unit=("U1", "综治科"))
    admin = html(signed_in(app, committing_sessions, "admin"))
    assert "欢迎，管理员！" in admin and "您的身份：系统管理员" in admin
    assert "task-table" not in admin and badge(admin) is None
    newcomer = html(signed_in(app, committing_sessions, "newcomer"))
    assert "您尚未被分配任何身份" in newcomer and "综治科" in newcomer


def test_the_inbox_in_english(app, committing_sessions, plan):
    page = html(signed_in(app, committing_sessions, "officer1"), "/?tab=claimable&lang=en")
    assert "Available to claim" in page and "My tasks" in page
    assert "Submit progress and evidence" in rows(page)[0] and "85 days left" in rows(page)[0]


@contextmanager
def statements(db_engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db_engine, "before_cursor_execute", count)


@pytest.mark.parametrize("url", ["/?tab=claimable", "/", "/?tab=claimable&q=措施&colour=green&sort=age&page=2"])
def test_a_page_costs_the_same_few_queries_however_many_rows(app, db_engine, committing_sessions, plan, clock, url):
    for task in open_tasks(committing_sessions, unit="U1")[:2]:
        claim_as(committing_sessions, clock, task.id, "officer1")
    officer = signed_in(app, committing_sessions, "officer1")
    with statements(db_engine) as few:
        small = html(officer, url)
    add_running_problem(committing_sessions, clock, plan, title="档案管理不规范", measures=30)
    for task in open_tasks(committing_sessions, stage="measure_submit", unit="U1")[-8:]:
        claim_as(committing_sessions, clock, task.id, "officer1")
    with statements(db_engine) as many:
        large = html(officer, url)
    assert len(rows(large)) > len(rows(small))  # more rows on the page ...
    assert len(many) == len(few) <= 8, many  # ... for the same handful of queries
