"""The Supabase backend: a platform's Supabase project through supabase-py's async client.

REST queries live here; the realtime subscription and its watchdog in
:mod:`joblens.backends.supabase_live`; settings in :mod:`joblens.backends.supabase_config`;
error mapping in :mod:`joblens.backends.supabase_errors`. The client is created in
:meth:`SupabaseBackend.connect`, inside the running event loop, never at construction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from postgrest.exceptions import APIError

from joblens.backends.base import PAGE_SIZE, Backend, FollowEvent
from joblens.backends.supabase_config import SupabaseSettings
from joblens.backends.supabase_errors import (
    MISSING_RELATION_CODES,
    is_auth_error,
    translate,
)
from joblens.backends.supabase_live import LiveLogs, LiveTiming
from joblens.errors import (
    ActionRejected,
    BackendUnavailable,
    InvalidJobId,
    JoblensError,
    JobNotFound,
)
from joblens.models import ACTIVE_STATUSES, Job, JobState, JobStatus, JobType, LogChunk, Tendril
from supabase import AsyncClient, AsyncClientOptions, acreate_client

log = logging.getLogger(__name__)

T = TypeVar("T")

JOBS = "provision_jobs"
WORKERS = "workers"
LOG_COLUMNS = "id,job_id,log_chunk,stream_type,created_at"
#: The job with its display names, most embeds first; a deployment missing a table or
#: relationship falls back to the next (PGRST200/PGRST205), never selecting ``credentials``.
JOB_SELECTS = (
    "*, worker:workers!provision_jobs_worker_id_fkey(name), "
    "assigned_worker:workers!provision_jobs_assigned_worker_id_fkey(name), "
    "vine:vines(project_name,environment_stage,region,terraform_version,status), "
    "vineyard:vineyards(name), cloud_identity:cloud_identities(provider,name)",
    "*, worker:workers!provision_jobs_worker_id_fkey(name), "
    "assigned_worker:workers!provision_jobs_assigned_worker_id_fkey(name)",
    "*",
)
REST_TIMEOUT = 8.0
_HEX = re.compile(r"[0-9a-f]+")
_ACTIVE = sorted(str(s) for s in ACTIVE_STATUSES)


def _rows(data: object) -> list[dict[str, Any]]:
    """The row objects of a PostgREST answer (anything else is ignored, never a crash)."""
    return [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []


def _row(data: object) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


def _utc_text(moment: datetime) -> str:
    """A timestamp as PostgREST filter text: UTC, microseconds, ``Z`` (no ``+`` to encode)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SupabaseBackend(Backend):
    """Jobs, logs and Tendrils in a Supabase project, as the signed-in user sees them (RLS)."""

    name = "supabase"

    def __init__(
        self,
        settings: SupabaseSettings,
        *,
        live_timing: LiveTiming | None = None,
        rest_timeout: float = REST_TIMEOUT,
    ) -> None:
        self.settings = settings
        self._live_timing = live_timing
        self._rest_timeout = rest_timeout
        self._client: AsyncClient | None = None
        self._token = settings.access_token
        self._numeric_ids: bool | None = None  # the logs table's id type, once seen
        self._job_select = 0  # index into JOB_SELECTS that this deployment accepts
        self._tasks: set[asyncio.Task[Any]] = set()
        self._streams: set[LiveLogs] = set()
        self._refresh_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SupabaseBackend({self.settings!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SupabaseBackend:
        """A backend configured from the environment; ConfigError/AuthError if it cannot be."""
        return cls(SupabaseSettings.from_env(environ))

    # -- connection ----------------------------------------------------------------------------

    async def connect(self) -> None:
        """Create the client, install the session, and check the logs table is reachable."""
        if self._client is not None:
            return
        settings = self.settings
        options = AsyncClientOptions(
            postgrest_client_timeout=self._rest_timeout,
            auto_refresh_token=settings.refresh_token is not None,
            persist_session=False,
            realtime={"hb_interval": 15},
        )
        if settings.refresh_token is None:
            # A bare token: send it on every request; nothing can refresh it.
            options.headers["Authorization"] = f"Bearer {settings.access_token}"
        try:
            client = await acreate_client(settings.url, settings.anon_key, options)
            client.auth.on_auth_state_change(self._on_auth_change)
            if settings.refresh_token is not None:
                await client.auth.set_session(settings.access_token, settings.refresh_token)
        except Exception as error:
            raise translate(error, url=settings.url, table=JOBS) from None
        self._client = client
        probe = await self._rest(
            lambda c: c.table(settings.logs_table).select("id").limit(1).retry(False).execute(),
            table=settings.logs_table,
        )
        rows = _rows(probe.data)
        if rows:
            self._numeric_ids = isinstance(rows[0].get("id"), int)

    def _on_auth_change(self, event: str, session: Any) -> None:
        """After a refresh, realtime must use the new token too (called synchronously)."""
        token = getattr(session, "access_token", None)
        if not token or token == self._token:
            return
        self._token = token
        if self._client is not None:
            self._spawn(self._client.realtime.set_auth(token))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        async def run() -> None:
            with contextlib.suppress(Exception):
                await coro

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _refresh_session(self) -> bool:
        """Refresh the session if there is a refresh token; False when there is none."""
        if self.settings.refresh_token is None or self._client is None:
            return False
        client = self._client
        async with self._refresh_lock:
            try:
                response = await client.auth.refresh_session()
            except Exception as error:
                raise translate(error, url=self.settings.url, table=JOBS) from None
        token = response.session.access_token if response.session else None
        if token:
            self._token = token
            await client.realtime.set_auth(token)
        return True

    async def close(self) -> None:
        """Leave channels, stop background tasks and close the HTTP clients."""
        for stream in list(self._streams):
            await stream.close()
        client, self._client = self._client, None
        for task in list(self._tasks):
            task.cancel()
        if client is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.realtime.close(), 3.0)
        with contextlib.suppress(Exception):
            # Stop the auth client's refresh timer without revoking the session server-side.
            timer = getattr(client.auth, "_refresh_token_timer", None)
            if timer is not None:
                timer.cancel()
        with contextlib.suppress(Exception):
            await client.postgrest.aclose()
        with contextlib.suppress(Exception):
            await client.auth.close()

    def _require(self) -> AsyncClient:
        if self._client is None:
            raise BackendUnavailable("not connected: call connect() first")
        return self._client

    async def _rest(
        self,
        run: Callable[[AsyncClient], Awaitable[T]],
        *,
        table: str,
        action: str = "",
    ) -> T:
        """Run one PostgREST call; refresh once on a token error; map every failure."""
        for attempt in range(2):
            client = self._require()
            try:
                return await run(client)
            except APIError as error:
                if is_auth_error(error) and attempt == 0 and await self._refresh_session():
                    continue
                raise translate(error, url=self.settings.url, table=table, action=action) from None
            except JoblensError:
                raise
            except Exception as error:
                raise translate(error, url=self.settings.url, table=table, action=action) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -- jobs ----------------------------------------------------------------------------------

    async def resolve_job_id(self, ref: str) -> str:
        """A full uuid as is (lower-cased), or the one job whose id starts with the prefix."""
        text = ref.strip().lower()
        compact = text.replace("-", "")
        if len(compact) == 32 and _HEX.fullmatch(compact):
            return str(uuid.UUID(compact))
        if len(compact) < 8 or len(compact) > 32 or not _HEX.fullmatch(compact):
            raise InvalidJobId(
                f"{ref.strip()!r} is not a job id: give the full id or at least its first "
                "8 hex digits"
            )
        # PostgREST cannot LIKE a uuid: the ids starting with the prefix are one uuid range.
        low = str(uuid.UUID(compact.ljust(32, "0")))
        high = str(uuid.UUID(compact.ljust(32, "f")))
        response = await self._rest(
            lambda c: c.table(JOBS).select("id").gte("id", low).lte("id", high).limit(2).execute(),
            table=JOBS,
        )
        rows = _rows(response.data)
        if not rows:
            raise JobNotFound(f"no job with an id starting {compact} (or not visible to you)")
        if len(rows) > 1:
            raise JobNotFound(
                f"more than one job has an id starting {compact}: give more of the id"
            )
        return str(rows[0].get("id", "")).lower()

    async def get_job(self, job_id: str) -> Job:
        job_id = job_id.lower()
        while True:
            columns = JOB_SELECTS[self._job_select]
            fallback = self._job_select + 1 < len(JOB_SELECTS)

            async def run(c: AsyncClient, cols: str = columns, fallback: bool = fallback) -> Any:
                try:
                    query = c.table(JOBS).select(cols).eq("id", job_id)
                    return await query.maybe_single().execute()
                except APIError as error:
                    if fallback and (error.code or "") in MISSING_RELATION_CODES:
                        raise _EmbedMissing(str(error.message)) from None
                    raise

            try:
                response = await self._rest(run, table=JOBS)
            except _EmbedMissing as missing:
                log.info("job select without some embeds (%s)", missing)
                self._job_select += 1
                continue
            if response is None:
                raise JobNotFound(f"job {job_id} not found, or not visible to this user")
            return Job.from_row(_row(response.data))

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
        return JobState.from_row(_row(response.data))

    # -- logs ----------------------------------------------------------------------------------

    async def fetch_logs(
        self, job_id: str, *, after: LogChunk | None = None, limit: int = PAGE_SIZE
    ) -> list[LogChunk]:
        """Up to ``limit`` chunks after ``after``, oldest first (one request, ≤ 1000 rows)."""
        limit = max(1, min(limit, PAGE_SIZE))
        numeric = self._numeric_ids if after is None else isinstance(after.id, int)
        rows = await self._log_rows(job_id, after=after, numeric=numeric, newest=False, limit=limit)
        if after is None and numeric is not False and rows and not self._ids_numeric(rows):
            # The first page was ordered by id, but ids are uuids: order by (created_at, id).
            rows = await self._log_rows(
                job_id, after=None, numeric=False, newest=False, limit=limit
            )
        return [LogChunk.from_row(row) for row in rows]

    async def fetch_latest_logs(
        self, job_id: str, *, before: LogChunk | None = None, limit: int = PAGE_SIZE
    ) -> list[LogChunk]:
        """The newest ``limit`` chunks before ``before``, oldest first."""
        limit = max(1, min(limit, PAGE_SIZE))
        numeric = self._numeric_ids if before is None else isinstance(before.id, int)
        rows = await self._log_rows(job_id, after=before, numeric=numeric, newest=True, limit=limit)
        if before is None and numeric is not False and rows and not self._ids_numeric(rows):
            rows = await self._log_rows(job_id, after=None, numeric=False, newest=True, limit=limit)
        return [LogChunk.from_row(row) for row in reversed(rows)]

    def _ids_numeric(self, rows: list[dict[str, Any]]) -> bool:
        numeric = isinstance(rows[0].get("id"), int)
        self._numeric_ids = numeric
        return numeric

    async def _log_rows(
        self,
        job_id: str,
        *,
        after: LogChunk | None,
        numeric: bool | None,
        newest: bool,
        limit: int,
    ) -> list[dict[str, Any]]:
        """One page of rows, ascending (``newest``: descending, before ``after``)."""
        table = self.settings.logs_table
        job_id = job_id.lower()

        async def run(c: AsyncClient) -> Any:
            query = c.table(table).select(LOG_COLUMNS).eq("job_id", job_id)
            if after is not None:
                query = self._after_filter(query, after, newest=newest)
            if numeric is False or (after is not None and not isinstance(after.id, int)):
                query = query.order("created_at", desc=newest).order("id", desc=newest)
            else:
                query = query.order("id", desc=newest)
            return await query.limit(limit).execute()

        response = await self._rest(run, table=table)
        return _rows(response.data)

    @staticmethod
    def _after_filter(query: Any, mark: LogChunk, *, newest: bool) -> Any:
        """Rows strictly after ``mark`` (before it when ``newest``), in the table's order."""
        op = "lt" if newest else "gt"
        if isinstance(mark.id, int):
            return query.filter("id", op, str(mark.id))
        if mark.created_at is None:
            return query.filter("id", op, str(mark.id))
        stamp = _utc_text(mark.created_at)
        return query.or_(
            f'created_at.{op}."{stamp}",and(created_at.eq."{stamp}",id.{op}.{mark.id})'
        )

    async def fetch_chunk(self, chunk_id: int | str) -> LogChunk | None:
        """One log row by id (a live record that arrived truncated)."""
        table = self.settings.logs_table
        response = await self._rest(
            lambda c: c.table(table).select(LOG_COLUMNS).eq("id", str(chunk_id)).limit(1).execute(),
            table=table,
        )
        rows = _rows(response.data)
        return LogChunk.from_row(rows[0]) if rows else None

    def follow_logs(self, job_id: str) -> AsyncIterator[FollowEvent]:
        return self._follow(job_id)

    async def _follow(self, job_id: str) -> AsyncIterator[FollowEvent]:
        stream = LiveLogs(
            self._require(),
            table=self.settings.logs_table,
            job_id=job_id,
            token=lambda: self._token,
            refresh=self._refresh_session,
            refetch=self.fetch_chunk,
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
        changes = {
            "status": str(JobStatus.CANCELLED),
            "error_message": "Cancelled by user",
            "completed_at": datetime.now(UTC).isoformat(),
        }
        response = await self._rest(
            lambda c: (
                c.table(JOBS).update(changes).eq("id", job_id).in_("status", _ACTIVE).execute()
            ),
            table=JOBS,
            action="the cancel",
        )
        if response.data:
            return True
        await self.get_job_state(job_id)  # JobNotFound when the job is not the user's to see
        return False

    async def rerun_job(self, job: Job) -> Job:
        if not job.is_terminal:
            raise ActionRejected("only a finished job can be re-run")
        row: dict[str, Any] = {
            "job_type": str(job.job_type),
            "status": str(JobStatus.QUEUED),
            "config_snapshot": job.config_snapshot if job.config_snapshot is not None else {},
            "cloud_identity_id": job.cloud_identity_id,
            "vineyard_id": job.vineyard_id,
            "vine_id": job.vine_id,
        }
        if job.job_type == JobType.DEPLOY:
            row["plan_job_id"] = job.plan_job_id
        return await self._insert_job(row, action="the re-run")

    async def apply_plan(self, plan: Job, tendril_id: str | None) -> Job:
        if plan.job_type != JobType.PLAN or plan.status != JobStatus.SUCCESS:
            raise ActionRejected("only a PLAN that succeeded can be applied")
        row: dict[str, Any] = {
            "job_type": str(JobType.DEPLOY),
            "status": str(JobStatus.QUEUED),
            "plan_job_id": plan.id,
            "assigned_worker_id": tendril_id,
            "vine_id": plan.vine_id,
            "vineyard_id": plan.vineyard_id,
            "cloud_identity_id": plan.cloud_identity_id,
            "config_snapshot": plan.config_snapshot if plan.config_snapshot is not None else {},
            "configuration_hash": plan.configuration_hash,
        }
        return await self._insert_job(row, action="the apply")

    async def _insert_job(self, row: dict[str, Any], *, action: str) -> Job:
        """Insert a job (``user_id`` left to its default, ``auth.uid()``) and read it back."""
        response = await self._rest(
            lambda c: c.table(JOBS).insert(row).execute(), table=JOBS, action=action
        )
        rows = _rows(response.data)
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
        return [Tendril.from_row(row) for row in _rows(response.data)]


class _EmbedMissing(JoblensError):
    """Internal: this deployment lacks a table or relationship the job select embeds."""
