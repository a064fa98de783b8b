"""Every UI text exists in both languages, with the same placeholders; the domain's messages and
statuses are told in the reader's language."""

from __future__ import annotations

import string

import pytest
from flask import Flask

from web.i18n import TEXTS, error_text, status_label, t
from workflows import forms
from workflows.errors import Message, ValidationError
from workflows.models import ProblemStatus


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


def test_every_form_message_and_label_is_translated_and_says_what_the_cli_says() -> None:
    for key, english in {**forms.MESSAGES, **forms.LABELS}.items():
        assert key in TEXTS, key
        assert TEXTS[key][1] == english, key  # the English web and the command line agree


def test_every_problem_status_has_labels_and_the_chinese_is_the_status_itself(app: Flask) -> None:
    for status in ProblemStatus:
        assert TEXTS[f"status.{status.name.lower()}"][0] == status.value
    with app.test_request_context("/login?lang=en"):
        app.preprocess_request()
        assert status_label(ProblemStatus.LOOK_BACK) == "look-back review"
    with app.test_request_context("/login"):
        assert status_label(ProblemStatus.LOOK_BACK) == "回头看"


def test_a_form_error_is_told_in_the_readers_language(app: Flask) -> None:
    with pytest.raises(ValidationError) as refused:
        forms.validate("measure_review", {"review_decision": "return", "reason": " "})
    assert str(refused.value) == "reason is required (reason)"  # the command line's English
    with app.test_request_context("/login"):
        assert error_text(refused.value) == "请填写退回理由（reason）。"
    with app.test_request_context("/login?lang=en"):
        app.preprocess_request()
        assert error_text(refused.value) == "reason is required (reason)"
        assert error_text(ValidationError("a plain message")) == "a plain message"
        unknown = ValidationError(Message("form.not_in_the_catalogue", "{what} went wrong", {"what": "x"}))
        assert error_text(unknown) == "x went wrong"  # untranslated, never lost
