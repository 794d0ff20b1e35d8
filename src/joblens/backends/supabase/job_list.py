"""The jobs list's reads, mixed into :class:`SupabaseBackend`: one select of the user's newest
jobs, and the live stream of changes to them (``live_jobs.py``).

The select is the job view's (``jobs.py``: the display names embedded, falling back as a
deployment lacks a table, a relationship or a column) without the JSON columns: the list
shows none, and one DEPLOY's ``execution_metadata`` may be megabytes. RLS keeps it to the
user's own jobs; the newest first, by ``created_at``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection
from typing import TYPE_CHECKING, Any, TypeVar

from joblens.backends.base import JOBS_LISTED, PAGE_SIZE, ChangeEvent, ChunksArrived
from joblens.backends.supabase.jobs import (
    JOBS,
)
from joblens.backends.supabase.live_jobs import LiveJobs
from joblens.backends.supabase.logs import rows_of
from joblens.models import Job

if TYPE_CHECKING:
    from joblens.backends.supabase.keepalive import LiveTiming
    from joblens.backends.supabase.live import LiveLogs
    from supabase import AsyncClient

log = logging.getLogger(__name__)

T = TypeVar("T")


class JobListing:
    """``list_jobs`` and ``job_changes`` for the Supabase backend (which holds the state)."""

    if TYPE_CHECKING:  # provided by SupabaseBackend
        _token: str
        _live_timing: LiveTiming | None
        _streams: set[LiveLogs]

        async def _rest(
            self, run: Callable[[AsyncClient], Awaitable[T]], *, table: str, action: str = ""
        ) -> T: ...

        def _require(self) -> AsyncClient: ...

        async def _refresh_session(self) -> bool: ...

        async def get_job(self, job_id: str) -> Job: ...

        async def _select_jobs(
            self,
            build: Callable[[AsyncClient, str], Any],
            *,
            embeds: bool = True,
            with_json: bool = True,
            needs: str | None = None,
        ) -> Any: ...

    async def list_jobs(
        self,
        statuses: Collection[str] = (),
        types: Collection[str] = (),
        limit: int = JOBS_LISTED,
    ) -> list[Job]:
        """The user's newest jobs, newest first: one select (at most 1000 rows)."""
        limit = max(1, min(limit, PAGE_SIZE))
        wanted_status, wanted_type = sorted(map(str, statuses)), sorted(map(str, types))

        def build(c: AsyncClient, select: str) -> Any:
            query = c.table(JOBS).select(select)
            if wanted_status:
                query = query.in_("status", wanted_status)
            if wanted_type:
                query = query.in_("job_type", wanted_type)
            return query.order("created_at", desc=True).limit(limit)

        response = await self._select_jobs(build, with_json=False)
        return [Job.from_row(row) for row in rows_of(response.data)]

    def job_changes(self) -> AsyncGenerator[ChangeEvent, None]:
        return self._follow_jobs_live()

    async def _follow_jobs_live(self) -> AsyncGenerator[ChangeEvent, None]:
        stream = LiveJobs(
            self._require(),
            token=lambda: self._token,
            refresh=self._refresh_session,
            refetch_job=self.get_job,  # a row over the 1 MiB realtime limit
            timing=self._live_timing,
        )
        self._streams.add(stream)
        try:
            async for event in stream.events():
                if not isinstance(event, ChunksArrived):  # none come: no log binding
                    yield event
        finally:
            self._streams.discard(stream)
            await stream.close()
