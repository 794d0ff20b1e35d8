"""The realtime half of the Supabase backend: one job's log INSERTs and its own row's UPDATEs,
on one channel kept alive by a watchdog.

What supabase-py 2.34 does, and what this module does about it (docs/SUPABASE.md):

- SUBSCRIBED arrives before the server delivers anything; only the ``system`` frame
  "Subscribed to PostgreSQL" (status ok) means live, so that is when LiveStarted is yielded.
- Callbacks run synchronously in the socket's listen loop and an exception kills the listener:
  ours only enqueue (``put_nowait``) and set flags, inside ``try``.
- The library's reconnect gives up after about 15 s: a watchdog reconnects for as long as it
  takes. A half-open socket is noticed after ~50 s by websockets alone, and a server that
  stops sending while still answering websocket pings never: the watchdog watches every
  received frame (heartbeat replies included, see :class:`FrameClock`), sends a Phoenix
  heartbeat after 2 s of quiet (reported when it goes 2 s unanswered) and drops the socket
  after 25 s without a frame.
- CLOSED is terminal for a channel object (token expiry, phx_close): the watchdog removes it
  and subscribes a new channel under a new name. An expired token is refreshed when there is
  a refresh token, and is an AuthError otherwise.
- A row over 1 MiB arrives with ``errors`` ("Error 413") and a partial record: re-fetched by id
  (payloads are read in :mod:`joblens.backends.supabase.changes`).
- The job's row comes through a second binding on the same channel (``UPDATE`` of
  ``provision_jobs`` filtered by ``id=eq.<job>``): realtime-py gives each binding the id the
  server echoed for it, in order, and calls a binding's callback only for frames whose ``ids``
  hold that id, so log rows and job rows reach their own callbacks. They share one queue, so a
  status change comes out in commit order with the chunks around it. A project whose
  ``provision_jobs`` is not published refuses the whole channel: the channel is then joined
  again without that binding, and the status poll alone tells of status changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from realtime.message import Message
from realtime.types import RealtimePostgresChangesListenEvent

from joblens.backends.base import (
    ChunksArrived,
    FollowEvent,
    JobChanged,
    LiveInterrupted,
    LiveStarted,
)
from joblens.backends.supabase.changes import (
    ChangeItem,
    ChangeReader,
    DownItem,
    FatalItem,
    LiveItem,
    QueueItem,
    refuses_binding,
)
from joblens.backends.supabase.errors import TOKEN_MESSAGE, first_line, live_down_reason
from joblens.backends.supabase.jobs import JOBS
from joblens.backends.supabase.keepalive import FrameClock, LiveTiming
from joblens.errors import AuthError, JoblensError
from joblens.models import Job, LogChunk
from joblens.waits import wait_set
from realtime import AsyncRealtimeChannel
from supabase import AsyncClient

log = logging.getLogger(__name__)

#: Live chunks handed over in one ChunksArrived at most (bounded latency per batch).
MAX_BATCH = 500
#: How long a uuid-id batch waits for the rest of its transaction (see LiveLogs._batch).
UUID_LINGER = 0.025
_TOKEN_WORDS = ("token has expired", "invalidjwt", "jwt", "expired")


class LiveLogs:
    """Follows one job's log INSERTs and its row's UPDATEs over supabase-py's realtime client."""

    def __init__(
        self,
        client: AsyncClient,
        *,
        table: str,
        job_id: str,
        token: Callable[[], str],
        refresh: Callable[[], Awaitable[bool]],
        refetch: Callable[[int | str], Awaitable[LogChunk | None]],
        refetch_job: Callable[[str], Awaitable[Job]] | None = None,
        jobs_table: str = JOBS,
        timing: LiveTiming | None = None,
    ) -> None:
        self._client = client
        self._table = table
        self._jobs_table = jobs_table
        self._job_id = job_id.lower()
        self._token = token
        self._refresh = refresh
        self._reader = ChangeReader(job_id, refetch_chunk=refetch, refetch_job=refetch_job)
        self._timing = timing or LiveTiming()
        self._follow_job = True  # False once the server refused the job binding
        self._job_refused = False
        self._queue: asyncio.Queue[QueueItem] = asyncio.Queue()
        self._pending: deque[QueueItem] = deque()
        self._wake = asyncio.Event()
        self._channel: AsyncRealtimeChannel | None = None
        self._generation = 0
        self._token_rejected = False
        self._joined_at: float | None = None  # when the current channel's join succeeded
        self._live_at: float | None = None  # when it went live
        self._down_since = 0.0  # when the channel last stopped (or started) waiting to be live
        self._clock = FrameClock.installed()
        self._seen = 0.0  # the last frame our own callbacks saw
        self._probed_at = 0.0
        self._unanswered = False  # a probe went unanswered: reported as down until frames come
        self._probe_ref = 0
        self._watchdog: asyncio.Task[None] | None = None
        self._closing = False

    # -- callbacks: run inside the socket's listen loop; they must never raise -----------------

    def _on_change(self, generation: int, *, job: bool) -> Callable[[Any], None]:
        def on_change(payload: Any) -> None:
            try:
                self._seen = time.monotonic()
                self._queue.put_nowait(ChangeItem(generation, payload, job))
            except Exception:  # raising here would kill the listener
                pass

        return on_change

    def _callbacks(
        self, generation: int
    ) -> tuple[Callable[[Any], None], Callable[[Any, Any], None]]:
        def on_system(payload: Any) -> None:
            try:
                self._seen = time.monotonic()
                if (
                    getattr(payload, "status", None) == "ok"
                    and getattr(payload, "extension", None) == "postgres_changes"
                ):
                    if generation == self._generation:
                        self._live_at = time.monotonic()  # for the watchdog, at once
                    self._queue.put_nowait(LiveItem(generation))
            except Exception:
                pass

        def on_state(state: Any, error: Any) -> None:
            try:
                self._seen = time.monotonic()
                name = str(getattr(state, "value", state))
                if generation != self._generation:
                    return
                if name == "SUBSCRIBED":
                    self._joined_at = time.monotonic()
                    return
                detail = str(error) if error is not None else ""
                if self._follow_job and refuses_binding(detail, self._jobs_table):
                    self._job_refused = True  # rejoined without it: not an interruption
                    self._wake.set()
                    return
                if any(word in detail.lower() for word in _TOKEN_WORDS):
                    self._token_rejected = True
                self._joined_at = None
                if self._live_at is not None:
                    self._live_at = None
                    self._down_since = time.monotonic()
                self._queue.put_nowait(DownItem(generation, live_down_reason(name, detail)))
                self._wake.set()
            except Exception:
                pass

        return on_system, on_state

    # -- the stream the backend hands out ------------------------------------------------------

    async def events(self) -> AsyncIterator[FollowEvent]:
        """LiveStarted / ChunksArrived / JobChanged / LiveInterrupted until closed.

        Raises AuthError when the token is refused and cannot be refreshed.
        """
        self._watchdog = asyncio.create_task(self._watch(), name=f"joblens-live-{self._job_id}")
        down_reported = False
        try:
            while True:
                item = self._pending.popleft() if self._pending else await self._queue.get()
                if isinstance(item, FatalItem):
                    raise item.error
                if isinstance(item, DownItem):
                    if item.generation not in (None, self._generation) or down_reported:
                        continue
                    down_reported = True
                    quiet = max(0.0, time.monotonic() - self._last_frame())
                    yield LiveInterrupted(item.reason, quiet)
                elif item.generation != self._generation:
                    continue
                elif isinstance(item, LiveItem):
                    down_reported = False
                    yield LiveStarted(jobs=self._follow_job)
                elif item.job:
                    job = await self._job_from(item.payload)
                    if job is not None:
                        yield JobChanged(job)
                else:
                    chunks = await self._batch(item)
                    if chunks:
                        yield ChunksArrived(tuple(chunks))
        finally:
            await self.close()

    async def _batch(self, first: ChangeItem) -> list[LogChunk]:
        """The changes queued behind ``first`` as chunks, in the table's order.

        With uuid ids the order is (created_at, id), and the rows of one transaction share
        created_at: they arrive back to back in insert order, so wait a moment for the rest
        of the transaction and sort, or the result would differ from the table's order.
        """
        chunks = await self._chunks_from([first, *self._drain_changes()])
        if chunks and not isinstance(chunks[-1].id, int) and not self._pending:
            await asyncio.sleep(UUID_LINGER)
            chunks += await self._chunks_from(self._drain_changes())
        chunks.sort(key=lambda chunk: chunk.order_key)
        return chunks

    def _drain_changes(self) -> list[ChangeItem]:
        """Log changes already queued behind the first one, so a burst becomes one batch.

        Stops at anything else (a job change included), which waits in ``_pending``: what
        came after it stays after it.
        """
        batch: list[ChangeItem] = []
        while len(batch) < MAX_BATCH - 1:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if isinstance(item, ChangeItem) and item.generation != self._generation:
                continue
            if isinstance(item, ChangeItem) and not item.job:
                batch.append(item)
                continue
            self._pending.append(item)
            break
        return batch

    async def _chunks_from(self, changes: list[ChangeItem]) -> list[LogChunk]:
        chunks: list[LogChunk] = []
        for change in changes:
            chunk = await self._reader.chunk(change.payload)
            if chunk is not None:
                chunks.append(chunk)
        return chunks

    # -- the watchdog --------------------------------------------------------------------------

    async def _watch(self) -> None:
        """Keep one channel subscribed and its socket alive, for as long as the stream is open."""
        self._seen = time.monotonic()
        while not self._closing:
            try:
                await self._check()
            except JoblensError as error:
                self._queue.put_nowait(FatalItem(error))
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the server is down or refusing: keep trying
                log.info("realtime check failed: %s", error)
                self._queue.put_nowait(
                    DownItem(None, f"realtime unavailable ({first_line(error)})")
                )
            self._wake.clear()
            await wait_set(self._wake, self._timing.check_every)

    def _last_frame(self) -> float:
        return max(self._clock.last, self._seen)

    async def _check(self) -> None:
        realtime = self._client.realtime
        if self._token_rejected:
            self._token_rejected = False
            if not await self._refresh():
                raise AuthError(TOKEN_MESSAGE)
            await self._replace_channel()
            return
        if self._job_refused and self._follow_job:
            self._follow_job = False
            log.warning(
                "%s is not in the supabase_realtime publication: status changes come from"
                " the status poll only",
                self._jobs_table,
            )
            await self._replace_channel(announce=False)
            return
        if not realtime.is_connected and self._channel is not None:
            self._queue.put_nowait(DownItem(None, "realtime connection lost; reconnecting"))
            await realtime.connect()  # rejoins the channels that errored
            self._seen = time.monotonic()
        channel = self._channel
        if (
            channel is None
            or channel.is_closed
            or realtime.channels.get(channel.topic) is not channel
        ):
            await self._replace_channel()
            return
        now = time.monotonic()
        if self._live_at is None:
            joined = self._joined_at
            if joined is not None and now - joined > self._timing.assume_live_after:
                # Joined, but the server never said "Subscribed to PostgreSQL": backfill anyway
                # (a later system frame backfills again, so nothing is lost).
                log.info("no 'Subscribed to PostgreSQL' frame; assuming the channel is live")
                self._joined_at = None
                self._live_at = now
                self._queue.put_nowait(LiveItem(self._generation))
            elif now - self._down_since > self._timing.not_live_after:
                await self._replace_channel()
                return
        await self._keep_alive(now)

    async def _keep_alive(self, now: float) -> None:
        """Probe a quiet socket with a heartbeat; say so when the probe goes unanswered (the
        view must not say live while nothing is heard); drop the socket when nothing at all
        comes back for long."""
        quiet = now - self._last_frame()
        if self._unanswered and quiet < self._timing.probe_after:
            self._unanswered = False  # frames again: live, and catch up on what was missed
            self._queue.put_nowait(LiveItem(self._generation))
        if quiet > self._timing.dead_after:
            ws = getattr(self._client.realtime, "_ws_connection", None)
            transport = getattr(ws, "transport", None)
            log.info("no realtime frame for %.0f s; reconnecting", quiet)
            self._queue.put_nowait(
                DownItem(None, "realtime connection stopped answering; reconnecting")
            )
            self._seen = now  # give the new socket its own grace period
            if transport is not None:
                transport.abort()  # the library's listen loop sees it closed and reconnects
            self._wake.set()
        elif (
            not self._unanswered
            and self._live_at is not None
            and self._probed_at >= self._last_frame()
            and now - self._probed_at > self._timing.unanswered_after
        ):
            self._unanswered = True
            self._queue.put_nowait(DownItem(None, f"realtime has not answered for {quiet:.0f} s"))
        elif quiet > self._timing.probe_after and self._probed_at < self._last_frame():
            self._probed_at = now
            self._probe_ref += 1
            probe = Message(
                topic="phoenix", event="heartbeat", payload={}, ref=f"jl{self._probe_ref}"
            )
            await self._client.realtime.send(probe)  # the reply ticks the frame clock

    async def _replace_channel(self, *, announce: bool = True) -> None:
        """Subscribe a fresh channel (new name: the old object may be CLOSED), then drop the old.

        Its bindings, in this order (the server's join reply echoes them in the same order,
        each with its id): the job's log INSERTs, then the job's own row UPDATEs.
        """
        old = self._channel
        self._generation += 1
        generation = self._generation
        self._joined_at = None
        self._live_at = None
        self._down_since = time.monotonic()
        if old is not None and announce:
            self._queue.put_nowait(DownItem(None, "realtime channel closed; resubscribing"))
        name = f"joblens:{self._table}:{self._job_id[:8]}:{uuid.uuid4().hex[:12]}"
        on_system, on_state = self._callbacks(generation)
        await self._client.realtime.set_auth(self._token())
        channel = self._client.channel(name)
        self._bind(channel, generation)
        channel.on_system(on_system)
        self._channel = channel
        if old is not None:
            await self._remove(old)
        await channel.subscribe(on_state)  # returns at the join reply, error or timeout
        self._seen = time.monotonic()

    def _bind(self, channel: AsyncRealtimeChannel, generation: int) -> None:
        """The channel's bindings (subclasses follow other rows: ``live_jobs.py``)."""
        channel.on_postgres_changes(
            RealtimePostgresChangesListenEvent.Insert,  # "INSERT": echoed back verbatim
            callback=self._on_change(generation, job=False),
            table=self._table,
            schema="public",
            filter=f"job_id=eq.{self._job_id}",
        )
        if self._follow_job:
            channel.on_postgres_changes(
                RealtimePostgresChangesListenEvent.Update,  # "UPDATE", echoed back verbatim
                callback=self._on_change(generation, job=True),
                table=self._jobs_table,
                schema="public",
                filter=f"id=eq.{self._job_id}",
            )

    async def _job_from(self, payload: Any) -> Job | None:
        """The job row a job binding's change carries (None: not ours, or unreadable)."""
        return await self._reader.job(payload)

    async def _remove(self, channel: AsyncRealtimeChannel) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(3.0):
                await self._client.remove_channel(channel)

    async def close(self) -> None:
        """Leave the channel and stop the watchdog (idempotent)."""
        if self._closing:
            return
        self._closing = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watchdog
        channel, self._channel = self._channel, None
        self._generation += 1
        if channel is not None:
            await self._remove(channel)
