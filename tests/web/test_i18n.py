"""Every UI text exists in both languages, with the same placeholders."""

from __future__ import annotations

import string

from flask import Flask

from web.i18n import TEXTS, t


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_has_chinese_and_english_with_the_same_placeholders() -> None:
    for key, (zh, en) in TEXTS.items():
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key


def test_t_follows_the_request_language(app: Flask) -> None:
    with app.test_request_context("/login"):
        assert t("home.welcome", name="李四") == "欢迎，李四！"
    with app.test_request_context("/login", headers={"Accept-Language": "en"}):
        assert t("home.welcome", name="李四") == "欢迎，李四！"  # the browser's wish alone does not switch
    with app.test_request_context("/login?lang=en"):
        app.preprocess_request()
        assert t("home.welcome", name="李四") == "Welcome, 李四!"
    assert t("auth.failed") == "用户名或密码错误"  # outside a request: Chinese
