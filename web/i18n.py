"""The UI's words in Chinese and English, and how the language of a request is chosen.

Why a dictionary and not gettext catalogues: Babel's usual way (English msgids,
a compiled ``zh_CN`` ``.mo`` file) needs an extract/compile step in every build
and a checked-in binary, for a UI whose primary language is Chinese. Keeping
each string as a (Chinese, English) pair in one place needs no build step, shows
both texts side by side to whoever edits them, and a test checks every pair is
complete. Flask-Babel still picks the locale (and will format dates and numbers).

The domain (``workflows``) keeps no UI wording: its errors carry a ``Message`` key
and parameters with an English default for the command line, and its statuses are
the Chinese words of the ledger; the texts below say them in either language
(``message_text``, ``error_text``, ``status_label``).

Language choice: ``?lang=zh_CN`` or ``?lang=en`` on any URL, remembered in the
session; otherwise ``BABEL_DEFAULT_LOCALE`` (zh_CN): Chinese first, whatever the
browser's Accept-Language says.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale

from workflows.errors import Message
from workflows.models import ProblemStatus, Role

DEFAULT_LANGUAGE = "zh_CN"
_SESSION_KEY = "lang"
_HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

# key: (Chinese, English). Parameters use str.format names: t("home.welcome", name=...).
TEXTS: dict[str, tuple[str, str]] = {
    "product.name": ("整改通", "Rectiflow"),
    "product.tagline": ("巡察整改工作流", "Inspection rectification workflow"),
    "nav.inbox": ("任务", "Inbox"),
    "nav.ledger": ("台账", "Ledger"),
    "nav.dashboard": ("统计", "Dashboard"),
    "nav.import": ("导入", "Import"),
    "nav.publish": ("公布", "Publish"),
    "nav.admin": ("管理", "Admin"),
    "nav.soon": ("即将推出", "Coming soon"),
    "nav.main": ("主导航", "Main navigation"),
    "lang.switch": ("语言", "Language"),
    "lang.zh_CN": ("中文", "中文"),
    "lang.en": ("English", "English"),
    "auth.login_title": ("登录", "Sign in"),
    "auth.login_intro": ("请使用您的账号登录。", "Sign in with your account."),
    "auth.login_field": ("用户名", "Login"),
    "auth.password_field": ("密码", "Password"),
    "auth.submit": ("登录", "Sign in"),
    "auth.logout": ("退出登录", "Sign out"),
    "auth.failed": ("用户名或密码错误", "Wrong login or password"),
    "auth.locked": (
        "登录失败次数过多，请 {minutes} 分钟后再试。",
        "Too many failed sign-ins; try again in {minutes} min.",
    ),
    "auth.signed_in_as": ("当前用户", "Signed in as"),
    "auth.no_unit": ("未关联单位", "No unit"),
    "home.title": ("首页", "Home"),
    "home.welcome": ("欢迎，{name}！", "Welcome, {name}!"),
    "home.unit": ("所在单位：{unit}", "Unit: {unit}"),
    "home.no_unit": ("您尚未关联单位。", "You are not attached to a unit."),
    "home.roles": ("您的身份：{roles}", "Your roles: {roles}"),
    "home.no_roles": (
        "您尚未被分配任何身份，请联系系统管理员。",
        "You have no role yet; ask an administrator.",
    ),
    "role.officer": ("责任单位经办人", "Officer of a responsible unit"),
    "role.leader": ("领导", "Leader"),
    "role.supervision": ("督查", "Supervision"),
    "role.admin": ("系统管理员", "Administrator"),
    "list.separator": ("、", ", "),
    "error.title": ("出错了", "Something went wrong"),
    "error.back_home": ("返回首页", "Back to the home page"),
    "error.400": ("请求无效，请检查后重试。", "The request is not valid; check it and try again."),
    "error.401": ("请先登录。", "Please sign in first."),
    "error.403": ("您没有权限执行此操作。", "You are not allowed to do this."),
    "error.404": ("页面或记录不存在。", "This page or record does not exist."),
    "error.405": ("不支持此操作方式。", "This action is not available this way."),
    "error.409": (
        "数据已被他人修改，请刷新后重试。",
        "Someone else changed this first; reload and try again.",
    ),
    "error.413": ("上传的文件太大。", "The upload is too large."),
    "error.500": (
        "系统出错，请稍后重试或联系管理员。",
        "Something went wrong; try again later or ask an administrator.",
    ),
    "error.csrf": (
        "页面已过期或表单无效，请刷新页面后重试。",
        "The page has expired or the form is not valid; reload the page and try again.",
    ),
    # Problem statuses: the Chinese is the status itself (workflows.models.ProblemStatus).
    "status.pending": ("待整改", "pending"),
    "status.in_progress": ("整改中", "in progress"),
    "status.awaiting_approval": ("待审批", "awaiting approval"),
    "status.done": ("已完成", "done"),
    "status.awaiting_verification": ("待核实", "awaiting verification"),
    "status.long_term": ("长期整改", "long-term"),
    "status.closed": ("已销号", "closed"),
    "status.look_back": ("回头看", "look-back review"),
    "status.consolidated": ("已巩固", "consolidated"),
    "status.reopened": ("反弹重启", "reopened after rebound"),
    "status.overdue": ("逾期", "overdue"),
    "status.not_started": ("未启动", "not started"),
    # Task form errors (workflows.forms.MESSAGES; the English is the CLI's text).
    "form.not_an_object": (
        "提交的数据必须是由命名值组成的对象。",
        "the submitted data must be an object of named values",
    ),
    "form.unknown_form": ("流程图引用了未知的表单“{form}”。", "the diagram names an unknown form '{form}'"),
    "form.required": ("请填写{label}（{name}）。", "{label} is required ({name})"),
    "form.not_text": ("{label}必须是文字（{name}）。", "{label} must be text ({name})"),
    "form.too_long": ("{label}不能超过 {max} 个字符（{name}）。", "{label} is longer than {max} characters ({name})"),
    "form.nul_character": (
        "{label}含有空字符（NUL），无法保存（{name}）。",
        "{label} contains a NUL character, which cannot be stored ({name})",
    ),
    "form.lone_surrogate": (
        "{label}含有无效字符（{code}），无法保存（{name}）。",
        "{label} contains a lone surrogate ({code}), which cannot be stored ({name})",
    ),
    "form.choice": ("{label}必须是以下之一：{choices}（{name}）。", "{label} must be one of {choices} ({name})"),
    "form.date": (
        "{label}必须是日期，例如 2026-06-30（{name}）。",
        "{label} must be a date such as 2026-06-30 ({name})",
    ),
    "form.not_bool": ("{label}只能为“是”或“否”（{name}）。", "{label} must be true or false ({name})"),
    "form.evidence_list": (
        "佐证材料必须是已保存文件编号的列表（{name}）。",
        "evidence must be a list of ids of stored files ({name})",
    ),
    "form.evidence_count": (
        "每次最多提交 {max} 项佐证材料，本次为 {count} 项（{name}）。",
        "at most {max} evidence items per report, got {count} ({name})",
    ),
    "form.evidence_id": ("佐证材料编号超出范围（{name}）。", "evidence id out of range ({name})"),
    "form.evidence_name": (
        "请用 --file 附上文件；--data 中的佐证材料只能是已保存文件的编号（{name}）。",
        "attach files with --file; evidence in --data must be ids of stored files ({name})",
    ),
    # Task forms: titles, fields, choices and hints (workflows.forms.LABELS).
    "label.measure_progress": ("报送整改进展", "submit progress"),
    "label.measure_progress.progress": ("整改进展", "progress"),
    "label.measure_progress.measure_done": ("本项措施已整改完成", "the measure is done"),
    "label.measure_review": ("审批整改措施", "review the measure"),
    "label.measure_review.review_decision": ("审批意见", "decision"),
    "label.measure_review.review_decision.approve": ("同意", "approve"),
    "label.measure_review.review_decision.return": ("退回", "return"),
    "label.measure_review.reason": ("退回理由", "reason"),
    "label.verification": ("逐项核实", "verify the problem"),
    "label.verification.verify_decision": ("核实结论", "decision"),
    "label.verification.verify_decision.pass": ("核实通过，予以销号", "pass"),
    "label.verification.verify_decision.fail": ("核实未通过，退回整改", "fail"),
    "label.verification.reason": ("未通过理由", "reason"),
    "label.long_term_close": ("长期整改销号", "close the long-term problem"),
    "label.long_term_close.close_note": ("销号意见", "note"),
    "label.periodic_report": ("报送阶段进展", "periodic report"),
    "label.periodic_report.progress": ("阶段进展", "progress"),
    "label.lookback": ("回头看", "look-back review"),
    "label.lookback.lookback_decision": ("回头看结论", "decision"),
    "label.lookback.lookback_decision.consolidated": ("已巩固", "consolidated"),
    "label.lookback.lookback_decision.rebound": ("反弹回潮，重启整改", "rebound"),
    "label.lookback.reason": ("反弹情况", "reason"),
    "label.new_deadline": ("新的整改时限", "new deadline"),
    "label.evidence": ("佐证材料", "evidence"),
    "help.measure_progress.measure_done": (
        "各项整改内容均已落实时勾选",
        "tick when every part of the measure has been carried out",
    ),
    "help.evidence": ("可同时上传多个文件。", "Several files may be attached."),
    "help.reason_when_returning": ("选择“退回”时必填", "required when returning the measure"),
    "help.reason_when_failing": ("核实未通过时必填", "required when verification fails"),
    "help.reason_when_rebounding": ("出现反弹时必填", "required when the problem has rebounded"),
    "help.new_deadline_when_failing": (
        "仅在核实未通过时填写；不填则保留原时限",
        "only when verification fails; leave empty to keep the deadlines",
    ),
    "help.new_deadline_when_rebounding": (
        "仅在出现反弹时填写；不填则保留原时限",
        "only on a rebound; leave empty to keep the deadlines",
    ),
}


def add_texts(texts: dict[str, tuple[str, str]]) -> None:
    """Add an area's texts (``web/<area>/texts.py``) to the catalogue; a key may be defined once."""
    clash = texts.keys() & TEXTS.keys()
    if clash:
        raise ValueError(f"text keys defined twice: {', '.join(sorted(clash))}")
    TEXTS.update(texts)


def t(key: str, **params: object) -> str:
    """The UI text ``key`` in the current request's language, with ``params`` filled in."""
    zh, en = TEXTS[key]
    text = en if current_language() == "en" else zh
    return text.format(**params) if params else text


def current_language() -> str:
    """``"zh_CN"`` or ``"en"``: the language of this request (Chinese outside a request)."""
    locale = get_locale() if has_request_context() else None
    return "en" if locale is not None and locale.language == "en" else DEFAULT_LANGUAGE


def html_lang() -> str:
    """The ``<html lang>`` value of the current language."""
    return _HTML_LANG[current_language()]


def role_label(role: Role) -> str:
    """A role's name for people, in the current language."""
    return t(f"role.{role.value}")


def status_label(status: ProblemStatus) -> str:
    """A problem status for people, in the current language (Chinese: the status itself)."""
    return t(f"status.{status.name.lower()}")


def message_text(message: Message) -> str:
    """A domain ``Message`` in the current language; parameters that are messages too (a
    field's label) are translated first. A key missing from the catalogue falls back to the
    domain's English, so a new message is never lost, only untranslated."""
    params = {name: message_text(v) if isinstance(v, Message) else v for name, v in message.params.items()}
    if message.key not in TEXTS:
        return message.default.format(**params)
    return t(message.key, **params)


def error_text(error: Exception) -> str:
    """What to tell people about ``error``: its keyed message translated, else its own text."""
    message = getattr(error, "message", None)
    return message_text(message) if isinstance(message, Message) else str(error)


def lang_url(language: str) -> str:
    """The current page's URL with ``?lang=`` set to ``language`` (other parameters kept)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [language]
    return f"{request.path}?{urlencode(args, doseq=True)}"


def init_app(app: Flask) -> None:
    """Set up Flask-Babel, remember ``?lang=`` and give templates ``t`` and friends."""
    Babel(app, locale_selector=_select_locale)
    app.before_request(_remember_requested_language)
    app.jinja_env.globals.update(
        t=t, html_lang=html_lang, lang_url=lang_url, role_label=role_label, status_label=status_label
    )


def _supported(value: str | None) -> str | None:
    if not value:
        return None
    wanted = value.replace("-", "_").lower()
    for language in current_app.config["LANGUAGES"]:
        if language.lower() == wanted or language.split("_")[0].lower() == wanted:
            return str(language)
    return None


def _remember_requested_language() -> None:
    language = _supported(request.args.get("lang"))
    if language is not None:
        session[_SESSION_KEY] = language


def _select_locale() -> str:
    # Chinese first: the browser's Accept-Language is not consulted (an office PC set to English
    # still serves Chinese officials); only an explicit ?lang= choice, kept in the session, switches.
    chosen = _supported(session.get(_SESSION_KEY)) if has_request_context() else None
    return chosen or current_app.config["BABEL_DEFAULT_LOCALE"]
