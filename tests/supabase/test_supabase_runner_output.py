"""A job written as the platform's runner writes it, read through the local stack: rows cut
where a flush falls (mid-line, the streams interleaved), no colour, and a runner that dies
halfway so that the job is requeued and another runner finishes it."""

from __future__ import annotations

import asyncio
from datetime import datetime

from devstack.testing import StackInfo

from joblens.errors import ExitCode
from joblens.widgets.log.store import NOTE
from support.cli import joblens
from support.oracle import shown_lines
from support.seeding import create_job
from support.users import User
from support.views import live_view, pane_lines
from support.waiting import wait_for

#: How often the view polls the job's row (joblens: every 3 s).
POLL_SECONDS = 0.5

LINES = 400
REQUEUE_AT = 150


async def run_requeued_tendril(stack: StackInfo, job_id: str) -> int:
    """The runner dies after REQUEUE_AT lines; the platform requeues; another finishes."""
    args = [*stack.tendril_args(job_id, LINES, 600.0, "SUCCESS"), "--requeue-at", str(REQUEUE_AT)]
    proc = await asyncio.create_subprocess_exec(*args)
    return await proc.wait()


async def attempts_in_db(stack: StackInfo, job_id: str) -> tuple[list[str], list[str]]:
    """The database's lines of each attempt: each stream's rows joined, cut at newlines.

    The second attempt's rows are those written after the job was last claimed.
    """
    job = await stack.asql("select claimed_at from provision_jobs where id = $1", job_id)
    claimed: datetime = job[0]["claimed_at"]
    order = "id" if stack.logs_table == "job_logs" else "created_at, id"
    rows = await stack.asql(
        f"select stream_type, log_chunk, created_at from {stack.logs_table} "
        f"where job_id = $1 order by {order}",
        job_id,
    )
    # What makes this the platform's output and not a kinder one.
    assert any(not r["log_chunk"].endswith("\n") for r in rows), "no row ends mid-line"
    assert {r["stream_type"] for r in rows} >= {"STDOUT", "SYSTEM"}
    assert not any("\x1b" in r["log_chunk"] for r in rows), "real runners write no colour"
    first = [(r["stream_type"], r["log_chunk"]) for r in rows if r["created_at"] < claimed]
    second = [(r["stream_type"], r["log_chunk"]) for r in rows if r["created_at"] >= claimed]
    assert first and second
    return shown_lines(first), shown_lines(second)


async def test_logs_follow_prints_exactly_the_databases_lines_across_a_requeue(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, job_type="DEPLOY")
    follower = asyncio.create_task(joblens(stack, user.token, "logs", job_id[:8], "--follow"))
    await asyncio.sleep(1.5)  # following before the runner starts: the requeue is seen live
    assert await run_requeued_tendril(stack, job_id) == 0
    code, out, err = await follower
    assert code == ExitCode.OK, err
    first, second = await attempts_in_db(stack, job_id)
    assert out.splitlines() == first + second
    # Every line the runners wrote, and the dead runner's unfinished one, ended at the requeue.
    assert len(out.splitlines()) == LINES + 1
    separators = [line for line in err.splitlines() if "requeued" in line]
    assert len(separators) == 1 and "attempt 2 ──" in separators[0]


async def test_the_view_holds_the_databases_lines_and_marks_the_requeue(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, job_type="DEPLOY")
    async with live_view(stack, user.token, job_id, poll_seconds=POLL_SECONDS) as (
        pilot,
        screen,
        pane,
    ):
        tendril = asyncio.create_task(run_requeued_tendril(stack, job_id))
        await wait_for(pilot, tendril.done, timeout=60)
        assert tendril.result() == 0
        first, second = await attempts_in_db(stack, job_id)
        await wait_for(pilot, lambda: screen.job.status == "SUCCESS", timeout=15)
        await wait_for(
            pilot, lambda: pane.line_count + len(pane.open_lines) >= len(first) + len(second) + 1
        )
        shown = pane_lines(pane)
        notes = [i for i in range(pane.line_count) if pane._store.stream(i) == NOTE]
        assert notes == [len(first)]
        assert "attempt 2 ──" in shown[len(first)]
        del shown[len(first)]
        assert shown == first + second
        assert "attempt 2" in str(screen.query_one("#tendril").render())
        assert "in all" in str(screen.query_one("#duration").render())
