"""Plain mode (`joblens logs`): every line once, sanitised, coloured only when asked, and the
job's outcome as the exit code. Runs over the demo backend at high speed; the same mode against
the local Supabase stack is in tests/supabase/test_plain_cli.py.
"""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import pytest

from joblens.backends.demo import DemoBackend
from joblens.backends.demo.store import now
from joblens.errors import ExitCode, InvalidJobId, JobNotFound
from joblens.models import StreamType
from joblens.plain import LineWriter, print_logs, render_line
from support.oracle import shown_lines

SPEED = 100.0
# Any escape that is not a complete SGR sequence.
NON_SGR_ESCAPE = re.compile(r"\x1b(?!\[[0-9;:]*m)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]")


class TTYBuffer(io.StringIO):
    def isatty(self) -> bool:
        return True


async def expected_lines(backend: DemoBackend, job_id: str) -> list[str]:
    """What plain mode must print without colour: every stored line, sanitised, in order."""
    await backend.connect()
    chunks = await backend.fetch_logs(job_id, limit=100_000)
    return shown_lines((str(c.stream), c.text) for c in chunks)


async def run_plain(
    backend: DemoBackend, job_ref: str, *, follow: bool, color: str = "never", tty: bool = False
) -> tuple[int, str, str]:
    out = TTYBuffer() if tty else io.StringIO()
    err = io.StringIO()
    code = await print_logs(
        backend, job_ref, follow=follow, color=color, out=out, err=err, poll_seconds=0.1
    )
    return code, out.getvalue(), err.getvalue()


async def test_follow_prints_every_line_and_exits_0_when_the_job_succeeds() -> None:
    backend = DemoBackend(speed=SPEED, seed=3)
    job_id = backend.start_scenario("plan")
    code, out, err = await run_plain(backend, job_id, follow=True)
    assert code == ExitCode.OK
    assert err == ""
    assert out.splitlines() == await expected_lines(backend, job_id)
    assert "Plan:" in out
    assert (await backend.get_job_state(job_id)).status == "SUCCESS"


async def test_follow_exits_1_and_reports_the_error_on_one_line_when_the_job_fails() -> None:
    backend = DemoBackend(speed=SPEED, seed=4)
    job_id = backend.start_scenario("deploy-fail")
    code, out, err = await run_plain(backend, job_id[:8], follow=True)
    assert code == ExitCode.JOB_FAILED
    state = await backend.get_job_state(job_id)
    assert err.count("\n") == 1 and err.startswith(f"joblens: job {job_id[:8]} failed: ")
    assert (state.error_message or "").split()[0] in err
    assert out.splitlines() == await expected_lines(backend, job_id)


async def test_follow_exits_3_when_the_job_is_cancelled_while_printing() -> None:
    backend = DemoBackend(speed=SPEED, seed=5)
    job_id = backend.start_scenario("long")
    task = asyncio.create_task(run_plain(backend, job_id, follow=True))
    for _ in range(200):
        if (await backend.get_job_state(job_id)).status == "PROCESSING":
            break
        await asyncio.sleep(0.02)
    assert await backend.cancel_job(job_id)
    code, out, err = await asyncio.wait_for(task, 20)
    assert code == ExitCode.JOB_CANCELLED
    assert "cancelled" in err.lower()
    lines = await expected_lines(backend, job_id)
    assert out.splitlines() == lines[: len(out.splitlines())]
    assert len(out.splitlines()) >= 1


async def test_without_follow_prints_what_exists_and_exits_0_even_for_a_failed_job() -> None:
    backend = DemoBackend(speed=SPEED, seed=6, simulate=False)
    job_id = backend.start_scenario("plan")
    for i in range(2500):  # more than two pages
        backend.write_log(job_id, f"line {i}\nsecond {i}\n", StreamType.STDOUT)
    code, out, err = await run_plain(backend, job_id, follow=False)
    assert code == ExitCode.OK and err == ""
    lines = out.splitlines()
    assert len(lines) == 5000
    assert lines[:3] == ["line 0", "second 0", "line 1"]
    assert lines[-1] == "second 2499"


async def test_a_finished_job_followed_prints_all_and_exits_with_its_status() -> None:
    backend = DemoBackend(speed=SPEED, seed=7)
    job_id = backend.start_scenario("deploy-fail")
    await run_plain(backend, job_id, follow=True)
    code, out, _ = await run_plain(backend, job_id, follow=True)
    assert code == ExitCode.JOB_FAILED
    assert out.splitlines() == await expected_lines(backend, job_id)


async def test_colour_always_keeps_sgr_and_tints_stderr_red_and_system_blue() -> None:
    backend = DemoBackend(speed=SPEED, seed=8, simulate=False)
    job_id = backend.start_scenario("plan")
    backend.write_log(job_id, "plain out\n\x1b[32mgreen\x1b[0m\n", StreamType.STDOUT)
    backend.write_log(job_id, "boom\n", StreamType.STDERR)
    backend.write_log(job_id, "Assuming IAM role\n", StreamType.SYSTEM)
    code, out, _ = await run_plain(backend, job_id, follow=False, color="always")
    assert code == ExitCode.OK
    assert out.splitlines() == [
        "plain out",
        "\x1b[32mgreen\x1b[0m\x1b[0m",
        "\x1b[31mboom\x1b[0m",
        "\x1b[34mAssuming IAM role\x1b[0m",
    ]


async def test_colour_always_colours_colourless_terraform_as_tofu_would() -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console()
    backend = DemoBackend(speed=SPEED, seed=16, simulate=False)
    job_id = backend.start_scenario("plan")
    backend.write_log(job_id, '  + resource "aws_vpc" "main" {\nPlan: 1 to add', "STDOUT")
    backend.write_log(job_id, "Error: boom\n", StreamType.STDERR)
    backend.write_log(job_id, ", 0 to change, 0 to destroy.\n", "STDOUT")
    code, out, _ = await run_plain(backend, job_id, follow=False, color="always")
    assert code == ExitCode.OK
    lines = [Text.from_ansi(line) for line in out.splitlines()]
    assert [line.plain for line in lines] == [
        '  + resource "aws_vpc" "main" {',
        "Error: boom",
        "Plan: 1 to add, 0 to change, 0 to destroy.",
    ]
    plus = lines[0].get_style_at_offset(console, 2)
    assert plus.color is not None and plus.color.number == 2  # green
    error = lines[1].get_style_at_offset(console, 0)
    assert error.bold and error.color is not None and error.color.number == 1  # red
    assert lines[2].get_style_at_offset(console, 0).bold


async def test_colour_auto_follows_the_terminal_and_never_strips_everything() -> None:
    backend = DemoBackend(speed=SPEED, seed=9, simulate=False)
    job_id = backend.start_scenario("plan")
    backend.write_log(job_id, "\x1b[1;31mbold red\x1b[0m\n", StreamType.STDOUT)
    backend.write_log(job_id, "warn\n", StreamType.STDERR)
    _, piped, _ = await run_plain(backend, job_id, follow=False, color="auto")
    _, tty, _ = await run_plain(backend, job_id, follow=False, color="auto", tty=True)
    _, never, _ = await run_plain(backend, job_id, follow=False, color="never", tty=True)
    assert piped == never == "bold red\nwarn\n"
    assert "\x1b[1;31mbold red" in tty and "\x1b[31mwarn\x1b[0m" in tty


async def test_hostile_escapes_never_reach_the_output() -> None:
    backend = DemoBackend(speed=SPEED, seed=10, simulate=False)
    job_id = backend.start_scenario("plan")
    hostile = (
        "title\x1b]0;pwned\x07 ok\n"
        "clip\x1b]52;c;ZXZpbA==\x07 ok\n"
        "\x1b[2J\x1b[Hcleared\n"
        "c1\x9b31m csi\n"
        "nul\x00bel\x07bs\x08 end\n"
        "progress 10%\rprogress 100%\n"
        "\x1b[31mred\x1b[0m kept\n"
    )
    backend.write_log(job_id, hostile, StreamType.STDOUT)
    for color in ("always", "never"):
        _, out, _ = await run_plain(backend, job_id, follow=False, color=color)
        assert NON_SGR_ESCAPE.search(out) is None, (color, out)
        assert "pwned" not in out and "ZXZpbA" not in out
        assert "progress 100%" in out and "progress 10%" not in out
    _, plain, _ = await run_plain(backend, job_id, follow=False, color="never")
    assert "\x1b" not in plain
    assert "red kept" in plain


async def test_an_unknown_or_malformed_job_id_is_an_error_before_any_output() -> None:
    backend = DemoBackend(speed=SPEED, seed=11, simulate=False)
    backend.start_scenario("plan")
    with pytest.raises(JobNotFound):
        await run_plain(backend, "00000000-0000-4000-8000-000000000000", follow=True)
    with pytest.raises(InvalidJobId):
        await run_plain(backend, "xyz", follow=False)


async def test_a_reader_that_goes_away_ends_the_output_quietly() -> None:
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    backend = DemoBackend(speed=SPEED, seed=12)
    job_id = backend.start_scenario("plan")
    err = io.StringIO()
    code = await print_logs(
        backend, job_id, follow=True, color="never", out=ClosedPipe(), err=err, poll_seconds=0.1
    )
    assert code == ExitCode.OK
    assert err.getvalue() == ""


def test_render_line_respects_the_lines_own_colours() -> None:
    assert render_line("x", StreamType.STDERR, colour=True) == "\x1b[31mx\x1b[0m"
    assert render_line("x", "UNKNOWN", colour=True) == "x"
    assert render_line("\x1b[33mx", StreamType.STDERR, colour=True) == "\x1b[33mx\x1b[0m"
    assert render_line("\x1b[33mx\x1b[0m", StreamType.SYSTEM, colour=False) == "x"


def test_line_writer_survives_an_output_that_cannot_encode_the_text() -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    from joblens.models import LogChunk

    LineWriter(out, colour=False)([LogChunk(id=1, job_id="j", text="caf\u00e9 \u2714\n")])
    out.flush()
    assert raw.getvalue() == b"caf? ?\n"


async def test_a_briefly_unreachable_server_does_not_end_the_follow() -> None:
    from collections.abc import AsyncGenerator

    from joblens.backends.base import FollowEvent
    from joblens.errors import BackendUnavailable

    class FlakyDemo(DemoBackend):
        """The live stream fails once, as when a backfill times out; the status poll twice."""

        def __init__(self) -> None:
            super().__init__(speed=SPEED, seed=13)
            self.stream_failures = 1
            self.polls = 0

        async def follow_logs(self, job_id: str) -> AsyncGenerator[FollowEvent, None]:
            if self.stream_failures:
                self.stream_failures -= 1
                raise BackendUnavailable("cannot reach SUPABASE_URL http://x: timed out")
            async for event in super().follow_logs(job_id):
                yield event

        async def get_job_state(self, job_id: str) -> Any:
            self.polls += 1
            if self.polls in (2, 3):  # the first check (job exists) succeeds
                raise BackendUnavailable("cannot reach SUPABASE_URL http://x: timed out")
            return await super().get_job_state(job_id)

    backend = FlakyDemo()
    job_id = backend.start_scenario("plan")
    code, out, err = await run_plain(backend, job_id, follow=True)
    assert code == ExitCode.OK
    assert "timed out; retrying" in err
    assert out.splitlines() == await expected_lines(backend, job_id)


async def test_rows_cut_mid_line_print_whole_lines_and_the_rest_when_the_job_ends() -> None:
    backend = DemoBackend(speed=SPEED, seed=14, simulate=False)
    job_id = backend.start_scenario("plan")
    backend.store.update_job(job_id, {"status": "PROCESSING"})
    rows = [
        ("Plan: 1 to", "STDOUT"),
        ("│ Warn", "STDERR"),
        (" add, 0 to change, 0 to destroy.\nSaved the pl", "STDOUT"),
        ("ing: x\n", "STDERR"),
        ("an to: plan.out", "STDOUT"),
    ]
    for text, stream in rows:
        backend.write_log(job_id, text, stream)
    follower = asyncio.create_task(run_plain(backend, job_id, follow=True))
    await asyncio.sleep(0.3)
    backend.store.update_job(job_id, {"status": "SUCCESS"})
    code, out, err = await follower
    assert code == ExitCode.OK and err == ""
    assert out.splitlines() == [
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "│ Warning: x",
        "Saved the plan to: plan.out",
    ]


async def test_a_requeue_ends_the_dead_attempts_lines_and_says_so_on_stderr() -> None:
    backend = DemoBackend(speed=SPEED, seed=15, simulate=False)
    job_id = backend.start_scenario("requeued")
    first, second = backend.world.beating_tendril_ids[:2]
    backend.store.update_job(
        job_id, {"status": "PROCESSING", "worker_id": first, "claimed_at": now()}
    )
    backend.write_log(job_id, "aws_eks_cluster.this: Still creating... [10s ela", "STDOUT")
    follower = asyncio.create_task(run_plain(backend, job_id, follow=True))
    await asyncio.sleep(0.3)
    # The Tendril died mid-line; the platform puts the job back in the queue.
    backend.store.update_job(
        job_id, {"status": "QUEUED", "worker_id": None, "claimed_at": None, "started_at": None}
    )
    await asyncio.sleep(0.1)
    backend.store.update_job(
        job_id, {"status": "PROCESSING", "worker_id": second, "claimed_at": now()}
    )
    backend.write_log(job_id, "aws_eks_cluster.this: Creating...\n", "STDOUT")
    backend.store.update_job(job_id, {"status": "SUCCESS"})
    code, out, err = await follower
    assert code == ExitCode.OK
    assert out.splitlines() == [
        "aws_eks_cluster.this: Still creating... [10s ela",
        "aws_eks_cluster.this: Creating...",
    ]
    name = backend.store.workers[first]["name"]
    assert f"Tendril {name} stopped responding · attempt 2 ──" in err
    assert err.count("requeued") == 1


# -- --errors: the diagnostics only -----------------------------------------------------------


async def run_errors(
    backend: DemoBackend, job_ref: str, *, follow: bool, color: str = "never"
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await print_logs(
        backend,
        job_ref,
        follow=follow,
        color=color,
        out=out,
        err=err,
        poll_seconds=0.1,
        errors=True,
    )
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("ansi", [False, True])
async def test_errors_prints_the_failed_deploys_diagnostic_and_exits_1(ansi: bool) -> None:
    backend = DemoBackend(speed=SPEED, seed=4)
    job_id = backend.start_scenario("deploy-fail", ansi=ansi)
    code, out, err = await run_errors(backend, job_id, follow=True)
    assert code == ExitCode.JOB_FAILED
    assert err.startswith(f"joblens: job {job_id[:8]} failed: ") and err.count("\n") == 1
    lines = out.splitlines()
    summary = "Error: creating EKS Node Group (acme-platform-staging:general): waiting"
    if ansi:
        assert lines[0] == "╷" and lines[1].startswith(f"│ {summary}") and lines[-1] == "╵"
    else:
        assert lines[0].startswith(summary) and lines[-1].endswith("(eu-west-1c).")
    assert any("with module.eks.aws_eks_node_group" in line for line in lines)
    # The block's lines as the log has them (colour codes removed: stdout is not a terminal).
    log = await expected_lines(backend, job_id)
    start = log.index(lines[0])
    assert log[start : start + len(lines)] == lines
    # Once finished, without --follow: the same, exit 0.
    again, same, _ = await run_errors(backend, job_id, follow=False)
    assert (again, same) == (ExitCode.OK, out)


@pytest.mark.parametrize("follow", [False, True])
async def test_errors_on_a_log_without_diagnostics_prints_nothing_and_says_so_on_stderr(
    follow: bool,
) -> None:
    backend = DemoBackend(speed=SPEED, seed=18, simulate=False)
    job_id = backend.start_scenario("plan")
    backend.write_log(job_id, "Error in the name of a bucket is not a diagnostic\n", "STDOUT")
    backend.write_log(job_id, "Plan: 1 to add, 0 to change, 0 to destroy.\n", "STDOUT")
    backend.store.update_job(job_id, {"status": "SUCCESS", "completed_at": now()})
    code, out, err = await run_errors(backend, job_id, follow=follow)
    assert (code, out) == (ExitCode.OK, "")
    assert err == "joblens: the log has no errors or warnings (Terraform diagnostics)\n"


async def test_errors_puts_a_blank_line_between_blocks_in_the_logs_order() -> None:
    backend = DemoBackend(speed=SPEED, seed=17, simulate=False)
    job_id = backend.start_scenario("plan")
    rows = [
        ("Initializing...\n\nWarning: Argument is deprecated\n\n", "STDOUT"),
        ("╷\n│ Error: creating bucket\n│\n│   with aws_s3_bucket.b,\n╵\n", "STDERR"),
        ("Use something else.\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n", "STDOUT"),
        ("▸ Job finished — FAILED\n", "SYSTEM"),
    ]
    for text, stream in rows:
        backend.write_log(job_id, text, stream)
    code, out, err = await run_errors(backend, job_id, follow=False)
    assert code == ExitCode.OK and err == ""
    # The warning began first (its detail came after the error's frame, on its own stream).
    assert out.splitlines() == [
        "Warning: Argument is deprecated",
        "",
        "Use something else.",
        "",
        "╷",
        "│ Error: creating bucket",
        "│",
        "│   with aws_s3_bucket.b,",
        "╵",
    ]
    _, coloured, _ = await run_errors(backend, job_id, follow=False, color="always")
    assert "\x1b[31m╷" in coloured and "\x1b[1;33mWarning: " in coloured


async def test_errors_with_follow_on_a_successful_plan_prints_its_warning_and_exits_0() -> None:
    backend = DemoBackend(speed=SPEED, seed=19)
    job_id = backend.start_scenario("plan")
    code, out, err = await run_errors(backend, job_id, follow=True)
    assert code == ExitCode.OK and err == ""
    lines = out.splitlines()
    assert lines[0] == "Warning: Argument is deprecated"
    assert lines[-1] == "Use resolve_conflicts_on_create and resolve_conflicts_on_update instead."
