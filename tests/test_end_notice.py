"""What joblens says when a job ends, and how it asks the desktop to say it (end_notice.py)."""

from __future__ import annotations

import stat
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joblens.end_notice import (
    DETAIL_CHARS,
    DesktopNotifier,
    EndNotice,
    ended_summary,
    exit_code_for,
    find_notifier,
    just_ended,
    notice_for,
)
from joblens.errors import ExitCode
from joblens.models import Job
from joblens.sanitize import display_text

T0 = datetime(2026, 11, 28, 9, 30, 0, tzinfo=UTC)
JOB_ID = "abcd1234-0000-4000-8000-000000000001"
HOSTILE_NAME = "eu-west\x1b]0;owned\x07-1\n\x1b[2Jrm -rf ~"
HOSTILE_ERROR = 'Error: quota\x1b[31m exceeded\nline two "quoted" <a href="http://x">click</a>'


def ended(status: str = "FAILED", **fields: Any) -> Job:
    """A job that ran 3m 10s (built directly: nothing sanitised it at the edge)."""
    values: dict[str, Any] = {
        "job_type": "DEPLOY",
        "status": status,
        "created_at": T0,
        "started_at": T0 + timedelta(seconds=5),
        "completed_at": T0 + timedelta(seconds=195),
    }
    values.update(fields)
    return Job(id=JOB_ID, **values)


class Runs:
    """A fake ``subprocess.run``: records each call, answers with ``returncode`` or raises."""

    def __init__(self, returncode: int = 0, raises: BaseException | None = None) -> None:
        self.calls: list[tuple[list[str], dict[str, Any]]] = []
        self.returncode = returncode
        self.raises = raises

    def __call__(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        self.calls.append((argv, kwargs))
        if self.raises is not None:
            raise self.raises
        return subprocess.CompletedProcess(argv, self.returncode)


def found(name: str) -> str:
    return f"/usr/bin/{name}"


# -- what is said --------------------------------------------------------------------------


def test_each_final_status_has_the_exit_code_logs_follow_documents() -> None:
    assert exit_code_for("SUCCESS") == ExitCode.OK == 0
    assert exit_code_for("FAILED") == ExitCode.JOB_FAILED == 1
    assert exit_code_for("CANCELLED") == ExitCode.JOB_CANCELLED == 3
    assert exit_code_for("PROCESSING") == ExitCode.OK


def test_the_summary_says_the_job_its_status_and_how_long_it_ran() -> None:
    assert ended_summary(ended()) == "Job #abcd1234 FAILED after 3m 10s"
    assert ended_summary(ended("SUCCESS"), noun="job") == "job #abcd1234 SUCCESS after 3m 10s"
    no_times = ended("CANCELLED", created_at=None, started_at=None, completed_at=None)
    assert ended_summary(no_times) == "Job #abcd1234 CANCELLED"


def test_a_job_has_just_ended_only_when_its_status_becomes_a_final_one() -> None:
    running = ended("PROCESSING")
    assert just_ended(running, ended("FAILED"))
    assert just_ended(running, ended("SUCCESS"))
    assert just_ended(ended("CANCELLED"), ended("SUCCESS"))  # the Tendril ran on, then ended
    assert not just_ended(ended("FAILED"), ended("FAILED"))  # seen finished already
    assert not just_ended(running, running)
    assert not just_ended(ended("CANCELLED"), ended("PROCESSING"))


def test_the_notice_names_the_type_the_tendril_and_the_error() -> None:
    notice = notice_for(ended(worker_name="eu-west-1", error_message="Error: quota exceeded"))
    assert notice == EndNotice(
        "Job #abcd1234 FAILED after 3m 10s", "Deploy on eu-west-1: Error: quota exceeded", "error"
    )
    assert notice_for(ended("SUCCESS")).detail == "Deploy"
    assert notice_for(ended("SUCCESS")).severity == "information"
    assert notice_for(ended("CANCELLED")).severity == "warning"


def test_the_notice_is_safe_one_line_text_with_secrets_masked() -> None:
    secret = "AKIAIOSFODNN7EXAMPLE"
    notice = notice_for(
        ended(worker_name=HOSTILE_NAME, error_message=f"{HOSTILE_ERROR}\naws_key={secret}")
    )
    for text in (notice.summary, notice.detail):
        assert "\x1b" not in text and "\n" not in text and "\x07" not in text
        assert display_text(text) == text
    assert notice.detail.startswith("Deploy on eu-west-1 rm -rf ~: Error: quota exceeded line two")
    assert secret not in notice.detail


def test_a_long_error_is_cut() -> None:
    detail = notice_for(ended(error_message="x" * 5000)).detail
    assert detail == "Deploy: " + "x" * (DETAIL_CHARS - 1) + "…"


# -- which notifier ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("linux", {"DISPLAY": ":0"}, "notify-send"),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, "notify-send"),
        ("freebsd14", {"DISPLAY": ":0"}, "notify-send"),
        ("linux", {}, None),  # a console, or SSH without X forwarding
        ("linux", {"DISPLAY": ""}, None),
        ("darwin", {}, "osascript"),
        ("win32", {"DISPLAY": ":0"}, None),
    ],
)
def test_the_notifier_is_chosen_by_platform_and_display(
    platform: str, environ: dict[str, str], expected: str | None
) -> None:
    notifier = find_notifier(platform, environ, found)
    if expected is None:
        assert notifier is None
    else:
        assert notifier is not None
        assert (notifier.kind, notifier.program) == (expected, found(expected))


def test_no_notifier_when_its_command_is_missing() -> None:
    assert find_notifier("linux", {"DISPLAY": ":0"}, lambda _: None) is None
    assert find_notifier("darwin", {}, lambda _: None) is None


# -- the command ---------------------------------------------------------------------------


def test_notify_send_gets_the_texts_as_arguments_with_the_body_s_markup_escaped() -> None:
    notice = notice_for(ended(worker_name=HOSTILE_NAME, error_message=HOSTILE_ERROR))
    argv = DesktopNotifier("notify-send", "/usr/bin/notify-send").argv(notice)
    assert argv[:3] == ["/usr/bin/notify-send", "--app-name=joblens", "--"]
    assert argv[3] == "Job #abcd1234 FAILED after 3m 10s"
    assert argv[4] == (
        "Deploy on eu-west-1 rm -rf ~: Error: quota exceeded line two "
        '"quoted" &lt;a href="http://x"&gt;click&lt;/a&gt;'
    )
    assert len(argv) == 5


def test_osascript_gets_the_texts_as_the_script_s_arguments_never_in_its_source() -> None:
    notice = notice_for(ended(error_message='"; do shell script "touch /tmp/x'))
    argv = DesktopNotifier("osascript", "/usr/bin/osascript").argv(notice)
    assert argv[0] == "/usr/bin/osascript"
    source = argv[1:7]
    assert source[0::2] == ["-e", "-e", "-e"]
    assert source[1::2] == [
        "on run argv",
        "display notification (item 2 of argv) with title (item 1 of argv)",
        "end run",
    ]
    assert argv[7:] == [notice.summary, notice.detail]
    assert notice.detail == 'Deploy: "; do shell script "touch /tmp/x'


def test_argv_sanitises_texts_given_to_it_directly() -> None:
    notice = EndNotice("Job\x1b[2J #1\nended", "a\x1b]52;c;ZXZpbA==\x07b\r\nc")
    argv = DesktopNotifier("notify-send", "notify-send").argv(notice)
    assert argv[3:] == ["Job #1 ended", "ab c"]


@given(
    name=st.text(max_size=80),
    error=st.text(max_size=300),
    kind=st.sampled_from(["notify-send", "osascript"]),
)
def test_every_argument_is_one_safe_line_whatever_the_server_wrote(
    name: str, error: str, kind: str
) -> None:
    notice = notice_for(ended(worker_name=name or None, error_message=error or None))
    for arg in DesktopNotifier(kind, kind).argv(notice):
        assert display_text(arg) == arg
        assert "\n" not in arg and "\x1b" not in arg and "\x00" not in arg


def test_send_runs_the_command_detached_without_a_shell_or_the_terminal() -> None:
    runs = Runs()
    notifier = DesktopNotifier("notify-send", "/usr/bin/notify-send", run=runs, timeout=2.5)
    assert notifier.send(notice_for(ended()))
    [(argv, kwargs)] = runs.calls
    assert argv[0] == "/usr/bin/notify-send"
    assert kwargs["timeout"] == 2.5
    assert kwargs["start_new_session"] is True
    assert kwargs.get("shell", False) is False
    for stream in ("stdin", "stdout", "stderr"):
        assert kwargs[stream] == subprocess.DEVNULL


@pytest.mark.parametrize(
    "runs",
    [
        Runs(returncode=1),
        Runs(raises=FileNotFoundError(2, "No such file")),
        Runs(raises=PermissionError(13, "Permission denied")),
        Runs(raises=subprocess.TimeoutExpired(["notify-send"], 5.0)),
        Runs(raises=ValueError("embedded null byte")),
    ],
    ids=["exit-1", "missing", "not-executable", "timeout", "bad-argument"],
)
def test_a_failing_notifier_is_swallowed(runs: Runs) -> None:
    assert (
        DesktopNotifier("notify-send", "notify-send", run=runs).send(notice_for(ended())) is False
    )
    assert len(runs.calls) == 1


def _script(path: Path, body: str) -> str:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_real_command_gets_each_text_as_one_argument_and_no_shell_reads_them(
    tmp_path: Path,
) -> None:
    out, pwned = tmp_path / "args", tmp_path / "pwned"
    program = _script(tmp_path / "notify-send", f"printf '%s\\n' \"$@\" > {out}")
    notice = notice_for(ended(error_message=f"$(touch {pwned}); `touch {pwned}`"))
    assert DesktopNotifier("notify-send", program).send(notice)
    assert out.read_text().splitlines() == [
        "--app-name=joblens",
        "--",
        "Job #abcd1234 FAILED after 3m 10s",
        f"Deploy: $(touch {pwned}); `touch {pwned}`",
    ]
    assert not pwned.exists()


def test_a_hung_command_is_killed_at_the_timeout(tmp_path: Path) -> None:
    program = _script(tmp_path / "notify-send", "exec sleep 30")
    started = time.monotonic()
    assert not DesktopNotifier("notify-send", program, timeout=0.3).send(notice_for(ended()))
    assert time.monotonic() - started < 3
