"""A job's attempts: the platform puts a job whose runner died back in the queue.

When a Tendril stops heartbeating, the platform's ``recover_stale_jobs()`` sets the job back to
QUEUED and clears ``worker_id``, ``claimed_at`` and ``started_at``; another Tendril claims it
later, and the job's log then holds both attempts (docs/PLATFORM.md, "Attempts"). Nothing in
the row counts attempts, so they are counted from what is seen of the row: a running job seen
QUEUED again, or claimed again at another time than before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from joblens.models import Job, JobStatus

_RUNNING = frozenset({JobStatus.CLAIMED, JobStatus.PROCESSING})


@dataclass(frozen=True, slots=True)
class Requeue:
    """The job went back to the queue: attempt ``attempt`` begins."""

    attempt: int
    at: datetime
    runner: str | None  # the Tendril that stopped responding, when known

    def separator(self) -> str:
        """The line that marks the place in the log."""
        when = self.at.astimezone().strftime("%H:%M:%S")
        who = f"Tendril {self.runner}" if self.runner else "its Tendril"
        return f"── requeued {when}: {who} stopped responding · attempt {self.attempt} ──"


class AttemptTracker:
    """Counts the attempts of one job from the versions of its row that are seen."""

    def __init__(self, job: Job) -> None:
        self.attempt = 1
        self._status: str = job.status
        self._claimed_at = job.claimed_at
        self._runner = _runner_of(job)
        #: When the first attempt seen started: the job's total time runs from here.
        self.first_start = job.started_at or job.claimed_at

    def observe(self, job: Job, now: datetime | None = None) -> Requeue | None:
        """Take a newer version of the row; a Requeue if it shows a new attempt."""
        requeued = (
            job.status == JobStatus.QUEUED
            and (self._status in _RUNNING or self._claimed_at is not None)
        ) or (
            # Requeued and claimed again between two looks at the row.
            job.claimed_at is not None
            and self._claimed_at is not None
            and job.claimed_at != self._claimed_at
        )
        runner = self._runner
        self._status = job.status
        self._claimed_at = job.claimed_at
        self._runner = _runner_of(job) or (None if requeued else self._runner)
        if self.first_start is None:
            self.first_start = job.started_at or job.claimed_at
        if not requeued:
            return None
        self.attempt += 1
        return Requeue(self.attempt, now or datetime.now(UTC), runner)


def is_older(job: Job, than: Job) -> bool:
    """Whether ``job`` is an older version of the row than ``than`` (by ``updated_at``).

    A live UPDATE and the poll's read can cross: the older one must not undo the newer.
    """
    return (
        job.id == than.id
        and job.updated_at is not None
        and than.updated_at is not None
        and job.updated_at < than.updated_at
    )


def _runner_of(job: Job) -> str | None:
    if job.worker_name:
        return job.worker_name
    return f"#{job.worker_id[:8]}" if job.worker_id else None
