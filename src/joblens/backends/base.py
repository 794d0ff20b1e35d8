"""The backend interface the screens and the plain-text mode depend on.

Two implementations: :mod:`joblens.backends.demo` (in-process, simulated Tendrils) and
:mod:`joblens.backends.supabase` (a Supabase project). Both pass the same contract tests in
``tests/contract``. Every method returns typed models and raises only
:class:`joblens.errors.JoblensError` subclasses.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Collection
from dataclasses import dataclass

from joblens.models import Job, JobState, LogChunk, Tendril

#: Hosted Supabase caps a response at 1000 rows; backfill pages are never larger.
PAGE_SIZE = 1000
#: Seconds between status polls while a job runs (``get_job_state``; the web page's figure).
POLL_SECONDS = 3.0
#: The most DEPLOY jobs of one plan ``list_deploys`` returns (the newest).
DEPLOYS_LISTED = 50
#: How many jobs ``list_jobs`` returns unless told (the newest); at most :data:`PAGE_SIZE`.
JOBS_LISTED = 50
#: Seconds between re-reads of the jobs list while it is followed: realtime may drop a change
#: while its socket stays up (docs/SUPABASE.md, "No delivery guarantee"), and only a read of
#: the table sees it. Slower than the one job's 3 s status poll: it reads up to 50 rows.
LIST_REREAD_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class LiveStarted:
    """The live stream now delivers every new chunk: backfill what was written before.

    ``jobs``: whether job rows' changes come on it too. False where the jobs table is not in
    the project's realtime publication (the server refuses the binding): only reads (the
    status poll, the list's re-reads) see a job change then.
    """

    jobs: bool = True


@dataclass(frozen=True, slots=True)
class ChunksArrived:
    """New chunks from the live stream, in commit order (may repeat backfilled ones)."""

    chunks: tuple[LogChunk, ...]


@dataclass(frozen=True, slots=True)
class LiveInterrupted:
    """The live stream stopped (a LiveStarted follows once it is back).

    ``quiet_for``: how long, when the problem was noticed, the stream had been without any
    sign of life (a half-open socket is noticed seconds after its last frame).
    """

    reason: str
    quiet_for: float = 0.0
    ended: bool = False
    """The stream gave up for good (``follow_jobs``): no LiveStarted follows; reads alone."""


@dataclass(frozen=True, slots=True)
class JobChanged:
    """The job's own row changed (a live UPDATE): status, runner, times, error, metadata.

    In ``job_changes`` and ``follow_jobs``: any of the user's jobs, inserted or updated.
    ``job`` is parsed from the row alone: the display names of embeds (Tendril, vine) are
    ``None`` in it; ask ``get_job`` when a changed id needs its name (``follow_jobs`` does).
    """

    job: Job


@dataclass(frozen=True, slots=True)
class JobsUnread:
    """A re-read of the jobs list failed (it is tried again at the next one): the list shows
    what it last read, and live changes if the stream is up."""

    reason: str


@dataclass(frozen=True, slots=True)
class JobsListed:
    """The jobs list as the table holds it now (``list_jobs``): the truth, replacing whatever
    live changes said before it."""

    jobs: tuple[Job, ...]


FollowEvent = LiveStarted | ChunksArrived | LiveInterrupted | JobChanged
#: What ``job_changes`` yields: the stream's state, and rows as they change.
ChangeEvent = LiveStarted | LiveInterrupted | JobChanged
#: What ``follow_jobs`` yields.
JobsEvent = JobsListed | JobChanged | JobsUnread | LiveStarted | LiveInterrupted


class Backend(ABC):
    """Where jobs, their logs and the Tendrils live."""

    #: Shown in the header and the plain-mode messages ("demo", "supabase").
    name: str = "backend"

    async def connect(self) -> None:  # noqa: B027 (optional hook)
        """Open connections and check configuration; raise ConfigError/AuthError early."""

    async def close(self) -> None:  # noqa: B027 (optional hook)
        """Release connections and background tasks."""

    @abstractmethod
    async def resolve_job_id(self, ref: str) -> str:
        """The full id for a full id or a unique prefix of at least 8 hex digits.

        Raises InvalidJobId for malformed input, JobNotFound for an unknown or ambiguous prefix.
        """

    @abstractmethod
    async def get_job(self, job_id: str) -> Job:
        """The job with its Tendril names; JobNotFound if absent or not visible."""

    @abstractmethod
    async def get_job_state(self, job_id: str) -> JobState:
        """Status and error message only: the 3 s poll."""

    @abstractmethod
    async def fetch_logs(
        self, job_id: str, *, after: LogChunk | None = None, limit: int = PAGE_SIZE
    ) -> list[LogChunk]:
        """Up to ``limit`` chunks after ``after`` (from the start if None), oldest first."""

    @abstractmethod
    async def fetch_latest_logs(
        self, job_id: str, *, before: LogChunk | None = None, limit: int = PAGE_SIZE
    ) -> list[LogChunk]:
        """The newest ``limit`` chunks before ``before`` (or overall), oldest first."""

    async def count_logs(
        self, job_id: str, *, after: LogChunk | None = None, upto: LogChunk | None = None
    ) -> int | None:
        """How many chunks the table holds after ``after`` and up to ``upto`` (inclusive), in
        the log's order; None where the backend cannot count (no completeness check then).

        One exact count (PostgREST ``HEAD`` with ``Prefer: count=exact``): the table is the
        only truth about what was written (docs/PLATFORM.md, "Delivery"). Raises as the reads.
        """
        return None

    @abstractmethod
    def follow_logs(self, job_id: str) -> AsyncGenerator[FollowEvent, None]:
        """Live chunks as they are committed, until the generator is closed (``aclose``).

        Yields LiveStarted whenever the stream (re)starts delivering; the caller backfills
        then. Reconnects by itself, yielding LiveInterrupted while it is down. Yields
        JobChanged when the job's own row is updated (the status poll stays the fallback).
        """

    @abstractmethod
    async def cancel_job(self, job_id: str) -> bool:
        """Cancel if still QUEUED, CLAIMED or PROCESSING, in one conditional update.

        True if this call cancelled it; False if it had already finished.
        """

    @abstractmethod
    async def rerun_job(self, job: Job) -> Job:
        """A new QUEUED job with the same configuration as ``job``."""

    @abstractmethod
    async def apply_plan(self, plan: Job, tendril_id: str | None) -> Job:
        """A new QUEUED DEPLOY of exactly what ``plan`` planned (None: any available Tendril)."""

    @abstractmethod
    async def list_deploys(self, plan_id: str) -> list[Job]:
        """The DEPLOY jobs that apply the PLAN ``plan_id`` (their ``plan_job_id``; written by
        Apply, and by a re-run of such a DEPLOY), newest first, at most
        :data:`DEPLOYS_LISTED`, as the user sees them; none on a deployment whose jobs have
        no ``plan_job_id``. Display names may be missing (the Apply prompt needs none)."""

    @abstractmethod
    async def list_tendrils(self) -> list[Tendril]:
        """Every Tendril the user can see."""

    @abstractmethod
    async def list_jobs(
        self,
        statuses: Collection[str] = (),
        types: Collection[str] = (),
        limit: int = JOBS_LISTED,
    ) -> list[Job]:
        """The user's newest jobs, newest first (by ``created_at``), at most ``limit`` (capped
        at :data:`PAGE_SIZE`), with their display names; only those with one of ``statuses``
        and one of ``types`` when given (empty: any). Without the JSON columns: a list never
        shows them, and one DEPLOY's metadata may be megabytes.

        Raises as the other reads (AuthError, BackendUnavailable, ConfigError).
        """

    @abstractmethod
    def job_changes(self) -> AsyncGenerator[ChangeEvent, None]:
        """Every change to a job the user can see (an INSERT or an UPDATE, as JobChanged),
        live, until the generator is closed. LiveStarted whenever the stream (re)starts
        delivering (read the list then), LiveInterrupted while it is down; it reconnects by
        itself. Nothing missed while down is replayed: ``follow_jobs`` re-reads."""

    def follow_jobs(
        self,
        statuses: Collection[str] = (),
        types: Collection[str] = (),
        limit: int = JOBS_LISTED,
        *,
        reread_every: float = LIST_REREAD_SECONDS,
        read_now: asyncio.Event | None = None,
    ) -> AsyncGenerator[JobsEvent, None]:
        """The jobs list, live: JobsListed whenever the live stream (re)starts and every
        ``reread_every`` seconds (a dropped change is seen at the next one), JobChanged for
        each change in between (with its names; it may not match the filters: the caller
        filters). What the live stream does, for the caller to say: LiveStarted after the
        read it brings (``jobs`` False: it carries no job changes), LiveInterrupted while it
        is down or once it gave up (the re-reads go on); JobsUnread when a re-read failed.
        Setting ``read_now`` asks for a read at once (the user's "read again").
        See :mod:`joblens.backends.jobs_follow`."""
        from joblens.backends.jobs_follow import follow_jobs

        return follow_jobs(
            self, statuses, types, limit, reread_every=reread_every, read_now=read_now
        )
