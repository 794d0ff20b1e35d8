"""Small helpers for the devstack tests: signed-in clients, seeded jobs, waiting."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devstack.testing import StackInfo

from supabase import AsyncClient, AsyncClientOptions, acreate_client

#: Clients made by the helpers in the current test; the conftest closes their sockets.
OPEN_CLIENTS: list[AsyncClient] = []


async def _client(url: str, key: str, options: AsyncClientOptions | None = None) -> AsyncClient:
    client = await acreate_client(url, key, options)
    OPEN_CLIENTS.append(client)
    return client


async def close_clients() -> None:
    """Close the realtime sockets of every client the helpers made."""
    while OPEN_CLIENTS:
        client = OPEN_CLIENTS.pop()
        await client.realtime.close()


@dataclass
class User:
    """A signed-in user of a stack."""

    id: str
    email: str
    password: str
    client: AsyncClient
    access_token: str
    refresh_token: str


async def signed_in(stack: StackInfo) -> User:
    """Create a user and a client signed in with its password (realtime auth set too)."""
    email, password = f"u{secrets.token_hex(5)}@example.test", "pw-" + secrets.token_hex(4)
    uid = await stack.acreate_user(email, password)
    client = await _client(stack.url, stack.anon_key)
    res = await client.auth.sign_in_with_password({"email": email, "password": password})
    assert res.session is not None
    await client.realtime.set_auth(res.session.access_token)
    return User(uid, email, password, client, res.session.access_token, res.session.refresh_token)


async def token_client(stack: StackInfo, token: str) -> AsyncClient:
    """A client using a bearer token given from outside (no session)."""
    client = await _client(
        stack.url,
        stack.anon_key,
        AsyncClientOptions(headers={"Authorization": f"Bearer {token}"}),
    )
    await client.realtime.set_auth(token)
    return client


async def new_job(stack: StackInfo, user_id: str, **fields: Any) -> str:
    """Insert a job for a user (as the owner of the database); return its id."""
    cols = {"user_id": uuid.UUID(user_id), "job_type": "PLAN", **fields}
    names = ", ".join(cols)
    marks = ", ".join(f"${i + 1}" for i in range(len(cols)))
    rows = await stack.asql(
        f"insert into provision_jobs ({names}) values ({marks}) returning id", *cols.values()
    )
    return str(rows[0]["id"])


async def add_logs(stack: StackInfo, job_id: str, n: int, prefix: str = "line") -> None:
    """Insert n log chunks for a job, one transaction, in order."""
    await stack.asql(
        f"insert into {stack.logs_table} (job_id, log_chunk, created_at)"
        " select $1, $2 || ' ' || g, now() + g * interval '1 microsecond'"
        " from generate_series(1, $3) g",
        uuid.UUID(job_id),
        prefix,
        n,
    )


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until predicate() holds (polling briefly), or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@dataclass
class Subscription:
    """A channel on a logs table with everything it received."""

    channel: Any
    records: list[dict[str, Any]]
    payloads: list[dict[str, Any]]
    system: list[Any]
    states: list[Any]

    def subscribed_count(self) -> int:
        """How many "Subscribed to PostgreSQL" frames arrived (one per (re)join)."""
        return sum(1 for p in self.system if p.message == "Subscribed to PostgreSQL")


async def subscribe(
    client: AsyncClient,
    table: str,
    job_id: str | None = None,
    wait: bool = True,
    event: str = "INSERT",
) -> Subscription:
    """Subscribe to a table (filtered by job_id) and wait for "Subscribed to PostgreSQL"."""
    sub = Subscription(client.channel(f"t-{secrets.token_hex(4)}"), [], [], [], [])

    def on_change(payload: dict[str, Any]) -> None:
        sub.payloads.append(payload)
        sub.records.append(payload["data"].get("record") or {})

    sub.channel.on_postgres_changes(
        event, on_change, table=table, filter=f"job_id=eq.{job_id}" if job_id else None
    )
    sub.channel.on_system(sub.system.append)
    await sub.channel.subscribe(lambda state, err: sub.states.append((state, err)))
    if wait:
        await until(lambda: sub.subscribed_count() > 0)
    return sub
