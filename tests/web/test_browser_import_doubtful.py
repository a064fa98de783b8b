"""A real Chromium shows what the importer is unsure of. 赵督查 uploads a feedback news item whose
problems are listed inside a paragraph: the preview lists them as doubtful with the rule that placed
them, and a link opens the problem in the tree. A summary with figures only imports as an empty ledger,
said plainly. Screenshots: ``import-preview-doubtful``, ``import-preview-empty``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser_harness import LiveApp, chromium, new_page, screenshot, serve_demo, sign_in, step

pytestmark = pytest.mark.browser

REPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
INLINE = REPORTS / "h6_shangrao_zfb_xc.txt"
SUMMARY = REPORTS / "h1_04_kunming_district_round2_summary.txt"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with serve_demo(tmp_path) as served:
        yield served


def test_doubtful_items_and_an_empty_ledger_are_said_on_the_preview(live: LiveApp) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = new_page(browser)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        with step(page, "import-doubtful"):
            sign_in(page, live, "ducha")
            page.goto(f"{live.url}/import")
            page.get_by_label("选择文件").set_input_files(str(INLINE))
            page.get_by_role("button", name="上传并预览").click()
            expect(page).to_have_url(re.compile(r"/import/\d+$"))
            doubtful = page.locator("section.import-doubtful")
            expect(doubtful.locator("h2")).to_have_text(re.compile(r"存疑条目（4）"))
            expect(doubtful.locator("li.doubtful-item")).to_have_count(4)
            expect(doubtful.locator("li.doubtful-item").first).to_contain_text("段落中列举的问题")
            screenshot(page, "import-preview-doubtful")
            doubtful.locator("li.doubtful-item").first.get_by_role("link").click()
            expect(page.locator('details[data-problem="1.1"]')).to_have_attribute("open", "")
        with step(page, "import-empty"):
            page.goto(f"{live.url}/import")
            page.get_by_label("选择文件").set_input_files(str(SUMMARY))
            page.get_by_role("button", name="上传并预览").click()
            expect(page.locator(".import-empty-tree")).to_contain_text("未识别出问题：台账为空")
            expect(page.locator("tr[data-figure=problems] td").first).to_have_text("697")
            screenshot(page, "import-preview-empty")
        assert errors == []
