"""What a person's and a unit's fields may hold: logins, names, phones, e-mails and role words.

One set of rules for every way people arrive (``rectiflow people add``, a spreadsheet import,
the demo), so a login accepted on the command line is accepted in a sheet and vice versa.
Messages are Chinese: they name the sheet's columns (登录名, 手机, …) that offices fill in.
Lengths come from the models' columns, so the rules cannot drift from the schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.models import column_length

from .errors import ValidationError
from .models import Person, Role, Unit

MAX_LOGIN = column_length(Person, "login")
MAX_NAME = column_length(Person, "name")
MAX_PHONE = column_length(Person, "phone")
MAX_EMAIL = column_length(Person, "email")
MAX_ROLES = column_length(Person, "roles")
MAX_UNIT_CODE = column_length(Unit, "code")
MAX_UNIT_NAME = column_length(Unit, "name")

LOGIN_RULE = "只能用英文字母、数字和 . _ - @，以字母或数字开头"
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
_PHONE = re.compile(r"[0-9+\- ]{5,20}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ROLE_SEPARATORS = re.compile(r"[、，,;；/\s]+")

#: the words offices write in a 角色 column, and the enum values themselves
ROLE_WORDS: dict[str, Role] = {
    **{role.value: role for role in Role},
    "经办人": Role.OFFICER, "责任人": Role.OFFICER, "联络员": Role.OFFICER,
    "领导": Role.LEADER, "分管领导": Role.LEADER, "主要领导": Role.LEADER, "责任领导": Role.LEADER,
    "督查": Role.SUPERVISION, "督查室": Role.SUPERVISION,
    "管理员": Role.ADMIN, "系统管理员": Role.ADMIN,
}
ROLE_HELP = ("officer/经办人/责任人/联络员, leader/领导/分管领导/主要领导/责任领导, "
             "supervision/督查/督查室, admin/管理员/系统管理员")


def shown(text: str, limit: int = 30) -> str:
    """``text`` quoted in a message: a cell may hold thousands of characters."""
    return text if len(text) <= limit else text[:limit] + "…"


def text_problem(label: str, value: str, max_length: int) -> str | None:
    """Why ``value`` cannot be stored in a column of ``max_length`` (NUL, bad Unicode, too long)."""
    if "\x00" in value:
        return f"{label}含有空字符（NUL），无法保存"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{label}含有无效的 Unicode 字符（孤立代理项），无法保存"
    if len(value) > max_length:
        return f"{label}过长（{len(value)} 个字符，最多 {max_length} 个）"
    return None


def login_problem(login: str) -> str | None:
    """Why ``login`` cannot be a login, or ``None``."""
    if not login:
        return "登录名为空"
    problem = text_problem("登录名", login, MAX_LOGIN)
    if problem:
        return problem
    if not _LOGIN.fullmatch(login):
        return f"登录名“{shown(login)}”含有不允许的字符（{LOGIN_RULE}）"
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a person's name, or ``None``."""
    if not name:
        return "姓名为空"
    return text_problem("姓名", name, MAX_NAME)


def phone_problem(phone: str) -> str | None:
    """Why ``phone`` cannot be a phone number (empty is fine: the column is optional), or ``None``."""
    if not phone:
        return None
    problem = text_problem("手机", phone, MAX_PHONE)
    if problem:
        return problem
    if not _PHONE.fullmatch(phone) or not any(ch.isdigit() for ch in phone):
        return f"手机“{shown(phone)}”格式不对（5–20 个字符，只能有数字、+、- 和空格）"
    return None


def email_problem(email: str) -> str | None:
    """Why ``email`` cannot be an e-mail address (empty is fine), or ``None``."""
    if not email:
        return None
    problem = text_problem("邮箱", email, MAX_EMAIL)
    if problem:
        return problem
    if not _EMAIL.fullmatch(email):
        return f"邮箱“{shown(email)}”格式不对（应为 name@example.cn）"
    return None


def unit_code_problem(code: str) -> str | None:
    """Why ``code`` cannot be a unit's code, or ``None``."""
    if not code:
        return "单位代码为空"
    problem = text_problem("单位代码", code, MAX_UNIT_CODE)
    if problem:
        return problem
    if not _UNIT_CODE.fullmatch(code):
        return f"单位代码“{shown(code)}”含有不允许的字符（只能用英文字母、数字和 . _ -）"
    return None


def unit_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a unit's name, or ``None``."""
    if not name:
        return "单位名称为空"
    return text_problem("单位名称", name, MAX_UNIT_NAME)


def split_role_words(text: str) -> list[str]:
    """The words of a 角色 cell: ``经办人、领导`` → ``['经办人', '领导']``."""
    return [word for word in _ROLE_SEPARATORS.split(text.strip()) if word]


def roles_problem(words: Iterable[str]) -> tuple[frozenset[Role], str | None]:
    """The roles ``words`` name, and why they cannot be used (none, or a word not known)."""
    found: set[Role] = set()
    unknown: list[str] = []
    for word in words:
        role = ROLE_WORDS.get(word.strip().casefold()) or ROLE_WORDS.get(word.strip())
        if role is None:
            unknown.append(word.strip())
        else:
            found.add(role)
    if unknown:
        names = "、".join(f"“{shown(w, 20)}”" for w in unknown[:5])
        return frozenset(found), f"角色{names}无法识别（可用：{ROLE_HELP}）"
    if not found:
        return frozenset(), "角色为空"
    return frozenset(found), None


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """The roles named by ``values`` (each may hold several words); ``ValidationError`` if any is unknown."""
    roles, problem = roles_problem([w for value in values for w in split_role_words(value)])
    if problem:
        raise ValidationError(problem)
    return roles


def check(*problems: str | None) -> None:
    """Raise the first problem found as a ``ValidationError``."""
    for problem in problems:
        if problem:
            raise ValidationError(problem)
