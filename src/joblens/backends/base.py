"""The backend interface the screens and the plain-text mode depend on.

Two implementations: :mod:`joblens.backends.demo` (in-process, simulated Tendrils) and
:mod:`joblens.backends.supabase` (a Supabase project). Both pass the same contract tests in
``tests/contract``. Every method returns typed models and raises only
:class:`joblens.errors.JoblensError` subclasses.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from joblens.models import Job, JobState, LogChunk, Tendril

#: Hosted Supabase caps a response at 1000 rows; backfill pages are never larger.
PAGE_SIZE = 1000
#: Seconds between status polls while a job runs (``get_job_state``; the web page's figure).
POLL_SECONDS = 3.0
#: The most DEPLOY jobs of one plan ``list_deploys`` returns (the newest).
DEPLOYS_LISTED = 50


@dataclass(frozen=True, slots=True)
class LiveStarted:
    """The live stream now delivers every new chunk: backfill what was written before."""


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


@dataclass(frozen=True, slots=True)
class JobChanged:
    """The job's own row changed (a live UPDATE): status, runner, times, error, metadata.

    ``job`` is parsed from the row alone: the display names of embeds (Tendril, vine) are
    ``None`` in it; ask ``get_job`` when a changed id needs its name.
    """

    job: Job


FollowEvent = LiveStarted | ChunksArrived | LiveInterrupted | JobChanged


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
