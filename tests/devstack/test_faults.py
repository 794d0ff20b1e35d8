"""Each fault of POST /__devstack/fault, as the unmodified client experiences it."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from devstack.testing import StackInfo
from postgrest.exceptions import APIError

from realtime import RealtimeSubscribeStates
from supabase import AsyncClientOptions, acreate_client
from support.realtime import subscribe
from support.seeding import add_logs, create_job
from support.users import signed_in, token_client
from support.waiting import until


@pytest.mark.parametrize("kind", ["drop", "close"])
async def test_a_lost_socket_is_reconnected_and_rejoined(
    stack_deployed: StackInfo, kind: str
) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    sub = await subscribe(user.client, "job_logs", job)
    await stack.afault(kind)
    await until(lambda: sub.subscribed_count() == 2, 10)
    assert any(s == RealtimeSubscribeStates.CHANNEL_ERROR for s, _ in sub.states)
    await add_logs(stack, job, 1, prefix="after")
    await until(lambda: len(sub.records) == 1)
    await user.client.realtime.close()


async def test_silence_loses_what_happens_meanwhile(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    sub = await subscribe(user.client, "job_logs", job)
    await stack.afault("silence", seconds=2)
    await add_logs(stack, job, 1, prefix="lost")
    await asyncio.sleep(2.1)
    await add_logs(stack, job, 1, prefix="heard")
    await until(lambda: len(sub.records) == 1)
    assert sub.records[0]["log_chunk"] == "heard 1"
    await user.client.realtime.close()


async def test_phx_error_errors_the_channel_which_rejoins(stack_documented: StackInfo) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    sub = await subscribe(user.client, stack.logs_table, job)
    await stack.afault("phx_error")
    await until(lambda: any(s == RealtimeSubscribeStates.CHANNEL_ERROR for s, _ in sub.states))
    await until(lambda: sub.subscribed_count() == 2, 5)
    await add_logs(stack, job, 2)
    await until(lambda: len(sub.records) == 2)
    await user.client.realtime.close()


async def test_held_joins_answer_late(stack_documented: StackInfo) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    await stack.afault("hold_joins", seconds=1)
    pending = asyncio.create_task(subscribe(user.client, stack.logs_table, job))
    await asyncio.sleep(0.5)
    assert not pending.done()
    sub = await pending
    assert sub.states[0][0] == RealtimeSubscribeStates.SUBSCRIBED
    await user.client.realtime.close()


async def test_expired_tokens_fail_rest_and_close_channels(stack: StackInfo) -> None:
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    sub = await subscribe(user.client, stack.logs_table, job)
    await stack.afault("expire_tokens")
    with pytest.raises(APIError) as err:
        await user.client.table("provision_jobs").select("id").execute()
    assert err.value.code == "PGRST303" and err.value.message == "JWT expired"
    await until(lambda: any(s == RealtimeSubscribeStates.CLOSED for s, _ in sub.states))
    error = next(e for s, e in sub.states if s == RealtimeSubscribeStates.CHANNEL_ERROR)
    assert json.loads(str(error))["message"].startswith("Token has expired")
    fresh = await token_client(stack, stack.token(user.id))
    rows = await fresh.table("provision_jobs").select("id").execute()
    assert [r["id"] for r in rows.data] == [job]
    await user.client.realtime.close()


async def test_rest_errors_and_hangs(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    await stack.afault("rest_error", count=1)
    with pytest.raises(APIError) as err:
        await (
            user.client.table("provision_jobs")
            .update({"status": "CANCELLED"})
            .eq("id", job)
            .execute()
        )
    assert err.value.code == "PGRST001"
    impatient = await acreate_client(
        stack.url,
        stack.anon_key,
        AsyncClientOptions(
            headers={"Authorization": f"Bearer {user.access_token}"}, postgrest_client_timeout=0.3
        ),
    )
    await stack.afault("rest_hang", seconds=1, count=1)
    with pytest.raises(httpx.TimeoutException):
        await (
            impatient.table("provision_jobs")
            .update({"status": "CANCELLED"})
            .eq("id", job)
            .execute()
        )
    after = await user.client.table("provision_jobs").select("id").eq("id", job).execute()
    assert after.data == [{"id": job}]  # only the next request hung
