"""Who may open the ledger page and its downloads, walked with every role of the authorisation world.

Every signed-in person may open ``/ledger`` and download it, and sees only the rows
``workflows.ledger_scope`` allows: problem P (unit U1, led by leader1) for U1's officer and leader
and for leader1; the other problem (unit U2, led by leader2) for U2's officer and leader2;
both for supervision and administrators. Signed out: sent to sign in. Nothing changes.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock

from ..conftest import START
from .authorisation_world import MEASURE_TEXT, OTHER_MEASURE_TEXT, ROLES, World, build_world
from .conftest import make_test_app

COVERED_ROUTES: set[tuple[str, str]] = {("ledger.index", "GET"), ("ledger.download", "GET")}
PROBLEM_P, OTHER = "理论学习不够深入", "请休假管理不到位"
SEES = {
    "officer_own": {PROBLEM_P}, "officer_other": {OTHER}, "leader": {PROBLEM_P}, "unit_leader": {PROBLEM_P},
    "other_leader": {OTHER}, "supervision": {PROBLEM_P, OTHER}, "admin": {PROBLEM_P, OTHER},
}


@pytest.fixture
def world(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> World:
    return build_world(make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START)))


def problems_on(page: str) -> set[str]:
    return set(re.findall(r'class="problem-title" href="/problems/\d+">([^<]*)</a>', page))


def sheet_texts(content: bytes) -> str:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


def test_each_role_sees_its_own_rows_on_the_page_and_in_the_download(world: World) -> None:
    for role in ROLES:
        before = world.snapshot()
        client = world.clients[role]
        page = client.get("/ledger")
        download = client.get("/ledger/download?format=xlsx")
        if role == "signed_out":
            for response in (page, download):
                assert response.status_code == 302 and response.headers["Location"].startswith("/login"), role
        else:
            assert page.status_code == 200, role
            assert problems_on(page.get_data(as_text=True)) == SEES[role], role
            assert download.status_code == 200, role
            texts = sheet_texts(download.data)
            assert (MEASURE_TEXT in texts) == (PROBLEM_P in SEES[role]), role
            assert (OTHER_MEASURE_TEXT in texts) == (OTHER in SEES[role]), role
        assert world.snapshot() == before, f"{role} changed something by reading the ledger"
