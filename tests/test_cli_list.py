"""`joblens list` (and bare `joblens`) as a script meets it: its options, one-line errors and
exit codes, the plain table and the JSON (the JSON's content through the local stack is
tests/supabase/test_supabase_list_cli.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from joblens.errors import ExitCode
from joblens.list_output import list_json, list_table
from joblens.models import Job
from support.cli import run_joblens

T0 = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("list", "--status", "bogus"), "Invalid value for '--status': 'bogus' is not one of"),
        (("list", "--status", "failed,nope"), "'nope' is not one of QUEUED"),
        (("list", "--type", "PLAN,apply"), "Invalid value for '--type': 'apply' is not one of"),
        (("list", "--limit", "0"), "Invalid value for '--limit': 0 is not in the range"),
        (("list", "--limit", "1001"), "Invalid value for '--limit'"),
        (("list", "--limit", "many"), "Invalid value for '--limit': 'many' is not a valid"),
        (("list", "--jsn"), "No such option '--jsn'. Did you mean '--json'?"),
    ],
)
def test_bad_list_options_give_one_line_and_exit_2(args: tuple[str, ...], words: str) -> None:
    result = run_joblens(*args)
    assert (result.returncode, result.stdout) == (ExitCode.USAGE, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("joblens: ") and words in line, line


@pytest.mark.parametrize("args", [(), ("list",), ("list", "--json", "--status", "active")])
def test_the_list_without_configuration_names_what_to_set(args: tuple[str, ...]) -> None:
    """Bare `joblens` is the list now (it was the help): it needs a project like any read."""
    result = run_joblens(*args)
    assert (result.returncode, result.stdout) == (ExitCode.CONFIG, "")
    [line] = result.stderr.splitlines()
    assert "SUPABASE_URL" in line and "Traceback" not in result.stderr


def test_list_help_names_its_options_and_the_keys() -> None:
    result = run_joblens("list", "--help")
    assert result.returncode == 0
    for words in ("--json", "--status", "--type", "--limit", "active", "CONNECTION_TEST", "Esc"):
        assert words in result.stdout, words


def test_the_piped_demo_list_prints_a_plain_table_of_its_jobs() -> None:
    result = run_joblens("demo", "--list", "--speed", "100")
    assert result.returncode == ExitCode.OK, result.stderr
    title, *rows = result.stdout.splitlines()
    assert title.split() == ["ID", "TYPE", "STATUS", "TENDRIL", "VINE", "CREATED", "DURATION"]
    assert len(rows) == 10 and "\x1b" not in result.stdout
    assert [row.split()[1:3] for row in rows[:2]] == [["PLAN", "QUEUED"], ["PLAN", "QUEUED"]]
    assert {row.split()[2] for row in rows} == {"QUEUED", "SUCCESS", "FAILED", "CANCELLED"}


def _job(**fields: object) -> Job:
    row = {
        "id": "3f2a9c1e-0000-4000-8000-000000000001",
        "job_type": "DEPLOY",
        "status": "FAILED",
        "created_at": T0,
        "started_at": T0 + timedelta(seconds=3),
        "completed_at": T0 + timedelta(minutes=3, seconds=10),
        "error_message": "Error: db_password = hunter2-secret\x1b[2J",
        "worker_id": "w1",
        "worker": {"name": "tendril\x1b]0;x\x07-eu"},
        "vine_id": "v1",
        "vine": {"project_name": "acme", "environment_stage": "staging"},
        "config_snapshot": {"db_password": "hunter2-secret"},
        "execution_metadata": {"argocd_admin_password": "s3cret-admin"},
    }
    row.update(fields)
    return Job.from_row(row)


def test_list_json_has_stable_keys_and_no_secrets() -> None:
    [item] = list_json([_job()])
    assert list(item) == [
        "id",
        "type",
        "status",
        "tendril",
        "tendril_id",
        "requested_tendril",
        "requested_tendril_id",
        "created_at",
        "started_at",
        "completed_at",
        "duration",
        "error_message",
        "plan_job_id",
        "short_id",
        "vine",
        "vine_stage",
        "vineyard",
    ]
    assert (item["short_id"], item["vine"], item["vine_stage"]) == ("3f2a9c1e", "acme", "staging")
    assert item["created_at"] == "2026-11-28T09:30:00+00:00"
    assert item["duration"] == {"phase": "took", "seconds": 187.0}
    text = json.dumps(list_json([_job()]))
    assert "hunter2-secret" not in text and "s3cret-admin" not in text
    assert "\\u001b" not in text and item["tendril"] == "tendril-eu"


def test_the_plain_table_lines_up_one_job_a_line() -> None:
    jobs = [_job(), _job(id="0badc0de-0000-4000-8000-000000000002", status="QUEUED", worker=None)]
    table = list_table(jobs, now=T0 + timedelta(minutes=5))
    title, first, second = table.splitlines()
    assert first.split()[:4] == ["3f2a9c1e", "DEPLOY", "FAILED", "tendril-eu"]
    assert first.split()[-1] == "3m07s"
    assert second.split()[:4] == ["0badc0de", "DEPLOY", "QUEUED", "—"]
    assert title.index("CREATED") == first.index("2026-") == second.index("2026-")
    assert "\x1b" not in table
