"""`joblens logs --grep/--invert/--stream`, `--timestamps` and `--line-numbers` over the demo
backend: the lines chosen, numbered as the view numbers them, stamped with the time of the row
that completed them, live with --follow and with --errors too. Through the local stack:
tests/supabase/test_supabase_summary_cli.py."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

from joblens.backends.demo import DemoBackend
from joblens.backends.demo.store import now
from joblens.errors import ExitCode
from joblens.line_filter import LineFilter
from joblens.line_gutter import STAMP_WIDTH, Gutter
from joblens.models import LogChunk, StreamType
from joblens.plain import LineWriter, print_logs
from joblens.sanitize import sanitize, strip_sgr
from support.oracle import reference_lines

SPEED = 100.0
T0 = datetime(2026, 11, 30, 21, 48, 46, tzinfo=UTC)


async def run_logs(
    backend: DemoBackend,
    job_id: str,
    *,
    follow: bool = False,
    color: str = "never",
    errors: bool = False,
    select: LineFilter | None = None,
    numbers: bool = False,
    times: bool = False,
    utc: bool = False,
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await print_logs(
        backend,
        job_id,
        follow=follow,
        color=color,
        out=out,
        err=err,
        poll_seconds=0.1,
        errors=errors,
        select=select,
        numbers=numbers,
        times=times,
        utc=utc,
    )
    return code, out.getvalue(), err.getvalue()


async def numbered_lines(backend: DemoBackend, job_id: str) -> list[tuple[int, str, str]]:
    """(number from 1, stream, line as printed without colour) of every line of the log."""
    await backend.connect()
    chunks = await backend.fetch_logs(job_id, limit=100_000)
    lines = reference_lines((str(c.stream), c.text) for c in chunks)
    return [(n, stream, strip_sgr(sanitize(line))) for n, (stream, line) in enumerate(lines, 1)]


def static_job(seed: int) -> tuple[DemoBackend, str]:
    backend = DemoBackend(speed=SPEED, seed=seed, simulate=False)
    return backend, backend.start_scenario("plan")


ROWS = [  # cut mid-line, the streams interleaved, one line in colour, as a runner writes them
    ("▸ Running tofu apply\n", "SYSTEM"),
    ("aws_vpc.main: Creating...\naws_vpc.main: Creation comp", "STDOUT"),
    ("\nError: creating bucket\n\n  with aws_s3_bucket.b,\n", "STDERR"),
    ("lete after 2s [id=vpc-1]\n\x1b[1maws_s3_bucket.b: Creating...\x1b[0m\n", "STDOUT"),
    ("\nWarning: Argument is deprecated\n\n", "STDOUT"),
    ("▸ Job finished — FAILED\n", "SYSTEM"),
]


async def test_grep_prints_the_matching_lines_numbered_in_the_whole_log() -> None:
    backend, job_id = static_job(31)
    for text, stream in ROWS:
        backend.write_log(job_id, text, stream)
    code, out, err = await run_logs(
        backend, job_id, select=LineFilter(["creat", "Warn"]), numbers=True
    )
    assert (code, err) == (ExitCode.OK, "")
    log = await numbered_lines(backend, job_id)
    chosen = [f"{n}:{line}" for n, _, line in log if "creat" in line.lower() or "Warn" in line]
    assert out.splitlines() == chosen
    assert "2:aws_vpc.main: Creating..." in chosen
    assert any(line.endswith(":aws_s3_bucket.b: Creating...") for line in chosen)  # colourless


async def test_invert_and_streams_choose_the_complement_within_the_streams() -> None:
    backend, job_id = static_job(32)
    for text, stream in ROWS:
        backend.write_log(job_id, text, stream)
    log = await numbered_lines(backend, job_id)
    _, kept, _ = await run_logs(backend, job_id, select=LineFilter(["vpc"], streams=["stdout"]))
    _, rest, _ = await run_logs(
        backend, job_id, select=LineFilter(["vpc"], invert=True, streams=["STDOUT"])
    )
    stdout = [line for _, stream, line in log if stream == "STDOUT"]
    assert kept.splitlines() == [line for line in stdout if "vpc" in line]
    assert rest.splitlines() == [line for line in stdout if "vpc" not in line]
    _, system, _ = await run_logs(backend, job_id, select=LineFilter(streams=["SYSTEM"]))
    assert system.splitlines() == ["▸ Running tofu apply", "▸ Job finished — FAILED"]


async def test_timestamps_are_the_time_of_the_row_that_completed_each_line() -> None:
    backend, job_id = static_job(33)
    begun, ended = T0, T0 + timedelta(seconds=75)
    backend.store.insert_log(job_id, "Plan: 1 to", "STDOUT", created_at=begun)
    text = " add, 0 to change, 0 to destroy.\nnext\n"
    backend.store.insert_log(job_id, text, "STDOUT", created_at=ended)
    code, out, _ = await run_logs(backend, job_id, times=True, utc=True, numbers=True)
    assert code == ExitCode.OK
    assert out.splitlines() == [
        "1:2026-11-30T21:50:01+00:00 Plan: 1 to add, 0 to change, 0 to destroy.",
        "2:2026-11-30T21:50:01+00:00 next",
    ]
    _, local, _ = await run_logs(backend, job_id, times=True)
    assert datetime.fromisoformat(local.split(" ", 1)[0]) == ended  # local time, same moment


async def test_colour_dims_the_time_and_a_line_without_one_keeps_the_column() -> None:
    out = io.StringIO()
    stamped = T0
    writer = LineWriter(out, colour=True, gutter=Gutter(times=True, utc=True, colour=True))
    writer(
        [
            LogChunk(id=1, job_id="j", text="boom\n", stream=StreamType.STDERR, created_at=stamped),
            LogChunk(id=2, job_id="j", text="no time\n", stream=StreamType.STDOUT),
        ]
    )
    assert out.getvalue().splitlines() == [
        "\x1b[2m2026-11-30T21:48:46+00:00\x1b[0m \x1b[31mboom\x1b[0m",
        " " * (STAMP_WIDTH + 1) + "no time",
    ]


async def test_errors_with_grep_prints_the_matching_blocks_numbered_line_by_line() -> None:
    backend, job_id = static_job(34)
    for text, stream in ROWS:
        backend.write_log(job_id, text, stream)
    code, out, _ = await run_logs(
        backend, job_id, errors=True, select=LineFilter(["s3_bucket"]), numbers=True
    )
    assert code == ExitCode.OK
    log = await numbered_lines(backend, job_id)
    start = next(n for n, _, line in log if line == "Error: creating bucket")
    stderr = [(n, line) for n, stream, line in log if stream == "STDERR" and n >= start]
    assert out.splitlines() == [f"{n}:{line}" for n, line in stderr[:3]]
    _, warning, _ = await run_logs(
        backend, job_id, errors=True, select=LineFilter(["s3_bucket"], invert=True)
    )
    assert warning.splitlines()[0] == "Warning: Argument is deprecated"
    code, none, err = await run_logs(
        backend, job_id, errors=True, select=LineFilter(streams=["SYSTEM"])
    )
    assert (code, none) == (ExitCode.OK, "")
    # A person is told why nothing came (stderr: stdout stays empty for scripts).
    assert err == "joblens: none of the log's 2 diagnostics matched --grep/--invert/--stream\n"


async def test_follow_filters_live_and_numbers_count_the_requeue_note_as_the_view_does() -> None:
    backend = DemoBackend(speed=SPEED, seed=35, simulate=False)
    job_id = backend.start_scenario("requeued")
    first, second = backend.world.beating_tendril_ids[:2]
    backend.store.update_job(
        job_id, {"status": "PROCESSING", "worker_id": first, "claimed_at": now()}
    )
    backend.write_log(job_id, "aws_eks_cluster.this: Still creating... [10s ela", "STDOUT")
    backend.write_log(job_id, "noise\n", "STDERR")
    follower = asyncio.create_task(
        run_logs(backend, job_id, follow=True, select=LineFilter(["eks"]), numbers=True)
    )
    await asyncio.sleep(0.3)
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
    assert code == ExitCode.OK and "requeued" in err
    # noise is line 1, the dead attempt's open line ends at the requeue (2), the note is 3.
    assert out.splitlines() == [
        "2:aws_eks_cluster.this: Still creating... [10s ela",
        "4:aws_eks_cluster.this: Creating...",
    ]


async def test_follow_with_a_filter_exits_with_the_jobs_outcome() -> None:
    backend = DemoBackend(speed=SPEED, seed=36)
    job_id = backend.start_scenario("deploy-fail")
    code, out, err = await run_logs(
        backend, job_id, follow=True, select=LineFilter(["^error:"], streams=["STDERR"])
    )
    assert code == ExitCode.JOB_FAILED and err.startswith(f"joblens: job {job_id[:8]} failed")
    assert out.splitlines() and all(line.startswith("Error: ") for line in out.splitlines())
