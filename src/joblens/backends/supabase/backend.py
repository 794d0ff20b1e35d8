"""The Supabase backend: a platform's Supabase project through supabase-py's async client.

REST queries live here; the client, the session and the one path every request takes in
:mod:`joblens.backends.supabase.connection`; the realtime subscription and its watchdog in
:mod:`joblens.backends.supabase.live`; settings in :mod:`joblens.backends.supabase.config`;
error mapping in :mod:`joblens.backends.supabase.errors`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

from postgrest.exceptions import APIError

from joblens.actions import CANCELLABLE, cancel_changes, check_tendril, deploy_row, rerun_row
from joblens.backends.base import DEPLOYS_LISTED, PAGE_SIZE, Backend, FollowEvent
from joblens.backends.supabase.config import SupabaseSettings
from joblens.backends.supabase.connection import SupabaseConnection
from joblens.backends.supabase.job_list import JobListing
from joblens.backends.supabase.jobs import (
    JOB_EMBEDS,
    JOBS,
    WORKERS,
    ColumnMissing,
    EmbedMissing,
    job_row,
    job_select,
    raise_select_error,
)
from joblens.backends.supabase.live import LiveLogs
from joblens.backends.supabase.logs import log_count, log_page, log_row, row_of, rows_of
from joblens.errors import (
    ActionRejected,
    JobNotFound,
)
from joblens.models import (
    JOB_COLUMNS,
    JSON_COLUMNS,
    Job,
    JobRef,
    JobState,
    JobType,
    LogChunk,
    Tendril,
)
from supabase import AsyncClient

log = logging.getLogger(__name__)

T = TypeVar("T")


class SupabaseBackend(JobListing, SupabaseConnection, Backend):
    """Jobs, logs and Tendrils in a Supabase project, as the signed-in user sees them (RLS).

    The client and the session are :mod:`joblens.backends.supabase.connection`'s; the jobs
    list's reads are mixed in from :mod:`joblens.backends.supabase.job_list`."""

    name = "supabase"

    # What this deployment turned out to have (the same for every instance until seen; each
    # instance then keeps its own).
    _numeric_ids: bool | None = None  # the logs table's id type, once seen
    _job_select = 0  # index into JOB_EMBEDS that this deployment accepts
    _job_columns: tuple[str, ...] = JOB_COLUMNS + JSON_COLUMNS  # less any it lacks

    async def connect(self) -> None:
        """Create the client, install the session, and check the logs table is reachable."""
        if not await self._open():
            return
        settings = self.settings
        probe = await self._rest(
            lambda c: c.table(settings.logs_table).select("id").limit(1).retry(False).execute(),
            table=settings.logs_table,
        )
        rows = rows_of(probe.data)
        if rows:
            self._numeric_ids = isinstance(rows[0].get("id"), int)

    def __repr__(self) -> str:
        return f"SupabaseBackend({self.settings!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SupabaseBackend:
        """A backend configured from the environment; ConfigError/AuthError if it cannot be."""
        return cls(SupabaseSettings.from_env(environ))

    # -- jobs ----------------------------------------------------------------------------------

    async def resolve_job_id(self, ref: str) -> str:
        """The full, lower-case id of the one visible job matching a full id or a prefix."""
        job_ref = JobRef.parse(ref)
        whole, compact = job_ref.full_id, job_ref.digits
        # A prefix is one range of the uuid column (PostgREST cannot LIKE a uuid); a full id
        # is a range of one, still checked to exist and be visible.
        low, high = job_ref.id_range
        response = await self._rest(
            lambda c: c.table(JOBS).select("id").gte("id", low).lte("id", high).limit(2).execute(),
            table=JOBS,
        )
        rows = rows_of(response.data)
        if not rows:
            what = f"job {whole}" if whole else f"job with an id starting {compact}"
            raise JobNotFound(f"no {what} (or it is not visible to you)")
        if len(rows) > 1:
            raise JobNotFound(
                f"more than one job has an id starting {compact}: give more of the id"
            )
        return str(rows[0].get("id", "")).lower()

    async def get_job(self, job_id: str) -> Job:
        job_id = job_id.lower()
        response = await self._select_jobs(
            lambda c, select: c.table(JOBS).select(select).eq("id", job_id).maybe_single()
        )
        if response is None:
            raise JobNotFound(f"job {job_id} not found, or not visible to this user")
        return Job.from_row(job_row(row_of(response.data)))

    async def _select_jobs(
        self,
        build: Callable[[AsyncClient, str], Any],
        *,
        embeds: bool = True,
        with_json: bool = True,
        needs: str | None = None,
    ) -> Any:
        """The response to the select of ``provision_jobs`` that ``build(client, select)``
        makes, with the columns (and the embedded names, when ``embeds``) this deployment has:
        a column it lacks is left out from then on, and the embeds fall back a step at a time
        (docs/PLATFORM.md, "Newer platform versions"). ``with_json``: the JSON columns too.
        None when the column the select ``needs`` is one this deployment lacks."""
        while True:
            columns = self._job_columns
            if not with_json:
                columns = tuple(c for c in columns if c not in JSON_COLUMNS)
            if needs is not None and needs not in columns:
                return None
            select = job_select(columns, JOB_EMBEDS[self._job_select] if embeds else "")
            fallback = embeds and self._job_select + 1 < len(JOB_EMBEDS)

            async def run(
                c: AsyncClient,
                select: str = select,
                fallback: bool = fallback,
                columns: tuple[str, ...] = columns,
            ) -> Any:
                try:
                    return await build(c, select).execute()
                except APIError as error:
                    raise_select_error(error, columns, embeds=fallback)

            try:
                return await self._rest(run, table=JOBS)
            except ColumnMissing as missing:
                log.info("job select without the column %s", missing.column)
                self._job_columns = tuple(c for c in self._job_columns if c != missing.column)
            except EmbedMissing as missing:
                log.info("job select without some embeds (%s)", missing)
                self._job_select += 1

    async def get_job_state(self, job_id: str) -> JobState:
        job_id = job_id.lower()
        response = await self._rest(
            lambda c: (
                c.table(JOBS)
                .select("status,error_message")
                .eq("id", job_id)
                .maybe_single()
                .execute()
            ),
            table=JOBS,
        )
        if response is None:
            raise JobNotFound(f"job {job_id} not found, or not visible to this user")
        return JobState.from_row(row_of(response.data))

    # -- logs ----------------------------------------------------------------------------------

    async def fetch_logs(
        self, job_id: str, *, after: LogChunk | None = None, limit: int = PAGE_SIZE
    ) -> list[LogChunk]:
        """Up to ``limit`` chunks after ``after``, oldest first (one request, ≤ 1000 rows)."""
        rows = await self._log_page(job_id, after, newest=False, limit=limit)
        return [LogChunk.from_row(row) for row in rows]

    async def fetch_latest_logs(
        self, job_id: str, *, before: LogChunk | None = None, limit: int = PAGE_SIZE
    ) -> list[LogChunk]:
        """The newest ``limit`` chunks before ``before``, oldest first."""
        rows = await self._log_page(job_id, before, newest=True, limit=limit)
        return [LogChunk.from_row(row) for row in reversed(rows)]

    async def _log_page(
        self, job_id: str, mark: LogChunk | None, *, newest: bool, limit: int
    ) -> list[dict[str, Any]]:
        """One page in the table's order; the id type is learnt from the first rows seen."""
        table = self.settings.logs_table
        limit = max(1, min(limit, PAGE_SIZE))  # hosted projects cap responses at 1000 rows
        if mark is not None:
            by_created_at = not isinstance(mark.id, int)
        else:
            by_created_at = self._numeric_ids is False

        def run(c: AsyncClient, by_created_at: bool) -> Awaitable[list[dict[str, Any]]]:
            return log_page(
                c,
                table,
                job_id,
                after=mark,
                by_created_at=by_created_at,
                newest=newest,
                limit=limit,
            )

        rows = await self._rest(lambda c: run(c, by_created_at), table=table)
        if rows and self._numeric_ids is None:
            self._numeric_ids = isinstance(rows[0].get("id"), int)
            if not self._numeric_ids and not by_created_at:
                # Ordered by id, but the ids are uuids: ask again by (created_at, id).
                rows = await self._rest(lambda c: run(c, True), table=table)
        return rows

    async def count_logs(
        self, job_id: str, *, after: LogChunk | None = None, upto: LogChunk | None = None
    ) -> int | None:
        """An exact count of the job's rows in (``after``, ``upto``]: one HEAD request."""
        table = self.settings.logs_table
        return await self._rest(
            lambda c: log_count(c, table, job_id, after=after, upto=upto), table=table
        )

    async def fetch_chunk(self, chunk_id: int | str) -> LogChunk | None:
        """One log row by id (a live record that arrived truncated)."""
        table = self.settings.logs_table
        row = await self._rest(lambda c: log_row(c, table, chunk_id), table=table)
        return LogChunk.from_row(row) if row is not None else None

    def follow_logs(self, job_id: str) -> AsyncGenerator[FollowEvent, None]:
        return self._follow(job_id)

    async def _follow(self, job_id: str) -> AsyncGenerator[FollowEvent, None]:
        stream = LiveLogs(
            self._require(),
            table=self.settings.logs_table,
            job_id=job_id,
            token=lambda: self._token,
            refresh=self._refresh_session,
            refetch=self.fetch_chunk,
            refetch_job=self.get_job,  # a job row over the 1 MiB realtime limit
            timing=self._live_timing,
        )
        self._streams.add(stream)
        try:
            async for event in stream.events():
                yield event
        finally:
            self._streams.discard(stream)
            await stream.close()

    # -- actions -------------------------------------------------------------------------------

    async def cancel_job(self, job_id: str) -> bool:
        job_id = job_id.lower()
        changes = cancel_changes()
        response = await self._rest(
            lambda c: (
                c.table(JOBS).update(changes).eq("id", job_id).in_("status", CANCELLABLE).execute()
            ),
            table=JOBS,
            action="the cancel",
        )
        if response.data:
            return True
        await self.get_job_state(job_id)  # JobNotFound when the job is not the user's to see
        return False

    async def rerun_job(self, job: Job) -> Job:
        return await self._insert_job(rerun_row(job), action="the re-run")

    async def apply_plan(self, plan: Job, tendril_id: str | None) -> Job:
        row = deploy_row(plan, tendril_id)
        if tendril_id is not None:
            await self._check_live(tendril_id)
        return await self._insert_job(row, action="the apply")

    async def list_deploys(self, plan_id: str) -> list[Job]:
        """One select of the plan's DEPLOY jobs, newest first; without the JSON columns (a
        DEPLOY's metadata may be megabytes) and the embeds (the names are not needed)."""
        plan_id = plan_id.lower()
        response = await self._select_jobs(
            lambda c, select: (
                c.table(JOBS)
                .select(select)
                .eq("plan_job_id", plan_id)
                .eq("job_type", str(JobType.DEPLOY))
                .order("created_at", desc=True)
                .limit(DEPLOYS_LISTED)
            ),
            embeds=False,
            with_json=False,
            needs="plan_job_id",  # (a deployment whose jobs do not say which plan they apply)
        )
        return [] if response is None else [Job.from_row(row) for row in rows_of(response.data)]

    async def _check_live(self, tendril_id: str) -> None:
        """ActionRejected unless the chosen Tendril is visible and live (the picker's rule)."""
        response = await self._rest(
            lambda c: c.table(WORKERS).select("*").eq("id", tendril_id).limit(1).execute(),
            table=WORKERS,
        )
        rows = rows_of(response.data)
        check_tendril(Tendril.from_row(rows[0]) if rows else None)

    async def _insert_job(self, row: dict[str, Any], *, action: str) -> Job:
        """Insert a job (``user_id`` left to its default, ``auth.uid()``) and read it back."""
        response = await self._rest(
            lambda c: c.table(JOBS).insert(row).execute(), table=JOBS, action=action
        )
        rows = rows_of(response.data)
        created = rows[0] if rows else None
        if created is None or not created.get("id"):
            raise ActionRejected(f"the server did not confirm {action}: try again")
        try:
            return await self.get_job(str(created["id"]))
        except JobNotFound:
            return Job.from_row(created)

    async def list_tendrils(self) -> list[Tendril]:
        response = await self._rest(
            lambda c: c.table(WORKERS).select("*").order("name").execute(), table=WORKERS
        )
        return [Tendril.from_row(row) for row in rows_of(response.data)]
