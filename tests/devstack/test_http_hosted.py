"""HTTP behaviours of the hosted gateway and PostgREST the stack reproduces: CORS preflight, the
JWT leeway, read-only GETs, per-role statement timeouts, and PostgREST's 503/500/416 answers."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from devstack.database import database_name
from devstack.testing import StackInfo

from support.seeding import create_job
from support.users import signed_in

#: What supabase-js asks a browser to send (its preflight's Access-Control-Request-Headers).
JS_HEADERS = "apikey,authorization,content-type,x-client-info,x-supabase-api-version,prefer"


@pytest.fixture
async def scratch(stack_documented: StackInfo) -> AsyncIterator[str]:
    """A suffix for functions a test creates (dropped afterwards: the stack is shared)."""
    suffix = secrets.token_hex(3)
    yield suffix
    for name in ("writes", "timeout_now", "snooze", "conflict"):
        await stack_documented.asql(f"drop function if exists public.{name}_{suffix} cascade")
    await stack_documented.asql(f"drop table if exists public.scratch_{suffix}")


async def test_cors_preflight_and_headers(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    origin = {"Origin": "http://localhost:5173"}
    async with httpx.AsyncClient(base_url=stack.url) as http:
        for path in ("/rest/v1/provision_jobs", "/auth/v1/token", "/realtime/v1/websocket"):
            pre = await http.options(
                path,
                headers={
                    **origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": JS_HEADERS,
                },
            )
            assert pre.status_code == 200, path
            assert pre.headers["Access-Control-Allow-Origin"] == "*"
            assert pre.headers["Access-Control-Allow-Headers"] == JS_HEADERS
            assert {"GET", "POST", "PATCH", "DELETE"} <= set(
                pre.headers["Access-Control-Allow-Methods"].split(",")
            )
        rows = await http.get(
            "/rest/v1/provision_jobs", headers={**origin, "apikey": stack.anon_key}
        )
        assert rows.status_code == 200 and rows.headers["Access-Control-Allow-Origin"] == "*"
        assert "Content-Range" in rows.headers["Access-Control-Expose-Headers"]


async def test_the_jwt_leeway(stack_documented: StackInfo) -> None:
    stack = stack_documented
    uid = await stack.acreate_user()

    async def status(ttl: int) -> int:
        headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {stack.token(uid, ttl)}"}
        async with httpx.AsyncClient(base_url=stack.url) as http:
            return (await http.get("/rest/v1/provision_jobs", headers=headers)).status_code

    # PostgREST allows 30 s of clock skew past `exp`
    assert (await status(-20), await status(-40)) == (200, 401)
    await stack.aoptions(jwt_leeway=0)
    assert await status(-5) == 401


async def test_gets_are_read_only(stack_documented: StackInfo, scratch: str) -> None:
    stack = stack_documented
    await stack.asql(f"create table public.scratch_{scratch} (n int)")
    await stack.asql(
        f"create function public.writes_{scratch}() returns int language sql as"
        f" 'insert into public.scratch_{scratch} values (1) returning n'"
    )
    headers = {
        "apikey": stack.service_role_key,
        "Authorization": f"Bearer {stack.service_role_key}",
    }
    async with httpx.AsyncClient(base_url=f"{stack.url}/rest/v1", headers=headers) as http:
        refused = await http.get(f"/rpc/writes_{scratch}")
        assert refused.status_code == 405 and refused.json()["code"] == "25006"
        assert "read-only transaction" in refused.json()["message"]
        written = await http.post(f"/rpc/writes_{scratch}", json={})
        assert written.status_code == 200 and written.json() == 1


async def test_statement_timeouts_per_role(stack_documented: StackInfo, scratch: str) -> None:
    stack = stack_documented
    await stack.asql(
        f"create function public.timeout_now_{scratch}() returns text language sql as"
        " $$ select current_setting('statement_timeout') $$"
    )
    await stack.asql(
        f"create function public.snooze_{scratch}(s float8) returns int language sql as"
        " $$ select 1 from pg_sleep(s) $$"
    )
    user = await signed_in(stack)
    anon = {"apikey": stack.anon_key}
    authed = {**anon, "Authorization": f"Bearer {user.access_token}"}
    async with httpx.AsyncClient(base_url=f"{stack.url}/rest/v1") as http:
        seen = [
            (await http.get(f"/rpc/timeout_now_{scratch}", headers=h)).json()
            for h in (anon, authed)
        ]
        assert seen == ["3s", "8s"]  # hosted's defaults
        db = database_name(stack.database_url)
        await stack.asql(f"alter role anon in database {db} set statement_timeout = '200ms'")
        try:
            await stack.asql("notify pgrst, 'reload config'")  # as on hosted, after ALTER ROLE
            for _ in range(50):
                slow = await http.get(f"/rpc/snooze_{scratch}", params={"s": "1"}, headers=anon)
                if slow.status_code != 200:
                    break
                await asyncio.sleep(0.05)
            assert slow.status_code == 500 and slow.json()["code"] == "57014"
            fine = await http.get(f"/rpc/snooze_{scratch}", params={"s": "0.4"}, headers=authed)
            assert fine.status_code == 200
        finally:
            await stack.asql(f"alter role anon in database {db} set statement_timeout = '3s'")
            await stack.asql("notify pgrst, 'reload config'")


async def test_connection_and_serialization_failures(
    stack_documented: StackInfo, scratch: str
) -> None:
    stack = stack_documented
    await stack.asql(
        f"create function public.conflict_{scratch}() returns int language plpgsql as $$"
        " begin raise exception 'could not serialize access due to concurrent update'"
        " using errcode = '40001'; end $$"
    )
    await stack.asql(
        f"create function public.snooze_{scratch}(s float8) returns int language sql as"
        " $$ select 1 from pg_sleep(s) $$"
    )
    headers = {
        "apikey": stack.service_role_key,
        "Authorization": f"Bearer {stack.service_role_key}",
    }
    async with httpx.AsyncClient(base_url=f"{stack.url}/rest/v1", headers=headers) as http:
        conflict = await http.post(f"/rpc/conflict_{scratch}", json={})
        assert conflict.status_code == 500 and conflict.json()["code"] == "40001"
        await stack.afault("db_unreachable", seconds=0.5)
        down = await http.get("/provision_jobs")
        assert down.status_code == 503
        body = down.json()
        assert (body["code"], body["message"]) == ("PGRST000", "Database connection error.")
        assert "Connection refused" in body["details"]
        await asyncio.sleep(0.6)
        assert (await http.get("/provision_jobs")).status_code == 200
        # A connection killed under a request (a failover, a restart): 503 as well. Killed
        # while the function sleeps: the backend is 'active' with the query's text from its
        # parse step on, and a kill that early (likely on a loaded machine) reaches devstack
        # as asyncpg's InternalClientError, answered 500.
        slow = asyncio.create_task(http.post(f"/rpc/snooze_{scratch}", json={"s": 5}))
        for _ in range(100):
            killed = await stack.asql(
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where datname = current_database() and state = 'active'"
                " and query like '%snooze%' and wait_event = 'PgSleep'"
                " and pid <> pg_backend_pid()"
            )
            if killed:
                break
            await asyncio.sleep(0.05)
        cut = await slow
        assert cut.status_code == 503, cut.text
        assert cut.json()["code"] in ("57P01", "PGRST001")


async def test_an_offset_past_the_end_is_416(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    for _ in range(3):
        await create_job(stack, user.id)
    headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {user.access_token}"}
    async with httpx.AsyncClient(base_url=f"{stack.url}/rest/v1", headers=headers) as http:
        counted = {"Prefer": "count=exact"}
        past = await http.get("/provision_jobs", params={"offset": "5"}, headers=counted)
        assert past.status_code == 416 and past.headers["Content-Range"] == "*/3"
        assert past.json() == {
            "code": "PGRST103",
            "details": "An offset of 5 was requested, but there are only 3 rows.",
            "hint": None,
            "message": "Requested range not satisfiable",
        }
        at_end = await http.get("/provision_jobs", params={"offset": "3"}, headers=counted)
        assert (at_end.status_code, at_end.json()) == (206, [])
        uncounted = await http.get("/provision_jobs", params={"offset": "5"})
        assert (uncounted.status_code, uncounted.json()) == (200, [])
