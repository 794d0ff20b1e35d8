"""Faults that lose changes while the socket stays up, and the fault API a fault suite drives:
`lose`, `cdc_restart`, `db_timeouts`, delayed faults and the status endpoint."""

from __future__ import annotations

import asyncio
import uuid

from devstack.testing import StackInfo

from realtime import RealtimeSubscribeStates
from support.realtime import logs_binding, subscribe, wire
from support.seeding import add_logs, create_job
from support.users import signed_in
from support.waiting import until


async def test_lose_drops_changes_silently(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    sub = await subscribe(user.client, "job_logs", job)
    before = await stack.afault_status()
    await stack.afault("lose", count=2)
    await stack.afault("lose", count=1)  # faults add up
    assert (await stack.afault_status())["lose_pending"] == 3
    await add_logs(stack, job, 5)
    await until(lambda: len(sub.records) == 2)
    assert [r["log_chunk"] for r in sub.records] == ["line 4", "line 5"]
    status = await stack.afault_status()
    assert status["lost"] - before["lost"] == 3 and status["lose_pending"] == 0
    assert [s for s, _ in sub.states] == [RealtimeSubscribeStates.SUBSCRIBED]  # nothing said
    assert user.client.realtime.is_connected


async def test_lose_for_one_channel_or_one_table(stack_documented: StackInfo) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    first = await subscribe(user.client, stack.logs_table, job)
    second = await subscribe(user.client, stack.logs_table, job)
    await stack.afault("lose", count=2, channel=first.channel.topic.removeprefix("realtime:"))
    await stack.afault("lose", count=5, table="provision_jobs")  # not the logs table
    await add_logs(stack, job, 3)
    await until(lambda: len(second.records) == 3 and len(first.records) == 1)
    assert first.records[0]["log_chunk"] == "line 3"
    assert (await stack.afault_status())["lose_pending"] == 5
    await stack.afault("clear")
    assert (await stack.afault_status())["lose_pending"] == 0


async def test_faults_can_be_scheduled_and_cleared(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    await stack.afault("lose", count=4, delay=0.3)
    status = await stack.afault_status()
    assert status["scheduled"] == 1 and status["lose_pending"] == 0
    await asyncio.sleep(0.5)
    status = await stack.afault_status()
    assert status["scheduled"] == 0 and status["lose_pending"] == 4
    await stack.afault("lose", count=1, delay=0.3)
    await stack.afault("clear")  # cancels what is scheduled too
    await asyncio.sleep(0.4)
    assert (await stack.afault_status())["lose_pending"] == 0


async def test_a_capture_restart_loses_changes_and_subscribes_again(
    stack_deployed: StackInfo,
) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    sub = await subscribe(user.client, "job_logs", job)
    before = await stack.afault_status()
    await stack.afault("cdc_restart", seconds=0.6)  # hosted: 1-3 s
    await add_logs(stack, job, 2, prefix="during")
    await until(lambda: sub.subscribed_count() == 2, 5)
    await add_logs(stack, job, 1, prefix="after")
    await until(lambda: len(sub.records) == 1)
    assert sub.records[0]["log_chunk"] == "after 1"
    status = await stack.afault_status()
    assert status["restarts"] - before["restarts"] == 1
    assert status["lost_in_restarts"] - before["lost_in_restarts"] == 2
    assert [s for s, _ in sub.states] == [RealtimeSubscribeStates.SUBSCRIBED]


async def test_database_timeouts_are_errors_on_a_channel_kept_alive(
    stack_documented: StackInfo,
) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    async with wire(stack) as ws:
        await ws.join("slowdb", user.access_token, [logs_binding(stack.logs_table, job)])
        assert (await ws.recv()).payload["message"] == "Subscribed to PostgreSQL"
        await stack.afault("db_timeouts", seconds=0.4, count=2)  # hosted retries in 5-10 s
        for _ in range(2):
            error = await ws.recv()
            assert error.event == "system" and error.payload == {
                "channel": "slowdb",
                "extension": "postgres_changes",
                "message": '{:error, "Too many database timeouts"}',
                "status": "error",
            }
            await add_logs(stack, job, 1, prefix="lost")
        back = await ws.recv(3)
        assert back.payload["message"] == "Subscribed to PostgreSQL"  # no phx_close between
        await add_logs(stack, job, 1, prefix="heard")
        change = await ws.recv()
        assert change.payload["data"]["record"]["log_chunk"] == "heard 1"
    assert (await stack.afault_status())["timeouts"] >= 2


async def test_the_database_out_of_reach_for_rest(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    await stack.afault("db_unreachable", seconds=0.5)
    rows = user.client.table("provision_jobs").select("id").eq("id", str(uuid.uuid4()))
    # supabase-py retries a GET on 503 (3 times, with waits): it gets through once the
    # database is back, as it would against hosted PostgREST.
    assert (await rows.execute()).data == []
