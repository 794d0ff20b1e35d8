"""Realtime faults: what hosted realtime does to a client now and then, on demand.

Each is applied to the sockets and channels there are when it is asked for (a channel named in
the request narrows it), answers at once, and can be asked for again at any moment; `status()`
says what they did (how many changes were lost, ...) so a test can check a fault really hit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .options import draw
from .realtime import expired_reason
from .realtime_wire import Frame
from .tokens import TokenError

if TYPE_CHECKING:
    from .realtime import Channel
    from .realtime_hub import RealtimeHub

#: realtime's words when it cannot create a subscription (cdc_rls.ex `@database_timeout_reason`,
#: pushed through `inspect/1` because it is a tuple, not a string).
DB_TIMEOUTS = '{:error, "Too many database timeouts"}'
#: realtime's join refusal when the project database is out of reach.
UNREACHABLE_JOIN = (
    "UnableToConnectToProject: Realtime was unable to connect to the project database"
)
#: hosted realtime's back-offs: re-subscribe after a capture restart, retry after an error.
RESTART_BACKOFF = (1.0, 3.0)
RETRY_BACKOFF = (5.0, 10.0)

REALTIME_KINDS = {
    "drop",
    "close",
    "silence",
    "phx_error",
    "hold_joins",
    "expire_tokens",
    "lose",
    "cdc_restart",
    "db_timeouts",
    "refuse_joins",
}


@dataclass
class FaultRequest:
    """One POST /__devstack/fault."""

    kind: str
    seconds: float = 0.0
    count: int = 1
    channel: str | None = None  # a channel's name (the topic without "realtime:")
    table: str | None = None
    reason: str | None = None


@dataclass
class Loss:
    """A pending `lose`: the next `left` change frames to matching channels vanish."""

    channel: str | None
    table: str | None
    left: int


class RealtimeFaults:
    """The realtime faults in effect, and what they did."""

    def __init__(self, hub: RealtimeHub) -> None:
        self.hub = hub
        self.hold_joins_until = 0.0
        self.capture_down_until = 0.0
        self.refusals: list[str] = []
        self.losses: list[Loss] = []
        self.lost = 0  # change frames dropped by `lose`
        self.lost_in_restarts = 0  # change frames dropped while the capture restarted
        self.delivered = 0  # change frames sent
        self.restarts = 0
        self.timeouts = 0  # "Too many database timeouts" errors sent

    @property
    def capture_down(self) -> bool:
        """Whether a `cdc_restart` is under way."""
        return time.monotonic() < self.capture_down_until

    def swallows(self, channel: Channel, table: str) -> bool:
        """Whether a change frame for `channel` is lost (and count it either way)."""
        if self.capture_down:
            self.lost_in_restarts += 1
            return True
        for loss in self.losses:
            if loss.channel in (None, channel.name) and loss.table in (None, table):
                loss.left -= 1
                if loss.left <= 0:
                    self.losses.remove(loss)
                self.lost += 1
                return True
        self.delivered += 1
        return False

    def take_refusal(self) -> str | None:
        """The reason to refuse the next join with, if `refuse_joins` is pending."""
        return self.refusals.pop(0) if self.refusals else None

    def status(self) -> dict[str, Any]:
        """What the faults did so far, and what is still pending."""
        live = [c for c in self._channels(None) if c in self.hub.feed.channels]
        return {
            "sockets": len(self.hub.connections),
            "live_channels": len(live),
            "delivered": self.delivered,
            "lost": self.lost,
            "lose_pending": sum(loss.left for loss in self.losses),
            "lost_in_restarts": self.lost_in_restarts,
            "restarts": self.restarts,
            "capture_down": self.capture_down,
            "timeouts": self.timeouts,
            "refusals_pending": len(self.refusals),
        }

    def _channels(self, name: str | None) -> list[Channel]:
        return [
            ch
            for conn in list(self.hub.connections)
            for ch in list(conn.channels.values())
            if name is None or ch.name == name
        ]

    async def apply(self, req: FaultRequest) -> None:
        """Apply one fault to the sockets and channels there are now."""
        now = time.monotonic()
        conns = list(self.hub.connections)
        kind = req.kind
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
                c.silent_until = now + req.seconds
        elif kind == "phx_error":
            for ch in self._channels(req.channel):
                ch.conn.remove(ch)
                ch.conn.send(Frame(ch.topic, "phx_error", {}, ch.join_ref, ch.join_ref))
        elif kind == "hold_joins":
            self.hold_joins_until = now + req.seconds
        elif kind == "expire_tokens":
            for ch in self._channels(req.channel):
                try:
                    self.hub.stack.verifier.claims(ch.token)
                except TokenError as exc:
                    ch.conn.close_channel(ch, expired_reason(exc.expired_for or 0))
        elif kind == "lose":
            self.losses.append(Loss(req.channel, req.table, max(1, req.count)))
        elif kind == "cdc_restart":
            self._restart(req.seconds if req.seconds > 0 else draw(RESTART_BACKOFF))
        elif kind == "db_timeouts":
            for ch in self._channels(req.channel):
                if ch in self.hub.feed.channels:
                    ch.failures_left = max(1, req.count)
                    ch.retry_delay = req.seconds if req.seconds > 0 else None
                    ch.conn.schedule_subscribe(ch, 0.0)
        elif kind == "refuse_joins":
            self.refusals.extend([req.reason or UNREACHABLE_JOIN] * max(1, req.count))

    def _restart(self, seconds: float) -> None:
        """The change capture restarts: changes are lost for `seconds`, then every channel that
        was live is subscribed again ("Subscribed to PostgreSQL" once more)."""
        self.restarts += 1
        self.capture_down_until = max(self.capture_down_until, time.monotonic() + seconds)
        for ch in self._channels(None):
            if ch in self.hub.feed.channels:
                ch.conn.schedule_subscribe(ch, seconds)

    def clear(self) -> None:
        """Undo what is pending: held joins, silences, losses, refusals, a restart under way,
        failing re-subscriptions (expired tokens stay expired, as they would)."""
        self.hold_joins_until = 0.0
        self.capture_down_until = 0.0
        self.losses.clear()
        self.refusals.clear()
        for c in list(self.hub.connections):
            c.silent_until = 0.0
            for ch in c.channels.values():
                ch.failures_left = 0
