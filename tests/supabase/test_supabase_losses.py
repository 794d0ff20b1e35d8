"""Changes the server drops while the socket stays up (the stack's ``lose`` and
``cdc_restart`` faults, as hosted realtime drops them): joblens still shows exactly the
table's lines, in the table's order, and recovers without a keypress."""

from __future__ import annotations

import asyncio
import random

import pytest
from devstack.testing import StackInfo

from joblens.backends.supabase.connection import REST_TIMEOUT
from joblens.errors import ExitCode
from support.backends import backend_for
from support.cli import joblens
from support.seeding import create_job, db_lines
from support.users import User, new_user
from support.views import live_view, make_app, opened, pane_lines
from support.waiting import wait_for

LINES = 3000
#: How often the view polls the job's row (joblens: every 3 s).
POLL_SECONDS = 0.5


async def tendril(stack: StackInfo, job_id: str) -> int:
    proc = await asyncio.create_subprocess_exec(
        *stack.tendril_args(job_id, LINES, 1500.0, "SUCCESS")
    )
    return await proc.wait()


async def drop_changes(stack: StackInfo, seed: int, until: asyncio.Task[int]) -> int:
    """Drop a few changes at random moments while ``until`` runs; how many were dropped."""
    rnd = random.Random(seed)
    before = (await stack.afault_status()).get("lost", 0)
    kinds = ["lose", "lose", "cdc_restart"]
    while not until.done():
        await asyncio.sleep(rnd.uniform(0.2, 0.6))
        kind = rnd.choice(kinds)
        if kind == "lose":
            await stack.afault("lose", count=rnd.randint(1, 6))
        else:
            await stack.afault("cdc_restart", seconds=rnd.uniform(0.2, 0.5))
    return int((await stack.afault_status()).get("lost", 0)) - int(before)


async def test_logs_follow_prints_exactly_the_table_whatever_the_server_drops(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, job_type="DEPLOY")
    follower = asyncio.create_task(joblens(stack, user.token, "logs", job_id[:8], "--follow"))
    await asyncio.sleep(1.5)  # following before the first row
    writer = asyncio.create_task(tendril(stack, job_id))
    lost = await drop_changes(stack, 1, writer)
    assert await writer == 0
    code, out, err = await follower
    assert code == ExitCode.OK, err
    assert lost > 0, "the faults dropped nothing: the test proves nothing"
    assert out.splitlines() == await db_lines(stack, job_id)


async def test_the_view_holds_the_table_in_order_whatever_the_server_drops(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, job_type="DEPLOY")
    async with live_view(stack, user.token, job_id, poll_seconds=POLL_SECONDS) as (
        pilot,
        _screen,
        pane,
    ):
        writer = asyncio.create_task(tendril(stack, job_id))
        lost = await drop_changes(stack, 2, writer)
        assert await writer == 0
        assert lost > 0, "the faults dropped nothing: the test proves nothing"
        expected = await db_lines(stack, job_id)

        # Recovered without a keypress, within 10 s of the last row.
        await wait_for(pilot, lambda: pane_lines(pane) == expected, timeout=10)


@pytest.mark.slow(15)
async def test_the_header_tells_the_truth_within_seconds_when_realtime_goes_silent(
    stack: StackInfo, user: User
) -> None:
    """A half-open connection: nothing sent or answered, yet no error. Default timings."""
    import time

    job_id = await create_job(stack, user.id, job_type="DEPLOY", status="PROCESSING")
    backend = backend_for(stack, user.token, timing=None, rest_timeout=REST_TIMEOUT)
    app = make_app(backend, job_id[:8], poll_seconds=POLL_SECONDS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        link = screen.query_one("#link-state")
        await wait_for(pilot, lambda: "● live" in str(link.render()), timeout=15)
        await asyncio.sleep(1.0)
        silenced = time.monotonic()
        await stack.afault("silence", seconds=12)
        await wait_for(pilot, lambda: "● live" not in str(link.render()), timeout=8)
        told = time.monotonic() - silenced
        assert told < 6.5, f"the header said live for {told:.1f} s of silence"
        # It counts from the last sign of life (the probe's 2 s of quiet, and more), not
        # from when it noticed.
        shown = str(link.render())
        seconds = int(shown.rsplit("· ", 1)[1].rstrip("s"))
        assert seconds >= 2, shown
        # Once the server answers again, live again, without a keypress.
        await wait_for(pilot, lambda: "● live" in str(link.render()), timeout=30)


@pytest.mark.parametrize("kind", ["db_timeouts", "refuse_joins", "drop"])
async def test_logs_follow_prints_exactly_the_table_through_server_side_failures(
    stack: StackInfo, user: User, kind: str
) -> None:
    """Temporary errors the server keeps the channel through, refused joins, a cut socket."""
    job_id = await create_job(stack, user.id, job_type="DEPLOY")
    follower = asyncio.create_task(joblens(stack, user.token, "logs", job_id[:8], "--follow"))
    await asyncio.sleep(1.5)
    writer = asyncio.create_task(tendril(stack, job_id))
    await asyncio.sleep(0.5)
    if kind == "db_timeouts":
        await stack.afault("db_timeouts", seconds=0.5, count=2)
    elif kind == "refuse_joins":
        await stack.afault("drop")
        await stack.afault("refuse_joins", count=2)
    else:
        await stack.afault("drop")
    assert await writer == 0
    code, out, err = await asyncio.wait_for(follower, 90)
    assert code == ExitCode.OK, err
    assert out.splitlines() == await db_lines(stack, job_id)


@pytest.mark.parametrize("kind", ["db_timeouts", "refuse_joins"])
async def test_the_view_recovers_from_server_side_failures_without_a_keypress(
    stack: StackInfo, user: User, kind: str
) -> None:
    job_id = await create_job(stack, user.id, job_type="DEPLOY")
    async with live_view(stack, user.token, job_id, poll_seconds=POLL_SECONDS) as (
        pilot,
        _screen,
        pane,
    ):
        writer = asyncio.create_task(tendril(stack, job_id))
        await asyncio.sleep(0.5)
        if kind == "db_timeouts":
            await stack.afault("db_timeouts", seconds=0.5, count=2)
        else:
            await stack.afault("drop")
            await stack.afault("refuse_joins", count=2)
        assert await writer == 0
        expected = await db_lines(stack, job_id)
        await wait_for(pilot, lambda: pane_lines(pane) == expected, timeout=15)


async def test_a_token_that_expires_without_a_refresh_token_says_signed_out_not_reconnecting(
    stack_documented: StackInfo,
) -> None:
    """Nothing will reconnect: the header must not count "reconnecting" forever (the token's
    business, not the logs table's: one schema)."""
    stack = stack_documented
    user = await new_user(stack, ttl=6)
    job_id = await create_job(stack, user.id, job_type="DEPLOY", status="PROCESSING")
    app = make_app(backend_for(stack, user.token), job_id[:8], poll_seconds=POLL_SECONDS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        link = screen.query_one("#link-state")
        await wait_for(pilot, lambda: "● live" in str(link.render()), timeout=15)
        await wait_for(pilot, lambda: "signed out" in str(link.render()), timeout=20)
        await pilot.pause(2.0)
        assert str(link.render()) == "✕ signed out"
        assert "PROCESSING?" in str(screen.query_one("#status-badge").render())
