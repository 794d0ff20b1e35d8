"""The realtime half of the jobs list: every visible job's INSERTs and UPDATEs on one channel.

The channel is kept alive exactly as a job's log channel is (:class:`LiveLogs`: its watchdog,
heartbeat probes, CLOSED channels replaced, refused tokens refreshed; docs/SUPABASE.md,
"Realtime in supabase-py"); only its bindings and how a change is read differ. The bindings
carry no filter: RLS lets through only the user's own jobs (docs/PLATFORM.md, "Row-level
security"), as it does for the list's REST read.

A change is the row alone (no embeds: the follower in ``backends/jobs_follow.py`` keeps or
reads the names). A row over the 1 MiB limit (a DEPLOY's metadata can be) arrives cut short
and is read again through REST. A project whose ``provision_jobs`` is not published refuses
the binding: the channel is then joined without any, and the list's re-reads alone tell of
changes (every ``LIST_REREAD_SECONDS``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from realtime.types import RealtimePostgresChangesListenEvent

from joblens.backends.supabase.changes import fetch_with_retries, row_change
from joblens.backends.supabase.jobs import JOBS
from joblens.backends.supabase.keepalive import LiveTiming
from joblens.backends.supabase.live import LiveLogs
from joblens.models import Job, LogChunk
from realtime import AsyncRealtimeChannel
from supabase import AsyncClient


async def _no_chunk(_chunk_id: int | str) -> LogChunk | None:
    return None  # this channel carries no log rows


class LiveJobs(LiveLogs):
    """Follows the INSERTs and UPDATEs of every job the user can see."""

    def __init__(
        self,
        client: AsyncClient,
        *,
        token: Callable[[], str],
        refresh: Callable[[], Awaitable[bool]],
        refetch_job: Callable[[str], Awaitable[Job]],
        jobs_table: str = JOBS,
        timing: LiveTiming | None = None,
    ) -> None:
        super().__init__(
            client,
            table=jobs_table,
            job_id="jobslist",  # names the channel only: no row is filtered by it
            token=token,
            refresh=refresh,
            refetch=_no_chunk,
            refetch_job=refetch_job,
            jobs_table=jobs_table,
            timing=timing,
        )
        self._refetch_any_job = refetch_job

    def _bind(self, channel: AsyncRealtimeChannel, generation: int) -> None:
        if not self._follow_job:
            return  # the table is not published: nothing to bind (the re-reads go on)
        for event in (
            RealtimePostgresChangesListenEvent.Insert,
            RealtimePostgresChangesListenEvent.Update,
        ):
            channel.on_postgres_changes(
                event,
                callback=self._on_change(generation, job=True),
                table=self._jobs_table,
                schema="public",
            )

    async def _job_from(self, payload: Any) -> Job | None:
        """The job an INSERT or UPDATE carries; a row cut short (or without its status) read
        again by id; None for anything else."""
        change = row_change(payload)
        if change is None or change.kind not in ("INSERT", "UPDATE"):
            return None
        record = change.record
        row_id = record.get("id")
        if row_id is None:
            return None
        if change.truncated or record.get("status") is None:
            job_id = str(row_id).lower()
            refetch = self._refetch_any_job
            return await fetch_with_retries(lambda: refetch(job_id), f"job {job_id}")
        return Job.from_row(record)
