"""Realtime at /realtime/v1/websocket: the sockets, the subscription step, token expiry.

Speaks Phoenix protocol 1.0.0 or 2.0.0 as the socket's `vsn` asks (realtime_wire.py), closes a
socket that sent nothing for `idle_timeout` (60 s, Phoenix's websocket timeout), and confirms
each subscription with "Subscribed to PostgreSQL" once changes flow to it, as hosted realtime
does after a join, after a new token and after its change capture restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import aiohttp
import asyncpg
from aiohttp import web

from .changes import ChangeFeed, parse_filter
from .grammar import PgrstError
from .options import draw
from .realtime import Channel, Connection, expired_reason
from .realtime_faults import DB_TIMEOUTS, RETRY_BACKOFF, RealtimeFaults
from .realtime_wire import MAX_FRAME, decode, is_v2
from .sqlbuild import Params, condition_sql
from .state import Stack

log = logging.getLogger(__name__)

SUBSCRIBED = "Subscribed to PostgreSQL"
CLOSING = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


class RealtimeHub:
    """All realtime sockets, the change feed, and the realtime faults."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.feed = ChangeFeed(stack)
        self.connections: set[Connection] = set()
        self.faults = RealtimeFaults(self)
        #: the project's change capture is not running yet (the `cold_start` option)
        self.cold = stack.options.cold_start is not None

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        """GET /realtime/v1/websocket?apikey=...&vsn=1.0.0|2.0.0."""
        apikey = request.query.get("apikey") or request.headers.get("apikey") or ""
        if apikey not in (self.stack.anon_key, self.stack.service_role_key):
            return web.json_response({"message": "Invalid API key"}, status=401)
        ws = web.WebSocketResponse(autoping=False, max_msg_size=MAX_FRAME)
        await ws.prepare(request)
        v2 = is_v2(request.query.get("vsn"))
        conn = Connection(self, ws, request, apikey, v2)
        conn.outbox.start()
        self.connections.add(conn)
        try:
            await self._read(conn, v2)
        finally:
            self.connections.discard(conn)
            for channel in list(conn.channels.values()):
                conn.remove(channel)
            await conn.outbox.stop()
        return ws

    async def _read(self, conn: Connection, v2: bool) -> None:
        ws = conn.ws
        while True:
            idle = self.stack.options.idle_timeout
            try:
                msg = await ws.receive(timeout=idle if idle > 0 else None)
            except TimeoutError:
                # Phoenix closes a socket that sent nothing (not even a ping) for its timeout.
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.close(code=1000)
                return
            if msg.type in CLOSING or msg.type == aiohttp.WSMsgType.ERROR:
                return
            if conn.silent:
                continue  # a half-open connection: nothing answers, not even pings
            if msg.type == aiohttp.WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type == aiohttp.WSMsgType.TEXT:
                await conn.outbox.wait_open()  # a held socket reads nothing meanwhile
                frame = decode(str(msg.data), v2)
                if frame is None:
                    continue
                try:
                    await conn.handle(frame)
                except Exception:  # one bad frame must not end the socket
                    log.exception("handling a realtime frame failed")

    def first_subscribe_delay(self) -> float:
        """How long after the join reply a subscription is confirmed (longer while cold)."""
        cold = self.stack.options.cold_start
        if self.cold and cold is not None:
            return draw(cold)
        return draw(self.stack.options.subscribe_delay)

    async def subscribe(self, channel: Channel, delay: float) -> None:
        """The subscription step: after `delay` (and any capture restart), check the bindings
        and start delivering; "Subscribed to PostgreSQL", or a `postgres_changes` error."""
        await asyncio.sleep(delay)
        while (left := self.faults.capture_down_until - time.monotonic()) > 0:
            await asyncio.sleep(left)
        conn = channel.conn
        if conn.channels.get(channel.topic) is not channel:
            return
        if channel.failures_left > 0:
            # Realtime could not create the subscription: it says so on the channel, keeps
            # the channel, and tries again after its back-off (5-10 s).
            channel.failures_left -= 1
            self.feed.channels.discard(channel)
            self.faults.timeouts += 1
            conn.system(channel, "postgres_changes", "error", DB_TIMEOUTS)
            retry = channel.retry_delay
            conn.schedule_subscribe(channel, draw(RETRY_BACKOFF) if retry is None else retry)
            return
        try:
            error = await self.validate(channel)
        except Exception as exc:  # a database error must not kill the join silently
            log.exception("validating a subscription failed")
            error = f"Unable to subscribe to changes: {exc}"
        if conn.channels.get(channel.topic) is not channel:
            return
        if error is None:
            self.feed.channels.add(channel)
            self.cold = False
        else:
            self.feed.channels.discard(channel)  # realtime does not retry a refused binding
        conn.system(channel, "postgres_changes", "error" if error else "ok", error or SUBSCRIBED)

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
            channel.conn.close_channel(channel, expired_reason(max(0, int(time.time() - exp))))

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
