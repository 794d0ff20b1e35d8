"""Realtime through the unmodified supabase-py client, and the raw frames on the wire."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import websockets
from devstack.testing import StackInfo

from realtime import RealtimeSubscribeStates
from support.realtime import subscribe
from support.seeding import add_logs, create_job
from support.users import signed_in, token_client
from support.waiting import until


async def test_inserts_arrive_for_the_owner_only_and_filtered(stack: StackInfo) -> None:
    owner, other = await signed_in(stack), await signed_in(stack)
    job, other_job = await create_job(stack, owner.id), await create_job(stack, other.id)
    mine = await subscribe(owner.client, stack.logs_table, job)
    snooping = await subscribe(other.client, stack.logs_table, job)
    own_other = await subscribe(other.client, stack.logs_table, other_job)
    for i in range(3):
        await add_logs(stack, job, 5, prefix=f"batch{i}")
    await add_logs(stack, other_job, 2, prefix="theirs")
    await until(lambda: len(mine.records) == 15 and len(own_other.records) == 2)
    expected = [f"batch{i} {n}" for i in range(3) for n in range(1, 6)]
    assert [r["log_chunk"] for r in mine.records] == expected
    assert {r["job_id"] for r in mine.records} == {job}
    data = mine.payloads[0]["data"]
    assert data["type"] == "INSERT" and data["table"] == stack.logs_table
    assert data["errors"] is None and data["commit_timestamp"].endswith("Z")
    assert {"name": "log_chunk", "type": "text"} in data["columns"]
    await asyncio.sleep(0.2)
    assert snooping.records == []
    assert [r["log_chunk"] for r in own_other.records] == ["theirs 1", "theirs 2"]


async def test_changes_are_delivered_in_commit_order(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    sub = await subscribe(user.client, "job_logs", job)
    first = await asyncpg.connect(stack.database_url)
    second = await asyncpg.connect(stack.database_url)
    try:
        async with first.transaction():
            await first.execute(
                "insert into job_logs (job_id, log_chunk) values ($1, 'early id')", uuid.UUID(job)
            )
            async with second.transaction():
                await second.execute(
                    "insert into job_logs (job_id, log_chunk) values ($1, 'committed first')",
                    uuid.UUID(job),
                )
    finally:
        await first.close()
        await second.close()
    await until(lambda: len(sub.records) == 2)
    assert [r["log_chunk"] for r in sub.records] == ["committed first", "early id"]
    assert sub.records[0]["id"] > sub.records[1]["id"]


async def test_updates_carry_old_record_and_a_huge_row_is_413(stack_documented: StackInfo) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    jobs = user.client.channel("jobs-updates")
    changes: list[dict[str, Any]] = []
    system: list[Any] = []
    jobs.on_postgres_changes(
        "UPDATE", changes.append, table="provision_jobs", filter=f"id=eq.{job}"
    )
    jobs.on_system(system.append)
    await jobs.subscribe()
    await until(lambda: bool(system))
    await (
        user.client.table("provision_jobs").update({"status": "CANCELLED"}).eq("id", job).execute()
    )
    await until(lambda: len(changes) == 1)
    record, old = changes[0]["data"]["record"], changes[0]["data"]["old_record"]
    assert record["status"] == "CANCELLED"
    # provision_jobs is REPLICA IDENTITY FULL: hosted realtime sends the whole old row, RLS or
    # not (only a DELETE is cut to the key under RLS). This used to assert {"id": job}.
    assert old["status"] == "QUEUED" and set(old) == set(record)
    assert _without(old, "status", "updated_at") == _without(record, "status", "updated_at")
    logs = await subscribe(user.client, stack.logs_table, job)
    await stack.asql(
        f"insert into {stack.logs_table} (job_id, log_chunk) values ($1, $2)",
        uuid.UUID(job),
        "x" * (1024 * 1024 + 10),
    )
    await until(lambda: len(logs.payloads) == 1)
    data = logs.payloads[0]["data"]
    assert data["errors"] == ["Error 413: Payload Too Large"]
    assert "log_chunk" not in data["record"] and data["record"]["job_id"] == job
    narrow = user.client.channel("narrow")
    seen: list[dict[str, Any]] = []
    narrow.on_postgres_changes(
        "INSERT",
        seen.append,
        table=stack.logs_table,
        filter=f"job_id=eq.{job}",
        select=["id", "stream_type"],
    )
    narrow.on_system(system.append)
    await narrow.subscribe()
    await until(lambda: len(system) == 2)
    await add_logs(stack, job, 1)
    await until(lambda: len(seen) == 1)
    assert set(seen[0]["data"]["record"]) == {"id", "stream_type"}


def _without(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in names}


async def _job_channel(
    client: Any, job: str | None, logs_table: str | None = None
) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """A channel with a job's log INSERTs (if ``logs_table``) and its UPDATEs, subscribed and
    live: (channel, log payloads, job payloads)."""
    channel = client.channel(f"jobs-{uuid.uuid4().hex[:8]}")
    logs: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    system: list[Any] = []
    if logs_table:
        channel.on_postgres_changes(
            "INSERT", logs.append, table=logs_table, filter=f"job_id=eq.{job}"
        )
    channel.on_postgres_changes(
        "UPDATE", jobs.append, table="provision_jobs", filter=f"id=eq.{job}" if job else None
    )
    channel.on_system(system.append)
    await channel.subscribe()
    await until(lambda: bool(system))
    assert system[0].message == "Subscribed to PostgreSQL"
    return channel, logs, jobs


async def test_job_updates_reach_the_owner_only_on_their_own_binding(stack: StackInfo) -> None:
    owner, other = await signed_in(stack), await signed_in(stack)
    job = await create_job(stack, owner.id)
    channel, logs, updates = await _job_channel(owner.client, job, stack.logs_table)
    _, _, snooped = await _job_channel(other.client, job)
    _, _, unfiltered = await _job_channel(other.client, None)
    ids = [b.id for b in channel.postgres_changes_callbacks]
    assert len(set(ids)) == 2 and all(ids)  # each binding got its own id from the join reply
    for status in ("CLAIMED", "PROCESSING"):
        await stack.asql("update provision_jobs set status = $2 where id = $1", job, status)
    await add_logs(stack, job, 2)
    await stack.asql("update provision_jobs set status = 'SUCCESS' where id = $1", job)
    await until(lambda: len(updates) == 3 and len(logs) == 2)
    assert [p["data"]["record"]["status"] for p in updates] == ["CLAIMED", "PROCESSING", "SUCCESS"]
    assert [p["data"]["old_record"]["status"] for p in updates] == [
        "QUEUED",
        "CLAIMED",
        "PROCESSING",
    ]
    assert {p["ids"][0] for p in updates} == {ids[1]} and {p["ids"][0] for p in logs} == {ids[0]}
    data = updates[0]["data"]
    assert (data["type"], data["schema"], data["table"]) == ("UPDATE", "public", "provision_jobs")
    assert data["errors"] is None and data["commit_timestamp"].endswith("Z")
    assert {"name": "status", "type": "job_status"} in data["columns"]
    assert {c["name"] for c in data["columns"]} == set(data["record"])
    assert data["record"]["id"] == job and data["old_record"]["user_id"] == owner.id
    await asyncio.sleep(0.3)
    assert snooped == [] and unfiltered == []  # RLS: never another user's job


async def test_old_record_follows_the_replica_identity(stack_documented: StackInfo) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    await stack.asql("create table public.memos (id bigint primary key, body text, tag text)")
    await stack.asql("alter publication supabase_realtime add table public.memos")
    await stack.asql("insert into public.memos values (1, 'first', 't')")
    channel: Any = user.client.channel("memos")
    seen: list[dict[str, Any]] = []
    system: list[Any] = []
    channel.on_postgres_changes("*", seen.append, table="memos")
    channel.on_system(system.append)
    await channel.subscribe()
    await until(lambda: bool(system))
    await stack.asql("update public.memos set body = 'second' where id = 1")
    await until(lambda: len(seen) == 1)
    assert seen[0]["data"]["old_record"] == {"id": 1}  # DEFAULT: the primary key only
    await stack.asql("alter table public.memos replica identity full")
    await stack.asql("update public.memos set body = 'third' where id = 1")
    # Delivered before the row goes: a change whose row is deleted before its delivery is
    # not delivered (RLS is checked then, as walrus does; devstack/README.md).
    await until(lambda: len(seen) == 2)
    await stack.asql("delete from public.memos where id = 1")
    await until(lambda: len(seen) == 3)
    assert seen[1]["data"]["old_record"] == {"id": 1, "body": "second", "tag": "t"}
    assert seen[2]["data"]["type"] == "DELETE" and "record" not in seen[2]["data"]
    assert seen[2]["data"]["old_record"] == {"id": 1, "body": "third", "tag": "t"}  # no RLS


async def test_a_job_row_over_one_mebibyte_with_its_old_row_is_413(stack: StackInfo) -> None:
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    _, _, updates = await _job_channel(user.client, job)
    metadata = json.dumps({"plan": "x" * 600_000})
    await stack.asql(
        "update provision_jobs set execution_metadata = $2::jsonb where id = $1", job, metadata
    )
    # The same 600 kB in the new row and in the old one: over 1 MiB together (the WAL record).
    await stack.asql("update provision_jobs set status = 'PROCESSING' where id = $1", job)
    await until(lambda: len(updates) == 2)
    first, second = updates[0]["data"], updates[1]["data"]
    assert first["errors"] is None and len(first["record"]["execution_metadata"]["plan"]) == 600_000
    assert second["errors"] == ["Error 413: Payload Too Large"]
    for row in (second["record"], second["old_record"]):
        assert "execution_metadata" not in row and row["id"] == job
    assert (second["record"]["status"], second["old_record"]["status"]) == ("PROCESSING", "QUEUED")


async def _join_error(client: Any, table: str, flt: str | None) -> dict[str, Any]:
    """Subscribe and return the system error the channel reported."""
    channel = client.channel(f"bad-{table}-{flt}")
    states: list[Any] = []
    channel.on_postgres_changes("INSERT", lambda p: None, table=table, filter=flt)
    await channel.subscribe(lambda s, e: states.append((s, e)))
    await until(lambda: any(s == RealtimeSubscribeStates.CHANNEL_ERROR for s, _ in states))
    await client.remove_channel(channel)
    error = next(e for s, e in states if s == RealtimeSubscribeStates.CHANNEL_ERROR)
    return dict(json.loads(str(error)))


async def test_bad_filter_and_unpublished_table_are_system_errors(stack: StackInfo) -> None:
    user = await signed_in(stack)
    for table, flt in (("workers", None), (stack.logs_table, "nope=eq.1")):
        payload = await _join_error(user.client, table, flt)
        assert payload["status"] == "error" and payload["extension"] == "postgres_changes"
        assert payload["message"].startswith("Unable to subscribe to changes")


def _frame(topic: str, event: str, payload: dict[str, Any], ref: str | None) -> str:
    return json.dumps(
        {
            "topic": topic,
            "event": event,
            "payload": payload,
            "ref": ref,
            "join_ref": ref if event == "phx_join" else None,
        }
    )


async def test_the_frames_on_the_wire(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    uid = await stack.acreate_user()
    url = (
        f"{stack.url.replace('http', 'ws')}/realtime/v1/websocket?apikey={stack.anon_key}&vsn=1.0.0"
    )
    binding = {
        "event": "INSERT",
        "schema": "public",
        "table": "job_logs",
        "filter": f"job_id=eq.{uuid.uuid4()}",
    }
    async with websockets.connect(url) as ws:
        await ws.send(_frame("phoenix", "heartbeat", {}, "1"))
        assert json.loads(await ws.recv()) == {
            "topic": "phoenix",
            "event": "phx_reply",
            "payload": {"status": "ok", "response": {}},
            "ref": "1",
        }
        await ws.send(
            _frame(
                "realtime:wire",
                "phx_join",
                {
                    "config": {
                        "broadcast": {"ack": False, "self": False},
                        "presence": {"key": "", "enabled": False},
                        "private": False,
                        "postgres_changes": [binding],
                    },
                    "access_token": stack.token(uid),
                },
                "2",
            )
        )
        reply = json.loads(await ws.recv())
        assert reply["event"] == "phx_reply" and reply["ref"] == "2"
        echoed = reply["payload"]["response"]["postgres_changes"][0]
        assert isinstance(echoed.pop("id"), int) and echoed == binding
        system = json.loads(await ws.recv())
        assert system == {
            "topic": "realtime:wire",
            "event": "system",
            "ref": None,
            "payload": {
                "channel": "wire",
                "extension": "postgres_changes",
                "message": "Subscribed to PostgreSQL",
                "status": "ok",
            },
        }
        await ws.send(
            _frame("realtime:wire", "access_token", {"access_token": stack.token(uid)}, "3")
        )
        await ws.send(_frame("realtime:wire", "phx_leave", {}, "4"))
        leave = json.loads(await ws.recv())  # nothing came back for the valid access_token
        assert leave["event"] == "phx_reply" and leave["ref"] == "4"
        assert leave["payload"]["status"] == "ok"
        close = json.loads(await ws.recv())
        assert close["event"] == "phx_close" and close["topic"] == "realtime:wire"
        await ws.send(
            _frame(
                "realtime:late",
                "phx_join",
                {
                    "config": {"postgres_changes": [binding]},
                    "access_token": stack.token(uid, ttl=-7),
                },
                "5",
            )
        )
        refused = json.loads(await ws.recv())
        assert refused["payload"] == {
            "status": "error",
            "response": {"reason": "InvalidJWTToken: Token has expired 7 seconds ago"},
        }


async def test_an_expiring_token_closes_the_channel(stack_documented: StackInfo) -> None:
    stack = stack_documented
    uid = await stack.acreate_user()
    client = await token_client(stack, stack.token(uid, ttl=3))
    sub = await subscribe(client, stack.logs_table, str(uuid.uuid4()))
    await until(lambda: any(s == RealtimeSubscribeStates.CLOSED for s, _ in sub.states), 10)
    errors = [
        json.loads(str(e)) for s, e in sub.states if s == RealtimeSubscribeStates.CHANNEL_ERROR
    ]
    assert errors[0]["extension"] == "system"
    assert errors[0]["message"].startswith("Token has expired")
    await client.realtime.close()


async def test_an_expired_access_token_push_closes_the_channel(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    sub = await subscribe(user.client, "job_logs", str(uuid.uuid4()))
    await user.client.realtime.set_auth(stack.token(user.id))  # valid: nothing happens
    await asyncio.sleep(0.2)
    assert [s for s, _ in sub.states] == [RealtimeSubscribeStates.SUBSCRIBED]
    await user.client.realtime.set_auth(stack.token(user.id, ttl=-30))
    await until(lambda: any(s == RealtimeSubscribeStates.CLOSED for s, _ in sub.states))
    error = next(e for s, e in sub.states if s == RealtimeSubscribeStates.CHANNEL_ERROR)
    assert json.loads(str(error))["message"] == "Token has expired 30 seconds ago"


async def test_a_rejoin_of_a_live_topic_gets_a_stale_phx_close(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    uid = await stack.acreate_user()
    url = (
        f"{stack.url.replace('http', 'ws')}/realtime/v1/websocket?apikey={stack.anon_key}&vsn=1.0.0"
    )
    join = {"config": {"postgres_changes": []}, "access_token": stack.token(uid)}
    async with websockets.connect(url) as ws:
        await ws.send(_frame("realtime:again", "phx_join", join, "1"))
        assert json.loads(await ws.recv())["ref"] == "1"
        await ws.send(_frame("realtime:again", "phx_join", join, "2"))
        reply, close = json.loads(await ws.recv()), json.loads(await ws.recv())
        assert reply["event"] == "phx_reply" and reply["ref"] == "2"
        assert close == {"topic": "realtime:again", "event": "phx_close", "payload": {}, "ref": "1"}


async def test_a_table_published_later_is_delivered(stack_documented: StackInfo) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    await stack.asql(
        "create table public.notes (id bigint generated by default as identity"
        " primary key, job_id uuid, body text)"
    )
    await stack.asql("alter publication supabase_realtime add table public.notes")
    sub = await subscribe(user.client, "notes")  # no RLS on this table: everyone sees it
    await stack.asql("insert into public.notes (body) values ('hello')")
    await until(lambda: len(sub.records) == 1)
    assert sub.records[0]["body"] == "hello"
