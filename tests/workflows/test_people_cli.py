"""``rectiflow people …`` and ``rectiflow units …`` on a fresh database, as an administrator runs them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from engine.models import AuditEntry
from workflows.models import Person, Unit
from workflows.people import authenticate, person_by_login
from workflows.user_sessions import person_for_session, start_session

from .test_cli_plans import Cli

AT = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def cli(empty_database: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """A fresh database (SQLite and PostgreSQL) with the schema and nobody in it."""
    monkeypatch.delenv("RECTIFLOW_DATABASE_URL", raising=False)
    runner = Cli(empty_database.url.render_as_string(hide_password=False))
    runner("init-db")
    yield runner
    if runner._engine is not None:
        runner._engine.dispose()


def shown_password(output: str) -> str:
    match = re.search(r"^password \(shown only now\): (\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def signs_in(cli: Cli, login: str, password: str) -> bool:
    with cli.session() as session:
        return authenticate(session, login, password) is not None


def counts(cli: Cli) -> tuple[int, int, int]:
    with cli.session() as session:
        return (session.scalar(select(func.count()).select_from(Person)) or 0,
                session.scalar(select(func.count()).select_from(Unit)) or 0,
                session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


@pytest.fixture
def office(cli: Cli) -> dict[str, str]:
    """An administrator (generated password), two units and two officers; returns passwords by login."""
    added = cli("people", "add", "admin", "--name", "管理员", "--role", "系统管理员").output
    assert added.startswith("person admin added: admin\n")
    passwords = {"admin": shown_password(added)}
    assert "unit BGS added: 办公室" in cli("units", "add", "BGS", "办公室").output
    cli("units", "add", "ZZK", "综治科")
    added = cli("people", "add", "bgs", "--name", "王敏", "--unit", "办公室", "--role", "经办人、联络员",
                "--phone", "020-8908 8142", "--email", "wm@example.cn", "--password", "wangmin-secret").output
    assert added == "person bgs added: officer\n"  # a password that was typed is never printed
    passwords["bgs"] = "wangmin-secret"
    added = cli("people", "add", "zzk", "--name", "刘洋", "--unit", "ZZK", "--role", "officer", "--role", "分管领导")
    assert "person zzk added: leader,officer" in added.output
    passwords["zzk"] = shown_password(added.output)
    return passwords


def test_the_first_administrator_adds_units_and_people_who_can_sign_in(cli: Cli, office: dict[str, str]) -> None:
    assert len(office["admin"]) == 16 and office["admin"] != office["zzk"]
    for login, password in office.items():
        assert signs_in(cli, login, password)
    assert not signs_in(cli, "admin", office["zzk"])

    lines = cli("people", "list").output.splitlines()
    assert lines[0].split() == ["login", "name", "unit", "roles", "phone", "email", "active"]
    assert lines[1].split() == ["admin", "管理员", "admin", "yes"]
    assert lines[2].split() == ["bgs", "王敏", "办公室", "officer", "020-8908", "8142", "wm@example.cn", "yes"]
    assert [line.split()[0] for line in cli("people", "list", "--unit", "BGS").output.splitlines()[1:]] == ["bgs"]
    assert [line.split()[0] for line in cli("people", "list", "--role", "领导").output.splitlines()[1:]] == ["zzk"]

    units = cli("units", "list").output.splitlines()
    assert [line.split() for line in units] == [["code", "name", "active", "people"], ["BGS", "办公室", "1"],
                                                ["ZZK", "综治科", "1"]]
    with cli.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        added = [(e.actor, e.action, (e.detail or {}).get("login") or (e.detail or {}).get("code")) for e in entries
                 if e.action in ("person_added", "unit_added")]
        assert "secret" not in str([e.detail for e in entries])  # no password in the log
    assert added == [("admin", "person_added", "admin"), ("admin", "unit_added", "BGS"),
                     ("admin", "unit_added", "ZZK"), ("admin", "person_added", "bgs"),
                     ("admin", "person_added", "zzk")]


def test_bad_input_is_one_line_and_changes_nothing(cli: Cli, office: dict[str, str]) -> None:
    before = counts(cli)
    refused = {
        ("people", "add", "wwk", "--name", "黄婷", "--unit", "维稳科", "--role", "officer"):
            "no unit with code or name '维稳科'",
        ("people", "add", "wwk", "--name", "黄婷", "--role", "局长"): "角色“局长”无法识别",
        ("people", "add", "王 五", "--name", "王五", "--role", "officer"): "登录名“王 五”含有不允许的字符",
        ("people", "add", "wwk", "--name", "黄婷", "--role", "officer", "--phone", "call me"): "手机“call me”格式不对",
        ("people", "add", "wwk", "--name", "黄婷", "--role", "officer", "--email", "no-at-sign"):
            "邮箱“no-at-sign”格式不对",
        ("people", "add", "wwk", "--name", "黄" * 101, "--role", "officer"): "姓名过长（101 个字符，最多 100 个）",
        ("people", "add", "bgs", "--name", "王敏", "--role", "officer"): "login bgs is taken",
        ("people", "add", "wwk", "--name", "黄婷", "--role", "officer", "--password", "short"): "at least 8",
        ("people", "add", "wwk", "--name", "黄婷", "--role", "officer", "--user", "bgs"): "bgs is not an administrator",
        ("people", "add", "wwk", "--name", "黄婷", "--role", "officer", "--user", "nobody"):
            "no active administrator with login 'nobody'",
        ("people", "set-role", "nobody", "--role", "officer"): "no person with login 'nobody'",
        ("people", "deactivate", "nobody"): "no person with login 'nobody'",
        ("people", "set-password", "nobody"): "no person with login 'nobody'",
        ("people", "set-password", "bgs", "--password", "long-enough", "--generate"): "not both",
        ("people", "deactivate", "admin"): "admin is the last active administrator",
        ("people", "set-role", "admin", "--role", "leader"): "admin is the last active administrator",
        ("units", "add", "BGS", "另一个办公室"): "unit BGS (办公室) already exists",
        ("units", "add", "BGS2", "办公室"): "unit BGS (办公室) already exists",
        ("units", "add", "办公", "办公室二"): "单位代码“办公”含有不允许的字符",
        ("units", "rename", "NOPE", "新名"): "no unit with code 'NOPE'",
        ("units", "rename", "BGS", "综治科"): "the name 综治科 already belongs to unit ZZK",
    }
    for args, message in refused.items():
        output = cli(*args, ok=False).output
        assert message in output, (args, output)
        assert len(output.strip().splitlines()) == 1, output
    assert counts(cli) == before
    with cli.session() as session:
        admin = person_by_login(session, "admin")
        assert admin is not None and admin.active and [r.value for r in admin.roles] == ["admin"]
    assert signs_in(cli, "bgs", office["bgs"])


def test_deactivating_ends_sessions_and_activating_lets_them_back(cli: Cli, office: dict[str, str]) -> None:
    with cli.session() as session:
        bgs = person_by_login(session, "bgs")
        assert bgs is not None
        token = start_session(session, bgs, at=AT, max_age=timedelta(hours=8))
        session.commit()
    assert cli("people", "deactivate", "bgs").output == "person bgs deactivated (1 session(s) ended)\n"
    assert cli("people", "deactivate", "bgs").output == "person bgs is already deactivated\n"
    with cli.session() as session:
        assert person_for_session(session, token, at=AT, max_age=timedelta(hours=8)) is None
    assert not signs_in(cli, "bgs", office["bgs"])
    assert "bgs" not in cli("people", "list").output
    assert cli("people", "list", "--all").output.splitlines()[2].split()[-1] == "no"
    assert [u.split()[-1] for u in cli("units", "list").output.splitlines()[1:]] == ["0", "1"]

    assert cli("people", "activate", "bgs").output == "person bgs activated\n"
    assert signs_in(cli, "bgs", office["bgs"])
    with cli.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "admin")).all()
    assert {"person_deactivated", "person_activated"} <= set(actions)


def test_roles_are_replaced_and_a_second_administrator_lets_the_first_step_down(
    cli: Cli, office: dict[str, str]
) -> None:
    assert cli("people", "set-role", "bgs", "--role", "督查室 管理员").output == "person bgs: admin,supervision\n"
    assert cli("people", "set-role", "admin", "--role", "leader", "--user", "bgs").output == "person admin: leader\n"
    # admin is no administrator any more: it cannot manage people, bgs can
    assert "admin is not an administrator" in cli("people", "deactivate", "zzk", ok=False).output
    assert "person zzk deactivated" in cli("people", "deactivate", "zzk", "--user", "bgs").output
    with cli.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "person_roles_changed")
                                .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.actor == "bgs"
        assert entry.detail == {"login": "admin", "roles": [["admin"], ["leader"]]}


def test_a_new_password_is_generated_once_or_taken_as_given(cli: Cli, office: dict[str, str]) -> None:
    with cli.session() as session:
        zzk = person_by_login(session, "zzk")
        assert zzk is not None
        token = start_session(session, zzk, at=AT, max_age=timedelta(hours=8))
        session.commit()
    changed = cli("people", "set-password", "zzk").output
    assert changed.startswith("password of zzk changed (1 session(s) ended)\n")
    new = shown_password(changed)
    assert signs_in(cli, "zzk", new) and not signs_in(cli, "zzk", office["zzk"])
    with cli.session() as session:
        assert person_for_session(session, token, at=AT, max_age=timedelta(hours=8)) is None

    given = cli("people", "set-password", "zzk", "--password", "liuyang-2026").output
    assert given == "password of zzk changed (0 session(s) ended)\n"
    assert signs_in(cli, "zzk", "liuyang-2026")


def test_a_unit_is_renamed_and_found_by_its_new_name(cli: Cli, office: dict[str, str]) -> None:
    assert cli("units", "rename", "BGS", "委办公室").output == "unit BGS renamed: 委办公室\n"
    assert "委办公室" in cli("people", "list", "--unit", "委办公室").output
    assert "no unit with code or name '办公室'" in cli("people", "list", "--unit", "办公室", ok=False).output
    with cli.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "unit_renamed")).one()
    assert entry.detail == {"code": "BGS", "old_name": "办公室", "name": "委办公室"}


def test_before_any_administrator_the_literal_admin_may_act_and_then_no_longer(cli: Cli) -> None:
    cli("units", "add", "DCS", "督查室")
    cli("people", "add", "ducha", "--name", "赵督查", "--unit", "DCS", "--role", "督查")
    # still no administrator: 'admin' may add the first one, and after that must exist to act
    cli("people", "add", "chief", "--name", "钱主任", "--role", "admin")
    assert "no active administrator with login 'admin'" in cli("units", "add", "X", "某单位", ok=False).output
    assert "unit X added" in cli("units", "add", "X", "某单位", "--user", "chief").output
