"""Realtime at /realtime/v1/websocket: Phoenix V1 JSON frames as the real server sends them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from .changes import Binding, ChangeFeed, binding_id, parse_filter
from .grammar import PgrstError
from .sqlbuild import Params, condition_sql
from .state import Stack
from .tokens import TokenError

log = logging.getLogger(__name__)

MAX_FRAME = 1024 * 1024
SUBSCRIBED_DELAY = 0.05  # the real server confirms the subscription a little after the join


def expired_reason(seconds: int) -> str:
    """The real server's words for a token that expired `seconds` ago."""
    return f"Token has expired {seconds} seconds ago"


class Channel:
    """A joined topic on one socket."""

    def __init__(
        self, conn: Connection, topic: str, join_ref: str | None, token: str, claims: dict[str, Any]
    ) -> None:
        self.conn = conn
        self.topic = topic
        self.join_ref = join_ref
        self.token = token
        self.claims = claims
        self.bindings: list[Binding] = []
        self.expiry: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        """The topic without its `realtime:` prefix."""
        return self.topic.removeprefix("realtime:")

    async def deliver(self, ids: list[int], data: dict[str, Any]) -> None:
        """Send one postgres_changes frame (never over 1 MiB)."""
        await self.conn.send(self.topic, "postgres_changes", {"ids": ids, "data": data}, None)


class Connection:
    """One websocket and its channels."""

    def __init__(
        self, hub: RealtimeHub, ws: web.WebSocketResponse, request: web.Request, apikey: str
    ) -> None:
        self.hub = hub
        self.ws = ws
        self.request = request
        self.apikey = apikey
        self.channels: dict[str, Channel] = {}
        self.silent_until = 0.0
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def silent(self) -> bool:
        """True while a `silence` fault is in effect."""
        return time.monotonic() < self.silent_until

    async def send(self, topic: str, event: str, payload: dict[str, Any], ref: str | None) -> None:
        """Send a frame unless silenced or too large; never raise on a dead socket."""
        if self.silent or self.ws.closed:
            return
        text = json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref})
        if len(text.encode()) > MAX_FRAME:
            log.warning("dropping a %d-byte frame", len(text))
            return
        async with self._lock:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(text)

    def remove(self, channel: Channel) -> None:
        """Forget a channel (left, closed or errored)."""
        if self.channels.get(channel.topic) is channel:
            del self.channels[channel.topic]
        self.hub.feed.channels.discard(channel)
        if channel.expiry is not None and channel.expiry is not asyncio.current_task():
            channel.expiry.cancel()

    async def close_channel(self, channel: Channel, reason: str) -> None:
        """The real server's token-expiry path: a system error, then phx_close."""
        self.remove(channel)
        await self.send(
            channel.topic,
            "system",
            {"channel": channel.name, "extension": "system", "message": reason, "status": "error"},
            None,
        )
        await self.send(channel.topic, "phx_close", {}, channel.join_ref)

    async def handle(self, frame: dict[str, Any]) -> None:
        """Dispatch one client frame."""
        topic = str(frame.get("topic", ""))
        event = frame.get("event")
        ref = frame.get("ref")
        payload = frame.get("payload") or {}
        if topic == "phoenix" and event == "heartbeat":
            await self.send("phoenix", "phx_reply", {"status": "ok", "response": {}}, ref)
        elif event == "phx_join":
            # Joins run beside the read loop so that held joins do not block heartbeats.
            task = asyncio.create_task(self.join(topic, ref, frame.get("join_ref") or ref, payload))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif event == "phx_leave":
            channel = self.channels.get(topic)
            await self.send(topic, "phx_reply", {"status": "ok", "response": {}}, ref)
            if channel is not None:
                self.remove(channel)
                await self.send(topic, "phx_close", {}, channel.join_ref)
        elif event == "access_token":
            channel = self.channels.get(topic)
            if channel is not None:
                await self.refresh_token(channel, str(payload.get("access_token") or ""))
        elif topic in self.channels:
            # broadcast / presence: accepted, not implemented
            if ref is not None:
                await self.send(topic, "phx_reply", {"status": "ok", "response": {}}, ref)
        elif ref is not None:
            await self.send(
                topic,
                "phx_reply",
                {"status": "error", "response": {"reason": "unmatched topic"}},
                ref,
            )

    async def join(
        self, topic: str, ref: str | None, join_ref: str | None, payload: dict[str, Any]
    ) -> None:
        """phx_join: check the token, echo the bindings, then confirm the subscription."""
        hold = self.hub.hold_joins_until - time.monotonic()
        if hold > 0:
            await asyncio.sleep(hold)
        token = str(payload.get("access_token") or self.apikey)
        try:
            claims = self.hub.stack.verifier.claims(token)
        except TokenError as exc:
            reason = expired_reason(exc.expired_for) if exc.expired_for is not None else str(exc)
            await self.send(
                topic,
                "phx_reply",
                {"status": "error", "response": {"reason": f"InvalidJWTToken: {reason}"}},
                ref,
            )
            return
        old = self.channels.get(topic)
        if old is not None:
            self.remove(old)  # Phoenix shuts the earlier channel process down for the new join
        channel = Channel(self, topic, join_ref, token, claims)
        config = payload.get("config") or {}
        raw_bindings = config.get("postgres_changes") or []
        replies = []
        for raw in raw_bindings:
            raw = dict(raw)
            bid = binding_id(raw)
            channel.bindings.append(
                Binding(
                    raw,
                    bid,
                    str(raw.get("event", "*")),
                    str(raw.get("schema") or "public"),
                    raw.get("table"),
                )
            )
            replies.append({**raw, "id": bid})
        self.channels[topic] = channel
        response: dict[str, Any] = {"postgres_changes": replies} if raw_bindings else {}
        await self.send(topic, "phx_reply", {"status": "ok", "response": response}, ref)
        if old is not None:
            # ... and its exit is reported afterwards: a phx_close carrying the OLD join ref,
            # which the client (it does not check refs) takes for its new channel.
            await self.send(topic, "phx_close", {}, old.join_ref)
        self.hub.watch_expiry(channel)
        if not raw_bindings:
            return
        await asyncio.sleep(SUBSCRIBED_DELAY)
        try:
            error = await self.hub.validate(channel)
        except Exception as exc:  # a database error must not kill the join silently
            log.exception("validating a join failed")
            error = f"Unable to subscribe to changes: {exc}"
        if self.channels.get(topic) is not channel:
            return
        if error is None:
            self.hub.feed.channels.add(channel)
        await self.send(
            topic,
            "system",
            {
                "channel": channel.name,
                "extension": "postgres_changes",
                "message": error or "Subscribed to PostgreSQL",
                "status": "error" if error else "ok",
            },
            None,
        )

    async def refresh_token(self, channel: Channel, token: str) -> None:
        """access_token: silent when valid; an expired token ends the channel."""
        try:
            claims = self.hub.stack.verifier.claims(token)
        except TokenError as exc:
            reason = (
                expired_reason(exc.expired_for)
                if exc.expired_for is not None
                else f"Invalid token: {exc}"
            )
            await self.close_channel(channel, reason)
            return
        role_changed = claims.get("role") != channel.claims.get("role")
        channel.token, channel.claims = token, claims
        self.hub.watch_expiry(channel)
        if role_changed and channel in self.hub.feed.channels:
            await self.hub.validate(channel)  # the columns a role may select differ


class RealtimeHub:
    """All realtime sockets, the change feed, and the realtime faults."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.feed = ChangeFeed(stack)
        self.connections: set[Connection] = set()
        self.hold_joins_until = 0.0

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        """GET /realtime/v1/websocket?apikey=...&vsn=1.0.0."""
        apikey = request.query.get("apikey") or request.headers.get("apikey") or ""
        if apikey not in (self.stack.anon_key, self.stack.service_role_key):
            return web.json_response({"message": "Invalid API key"}, status=401)
        ws = web.WebSocketResponse(autoping=False, max_msg_size=MAX_FRAME)
        await ws.prepare(request)
        conn = Connection(self, ws, request, apikey)
        self.connections.add(conn)
        try:
            async for msg in ws:
                if conn.silent:
                    continue  # a half-open connection: nothing answers, not even pings
                if msg.type == aiohttp.WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    try:
                        frame = json.loads(msg.data)
                    except ValueError:
                        continue
                    if isinstance(frame, dict):
                        try:
                            await conn.handle(frame)
                        except Exception:  # one bad frame must not end the socket
                            log.exception("handling a realtime frame failed")
        finally:
            self.connections.discard(conn)
            for channel in list(conn.channels.values()):
                conn.remove(channel)
        return ws

    def watch_expiry(self, channel: Channel) -> None:
        """Close the channel when its token expires, as the real server does."""
        if channel.expiry is not None:
            channel.expiry.cancel()
        exp = self.stack.verifier.expires_at(channel.claims)
        if exp is None or channel.token in self.stack.verifier.project_keys:
            channel.expiry = None
            return

        async def expire() -> None:
            await asyncio.sleep(max(0.0, exp - time.time()))
            await channel.conn.close_channel(
                channel, expired_reason(max(0, int(time.time() - exp)))
            )

        channel.expiry = asyncio.create_task(expire())

    async def validate(self, channel: Channel) -> str | None:
        """Why the bindings cannot be served (unpublished table, bad filter), or None."""
        for b in channel.bindings:
            problem = (
                f"Unable to subscribe to changes with given parameters. Please check "
                f"Realtime is enabled for the given connect parameters: [event: "
                f"{b.event}, schema: {b.schema}, table: {b.table or '*'}, filters: "
                f"[{b.raw.get('filter') or ''}]]"
            )
            async with self.stack.pool.acquire() as conn:
                published = await conn.fetchval(
                    "select exists(select 1 from pg_publication_tables where pubname ="
                    " 'supabase_realtime' and schemaname = $1 and ($2::text is null or"
                    " $2 = '*' or tablename = $2))",
                    b.schema,
                    b.table,
                )
                if not published:
                    return problem
                if b.table not in (None, "*"):
                    await conn.execute("select devstack.install_capture()")
            if b.table in (None, "*"):
                continue
            table = await self.stack.table(b.table) if b.schema == "public" else None
            if table is None:
                return problem
            try:
                b.conditions = parse_filter(b.raw["filter"]) if b.raw.get("filter") else []
                for cond in b.conditions:
                    condition_sql(cond, table, "t0", Params())
            except PgrstError as exc:
                return f"{problem}: {exc.message}"
            b.columns = await self._selectable(channel, table.qualified, list(table.columns))
            wanted = b.raw.get("select")
            if isinstance(wanted, list):  # the binding's own column list narrows the record
                unknown = [c for c in wanted if c not in table.columns]
                if unknown:
                    return f"{problem}: unknown columns {unknown}"
                b.columns &= set(wanted) | set(table.primary_key)  # the key always comes along
        return None

    async def _selectable(self, channel: Channel, table: str, columns: list[str]) -> set[str]:
        role = str(channel.claims.get("role") or "anon")
        async with self.stack.pool.acquire() as conn:
            try:
                rows = await conn.fetch(
                    "select c from unnest($1::text[]) c"
                    " where has_column_privilege($2, $3::regclass, c, 'SELECT')",
                    columns,
                    role,
                    table,
                )
            except asyncpg.PostgresError:
                return set()
        return {r["c"] for r in rows}

    async def fault(self, kind: str, seconds: float) -> None:
        """Apply a realtime fault to every socket."""
        conns = list(self.connections)
        if kind == "drop":
            for c in conns:
                transport = c.request.transport
                if transport is not None:
                    transport.abort()
        elif kind == "close":
            for c in conns:
                await c.ws.close(code=1000)
        elif kind == "silence":
            for c in conns:
                c.silent_until = time.monotonic() + seconds
        elif kind == "phx_error":
            for c in conns:
                for channel in list(c.channels.values()):
                    c.remove(channel)
                    await c.send(channel.topic, "phx_error", {}, channel.join_ref)
        elif kind == "clear":
            self.hold_joins_until = 0.0
            for c in conns:
                c.silent_until = 0.0
        elif kind == "hold_joins":
            self.hold_joins_until = time.monotonic() + seconds
        elif kind == "expire_tokens":
            for c in conns:
                for channel in list(c.channels.values()):
                    try:
                        self.stack.verifier.claims(channel.token)
                    except TokenError as exc:
                        await c.close_channel(channel, expired_reason(exc.expired_for or 0))
