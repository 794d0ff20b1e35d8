"""Realtime from a test: a raw socket (exact frames, in either protocol version) and a channel
through supabase-py (everything it received)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import websockets
from devstack.testing import StackInfo

from supabase import AsyncClient
from support.waiting import until


@dataclass
class Msg:
    """A server frame, decoded from either encoding."""

    join_ref: str | None
    ref: str | None
    topic: str
    event: str
    payload: dict[str, Any]


class Wire:
    """One realtime socket speaking protocol 1.0.0 (objects) or 2.0.0 (arrays)."""

    def __init__(self, ws: Any, v2: bool) -> None:
        self.ws = ws
        self.v2 = v2
        self.raw: list[str] = []  # every text frame received, as sent

    async def send(
        self,
        topic: str,
        event: str,
        payload: dict[str, Any],
        ref: str | None,
        join_ref: str | None = None,
    ) -> None:
        if self.v2:
            await self.ws.send(json.dumps([join_ref, ref, topic, event, payload]))
        else:
            body = {"topic": topic, "event": event, "payload": payload, "ref": ref}
            if join_ref is not None:
                body["join_ref"] = join_ref
            await self.ws.send(json.dumps(body))

    async def recv(self, timeout: float = 5.0) -> Msg:
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        self.raw.append(text)
        data = json.loads(text)
        if self.v2:
            assert isinstance(data, list) and len(data) == 5, text
            return Msg(*data)
        assert isinstance(data, dict) and "join_ref" not in data, text
        return Msg(None, data["ref"], data["topic"], data["event"], data["payload"])

    async def recv_until(self, event: str, timeout: float = 5.0) -> Msg:
        """The next frame with this event, skipping others."""
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.recv(max(0.01, deadline - time.monotonic()))
            if msg.event == event:
                return msg

    async def quiet(self, seconds: float) -> None:
        """Assert nothing arrives for `seconds`."""
        try:
            text = await asyncio.wait_for(self.ws.recv(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame {text}")

    async def join(
        self, topic: str, token: str, bindings: list[dict[str, Any]], ref: str = "1"
    ) -> Msg:
        """Join and return the reply."""
        payload = {"config": {"postgres_changes": bindings}, "access_token": token}
        await self.send(f"realtime:{topic}", "phx_join", payload, ref, ref)
        return await self.recv_until("phx_reply")


@asynccontextmanager
async def wire(stack: StackInfo, vsn: str = "1.0.0") -> AsyncIterator[Wire]:
    """A raw socket to the stack's realtime endpoint."""
    url = f"{stack.url.replace('http', 'ws')}/realtime/v1/websocket?apikey={stack.anon_key}"
    async with websockets.connect(f"{url}&vsn={vsn}") as ws:
        yield Wire(ws, vsn.startswith("2."))


def logs_binding(table: str, job: str) -> dict[str, Any]:
    """The binding joblens uses for a job's log rows."""
    return {"event": "INSERT", "schema": "public", "table": table, "filter": f"job_id=eq.{job}"}


# -- a channel through supabase-py -------------------------------------------------------


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
