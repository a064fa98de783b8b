"""``rectiflow deploy --check FILE…``: every problem of every file, no database touched."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from web.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn"
MODELERS = FIXTURES / "modelers"


def check(tmp_path: Path, *files: Path) -> Result:
    database = tmp_path / "never-created.db"
    result = CliRunner().invoke(main, ["deploy", "--check", *map(str, files)],
                                env={"RECTIFLOW_DATABASE_URL": f"sqlite:///{database}"})
    assert "Traceback" not in result.output
    assert not database.exists()  # a check writes nothing, not even an empty database
    return result


def test_deployable_files_pass_with_exit_status_zero(tmp_path):
    files = [MODELERS / "camunda_export.bpmn", MODELERS / "signavio_export.bpmn", MODELERS / "bizagi_export.bpmn"]
    result = check(tmp_path, *files)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{f.name}: ok, deployable" for f in files]


def test_every_problem_of_every_file_is_listed_and_the_exit_status_is_one(tmp_path):
    files = [MODELERS / "no_executable.bpmn", MODELERS / "abstract_tasks.bpmn", FIXTURES / "deploy_unclaimable.bpmn",
             tmp_path / "missing.bpmn"]
    result = check(tmp_path, *files)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith('no_executable.bpmn: no process is marked executable (isExecutable="true")')
    assert lines[1].startswith("no_executable.bpmn: element id 'Start' (startEvent \"Start\", line 4) is reserved")
    assert lines[2] == "abstract_tasks.bpmn: ok, deployable"
    assert lines[3].startswith("deploy_unclaimable.bpmn: user task 'Task_orphan'") and "line 10" in lines[3]
    assert lines[4] == f"{tmp_path / 'missing.bpmn'}: cannot read the file: No such file or directory"
    assert "3 of 4 file(s) would be refused" in result.stderr


def test_check_needs_files(tmp_path):
    result = check(tmp_path)
    assert result.exit_code == 2 and "needs the BPMN files" in result.output


def test_service_tasks_are_checked_against_the_services_this_installation_enables(tmp_path):
    deadline = FIXTURES / "services" / "svc_deadline.bpmn"
    assert check(tmp_path, deadline).exit_code == 0  # set_deadline is enabled by default
    database = tmp_path / "never-created.db"
    result = CliRunner().invoke(main, ["deploy", "--check", str(deadline)],
                                env={"RECTIFLOW_DATABASE_URL": f"sqlite:///{database}", "RECTIFLOW_SERVICES": "notify"})
    assert result.exit_code == 1 and not database.exists()
    assert "service 'set_deadline' is not enabled; enabled services: notify" in result.output
