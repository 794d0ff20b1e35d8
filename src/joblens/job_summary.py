"""What a job came to (``joblens summary``), from its row and its whole log read once.

The job's row; a PLAN's plan digest (:mod:`joblens.plan_digest`: the figures, the cost, every
resource by action); an apply's resources (:mod:`joblens.resources`: each one's state, time and
id; for a DEPLOY of a saved plan, the PLAN job's metadata says which are still to come); and
every Terraform diagnostic (:mod:`joblens.diagnostics`); for a QUEUED job, what it waits for
(:mod:`joblens.queue_wait`). The log is read as plain mode reads
it without ``--follow`` (:class:`joblens.feed.LogFeed`: rows cut mid-line joined, text
sanitised) and each line goes once through the parsers the job needs, so a line's index here
is its number in the view and in ``joblens logs -n`` (less one). A running job is read as it
stands. How it is printed is :mod:`joblens.summary_output`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from joblens.backends.base import Backend
from joblens.diagnostics import Diagnostic, DiagnosticParser
from joblens.errors import JoblensError
from joblens.feed import LogFeed
from joblens.models import Job, JobType, LogChunk
from joblens.plan_digest import Action, PlanDigest, PlanSummary, read_metadata
from joblens.queue_wait import Waiting, waiting_of
from joblens.resources import ResourceTracker
from joblens.sanitize import plain_text, split_chunk
from joblens.secrets import mask_text

__all__ = ["JobSummary", "masked", "read_summary", "tendril_text"]

#: Jobs whose log is a plan, not an apply: their digest is read, not their resources.
_PLAN_TYPES = frozenset({JobType.PLAN})
#: A plan's action as the apply's operation on the resource (a forget touches no object).
_OPERATIONS = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.DELETE: "destroy",
    Action.REPLACE: "replace",
    Action.IMPORT: "import",
}


@dataclass(frozen=True)
class JobSummary:
    """A job and what its log says: ``plan`` for a PLAN, ``resources`` for any other job."""

    job: Job
    diagnostics: tuple[Diagnostic, ...]
    plan: PlanSummary | None = None
    resources: ResourceTracker | None = None
    lines: int = 0
    #: The resources known from the applied PLAN's metadata (those pending may be in no line).
    planned: frozenset[str] = frozenset()
    #: A QUEUED job's wait: what it waits for, and whether anything alive can claim it.
    waiting: Waiting | None = None


class _LogReader:
    """The feed's sink: each line read once, by the parsers this job needs."""

    def __init__(self, job: Job) -> None:
        self.is_plan = job.job_type in _PLAN_TYPES
        self.digest: PlanDigest | None = None
        if self.is_plan:
            self.digest = PlanDigest()
            self.digest.set_metadata(job.execution_metadata)
        self.parser = DiagnosticParser()
        self.found: list[Diagnostic] = []
        self.tracker = None if self.is_plan else ResourceTracker()
        self.planned: frozenset[str] = frozenset()
        self.count = 0

    def expect(self, planned: list[tuple[str, str]]) -> None:
        """The plan being applied, from elsewhere: its resources are pending until seen."""
        if self.tracker is not None and planned:
            self.tracker.expect(planned)
            self.planned = frozenset(address for address, _operation in planned)

    def __call__(self, chunks: list[LogChunk]) -> None:
        digest = self.digest
        if digest is not None and digest.needs_log:
            digest.feed_texts((chunk.text for chunk in chunks), at=self.count)
        tracker = self.tracker
        for chunk in chunks:
            lines = split_chunk(chunk.text)
            self.count += len(lines)
            self.found += self.parser.feed_lines(lines, chunk.stream)
            if tracker is not None:
                tracker.feed_text(chunk.text, chunk.stream)  # its indexes are the parser's

    def summary(self, job: Job) -> JobSummary:
        found = sorted(self.found + self.parser.close(), key=lambda block: block.first)
        if self.tracker is not None:
            self.tracker.close()
        plan = None if self.digest is None else self.digest.summary()
        return JobSummary(job, tuple(found), plan, self.tracker, self.count, self.planned)


async def _applied_plan(backend: Backend, job: Job) -> list[tuple[str, str]]:
    """``(address, operation)`` of each resource of the plan a DEPLOY applies, from the PLAN
    job's metadata (the apply of a saved plan does not print it); [] when not known."""
    if not job.plan_job_id:
        return []
    try:
        plan = await backend.get_job(job.plan_job_id)
    except JoblensError:  # gone, or not this user's to see: the log's word stands
        return []
    read = read_metadata(plan.execution_metadata)
    if read is None or read.resources is None:
        return []
    return [
        (resource.address, _OPERATIONS[resource.action])
        for resource in read.resources
        if resource.action in _OPERATIONS
    ]


async def read_summary(backend: Backend, job_ref: str) -> JobSummary:
    """The job ``job_ref`` names and its whole log, read once (JoblensError as any command)."""
    await backend.connect()
    try:
        job_id = await backend.resolve_job_id(job_ref)
        job = await backend.get_job(job_id)
        reader = _LogReader(job)
        if reader.tracker is not None:
            reader.expect(await _applied_plan(backend, job))
        feed = LogFeed(backend, job_id, reader)
        await feed.backfill()
        feed.close_open_lines()  # the log as written so far, to its last character
        return replace(reader.summary(job), waiting=await waiting_of(backend, job))
    finally:
        await backend.close()


def masked(text: str | None) -> str:
    """Text that may hold a secret, masked (sanitised first: see joblens.secrets)."""
    return mask_text(plain_text(text or ""))


def tendril_text(job: Job) -> str:
    """The Tendril running the job, or the one asked for (as the header says it)."""
    requested = job.assigned_worker_name or (
        f"#{job.assigned_worker_id[:8]}" if job.assigned_worker_id else "any available"
    )
    if not job.worker_id:
        return f"{requested} (requested)"
    running = job.worker_name or f"#{job.worker_id[:8]}"
    if job.assigned_worker_id and job.assigned_worker_id != job.worker_id:
        return f"{running} (requested {requested})"
    return running
