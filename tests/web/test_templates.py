"""What the web renders from the domain: its errors in the reader's language, and the published
report under the site's Content-Security-Policy (the stylesheet served, no inline style)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from web.app import create_app
from workflows import forms
from workflows.models import ProblemStatus
from workflows.report import STYLESHEET_URL as REPORT_CSS
from workflows.report import Report, ReportMeasure, ReportPart, ReportProblem, ReportStats, render_html, stylesheet

from .browser_harness import chromium, require_chromium, serve
from .conftest import AuthActions, make_test_app


def _refusing_form(data: dict[str, object]) -> str:
    forms.validate("measure_progress", data)
    return "accepted"


@pytest.fixture
def form_client(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> FlaskClient:
    app = make_test_app(db_engine)
    app.add_url_rule("/public/progress", "progress_page", lambda: _refusing_form({"progress": "  "}))
    app.add_url_rule("/api/progress", "progress_api", lambda: _refusing_form({"progress": "ok", "evidence": [0]}))
    return app.test_client()


def test_a_refused_form_is_told_in_chinese_first_then_in_english(form_client: FlaskClient) -> None:
    page = form_client.get("/public/progress", headers={"Accept": "text/html"})
    assert page.status_code == 422
    assert "请填写整改进展（progress）。" in page.get_data(as_text=True)

    english = form_client.get("/public/progress?lang=en", headers={"Accept": "text/html"})
    assert "progress is required (progress)" in english.get_data(as_text=True)
    assert "整改进展" not in english.get_data(as_text=True)


def test_a_refused_form_in_the_api_follows_the_chosen_language_too(
    form_client: FlaskClient, committing_sessions: sessionmaker[Session]
) -> None:
    auth = AuthActions(form_client, committing_sessions)
    auth.create()
    auth.login()
    assert form_client.get("/api/progress").get_json()["message"] == "佐证材料编号超出范围（evidence[0]）。"
    form_client.get("/?lang=en")
    assert form_client.get("/api/progress").get_json()["message"] == "evidence id out of range (evidence[0])"


def test_the_report_stylesheet_is_served_to_anyone_as_the_fragment_links_it(client: FlaskClient) -> None:
    response = client.get(REPORT_CSS)  # not signed in: published reports link it too
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert response.get_data(as_text=True) == stylesheet()
    with client.get("/static/app.css") as app_css:  # the app's own static files still work
        assert app_css.status_code == 200 and ".report" not in app_css.get_data(as_text=True)
    assert client.get(REPORT_CSS, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


# -- in a real browser ---------------------------------------------------------------------

def _report() -> Report:
    problem = ReportProblem("理论学习不够深入", ProblemStatus.IN_PROGRESS, False, False,
                            [ReportMeasure("每两个月组织一次中心组集中学习")])
    return Report(
        title="中共某区委政法委员会关于巡察整改进展情况的通报", opening="根据上级党委统一部署……",
        organisation_heading="一、提高政治站位", organisation=["……"], list_heading="二、聚焦巡察反馈问题",
        list_intro=[], parts=[ReportPart("党的领导方面", [problem])], stats=ReportStats(1, 1, 1, 0, 1),
        mechanism_heading="三、持续整改落实", mechanism=["……"], closing="欢迎监督。", signatory="某单位",
        date=date(2026, 2, 1),
    )


def _page(body: str) -> str:
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>report</title></head>'
            f'<body><h1 id="app-heading">Rectiflow</h1>{body}</body></html>')


@pytest.fixture
def report_site(tmp_path: Path) -> Iterator[str]:
    """The app (with its security headers) serving the report both ways under /public/."""
    require_chromium()
    app: Flask = create_app({"SECRET_KEY": "browser-test-key", "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"})
    app.add_url_rule("/public/fragment", "fragment", lambda: _page(render_html(_report(), standalone=False)))
    app.add_url_rule("/public/standalone", "standalone", lambda: render_html(_report()))
    with serve(app) as url:
        yield url


@pytest.mark.browser
def test_the_served_report_is_styled_under_the_policy_and_an_inline_style_would_not_be(report_site: str) -> None:
    with chromium() as browser:
        page = browser.new_page()
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)

        page.goto(f"{report_site}/public/fragment")
        title = page.get_by_role("heading", level=1, name="中共某区委政法委员会关于巡察整改进展情况的通报")
        assert title.evaluate("e => getComputedStyle(e).textAlign") == "center"
        assert "FangSong" in page.locator("article.report p").first.evaluate(
            "e => getComputedStyle(e).fontFamily")
        # the report's rules stay inside the report: the app's own heading is untouched
        assert page.locator("#app-heading").evaluate("e => getComputedStyle(e).textAlign") != "center"
        assert refused == []

        # The standalone file, were the app to serve it, would lose its look to the policy.
        page.goto(f"{report_site}/public/standalone")
        assert page.get_by_role("heading", level=1).evaluate("e => getComputedStyle(e).textAlign") != "center"
        assert any("inline style" in text for text in refused)
