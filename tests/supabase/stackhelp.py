"""Helpers for the Supabase backend's integration tests: users, jobs and logs on a real stack.

Seeding goes straight to PostgreSQL as the owner (as a Tendril or the web page would write);
reading goes through :class:`SupabaseBackend`, i.e. the unmodified supabase-py client.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from devstack.testing import StackInfo
from tests.log_oracle import shown_lines

from joblens.backends.base import FollowEvent
from joblens.backends.supabase import LiveTiming, SupabaseBackend, SupabaseSettings

#: Short watchdog timings so the recovery tests finish in seconds.
FAST = LiveTiming(
    check_every=0.3, probe_after=1.0, dead_after=3.0, not_live_after=15.0, assume_live_after=8.0
)


@dataclass
class User:
    id: str
    token: str
    email: str = ""
    password: str = ""


#: Users made by these helpers, deleted after each test (their rows go with them, by cascade)
#: so the session's shared stacks stay as empty as other tests expect them.
CREATED_USERS: list[tuple[StackInfo, str]] = []


async def new_user(stack: StackInfo, ttl: int = 3600) -> User:
    uid = await stack.acreate_user()
    CREATED_USERS.append((stack, uid))
    return User(uid, stack.token(uid, ttl=ttl))


async def forget_users() -> None:
    """Delete the users made since the last call, with everything they own."""
    while CREATED_USERS:
        stack, uid = CREATED_USERS.pop()
        await stack.asql("delete from auth.users where id = $1", uid)


async def signed_in_user(stack: StackInfo) -> tuple[User, str]:
    """A user with a real session from the stack's auth (password grant): (user, refresh)."""
    email = f"user-{id(stack)}-{asyncio.get_running_loop().time():.6f}@example.test"
    uid = await stack.acreate_user(email, "password-1")
    CREATED_USERS.append((stack, uid))
    body = json.dumps({"email": email, "password": "password-1"}).encode()
    req = urllib.request.Request(
        f"{stack.url}/auth/v1/token?grant_type=password",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "apikey": stack.anon_key},
    )

    def post() -> dict[str, Any]:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return dict(json.loads(resp.read()))

    session = await asyncio.to_thread(post)
    return User(uid, session["access_token"], email, "password-1"), session["refresh_token"]


def backend_for(
    stack: StackInfo,
    token: str,
    refresh: str | None = None,
    *,
    timing: LiveTiming | None = FAST,
    rest_timeout: float = 8.0,
) -> SupabaseBackend:
    settings = SupabaseSettings(
        url=stack.url,
        anon_key=stack.anon_key,
        access_token=token,
        refresh_token=refresh,
        logs_table=stack.logs_table,
    )
    return SupabaseBackend(settings, live_timing=timing, rest_timeout=rest_timeout)


async def create_job(stack: StackInfo, user_id: str, **fields: Any) -> str:
    values: dict[str, Any] = {"user_id": user_id, "job_type": "PLAN", "status": "QUEUED"}
    values.update(fields)
    names = list(values)
    casts = [
        f"${i + 1}::jsonb" if isinstance(values[n], dict | list) else f"${i + 1}"
        for i, n in enumerate(names)
    ]
    args = [json.dumps(v) if isinstance(v, dict | list) else v for v in values.values()]
    rows = await stack.asql(
        f"insert into provision_jobs ({', '.join(names)}) values ({', '.join(casts)}) returning id",
        *args,
    )
    return str(rows[0]["id"])


async def write_logs(stack: StackInfo, job_id: str, chunks: Sequence[tuple[str, str]]) -> None:
    """Insert chunks in order, one commit each (as a Tendril flushes)."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        for text, stream in chunks:
            await conn.execute(
                f"insert into {stack.logs_table} (job_id, log_chunk, stream_type) "
                "values ($1, $2, $3)",
                job_id,
                text,
                stream,
            )
    finally:
        await conn.close()


async def db_chunks(stack: StackInfo, job_id: str) -> list[tuple[str, str]]:
    """(id, text) of every chunk of the job in the table's order."""
    order = "l.id" if stack.logs_table == "job_logs" else "l.created_at, l.id"
    rows = await stack.asql(
        f"select l.id::text as id, l.log_chunk from {stack.logs_table} l "
        f"where l.job_id = $1 order by {order}",
        job_id,
    )
    return [(r["id"], r["log_chunk"]) for r in rows]


async def db_lines(stack: StackInfo, job_id: str) -> list[str]:
    """The job's lines as plain mode prints them without colour (tests/log_oracle.py)."""
    order = "l.id" if stack.logs_table == "job_logs" else "l.created_at, l.id"
    rows = await stack.asql(
        f"select l.stream_type, l.log_chunk from {stack.logs_table} l "
        f"where l.job_id = $1 order by {order}",
        job_id,
    )
    return shown_lines((r["stream_type"], r["log_chunk"]) for r in rows)


async def set_status(stack: StackInfo, job_id: str, status: str, error: str | None = None) -> None:
    await stack.asql(
        "update provision_jobs set status = $2::text::job_status, error_message = $3, "
        "completed_at = case when $2::text in ('SUCCESS','FAILED','CANCELLED') then now() end "
        "where id = $1",
        job_id,
        status,
        error,
    )


async def next_event(events: AsyncIterator[FollowEvent], timeout: float = 15.0) -> FollowEvent:
    return await asyncio.wait_for(events.__anext__(), timeout)


async def wait_for(predicate: Any, timeout: float = 15.0, every: float = 0.05) -> None:
    """Poll ``predicate()`` (sync) until true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every)


@asynccontextmanager
async def live_view(stack: StackInfo, token: str, job_id: str) -> AsyncIterator[Any]:
    """The real app on ``job_id`` through the stack, its screen live: (pilot, screen, pane)."""
    from joblens.app import JoblensApp
    from joblens.widgets.log import LogPane
    from ui.conftest import opened, wait_for

    app = JoblensApp(backend_for(stack, token), job_id[:8])
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: screen.feed.live, timeout=15)
        yield pilot, screen, screen.query_one(LogPane)
