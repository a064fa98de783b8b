"""The HTML report in its two modes: a standalone file with its stylesheet, a fragment for the app."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.orm import Session

from engine import WorkflowEngine
from workflows.report import STYLESHEET, STYLESHEET_URL, build_report, render_html, stylesheet

from .plan_fixtures import small_plan


def test_the_standalone_file_embeds_the_stylesheet_file(session: Session, wf_engine: WorkflowEngine) -> None:
    report = build_report(session, small_plan(session, wf_engine).round, on=date(2026, 2, 1))

    html = render_html(report)

    assert html.startswith("<!DOCTYPE html>\n<html lang=\"zh-CN\">")
    css = STYLESHEET.read_text(encoding="utf-8")
    assert f"<style>\n{css}</style>" in html  # as written: quotes in font names are not entities
    assert '"仿宋_GB2312"' in html and "&#34;" not in html.split("</style>")[0]
    assert STYLESHEET_URL not in html  # a file opened from disk has no site to link to
    assert "<title>中共某区委政法委员会关于巡察整改进展情况的通报</title>" in html
    assert '<p class="date">2026年2月1日</p>' in html


def test_the_fragment_links_the_stylesheet_and_has_no_inline_style(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)
    plan.finance.title = '<style>body{display:none}</style>"财务管理不规范'
    report = build_report(session, plan.round, on=date(2026, 2, 1))

    fragment = render_html(report, standalone=False)

    assert fragment.startswith('<link rel="stylesheet" href="/static/report.css">\n'
                               '<article class="report" lang="zh-CN">\n<h1>')
    assert fragment.endswith("</article>\n")
    assert "<style" not in fragment and "style=" not in fragment  # the app's CSP would block them
    assert "<html" not in fragment and "<body" not in fragment
    assert "&lt;style&gt;body{display:none}&lt;/style&gt;&#34;财务管理不规范" in fragment
    assert "<h3>第二部分 全面从严治党方面</h3>" in fragment
    other = render_html(report, standalone=False, stylesheet_url="/public/assets/report.css?v=2")
    assert other.startswith('<link rel="stylesheet" href="/public/assets/report.css?v=2">')


def test_every_rule_of_the_stylesheet_is_scoped_to_the_report() -> None:
    # Inside an app page, a bare "h1" or "body" rule would restyle the page around the report.
    without_comments = re.sub(r"/\*.*?\*/", "", stylesheet(), flags=re.S)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{[^{}]*\}", without_comments)
                 for s in block.split(",") if not s.strip().startswith("@")]
    assert selectors and all(s.startswith((".report ", ".report.", ".report-page")) or s == ".report"
                             for s in selectors), selectors
