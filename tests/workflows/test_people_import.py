"""``rectiflow people import`` and ``people template``: a whole office from one sheet, all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from workflows.models import Person, Role, Unit
from workflows.people import authenticate, person_by_login

from .test_cli_plans import Cli

HEADER = ["登录名", "姓名", "单位", "角色", "手机", "邮箱"]
UNITS = [("BGS", "办公室"), ("ZZK", "综治科"), ("WWK", "维稳科"), ("DWK", "队伍建设科"), ("DZZ", "机关党总支"),
         ("XCB", "区委巡察办")]
ROLE_WORDS = ["经办人", "责任人", "联络员", "分管领导", "主要领导、责任领导", "督查室", "经办人/领导", "officer"]
EXPECTED = {"经办人": {Role.OFFICER}, "责任人": {Role.OFFICER}, "联络员": {Role.OFFICER},
            "分管领导": {Role.LEADER}, "主要领导、责任领导": {Role.LEADER}, "督查室": {Role.SUPERVISION},
            "经办人/领导": {Role.OFFICER, Role.LEADER}, "officer": {Role.OFFICER}}


def office_rows() -> list[list[str]]:
    """20 people in 6 units, the unit by code or by name, roles in the words offices use."""
    rows = []
    for n in range(20):
        code, name = UNITS[n % len(UNITS)]
        rows.append([f"user{n:02d}", f"张{'一二三四五六七八九十'[n % 10]}{n}", code if n % 2 else name,
                     ROLE_WORDS[n % len(ROLE_WORDS)], f"1380013{n:04d}", f"user{n}@example.cn"])
    return rows


def write_xlsx(path: Path, rows: list[list[object]], *, header: list[str] = HEADER, above: int = 0) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for n in range(above):
        sheet.append([f"人员名单（第{n + 1}行标题）"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    text = io.StringIO()
    csv.writer(text).writerows([HEADER, *rows])
    path.write_bytes(text.getvalue().encode(encoding))
    return path


@pytest.fixture
def cli(empty_database: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """A fresh database (SQLite and PostgreSQL) with an administrator and the six units."""
    monkeypatch.delenv("RECTIFLOW_DATABASE_URL", raising=False)
    runner = Cli(empty_database.url.render_as_string(hide_password=False))
    runner("init-db")
    runner("people", "add", "admin", "--name", "管理员", "--role", "admin", "--password", "admin-password")
    for code, name in UNITS:
        runner("units", "add", code, name)
    yield runner
    if runner._engine is not None:
        runner._engine.dispose()


def passwords(output: str) -> dict[str, str]:
    """The (login, password) pairs of the table an import prints."""
    lines = output.splitlines()
    start = lines.index(next(line for line in lines if line.split() == ["login", "name", "password"]))
    found = {}
    for line in lines[start + 1:]:
        cells = line.split()
        if len(cells) != 3:
            break
        found[cells[0]] = cells[2]
    return found


def totals(cli: Cli) -> tuple[int, int]:
    with cli.session() as session:
        return (session.scalar(select(func.count()).select_from(Person)) or 0,
                session.scalar(select(func.count()).select_from(Unit)) or 0)


def assert_office_imported(cli: Cli, output: str, signing_in: int = 20) -> None:
    """The 20 people exist with their units, roles and contacts; the first ``signing_in`` of them sign
    in with the printed passwords (the others' passwords are checked as printed, not hashed again)."""
    assert output.splitlines()[-1] == "people: 20 added, 0 updated; units: 0 added"
    printed = passwords(output)
    assert sorted(printed) == [f"user{n:02d}" for n in range(20)]
    rows = office_rows()
    with cli.session() as session:
        for n, (login, name, _unit, role_words, phone, email) in enumerate(rows):
            person = authenticate(session, login, printed[login]) if n < signing_in else person_by_login(session, login)
            assert person is not None, login
            assert len(printed[login]) == 16
            assert person.name == name and person.phone == phone and person.email == email
            assert person.unit is not None and person.unit.code == UNITS[n % len(UNITS)][0]
            assert person.roles == EXPECTED[role_words]
    units = cli("units", "list").output.splitlines()[1:]
    assert [line.split()[-1] for line in units] == ["4", "3", "3", "3", "3", "4"]  # BGS DWK DZZ WWK XCB ZZK


def test_an_xlsx_of_twenty_people_in_six_units_imports_and_they_sign_in(cli: Cli, tmp_path: Path) -> None:
    output = cli("people", "import", write_xlsx(tmp_path / "people.xlsx", office_rows())).output
    assert_office_imported(cli, output)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_in_utf8_or_gb18030_imports(cli: Cli, tmp_path: Path, encoding: str) -> None:
    sheet = write_csv(tmp_path / "people.csv", office_rows(), encoding)
    assert_office_imported(cli, cli("people", "import", sheet).output, signing_in=2)


def test_columns_are_found_by_header_in_any_order_under_a_title(cli: Cli, tmp_path: Path) -> None:
    header = ["序号", "邮箱", "角色", "姓名", "备注", "单位", "登录名"]
    rows = [[1, "", "督查", "赵督查", "不导入", "区委巡察办", "ducha"],
            [2, "x@y.cn", "领导", "李书记", "", "BGS", "shuji"]]
    output = cli("people", "import", write_xlsx(tmp_path / "p.xlsx", rows, header=header, above=2)).output
    assert output.splitlines()[-1] == "people: 2 added, 0 updated; units: 0 added"
    with cli.session() as session:
        shuji = person_by_login(session, "shuji")
        assert shuji is not None and shuji.email == "x@y.cn" and shuji.phone is None
        assert shuji.roles == {Role.LEADER} and shuji.unit is not None and shuji.unit.name == "办公室"


def test_every_bad_row_is_reported_with_its_row_number_and_nothing_is_written(cli: Cli, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["ok1", "好人", "BGS", "经办人", "", ""],                       # row 2: fine
        ["", "无名", "BGS", "经办人", "", ""],                          # 3
        ["王 五", "王五", "BGS", "经办人", "", ""],                     # 4
        ["ok1", "重复", "BGS", "经办人", "", ""],                       # 5
        ["u6", "张六", "不存在的单位", "经办人", "", ""],               # 6
        ["u7", "张七", "BGS", "局长", "", ""],                          # 7
        ["u8", "张八", "BGS", "经办人", "电话号码", ""],                # 8
        ["u9", "张九", "BGS", "经办人", "", "not-an-email"],            # 9
        ["u10", "张" * 101, "BGS", "经办人", "", ""],                   # 10
        ["u11", "=A2", "BGS", "经办人", "", ""],                        # 11: a formula
        ["u12", "张十二", "BGS", "", "", ""],                           # 12
    ]
    sheet = write_xlsx(tmp_path / "bad.xlsx", rows)
    before = totals(cli)
    output = cli("people", "import", sheet, ok=False).output
    expected = {3: "登录名为空", 4: "登录名“王 五”含有不允许的字符", 5: "登录名 ok1 与第2行重复",
                6: "单位“不存在的单位”不存在", 7: "角色“局长”无法识别", 8: "手机“电话号码”格式不对",
                9: "邮箱“not-an-email”格式不对", 10: "姓名过长（101 个字符，最多 100 个）", 11: "姓名是公式 =A2",
                12: "角色为空"}
    lines = output.splitlines()
    for row, message in expected.items():
        assert any(line.startswith(f"第{row}行：") and message in line for line in lines), (row, output)
    assert not any(line.startswith("第2行") for line in lines)
    assert lines[-1] == "Error: 10 bad row(s) in bad.xlsx; nothing was imported"
    assert "password" not in output and totals(cli) == before

    nul = write_csv(tmp_path / "nul.csv", [["u1", "张\x00一", "BGS", "经办人", "", ""]])
    assert "第2行：姓名含有空字符（NUL）" in cli("people", "import", nul, ok=False).output
    assert totals(cli) == before


def test_a_second_import_updates_and_prints_no_password(cli: Cli, tmp_path: Path) -> None:
    rows = office_rows()
    first = passwords(cli("people", "import", write_xlsx(tmp_path / "a.xlsx", rows)).output)
    rows[0][1], rows[0][4] = "张一改名", "020-1234567"
    rows[1][2], rows[1][3] = "XCB", "督查"
    rows.append(["user20", "新同事", "DZZ", "经办人", "", ""])
    output = cli("people", "import", write_xlsx(tmp_path / "b.xlsx", rows)).output
    lines = output.splitlines()
    assert "updated: user00 (name, phone)" in lines and "updated: user01 (unit, roles)" in lines
    assert "18 existing people unchanged" in lines
    assert lines[-1] == "people: 1 added, 2 updated; units: 0 added"
    assert list(passwords(output)) == ["user20"]  # only the new person's, just generated
    assert not any(password in output for password in first.values())
    with cli.session() as session:
        person = authenticate(session, "user00", first["user00"])  # the password is untouched
        assert person is not None and person.name == "张一改名"
        moved = person_by_login(session, "user01")
        assert moved is not None and moved.unit is not None and moved.unit.code == "XCB"
        assert moved.roles == {Role.SUPERVISION}


def test_missing_units_are_refused_or_added_with_generated_codes(cli: Cli, tmp_path: Path) -> None:
    rows = [["a1", "甲", "新单位甲", "经办人", "", ""], ["a2", "乙", "新单位乙", "经办人", "", ""],
            ["a3", "丙", "新单位甲", "领导", "", ""], ["a4", "丁", "BGS", "经办人", "", ""]]
    sheet = write_xlsx(tmp_path / "units.xlsx", rows)
    before = totals(cli)
    refused = cli("people", "import", sheet, ok=False).output
    assert "第2行：单位“新单位甲”不存在" in refused and "第4行：单位“新单位甲”不存在" in refused
    dry = cli("people", "import", sheet, "--add-units", "--dry-run").output.splitlines()
    assert dry[:2] == ["new unit: U001 新单位甲", "new unit: U002 新单位乙"]
    assert dry[-1] == "people: 4 to add, 0 to update; units: 2 to add (dry run: nothing was written)"
    assert totals(cli) == before

    output = cli("people", "import", sheet, "--add-units").output.splitlines()
    assert output[:2] == ["unit added: U001 新单位甲", "unit added: U002 新单位乙"]
    assert output[-1] == "people: 4 added, 0 updated; units: 2 added"
    listed = [line.split() for line in cli("units", "list").output.splitlines()]
    assert ["U001", "新单位甲", "2"] in listed and ["U002", "新单位乙", "1"] in listed


def test_the_template_filled_in_imports(cli: Cli, tmp_path: Path) -> None:
    template = tmp_path / "人员模板.xlsx"
    cli("people", "template", "-o", template)
    book = load_workbook(template)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER and sheet.max_row == 1
    assert sheet["A1"].font.name == "宋体" and sheet.column_dimensions["C"].width == 30
    assert book.sheetnames == ["人员", "说明"] and "--add-units" in str([c.value for c in book["说明"]["A"]])
    for row in office_rows()[:5]:
        sheet.append(row)
    book.save(template)
    output = cli("people", "import", template).output
    assert output.splitlines()[-1] == "people: 5 added, 0 updated; units: 0 added"

    csv_template = tmp_path / "template.csv"
    cli("people", "template", "-o", csv_template)
    assert csv_template.read_bytes() == (",".join(HEADER) + "\r\n").encode("utf-8-sig")  # BOM: Excel reads UTF-8
    with open(csv_template, "a", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(office_rows()[5:8])
    assert cli("people", "import", csv_template).output.splitlines()[-1] == "people: 3 added, 0 updated; units: 0 added"


def test_passwords_can_go_to_a_file_instead_of_the_screen(cli: Cli, tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "p.csv", office_rows()[:3])
    out = tmp_path / "passwords.csv"
    output = cli("people", "import", sheet, "--passwords-out", out).output
    assert f"passwords of the 3 new people written to {out}" in output
    with open(out, encoding="utf-8-sig", newline="") as file:
        written = list(csv.reader(file))
    assert written[0] == ["登录名", "姓名", "密码"] and len(written) == 4
    assert not any(row[2] in output for row in written[1:])
    with cli.session() as session:
        assert all(authenticate(session, login, password) for login, _, password in written[1:])
    again = cli("people", "import", write_csv(tmp_path / "q.csv", office_rows()[3:4]), "--passwords-out", out,
                ok=False).output
    assert "exists: name a new file" in again and totals(cli)[0] == 4  # admin and the first three


def test_a_file_that_is_not_a_people_sheet_is_one_line(cli: Cli, tmp_path: Path) -> None:
    no_header = write_xlsx(tmp_path / "x.xlsx", [["a", "b"]], header=["甲", "乙"])
    assert "no header (表头) with 登录名、姓名、单位、角色" in cli("people", "import", no_header, ok=False).output
    empty = write_xlsx(tmp_path / "empty.xlsx", [])
    assert "the sheet lists nobody" in cli("people", "import", empty, ok=False).output
    partial = write_xlsx(tmp_path / "y.xlsx", [], header=["登录名", "姓名", "单位"])
    assert "lacks the column(s) 角色" in cli("people", "import", partial, ok=False).output
    fake = tmp_path / "z.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a workbook")
    assert "is not an Excel workbook" in cli("people", "import", fake, ok=False).output
    latin = tmp_path / "l.csv"
    latin.write_bytes(b"\xff\xfe\x00")
    assert "Traceback" not in cli("people", "import", latin, ok=False).output
    assert "an .xlsx workbook or a .csv" in cli("people", "import", tmp_path / "p.xls", ok=False).output
    assert totals(cli) == (1, 6)
