"""The import pages: upload a plan, see its tree beside the source, correct it, confirm or cancel;
upload a ledger workbook and see its diff; bad uploads get a clear message on the upload page and
save nothing; a request over the upload limit gets a friendly 413 page."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, stream_encode_multipart

from engine import FixedClock
from web.services import services
from workflows.models import DraftStatus, ImportDraft, InspectionRound, Measure, Role
from workflows.plans import round_problems
from workflows.schema import deploy_bundled

from ..conftest import SEED, START
from ..workflows.plan_fixtures import FIXTURES, small_plan
from ..workflows.xlsx_helpers import edit, export
from .authorisation_world import csrf_token, sign_in
from .conftest import PASSWORD, make_test_app


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    app = make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))
    found = services(app)
    with found.unit_of_work() as session:
        deploy_bundled(session, found.workflow_engine, actor="admin")
        from workflows.people import create_person
        create_person(session, login="ducha", name="赵督查", password=PASSWORD, roles=[Role.SUPERVISION])
    return app


@pytest.fixture
def ducha(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(client, "ducha")
    return client


def upload(client: FlaskClient, name: str, data: bytes, **fields: str) -> TestResponse:
    """POST the file to ``/import``, encoded in memory (the test client would spool a large body to a
    temporary file it never closes)."""
    form: dict[str, Any] = {**fields, "file": FileStorage(BytesIO(data), filename=name)}
    stream, _length, boundary = stream_encode_multipart(form, use_tempfile=False)
    return client.post("/import", data=stream.read(), content_type=f"multipart/form-data; boundary={boundary}")


def drafts(app: Flask) -> list[ImportDraft]:
    with services(app).unit_of_work() as session:
        rows = list(session.scalars(select(ImportDraft).order_by(ImportDraft.id)))
        session.expunge_all()
        return rows


def rounds(app: Flask) -> int:
    with services(app).unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(InspectionRound)) or 0


def text_of(response: TestResponse) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def post(client: FlaskClient, path: str, **form: Any) -> TestResponse:
    return client.post(path, data={k: str(v) for k, v in form.items()})


def test_the_seed_shows_its_tree_beside_its_source(app: Flask, ducha: FlaskClient) -> None:
    response = upload(ducha, SEED.name, SEED.read_bytes())
    assert response.status_code == 303
    page = ducha.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert 'data-parts="10" data-problems="25" data-measures="55"' in html
    assert "10 个方面，25 个问题，55 项措施" in text_of(page)
    assert html.count('class="import-measure"') == 55 and html.count('<details class="import-part"') == 10
    assert '<li id="L11" class="source-line role-measure" value="11">' in html  # the source beside the tree
    assert 'href="#L11"' in html
    assert "将创建轮次：广州市区委巡察第8组对海珠区委政法委巡察反馈意见整改" in text_of(page)
    assert "所有行均已归类" in text_of(page)
    assert html.count('name="csrf_token"') > 55 * 4
    [draft] = drafts(app)
    assert draft.source_name == SEED.name and rounds(app) == 0
    assert SEED.name in text_of(ducha.get("/import"))  # listed among the person's open drafts


def test_unplaced_lines_and_unreconciled_figures_are_highlighted(app: Flask, ducha: FlaskClient) -> None:
    page = ducha.get(upload(ducha, "v6.txt", (FIXTURES / "v6_stats_mismatch.txt").read_bytes()).headers["Location"])
    html = page.get_data(as_text=True)
    assert 'class="figure-off"' in html and "对不上的数字" in html
    draft_url = upload(ducha, "v7.txt", (FIXTURES / "v7_text_before_markers.txt").read_bytes()).headers["Location"]
    html = ducha.get(draft_url).get_data(as_text=True)
    assert 'class="source-line role-unassigned" value="3"' in html
    assert "本部分反馈问题2个，均已整改完成。" in html and "未能归类的行（1）" in html
    assert "位于方面标题与第一个问题之间" in html  # the parser's reason, in the reader's language
    # promoted to a problem of part 1: no longer unplaced, but a problem without measures blocks confirming
    response = post(ducha, f"{draft_url}/edit/promote", revision=0, line=3, part=1)
    page = ducha.get(response.headers["Location"])
    assert "未能归类的行（0）" in text_of(page) and "1.3 本部分反馈问题2个" in text_of(page)
    assert "问题 1.3 还没有整改措施" in text_of(page)
    refused = ducha.post(f"{draft_url}/confirm", follow_redirects=True)
    assert "问题 1.3 没有整改措施" in text_of(refused) and rounds(app) == 0


def test_corrections_then_confirm_creates_the_round_once(app: Flask, ducha: FlaskClient) -> None:
    url = upload(ducha, SEED.name, SEED.read_bytes()).headers["Location"]
    response = post(ducha, f"{url}/edit/fill", revision=0, number="1.1.1", deadline="2026-06-30", leader="",
                    units="", anchor="m-1-1-1")
    assert response.status_code == 303 and response.headers["Location"].endswith("?at=m-1-1-1#m-1-1-1")
    page = ducha.get(response.headers["Location"])
    assert "已更正" in text_of(page) and "整改时限：2026-06-30" in text_of(page)
    assert '<details class="import-part" id="p-1" data-part="1" open>' in page.get_data(as_text=True)
    post(ducha, f"{url}/edit/move", revision=1, number="1.2.4", to_problem="1.1")
    stale = post(ducha, f"{url}/edit/rename", revision=1, number="1", text="旧页面上的改名")
    assert stale.status_code == 409 and "其他窗口" in text_of(stale)
    bad = ducha.post(f"{url}/edit/fill", data={"revision": "2", "number": "1.1.1", "deadline": "明年"},
                     follow_redirects=True)
    assert "日期格式不正确" in text_of(bad)

    confirmed = ducha.post(f"{url}/confirm")
    assert confirmed.status_code == 303 and re.fullmatch(r"/ledger\?round=\d+", confirmed.headers["Location"])
    round_id = int(confirmed.headers["Location"].rsplit("=", 1)[1])
    with services(app).unit_of_work() as session:
        round_ = session.get(InspectionRound, round_id)
        assert round_ is not None
        problems = round_problems(round_)
        assert (len(round_.parts), len(problems), sum(len(p.measures) for p in problems)) == (10, 25, 55)
        assert all(p.instance_id for p in problems)
        first = problems[0].measures
        assert (len(first), first[0].deadline) == (3, date(2026, 6, 30))
        assert len(problems[1].measures) == 3
    again = ducha.post(f"{url}/confirm")
    assert again.status_code == 409 and "已经确认过，不会重复导入" in text_of(again)
    assert rounds(app) == 1
    shown = ducha.get(url)
    assert "此导入已于" in text_of(shown) and 'action="' + url + '/confirm"' not in shown.get_data(as_text=True)
    assert drafts(app)[0].status == DraftStatus.CONFIRMED


def test_split_and_merge_through_the_forms(app: Flask, ducha: FlaskClient) -> None:
    url = upload(ducha, SEED.name, SEED.read_bytes()).headers["Location"]
    assert 'name="after"' in ducha.get(url).get_data(as_text=True)  # split after a chosen sentence
    post(ducha, f"{url}/edit/split", revision=0, number="1.2.1", after=1)
    page = ducha.get(url)
    assert 'data-measures="56"' in page.get_data(as_text=True)
    assert "1.2.2 及时对“党员考学”情况进行重新核对" in text_of(page)
    post(ducha, f"{url}/edit/merge", revision=1, number="1.2.1")
    page = ducha.get(url)
    assert 'data-measures="55"' in page.get_data(as_text=True)
    split = post(ducha, f"{url}/edit/split", revision=2, number="1.1.1", first="", second="")
    assert "内容不能为空" in text_of(ducha.get(split.headers["Location"]))
    assert ducha.post(f"{url}/edit/explode", data={"revision": "2"}).status_code == 404


def test_cancel_leaves_nothing_and_a_cancelled_draft_cannot_be_confirmed(app: Flask, ducha: FlaskClient) -> None:
    url = upload(ducha, SEED.name, SEED.read_bytes()).headers["Location"]
    response = ducha.post(f"{url}/cancel", follow_redirects=True)
    assert "已取消导入" in text_of(response)
    assert drafts(app) == [] and rounds(app) == 0
    gone = ducha.post(f"{url}/confirm")
    assert gone.status_code == 404 and "不存在（可能已取消）" in text_of(gone)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("report.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "不是文本文件"),
    ("report.docx", "这其实是一段文字".encode(), "不是有效的 Word（.docx）文档"),
    ("report.txt", b"", "是空文件"),
    ("report.txt", "反馈问题".encode() * 300_000, "超过 2 MB"),
    ("report.pdf", b"%PDF-1.4\n", "不是 .docx、.txt 或 .xlsx 文件"),
    ("ledger.xlsx", b"PK\x03\x04 not really", "不是有效的 Excel 台账工作簿"),
])
def test_bad_uploads_get_a_message_and_save_nothing(app: Flask, ducha: FlaskClient, name: str, data: bytes,
                                                    message: str) -> None:
    response = upload(ducha, name, data)
    assert response.status_code == 422
    assert message in text_of(response)
    assert 'type="file"' in response.get_data(as_text=True)  # the upload form again
    assert drafts(app) == []


def test_a_document_with_nothing_recognisable_is_kept_as_an_empty_draft(app: Flask, ducha: FlaskClient) -> None:
    response = upload(ducha, "通知.txt", "会议通知\n请各单位于周五前报送材料。\n".encode())
    assert response.status_code == 303
    page = ducha.get(response.headers["Location"])
    assert 'data-parts="0" data-problems="0" data-measures="0"' in page.get_data(as_text=True)
    assert "请各单位于周五前报送材料。" in text_of(page)
    assert "未识别出问题：台账为空" in text_of(page)  # said plainly, not left to the counts
    [draft] = drafts(app)
    assert draft.source_name == "通知.txt" and rounds(app) == 0
    assert "请选择要上传的文件" in text_of(ducha.post("/import", data={}))


def test_a_word_document_is_read(app: Flask, ducha: FlaskClient) -> None:
    document = Document()
    for line in SEED.read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    out = BytesIO()
    document.save(out)
    page = ducha.get(upload(ducha, "整改进展.docx", out.getvalue()).headers["Location"])
    assert 'data-parts="10" data-problems="25" data-measures="55"' in page.get_data(as_text=True)


def test_an_upload_over_the_limit_gets_a_friendly_page(db_engine: Engine,
                                                       committing_sessions: sessionmaker[Session]) -> None:
    app = make_test_app(db_engine, MAX_CONTENT_LENGTH=1024 * 1024, WTF_CSRF_ENABLED=True)
    from workflows.people import create_person
    with services(app).unit_of_work() as session:
        create_person(session, login="ducha", name="赵督查", password=PASSWORD, roles=[Role.SUPERVISION])
    client = app.test_client()
    sign_in(client, "ducha")
    token = csrf_token(client.get("/import").get_data(as_text=True))
    assert token is not None
    response = upload(client, "a.txt", b"x" * 2 * 1024 * 1024, csrf_token=token)
    assert response.status_code == 413
    assert "上传的文件太大（上限 1 MB），未保存任何内容" in text_of(response) and 'href="/import"' in text_of(
        response) + response.get_data(as_text=True)
    assert drafts(app) == []
    ok = upload(client, SEED.name, SEED.read_bytes(), csrf_token=token)
    assert ok.status_code == 303  # the same form, with its CSRF token, within the limit


def test_a_ledger_workbook_shows_its_changes_before_they_apply(app: Flask, ducha: FlaskClient) -> None:
    with services(app).unit_of_work() as session:
        plan = small_plan(session, services(app).workflow_engine)
        data, round_id = export(session, plan), plan.round.id

    def change(book: Workbook) -> None:
        for row in book.worksheets[0].iter_rows(min_row=3):
            if row[3].value == "每两个月组织一次中心组集中学习":
                row[7].value = date(2026, 5, 31)

    url = upload(ducha, "台账.xlsx", edit(data, change)).headers["Location"]
    page = ducha.get(url)
    text = text_of(page)
    assert "台账修改（1 项措施，2 处）" in text
    assert "2026-03-31" in text and "2026-05-31" in text and "整改时限" in text
    confirmed = ducha.post(f"{url}/confirm")
    assert confirmed.headers["Location"] == f"/ledger?round={round_id}"
    with services(app).unit_of_work() as session:
        measure = session.scalars(select(Measure).where(Measure.text == "每两个月组织一次中心组集中学习")).one()
        assert measure.deadline == date(2026, 5, 31)
    assert ducha.post(f"{url}/confirm").status_code == 409


def test_the_pages_speak_english(app: Flask, ducha: FlaskClient) -> None:
    assert "Import a plan or ledger" in text_of(ducha.get("/import?lang=en"))
    page = ducha.get(upload(ducha, SEED.name, SEED.read_bytes()).headers["Location"])
    assert "10 parts, 25 problems, 55 measures" in text_of(page)


def test_doubtful_items_are_listed_with_the_rule_that_placed_them(app: Flask, ducha: FlaskClient) -> None:
    text = ("中共某局党组关于巡察整改进展情况的通报\n一、党的建设方面\n（一）针对学习制度落实不到位问题\n"
            "一是修订学习制度；二是开展专题学习。\n（二）其他工作情况\n")
    page = ducha.get(upload(ducha, "doubt.txt", text.encode()).headers["Location"])
    html = page.get_data(as_text=True)
    assert "存疑条目（1）" in text_of(page) and 'data-number="1.2"' in html
    assert "与相邻问题编号方式相同，但其下没有整改措施" in text_of(page)
    assert 'href="?at=q-1-2#q-1-2"' in html
    seed = ducha.get(upload(ducha, SEED.name, SEED.read_bytes()).headers["Location"])
    assert "存疑条目" not in text_of(seed)


def test_an_offices_own_excel_ledger_is_previewed_as_a_plan(app: Flask, ducha: FlaskClient, tmp_path: Path) -> None:
    from ..workflows.test_plan_parser_files import office_ledger

    data = office_ledger(tmp_path / "台账.xlsx").read_bytes()
    page = ducha.get(upload(ducha, "某局整改台账.xlsx", data).headers["Location"])
    html = page.get_data(as_text=True)
    assert 'data-parts="2" data-problems="3" data-measures="4"' in html
    assert "党的建设方面" in text_of(page) and rounds(app) == 0
