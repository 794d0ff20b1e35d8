"""Realtime frames on the wire: Phoenix protocol 1.0.0 (JSON objects, what realtime-py speaks)
and 2.0.0 (JSON arrays, supabase-js's default), and the ordered, holdable queue of frames to
one socket.

Version 1.0.0: `{"topic", "event", "payload", "ref"}` (no join_ref is ever sent).
Version 2.0.0: `[join_ref, ref, topic, event, payload]`. The server fills the refs as Phoenix
does: a reply carries the request's join_ref and ref; a channel's own pushes (`system`) its
join_ref; `phx_close`/`phx_error` its join_ref as both refs; changes (sent on realtime's
"fastlane") neither. The JavaScript client drops a `phx_close` whose join_ref is not its
channel's current one, which is how it survives Phoenix's duplicate-join shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

MAX_FRAME = 1024 * 1024


@dataclass(frozen=True)
class Frame:
    """One Phoenix message, whatever its encoding."""

    topic: str
    event: str
    payload: dict[str, Any] = field(default_factory=dict)
    ref: str | None = None
    join_ref: str | None = None


def is_v2(vsn: str | None) -> bool:
    """Whether a socket's `vsn` query parameter asks for the array encoding."""
    return (vsn or "1.0.0").startswith("2.")


def decode(text: str, v2: bool) -> Frame | None:
    """A client frame, or None when it is not one in this socket's encoding (ignored)."""
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    if v2:
        if not isinstance(raw, list) or len(raw) != 5:
            return None
        join_ref, ref, topic, event, payload = raw
    else:
        if not isinstance(raw, dict):
            return None
        join_ref, ref = raw.get("join_ref"), raw.get("ref")
        topic, event, payload = raw.get("topic"), raw.get("event"), raw.get("payload")
    return Frame(
        str(topic or ""),
        str(event or ""),
        payload if isinstance(payload, dict) else {},
        None if ref is None else str(ref),
        None if join_ref is None else str(join_ref),
    )


def encode(frame: Frame, v2: bool) -> str:
    """A server frame in this socket's encoding."""
    if v2:
        return json.dumps([frame.join_ref, frame.ref, frame.topic, frame.event, frame.payload])
    return json.dumps(
        {"topic": frame.topic, "event": frame.event, "payload": frame.payload, "ref": frame.ref}
    )


class Outbox:
    """Frames to one socket, written in order by one task, so that a slow or held socket
    never blocks the change feed or other sockets.

    `hold()` stops the writing (frames queue up), `release(first)` puts a frame at the head of
    the queue and writes again: a refused join holds its socket that way, as Phoenix's
    transport process is blocked while the channel sleeps its error back-off.
    """

    def __init__(self, ws: web.WebSocketResponse, v2: bool) -> None:
        self.ws = ws
        self.v2 = v2
        self._frames: deque[str] = deque()
        self._wake = asyncio.Event()
        self._open = asyncio.Event()
        self._open.set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writer."""
        self._task = asyncio.create_task(self._run())

    def put(self, frame: Frame) -> None:
        """Queue a frame (frames over 1 MiB are dropped, as the real server never sends one)."""
        text = encode(frame, self.v2)
        if len(text.encode()) > MAX_FRAME:
            log.warning("dropping a %d-byte frame", len(text))
            return
        self._frames.append(text)
        self._wake.set()

    @property
    def held(self) -> bool:
        """Whether writing is stopped."""
        return not self._open.is_set()

    async def wait_open(self) -> None:
        """Wait until the socket is not held (its reader waits too, as Phoenix's does)."""
        await self._open.wait()

    def hold(self) -> None:
        """Stop writing; frames queue up until `release`."""
        self._open.clear()

    def release(self, first: Frame | None = None) -> None:
        """Write again, `first` before everything that queued up meanwhile."""
        if first is not None:
            self._frames.appendleft(encode(first, self.v2))
            self._wake.set()
        self._open.set()

    async def stop(self) -> None:
        """Stop the writer (the socket is gone)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._open.wait()
            if not self._frames:
                self._wake.clear()
                await self._wake.wait()
                continue
            text = self._frames.popleft()
            if self.ws.closed:
                self._frames.clear()
                continue
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                self._frames.clear()
