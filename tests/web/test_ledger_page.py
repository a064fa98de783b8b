"""The ledger page (``/ledger``) on the authorisation world: rows, counters, filters, search,
paging, downloads of the current view in every format, escaping, a constant number of queries.

The world (tests/web/authorisation_world.py) at 2026-01-05: problem P 理论学习不够深入 of unit U1
with 17 measures (measure 1 submitted: its approval is open) and 请休假管理不到位 of U2 with one.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock
from web.services import services
from workflows.models import InspectionRound, Part
from workflows.plans import add_measure, add_problem

from ..conftest import START
from .authorisation_world import MEASURE_TEXT, OTHER_MEASURE_TEXT, World, build_world
from .conftest import make_test_app

HOSTILE = '<script>alert("x")</script>&<b>'


@pytest.fixture
def world(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> World:
    return build_world(make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START)))


def html(client: FlaskClient, url: str = "/ledger") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def problems(page: str) -> list[str]:
    return re.findall(r'class="problem-title" href="/problems/\d+">([^<]*)</a>', page)


def measures(page: str) -> list[str]:
    return re.findall(r'<td class="measure-text">([^<]*)</td>', page)


def counters(page: str) -> dict[str, str]:
    return dict(re.findall(r'<dd data-count="(\w+)">([^<]*)</dd>', page))


def add_unlaunched(world: World, title: str, measures_: int, text: str = "未启动措施") -> None:
    """A problem added to the round after its launch (未启动), in a part of its own."""
    with services(world.app).unit_of_work() as session:
        round_ = session.scalars(select(InspectionRound)).one()
        part = session.scalars(select(Part).where(Part.round_id == round_.id)).first()
        problem = add_problem(session, part, title)
        for n in range(measures_):
            add_measure(session, problem, f"{text}{n + 1}", deadline=date(2026, 1, 10))


def test_supervision_sees_every_row_with_status_deadline_and_counters(world: World) -> None:
    page = html(world.clients["supervision"])
    assert problems(page) == ["理论学习不够深入", "请休假管理不到位"]
    assert len(measures(page)) == 18 and measures(page)[-1] == OTHER_MEASURE_TEXT
    assert counters(page) == {"parts": "1", "problems": "2", "measures": "18", "completed": "0",
                              "in_progress": "2", "long_term": "0", "rate": "0%"}
    assert "待审批" in page and "李书记" in page and "综治科" in page  # status, leader, unit
    assert 'class="deadline warn-green"' in page and "2026-06-30" in page  # deadline with its colour
    assert 'href="/problems/' in page
    english = html(world.clients["supervision"], "/ledger?lang=en")
    assert "Rectification ledger" in english and "Download this view" in english and "awaiting approval" in english


def test_filters_by_status_colour_unit_part_and_search(world: World) -> None:
    client = world.clients["supervision"]
    approval = html(client, "/ledger?status=awaiting_approval")
    assert problems(approval) == ["理论学习不够深入"] and 'selected>待审批' in approval
    assert problems(html(client, "/ledger?status=closed")) == []
    assert problems(html(client, "/ledger?colour=green")) == ["理论学习不够深入", "请休假管理不到位"]
    assert problems(html(client, "/ledger?colour=red")) == []
    by_unit = html(client, "/ledger?unit=U2")
    assert measures(by_unit) == [OTHER_MEASURE_TEXT] and counters(by_unit)["measures"] == "1"
    searched = html(client, "/ledger?q=请休假")
    assert problems(searched) == ["请休假管理不到位"] and counters(searched)["problems"] == "1"
    assert "以上为当前筛选结果的统计" in searched


def test_bad_filters_are_named_and_ignored_and_an_unknown_round_is_404(world: World) -> None:
    client = world.clients["supervision"]
    page = html(client, "/ledger?status=nonsense&colour=purple&part=abc")
    assert "以下筛选条件无法识别，已忽略：状态、预警、方面" in page
    assert len(problems(page)) == 2
    assert client.get("/ledger?round=999999").status_code == 404
    bad = client.get("/ledger/download?format=exe")
    assert bad.status_code == 422 and "下载格式只能是" in bad.get_data(as_text=True)


def test_paging_keeps_the_filters(world: World) -> None:
    add_unlaunched(world, "档案管理不规范", 2)
    for n in range(55):
        add_unlaunched(world, f"批量问题{n + 1}", 1)
    client = world.clients["supervision"]
    first = html(client, "/ledger")
    assert len(problems(first)) == 30 and "第 1 / 2 页" in first
    assert counters(first)["problems"] == "58"
    second = html(client, "/ledger?page=2")
    assert len(problems(second)) == 28
    filtered = html(client, "/ledger?status=not_started&q=批量")
    assert len(problems(filtered)) == 30 and "status=not_started" in filtered and "q=%E6%89%B9%E9%87%8F" in filtered
    assert len(problems(html(client, "/ledger?status=not_started&q=批量&page=2"))) == 25


def test_user_text_is_escaped(world: World) -> None:
    add_unlaunched(world, HOSTILE, 1, text=HOSTILE)
    page = html(world.clients["supervision"], "/ledger?q=script")
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&lt;b&gt;" in page
    searched = html(world.clients["supervision"], "/ledger?q=" + "%22%3E%3Cscript%3E")
    assert '"><script>' not in searched


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


@pytest.mark.parametrize("url", ["/ledger", "/ledger?status=not_started&colour=yellow&q=措施&page=1"])
def test_a_page_costs_the_same_few_queries_however_many_rows(world: World, db_engine: Engine, url: str) -> None:
    client = world.clients["supervision"]
    add_unlaunched(world, "少量", 1)
    with statements(db_engine) as few:
        small = html(client, url)
    for n in range(30):
        add_unlaunched(world, f"更多问题{n}", 3)
    with statements(db_engine) as many:
        large = html(client, url)
    assert len(measures(large)) > len(measures(small))
    assert len(many) == len(few) <= 25, many


def test_each_download_holds_only_the_views_rows(world: World) -> None:
    add_unlaunched(world, "档案管理不规范", 1, text="档案措施")
    officer = world.clients["officer_own"]  # sees problem P's rows only
    query = "status=awaiting_approval"
    for fmt in ("xlsx", "docx", "html", "md"):
        response = officer.get(f"/ledger/download?format={fmt}&{query}")
        assert response.status_code == 200, fmt
        assert "attachment" in response.headers["Content-Disposition"]
        text = _text_of(fmt, response.data)
        assert MEASURE_TEXT in text, fmt
        assert OTHER_MEASURE_TEXT not in text and "档案措施" not in text, fmt
    report = _text_of("md", officer.get(f"/ledger/download?format=md&{query}").data)
    assert "共1个方面1个具体问题，制定17项整改措施" in report  # the page's counters
    page = html(officer, f"/ledger?{query}")
    assert counters(page)["measures"] == "17"
    everything = _text_of("xlsx", world.clients["supervision"].get("/ledger/download?format=xlsx").data)
    assert "档案措施" in everything and OTHER_MEASURE_TEXT in everything


def _text_of(fmt: str, content: bytes) -> str:
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        return " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    if fmt == "docx":
        with zipfile.ZipFile(io.BytesIO(content)) as docx:
            return re.sub(r"<[^>]+>", "", docx.read("word/document.xml").decode("utf-8"))
    return content.decode("utf-8")
