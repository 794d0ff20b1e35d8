"""A simulated Tendril: claims the QUEUED jobs it may run and plays their scripts.

It does what a real Tendril does to the tables: QUEUED -> CLAIMED (worker_id, claimed_at) ->
PROCESSING (started_at) -> a terminal status (completed_at), merging execution_metadata and
inserting log rows on the way, cut where a newer runner's flushes fall (``terraform/runner.py``).
Unlike some real Tendrils it notices a cancellation at its next flush and stops OpenTofu
gracefully, as the web page promises. One that crashes writes nothing more; the platform
re-queues the job as ``recover_stale_jobs()`` does.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from typing import Any

from joblens.backends.demo.store import DemoStore, now
from joblens.backends.demo.terraform import Flush, Script
from joblens.backends.demo.world import COLOUR_KEY
from joblens.models import JobStatus, StreamType
from joblens.runner_log import job_finished, replay
from joblens.waits import wait_set

ScriptFor = Callable[[Mapping[str, Any]], Script]

#: What OpenTofu prints (to STDOUT) when the runner interrupts it.
INTERRUPTED = (
    "\nInterrupt received.\nPlease wait for OpenTofu to exit or data loss may occur.\n"
    "Gracefully shutting down...\n\nStopping operation...\n"
)
#: Simulated seconds from a runner's death until the platform re-queues its job (its heartbeat
#: is stale by then; far shorter than the platform's own timeout, to stay watchable).
STALE_AFTER = 5.0


class Clock:
    """Simulated seconds, scaled by the demo's speed."""

    def __init__(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


class SimulatedTendril:
    """One live Tendril's loop; its jobs run as tasks of their own, in parallel."""

    def __init__(
        self,
        store: DemoStore,
        worker_id: str,
        clock: Clock,
        script_for: ScriptFor,
        claims: set[str],
        rng: random.Random,
    ) -> None:
        self.store = store
        self.worker_id = worker_id
        self.clock = clock
        self.script_for = script_for
        self.claims = claims  # shared by every Tendril: a job is claimed once
        self.rng = rng
        self.tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.abandoned: set[str] = set()  # jobs it crashed on: it does not claim them again
        store.on_job_queued(lambda _job_id: self._wake.set())

    @property
    def name(self) -> str:
        return str(self.store.workers[self.worker_id]["name"])

    def _claimable(self) -> list[str]:
        return [
            job_id
            for job_id, row in self.store.jobs.items()
            if row["status"] == JobStatus.QUEUED
            and job_id not in self.claims
            and job_id not in self.abandoned
            and row.get("assigned_worker_id") in (None, self.worker_id)
        ]

    async def run(self) -> None:
        """Claim what is claimable, then wait for a new job (or poll, as real Tendrils do)."""
        while True:
            for job_id in self._claimable():
                self.claims.add(job_id)
                task = asyncio.create_task(self._run_job(job_id), name=f"demo-job-{job_id[:8]}")
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            self._wake.clear()
            await wait_set(self._wake, 5.0)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def _log(self, job_id: str, text: str, stream: StreamType | str) -> None:
        self.store.insert_log(job_id, text, str(stream))

    def _runs_with_colour(self) -> bool:
        return bool((self.store.workers[self.worker_id].get("metadata") or {}).get(COLOUR_KEY))

    async def _run_job(self, job_id: str) -> None:
        try:
            await self._play(job_id)
        finally:
            self.claims.discard(job_id)
        if self.store.jobs[job_id]["status"] == JobStatus.QUEUED:
            self.store.announce_queued(job_id)  # put back after a crash: someone else takes it

    async def _play(self, job_id: str) -> None:
        await self.clock.sleep(self.rng.uniform(1.0, 2.0))  # the queue's poll interval
        claimed = self.store.update_job(
            job_id,
            {"status": JobStatus.CLAIMED.value, "worker_id": self.worker_id, "claimed_at": now()},
            only_if={JobStatus.QUEUED},
        )
        if claimed is None:
            return
        script = self.script_for(claimed)
        if self._runs_with_colour():
            script = script.coloured()
        death = script.death_point()
        # A Tendril that ignores cancellation writes PROCESSING with every progress update.
        progress = {"status": JobStatus.PROCESSING.value} if script.ignores_cancel else {}
        expected = JobStatus.CLAIMED
        played: Flush | None = None
        for index, flush in enumerate(script.flushes):
            if index == death:
                await self._crash(job_id)
                return
            await self.clock.sleep(flush.delay)
            if self.store.jobs[job_id]["status"] != expected and not script.ignores_cancel:
                self._stop_tofu(job_id, played, running=expected == JobStatus.PROCESSING)
                return
            if flush.starts_processing:
                started = self.store.update_job(
                    job_id,
                    {"status": JobStatus.PROCESSING.value, "started_at": now()},
                    only_if={JobStatus.CLAIMED},
                )
                if started is None:
                    return
                expected = JobStatus.PROCESSING
            for text, stream in flush.chunks:
                self._log(job_id, text, stream)
            if flush.metadata:
                self.store.update_job(job_id, progress, metadata=flush.metadata)
            played = flush
        await self.clock.sleep(self.rng.uniform(0.1, 0.3))
        self.store.update_job(
            job_id,
            {
                "status": script.status.value,
                "error_message": script.error_message,
                "completed_at": now(),
            },
            only_if=None if script.ignores_cancel else {JobStatus.PROCESSING},
        )

    async def _crash(self, job_id: str) -> None:
        """Die mid-run. A dead runner writes nothing more: what it held unsent is lost (its last
        row may end mid-line for good). After the heartbeat timeout the platform re-queues the
        job, and writes nothing to its log either."""
        self.abandoned.add(job_id)
        await self.clock.sleep(STALE_AFTER)
        recover_stale_job(self.store, job_id)

    def _stop_tofu(self, job_id: str, played: Flush | None, *, running: bool) -> None:
        """Cancelled: interrupt OpenTofu (it finishes its line and says so), send what is left
        and end; the status, set by whoever cancelled, is left alone."""
        writes = [(0.0, str(stream), text) for text, stream in (played.unsent if played else ())]
        if running:
            writes.append((0.05, StreamType.STDOUT.value, INTERRUPTED))
        writes.append((0.3, StreamType.SYSTEM.value, job_finished(JobStatus.CANCELLED.value)))
        for row in replay(writes):
            self._log(job_id, row.text, row.stream)


def recover_stale_job(store: DemoStore, job_id: str) -> dict[str, Any] | None:
    """What the platform's ``recover_stale_jobs()`` does to a job whose runner stopped
    heartbeating: back to QUEUED with its claim cleared (``worker_id``, ``claimed_at``,
    ``started_at``), for another runner to claim. Its logs stay as they are."""
    return store.update_job(
        job_id,
        {
            "status": JobStatus.QUEUED.value,
            "worker_id": None,
            "claimed_at": None,
            "started_at": None,
        },
        only_if={JobStatus.CLAIMED, JobStatus.PROCESSING},
    )
