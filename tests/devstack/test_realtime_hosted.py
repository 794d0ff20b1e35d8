"""Realtime behaviours of the hosted server the stack reproduces: repeated "Subscribed", refused
re-subscriptions, slow join errors, cold projects, protocol 2.0.0 and idle sockets."""

from __future__ import annotations

import asyncio
import time
import uuid

import jwt
import websockets
from devstack.testing import StackInfo

from support.realtime import logs_binding, subscribe, wire
from support.seeding import add_logs, create_job
from support.users import signed_in
from support.waiting import until


async def test_a_new_token_resubscribes_and_changes_keep_flowing(
    stack_deployed: StackInfo,
) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    sub = await subscribe(user.client, "job_logs", job)
    await stack.aoptions(resubscribe_delay=None)  # redone without a word
    await user.client.realtime.set_auth(stack.token(user.id, ttl=1700))
    await asyncio.sleep(0.3)
    assert sub.subscribed_count() == 1
    await stack.aoptions(resubscribe_delay=0.05)  # as hosted does, but sooner (hosted: 1-3 s)
    await user.client.realtime.set_auth(stack.token(user.id, ttl=1800))  # a new token
    await until(lambda: sub.subscribed_count() == 2, 5)
    await add_logs(stack, job, 2)
    await until(lambda: len(sub.records) == 2)
    states = [s for s, _ in sub.states]
    assert len(states) == 1  # still the one SUBSCRIBED channel: nothing closed or errored


async def test_the_resubscribe_delay_and_the_same_token_again(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    uid = await stack.acreate_user()
    await stack.aoptions(resubscribe_delay=[0.6, 0.6])  # hosted: [1, 3]
    token = stack.token(uid)
    async with wire(stack) as ws:
        await ws.join("again", token, [logs_binding("job_logs", str(uuid.uuid4()))])
        assert (await ws.recv()).payload["message"] == "Subscribed to PostgreSQL"
        await ws.send("realtime:again", "access_token", {"access_token": token}, "2")
        await ws.quiet(0.3)  # the same token: nothing at all
        pushed = time.monotonic()
        fresh = stack.token(uid, ttl=1800)
        await ws.send("realtime:again", "access_token", {"access_token": fresh}, "3")
        again = await ws.recv(3)
        assert time.monotonic() - pushed >= 0.55
        assert again.event == "system" and again.payload == {
            "channel": "again",
            "extension": "postgres_changes",
            "message": "Subscribed to PostgreSQL",
            "status": "ok",
        }


async def test_a_refused_token_push_closes_the_channel(stack_documented: StackInfo) -> None:
    stack = stack_documented
    uid = await stack.acreate_user()
    now = int(time.time())
    no_exp = jwt.encode({"sub": uid, "role": "authenticated"}, stack.jwt_secret, "HS256")
    forged = jwt.encode(
        {"sub": uid, "role": "authenticated", "exp": now + 60},
        "not-the-project-secret-" * 2,
        "HS256",
    )
    cases = [(no_exp, "Fields `role` and `exp` are required in JWT"), (forged, ":signature_error")]
    async with wire(stack) as ws:
        for n, (token, message) in enumerate(cases):
            topic = f"refused-{n}"
            await ws.join(topic, stack.token(uid), [logs_binding(stack.logs_table, uid)], f"j{n}")
            assert (await ws.recv()).payload["status"] == "ok"
            await ws.send(f"realtime:{topic}", "access_token", {"access_token": token}, f"p{n}")
            error, close = await ws.recv(), await ws.recv()
            assert error.event == "system" and error.payload == {
                "channel": topic,
                "extension": "system",
                "message": message,
                "status": "error",
            }
            assert (close.event, close.ref) == ("phx_close", f"j{n}")


async def test_a_refused_join_waits_and_holds_the_socket(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    uid = await stack.acreate_user()
    await stack.aoptions(join_error_delay=1.0)  # hosted: 5
    async with wire(stack) as ws:
        started = time.monotonic()
        late = stack.token(uid, ttl=-3)
        await ws.send("realtime:late", "phx_join", {"access_token": late}, "1", "1")
        await ws.send("phoenix", "heartbeat", {}, "2")
        await ws.quiet(0.8)  # even the heartbeat's reply waits behind the refused join
        refused, beat = await ws.recv(2), await ws.recv(2)
        assert time.monotonic() - started >= 1.0
        assert (refused.ref, refused.payload["status"]) == ("1", "error")
        assert refused.payload["response"]["reason"].startswith("InvalidJWTToken: Token has")
        assert (beat.ref, beat.payload) == ("2", {"status": "ok", "response": {}})


async def test_refused_joins_and_a_cold_project(stack_documented: StackInfo) -> None:
    stack = stack_documented
    uid = await stack.acreate_user()
    await stack.afault("refuse_joins", count=1)
    binding = [logs_binding(stack.logs_table, str(uuid.uuid4()))]
    async with wire(stack) as ws:
        refused = await ws.join("cold-a", stack.token(uid), binding, "1")
        assert refused.payload == {
            "status": "error",
            "response": {
                "reason": "UnableToConnectToProject: Realtime was unable to connect to the"
                " project database"
            },
        }
        await stack.aoptions(cold_start=[0.8, 0.8])  # hosted: 1-3 s, or longer
        await ws.join("cold-b", stack.token(uid), binding, "2")
        replied = time.monotonic()
        assert (await ws.recv(3)).payload["message"] == "Subscribed to PostgreSQL"
        assert time.monotonic() - replied >= 0.75
        await ws.join("warm", stack.token(uid), binding, "3")
        replied = time.monotonic()
        assert (await ws.recv(3)).payload["message"] == "Subscribed to PostgreSQL"
        assert time.monotonic() - replied < 0.5  # warm now


async def test_protocol_2_frames(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    async with wire(stack, vsn="2.0.0") as ws:
        await ws.send("phoenix", "heartbeat", {}, "1")
        beat = await ws.recv()
        assert ws.raw[-1] == '[null, "1", "phoenix", "phx_reply", {"status": "ok", "response": {}}]'
        assert beat.event == "phx_reply"
        binding = logs_binding("job_logs", job)
        reply = await ws.join("v2", user.access_token, [binding], "4")
        assert (reply.join_ref, reply.ref, reply.topic) == ("4", "4", "realtime:v2")
        assert reply.payload["response"]["postgres_changes"][0]["filter"] == binding["filter"]
        system = await ws.recv()
        assert (system.join_ref, system.ref, system.event) == ("4", None, "system")
        await add_logs(stack, job, 1)
        change = await ws.recv()
        assert (change.join_ref, change.ref, change.event) == (None, None, "postgres_changes")
        assert change.payload["data"]["record"]["log_chunk"] == "line 1"
        await ws.ws.send('{"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "x"}')
        await ws.quiet(0.2)  # an object frame on a 2.0.0 socket is not a frame
        await ws.send("realtime:v2", "phx_leave", {}, "5", "4")
        leave, close = await ws.recv(), await ws.recv()
        assert (leave.join_ref, leave.ref, leave.payload["status"]) == ("4", "5", "ok")
        assert (close.join_ref, close.ref, close.event, close.payload) == (
            "4",
            "4",
            "phx_close",
            {},
        )


async def test_an_idle_socket_is_closed(stack_documented: StackInfo) -> None:
    stack = stack_documented
    await stack.aoptions(idle_timeout=0.6)  # hosted: 60
    async with wire(stack) as idle, wire(stack) as busy:
        started = time.monotonic()
        for n in range(5):
            await busy.send("phoenix", "heartbeat", {}, str(n))
            await busy.recv()
            await asyncio.sleep(0.25)
        try:
            await asyncio.wait_for(idle.ws.recv(), 2)
            raise AssertionError("the idle socket got a frame")
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1000
        assert time.monotonic() - started < 2
        await busy.send("phoenix", "heartbeat", {}, "last")
        assert (await busy.recv()).ref == "last"  # heartbeats kept it open
