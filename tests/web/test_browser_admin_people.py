"""A real Chromium administers people: the demo's 系统管理员 opens 管理 from the header, adds a person
(the generated password is shown once and works), resets 王敏's password, deactivates 刘洋 (who is signed
out at once), imports a small .csv after seeing what it would change, and reads the list on a phone.
Screenshots: ``admin-people-desktop`` and ``admin-people-phone`` under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from workflows.models import Person

from .browser_harness import LiveApp, chromium, new_page, screenshot, serve_demo, sign_in, step

pytestmark = pytest.mark.browser

SHEET = "登录名,姓名,单位,角色,手机,邮箱\nzhouqi,周琪,综治科,经办人,13900000001,\nbgs,王敏,办公室,经办人、督查,,\n"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with serve_demo(tmp_path) as served:
        yield served


def people(live: LiveApp) -> dict[str, Person]:
    with live.session() as session:
        found = {p.login: p for p in session.scalars(select(Person))}
        session.expunge_all()
        return found


def test_an_admin_adds_resets_deactivates_and_imports(live: LiveApp) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = new_page(browser)
        with step(page, "admin-overview"):
            sign_in(page, live, "admin")
            page.locator(".main-nav").get_by_role("link", name="管理", exact=True).click()
            expect(page.get_by_role("heading", level=1)).to_have_text("系统管理")
            page.locator(".admin-card").get_by_role("link", name="人员").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("人员管理")

        with step(page, "admin-add-person"):
            page.get_by_role("link", name="新增人员").click()
            page.get_by_label("登录名", exact=True).fill("sunli")
            page.get_by_label("姓名", exact=True).fill("孙丽")
            page.get_by_label("单位", exact=True).select_option("WWK")
            page.get_by_label("手机", exact=True).fill("13800000000")
            page.get_by_role("button", name="新增").click()
            expect(page.get_by_role("status")).to_contain_text("已新增人员 sunli")
            password = page.locator("#generated-password").inner_text()
            assert len(password) == 16

        with step(page, "admin-refused"):
            page.goto(f"{live.url}/admin/people/new")
            page.get_by_label("登录名", exact=True).fill("sunli")
            page.get_by_label("姓名", exact=True).fill("重复")
            page.get_by_role("button", name="新增").click()
            expect(page.locator("#person-error")).to_contain_text("sunli is taken")

        with step(page, "admin-reset-password"):
            page.goto(f"{live.url}/admin/people?q=王敏")
            page.locator('tr[data-login="bgs"]').get_by_role("link", name="编辑").click()
            screenshot(page, "admin-person-edit")
            page.get_by_role("button", name="重置密码").click()
            expect(page.get_by_role("status")).to_contain_text("已重置 bgs 的密码")
            expect(page.locator("#generated-password")).to_have_text(re.compile(r"^[A-Za-z0-9]{16}$"))

        with step(page, "admin-deactivate"):
            theirs = new_page(browser)
            sign_in(theirs, live, "zzk")
            page.goto(f"{live.url}/admin/people?q=zzk")
            page.locator('tr[data-login="zzk"]').get_by_role("link", name="编辑").click()
            page.get_by_role("button", name="停用").click()
            expect(page.get_by_role("status")).to_contain_text("已停用 zzk，结束会话 1 个")
            theirs.reload()
            expect(theirs.get_by_role("heading", level=1)).to_have_text("登录")
            theirs.context.close()

        with step(page, "admin-import"):
            page.goto(f"{live.url}/admin/people/import")
            page.get_by_label("名单文件").set_input_files(
                {"name": "人员.csv", "mimeType": "text/csv", "buffer": SHEET.encode("utf-8")})
            page.get_by_role("button", name="检查名单").click()
            expect(page.locator(".admin-import")).to_contain_text("新增 1 人，更新 1 人")
            page.get_by_role("button", name="确认导入").click()
            expect(page.get_by_role("status")).to_contain_text("导入完成：新增 1 人，更新 1 人")
            expect(page.locator(".admin-passwords")).to_contain_text("zhouqi")

        with step(page, "admin-people-desktop"):
            page.goto(f"{live.url}/admin/people?active=all")
            expect(page.locator('tr[data-login="zhouqi"]')).to_contain_text("周琪")
            screenshot(page, "admin-people-desktop")
        page.context.close()

        phone = new_page(browser, phone=True)
        with step(phone, "admin-people-phone"):
            sign_in(phone, live, "admin")
            phone.goto(f"{live.url}/admin/people")
            expect(phone.locator('tr[data-login="sunli"]')).to_be_visible()
            screenshot(phone, "admin-people-phone")
        phone.context.close()

    found = people(live)
    assert found["sunli"].unit is not None and found["sunli"].unit.code == "WWK"
    assert not found["zzk"].active and found["zhouqi"].phone == "13900000001"
    assert {r.value for r in found["bgs"].roles} == {"officer", "supervision"}
