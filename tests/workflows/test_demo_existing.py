"""``rectiflow demo`` on a database that already holds an organisation and a plan: add, reuse or refuse."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from engine.models import ProcessInstance
from workflows.demo import DEMO_PASSWORD, DEMO_TITLE, PEOPLE
from workflows.models import InspectionRound, Person, Unit
from workflows.people import authenticate, person_by_login

from ..conftest import SEED
from .test_cli_plans import Cli


@pytest.fixture
def cli(empty_database: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """A fresh database (SQLite and PostgreSQL) with the schema and the deployed lifecycle."""
    monkeypatch.delenv("RECTIFLOW_DATABASE_URL", raising=False)
    runner = Cli(empty_database.url.render_as_string(hide_password=False))
    runner("init-db")
    yield runner
    if runner._engine is not None:
        runner._engine.dispose()


def totals(cli: Cli) -> dict[str, int]:
    with cli.session() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Unit, Person, InspectionRound, ProcessInstance)}


def first_task(output: str) -> str:
    match = re.search(r"^(\d+)\s", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_demo_after_an_imported_seed_plan_adds_the_rest_and_its_people_can_act(cli: Cli) -> None:
    cli("units", "add", "XCB", "区委巡察办")
    cli("people", "add", "admin", "--name", "系统管理员", "--unit", "XCB", "--role", "admin",
        "--password", "my-own-password")
    assert "(25 lifecycles launched)" in cli("import-plan", SEED).output
    with cli.session() as session:
        seed_unit = session.scalars(select(Unit).where(Unit.name == "海珠区委政法委")).one()
        assert seed_unit.code != "ZFW"  # the import made up its own code
        seed_code = seed_unit.code

    output = cli("demo").output.splitlines()
    assert output[0] == "demo loaded: round 2: 10 parts, 20 problems, 43 measures"
    assert "units added: ZFW" not in output and "units added: BGS, ZZK, WWK, DWK, DZZ" in output
    assert output[-1] == (f"already there, reused: 区委巡察办 (XCB), 海珠区委政法委 ({seed_code}), admin "
                          "(their passwords are unchanged)")
    counts = totals(cli)
    assert counts == {"Unit": 7, "Person": 9, "InspectionRound": 2, "ProcessInstance": 45}
    with cli.session() as session:
        assert authenticate(session, "admin", "my-own-password") is not None
        assert authenticate(session, "admin", DEMO_PASSWORD) is None
        assert authenticate(session, "shuji", DEMO_PASSWORD) is not None
        shuji = person_by_login(session, "shuji")
        assert shuji is not None and shuji.unit is not None and shuji.unit.code == seed_code

    # the demo's officer and leader work on the demo plan
    task = first_task(cli("tasks", "--user", "dzz").output)
    cli("claim", task, "--user", "dzz")
    cli("complete", task, "--user", "dzz", "--data", json.dumps({"progress": "已落实"}))
    approval = first_task(cli("tasks", "--user", "shuji").output)
    cli("claim", approval, "--user", "shuji")
    cli("complete", approval, "--user", "shuji", "--data", json.dumps({"review_decision": "approve"}))

    again = cli("demo").output
    assert again == "demo already loaded, nothing added: round 2: 10 parts, 20 problems, 43 measures\n"
    assert totals(cli) == counts


def test_demo_twice_on_a_fresh_database_adds_nothing_the_second_time(cli: Cli) -> None:
    first = cli("demo").output.splitlines()
    assert first[0] == "demo loaded: round 1: 10 parts, 20 problems, 43 measures"
    assert first[1] == "units added: XCB, ZFW, BGS, ZZK, WWK, DWK, DZZ"
    assert first[2].startswith(f"people (password {DEMO_PASSWORD}): admin (管理员), ducha (督查), shuji (领导)")
    counts = totals(cli)
    assert "nothing added" in cli("demo").output
    assert totals(cli) == counts
    with cli.session() as session:
        assert session.scalars(select(InspectionRound.title)).all() == [DEMO_TITLE]
        assert {p.login for p in session.scalars(select(Person))} == {login for login, *_ in PEOPLE}


def test_a_missing_person_is_added_to_an_existing_demo(cli: Cli) -> None:
    cli("demo")
    cli("people", "set-role", "wwk", "--role", "officer")  # reused as long as it agrees
    with cli.session() as session:
        session.execute(Person.__table__.delete().where(Person.login == "dwk"))
        session.commit()
    output = cli("demo").output.splitlines()
    assert output[0] == "demo round already there: round 1: 10 parts, 20 problems, 43 measures"
    assert output[1] == f"people (password {DEMO_PASSWORD}): dwk (经办人)"
    assert totals(cli)["InspectionRound"] == 1


def test_a_clash_is_reported_line_by_line_and_nothing_changes(cli: Cli) -> None:
    cli("units", "add", "ZFW", "政法委")
    cli("units", "add", "BGS", "办公室")
    cli("units", "add", "XCB", "区委巡察办")
    cli("people", "add", "ducha", "--name", "赵督查", "--unit", "XCB", "--role", "officer")
    cli("people", "add", "shuji", "--name", "张三", "--role", "leader")
    cli("people", "add", "bgs", "--name", "王敏", "--role", "officer")  # the demo's name, but no unit
    cli("people", "add", "zzk", "--name", "刘洋", "--role", "leader")
    before = totals(cli)
    output = cli("demo", ok=False).output.splitlines()
    assert output == [
        "unit code ZFW is “政法委” in this database; the demo's ZFW is “海珠区委政法委”",
        "login ducha (赵督查) lacks the role supervision the demo's ducha has",
        "login shuji is 张三 in this database; the demo's shuji is 李书记",
        "login bgs is 王敏 without a unit in this database; the demo's bgs is 王敏 of 办公室",
        "login zzk is 刘洋 without a unit in this database; the demo's zzk is 刘洋 of 综治科",
        "Error: the demo clashes with this database in 5 place(s); nothing was changed",
    ]
    assert totals(cli) == before
    with cli.session() as session:
        assert session.scalars(select(Unit.name).where(Unit.code == "ZFW")).one() == "政法委"
        assert authenticate(session, "shuji", DEMO_PASSWORD) is None
