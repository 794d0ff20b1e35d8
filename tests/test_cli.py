"""The command line as a user meets it: help, one-line errors and exit codes."""

from __future__ import annotations

import pytest

from joblens.errors import ExitCode
from support.cli import run_joblens


def test_help_explains_the_command_and_its_exit_codes() -> None:
    result = run_joblens("--help")
    assert result.returncode == 0
    for words in ("JOB_ID", "demo", "logs", "SUPABASE_URL", "Exit codes"):
        assert words in result.stdout


def test_demo_help_lists_the_scenarios() -> None:
    result = run_joblens("demo", "--help")
    assert result.returncode == 0
    for scenario in ("plan", "deploy-fail", "long"):
        assert scenario in result.stdout


def test_version() -> None:
    result = run_joblens("--version")
    assert result.returncode == 0 and "joblens" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--bogus",),
        ("demo", "--scenario", "nope"),
        ("demo", "--speed", "-1"),
        ("logs",),
        ("logs", "3f2a9c1e", "--stream", "stdin"),
        ("summary",),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    result = run_joblens(*args)
    assert result.returncode == ExitCode.USAGE
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("joblens: ")


def test_a_bad_grep_pattern_is_one_usage_line_naming_the_option() -> None:
    result = run_joblens("logs", "3f2a9c1e", "--grep", "ok", "--grep", "(unclosed")
    assert result.returncode == ExitCode.USAGE and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(
        "joblens: Invalid value for '--grep': '(unclosed' is not a valid regular expression: "
        "missing ), unterminated subpattern"
    )


def test_invert_without_a_pattern_is_a_usage_error() -> None:
    result = run_joblens("logs", "3f2a9c1e", "-v")
    assert result.returncode == ExitCode.USAGE
    assert len(result.stderr.strip().splitlines()) == 1 and "--invert needs" in result.stderr


def test_logs_and_summary_help_describe_the_new_options() -> None:
    logs = run_joblens("logs", "--help").stdout
    for words in ("--grep RE", "--invert", "--stream", "--timestamps", "--line-numbers", "--utc"):
        assert words in logs
    summary = run_joblens("summary", "--help")
    assert summary.returncode == 0 and "--json" in summary.stdout


@pytest.mark.parametrize("ref", ["not-a-job", "1234567", "zzzzzzzz", "12345678-zz"])
def test_a_malformed_job_id_is_exit_4_before_any_configuration(ref: str) -> None:
    for args in ((ref,), ("logs", ref), ("summary", ref, "--json")):
        result = run_joblens(*args)
        assert result.returncode == ExitCode.NOT_FOUND
        assert result.stderr.strip().splitlines() == [
            f"joblens: {ref!r} is not a job id: give the full id or at least its first 8 hex digits"
        ]


def test_missing_configuration_names_what_to_set() -> None:
    result = run_joblens("3f2a9c1e")
    assert result.returncode == ExitCode.CONFIG
    assert len(result.stderr.strip().splitlines()) == 1
    assert "SUPABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback_and_keeps_the_errors_exit_code() -> None:
    """--debug is for reading what went wrong, not for changing what a script is told."""
    result = run_joblens("--debug", "3f2a9c1e")
    assert result.returncode == ExitCode.CONFIG
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("joblens: ")
    assert "SUPABASE_URL" in result.stderr.strip().splitlines()[-1]


def test_piped_demo_prints_the_logs_and_exits_with_the_jobs_outcome() -> None:
    result = run_joblens("demo", "--speed", "100")
    assert result.returncode == ExitCode.OK, result.stderr
    assert "Plan:" in result.stdout
    assert "\x1b" not in result.stdout  # no colour when stdout is not a terminal
    failed = run_joblens("demo", "--scenario", "deploy-fail", "--speed", "100")
    assert failed.returncode == ExitCode.JOB_FAILED
    assert "Error" in failed.stderr
