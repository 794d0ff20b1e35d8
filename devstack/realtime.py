"""Realtime channels on one socket: joins, leaves and token pushes, as supabase/realtime's
RealtimeChannel answers them (lib/realtime_web/channels/realtime_channel.ex).

A join is answered at once; the subscription itself ("Subscribed to PostgreSQL") is a later
step (RealtimeHub.subscribe) that runs again after every new token and change-capture restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .changes import Binding, binding_id
from .options import draw
from .realtime_wire import Frame, Outbox
from .tokens import TokenError

if TYPE_CHECKING:
    from .realtime_hub import RealtimeHub

log = logging.getLogger(__name__)

MISSING_CLAIMS = "Fields `role` and `exp` are required in JWT"


def expired_reason(seconds: int) -> str:
    """The real server's words for a token that expired `seconds` ago."""
    return f"Token has expired {seconds} seconds ago"


def join_refusal(exc: TokenError) -> str:
    """The reason a join with this token is refused (its `log_error` code, then the words)."""
    if exc.kind == "expired":
        return f"InvalidJWTToken: {expired_reason(exc.expired_for or 0)}"
    if exc.kind == "signature":
        return "JwtSignatureError: Failed to validate JWT signature"
    return "MalformedJWT: The token provided is not a valid JWT"


def push_refusal(exc: TokenError) -> str:
    """The system error that ends a channel given this token in an access_token push."""
    if exc.kind == "expired":
        return expired_reason(exc.expired_for or 0)
    if exc.kind == "signature":
        return ":signature_error"  # realtime's `inspect(error)` of {:error, :signature_error}
    return "The token provided is not a valid JWT"


def lacks_claims(claims: dict[str, Any]) -> bool:
    """Realtime refuses a token without an integer `exp` or without a `role`."""
    return not isinstance(claims.get("exp"), int) or not claims.get("role")


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
        #: the pending subscription step (cancelled when a newer one is scheduled)
        self.pending: asyncio.Task[None] | None = None
        #: `db_timeouts` fault: subscription attempts still to fail, and the wait between
        self.failures_left = 0
        self.retry_delay: float | None = None

    @property
    def name(self) -> str:
        """The topic without its `realtime:` prefix."""
        return self.topic.removeprefix("realtime:")

    async def deliver(self, ids: list[int], data: dict[str, Any]) -> None:
        """Send one postgres_changes frame, unless a fault loses it."""
        if self.conn.hub.faults.swallows(self, str(data.get("table") or "")):
            return
        self.conn.send(Frame(self.topic, "postgres_changes", {"ids": ids, "data": data}))


class Connection:
    """One websocket and its channels."""

    def __init__(
        self,
        hub: RealtimeHub,
        ws: web.WebSocketResponse,
        request: web.Request,
        apikey: str,
        v2: bool,
    ) -> None:
        self.hub = hub
        self.ws = ws
        self.request = request
        self.apikey = apikey
        self.outbox = Outbox(ws, v2)
        self.channels: dict[str, Channel] = {}
        self.silent_until = 0.0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def silent(self) -> bool:
        """True while a `silence` fault is in effect."""
        return time.monotonic() < self.silent_until

    def send(self, frame: Frame) -> None:
        """Queue a frame unless silenced or closed; never raises."""
        if self.silent or self.ws.closed:
            return
        self.outbox.put(frame)

    def reply(self, request: Frame, status: str, response: dict[str, Any]) -> Frame:
        """Answer a client frame (a phx_reply with its refs); returns the frame sent."""
        frame = Frame(
            request.topic,
            "phx_reply",
            {"status": status, "response": response},
            request.ref,
            request.join_ref,
        )
        self.send(frame)
        return frame

    def system(self, channel: Channel, extension: str, status: str, message: str) -> None:
        """A `system` push on a channel."""
        payload = {
            "channel": channel.name,
            "extension": extension,
            "message": message,
            "status": status,
        }
        self.send(Frame(channel.topic, "system", payload, None, channel.join_ref))

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a step beside the read loop (kept referenced until done)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def schedule_subscribe(self, channel: Channel, delay: float) -> None:
        """(Re)start the channel's subscription step after `delay` (a newer one replaces a
        pending one, as realtime cancels its `pg_sub_ref` timer)."""
        pending = channel.pending
        if pending is not None and not pending.done() and pending is not asyncio.current_task():
            pending.cancel()
        channel.pending = self.spawn(self.hub.subscribe(channel, delay))

    def remove(self, channel: Channel) -> None:
        """Forget a channel (left, closed or errored)."""
        if self.channels.get(channel.topic) is channel:
            del self.channels[channel.topic]
        self.hub.feed.channels.discard(channel)
        current = asyncio.current_task()
        for task in (channel.expiry, channel.pending):
            if task is not None and task is not current:
                task.cancel()

    def close_channel(self, channel: Channel, reason: str) -> None:
        """The real server's `shutdown_response`: a system error, then phx_close."""
        self.remove(channel)
        self.system(channel, "system", "error", reason)
        self.send(Frame(channel.topic, "phx_close", {}, channel.join_ref, channel.join_ref))

    async def handle(self, frame: Frame) -> None:
        """Dispatch one client frame."""
        topic, event = frame.topic, frame.event
        if topic == "phoenix" and event == "heartbeat":
            self.reply(frame, "ok", {})
        elif event == "phx_join":
            # Joins run beside the read loop so that held joins do not block heartbeats.
            self.spawn(self.join(frame))
        elif event == "phx_leave":
            channel = self.channels.get(topic)
            self.reply(frame, "ok", {})
            if channel is not None:
                self.remove(channel)
                self.send(Frame(topic, "phx_close", {}, channel.join_ref, channel.join_ref))
        elif event == "access_token":
            channel = self.channels.get(topic)
            if channel is not None:
                self.access_token(channel, frame.payload.get("access_token"))
        elif topic in self.channels:
            # broadcast / presence: accepted, not implemented
            if frame.ref is not None:
                self.reply(frame, "ok", {})
        elif frame.ref is not None:
            self.reply(frame, "error", {"reason": "unmatched topic"})

    async def join(self, frame: Frame) -> None:
        """phx_join: check the token, echo the bindings, then schedule the subscription."""
        hold = self.hub.faults.hold_joins_until - time.monotonic()
        if hold > 0:
            await asyncio.sleep(hold)
        topic, payload = frame.topic, frame.payload
        token = str(payload.get("access_token") or self.apikey)
        reason = self.hub.faults.take_refusal()
        claims: dict[str, Any] = {}
        if reason is None:
            try:
                claims = self.hub.stack.verifier.claims(token)
            except TokenError as exc:
                reason = join_refusal(exc)
            else:
                if lacks_claims(claims):
                    reason = f"InvalidJWTToken: {MISSING_CLAIMS}"
        if reason is not None:
            await self.refuse(frame, reason)
            return
        old = self.channels.get(topic)
        if old is not None:
            self.remove(old)  # Phoenix shuts the earlier channel process down for the new join
        channel = Channel(self, topic, frame.join_ref or frame.ref, token, claims)
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
        self.reply(frame, "ok", {"postgres_changes": replies} if raw_bindings else {})
        if old is not None:
            # ... and its exit is reported afterwards: a phx_close carrying the OLD join ref,
            # which realtime-py (it does not check refs) takes for its new channel.
            self.send(Frame(topic, "phx_close", {}, old.join_ref, old.join_ref))
        self.hub.watch_expiry(channel)
        if raw_bindings:
            self.schedule_subscribe(channel, self.hub.first_subscribe_delay())

    async def refuse(self, frame: Frame, reason: str) -> None:
        """A refused join, answered after the `join_error_delay` back-off (hosted: 5 s) with
        the whole socket held meanwhile, as realtime's `join_error` sleeps in the join."""
        response = {"reason": reason}
        delay = self.hub.stack.options.join_error_delay
        if delay <= 0:
            self.reply(frame, "error", response)
            return
        answer = Frame(
            frame.topic,
            "phx_reply",
            {"status": "error", "response": response},
            frame.ref,
            frame.join_ref,
        )
        self.outbox.hold()
        try:
            await asyncio.sleep(delay)
        finally:
            self.outbox.release(None if self.silent else answer)

    def access_token(self, channel: Channel, token: Any) -> None:
        """access_token push: the same token (or none, or a new-style `sb_` key) changes
        nothing; a bad one ends the channel; a new valid one is checked again and the
        subscription redone, so "Subscribed to PostgreSQL" comes again after
        `resubscribe_delay` (hosted 1-3 s; by default the stack redoes it silently)."""
        if not isinstance(token, str) or not token or token == channel.token:
            return
        if token.startswith("sb_"):
            return
        try:
            claims = self.hub.stack.verifier.claims(token)
        except TokenError as exc:
            self.close_channel(channel, push_refusal(exc))
            return
        if lacks_claims(claims):
            self.close_channel(channel, MISSING_CLAIMS)
            return
        role_changed = claims.get("role") != channel.claims.get("role")
        channel.token, channel.claims = token, claims
        self.hub.watch_expiry(channel)
        if not channel.bindings:
            return
        delay = self.hub.stack.options.resubscribe_delay
        if delay is not None:
            self.schedule_subscribe(channel, draw(delay))
        elif role_changed and channel in self.hub.feed.channels:
            self.spawn(self._recheck(channel))  # the columns a role may select differ

    async def _recheck(self, channel: Channel) -> None:
        """The subscription redone without a word (`resubscribe_delay` None)."""
        await self.hub.validate(channel)
