"""A simulated Tendril: claims the QUEUED jobs it may run and plays their scripts.

It does what a real Tendril does to the tables: QUEUED -> CLAIMED (worker_id, claimed_at) ->
PROCESSING (started_at) -> a terminal status (completed_at), merging execution_metadata and
inserting log chunks on the way. Unlike some real Tendrils it notices a cancellation at its next
flush and stops Terraform gracefully, as the web page promises.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Mapping
from typing import Any

from joblens.backends.demo_script import Script
from joblens.backends.demo_store import DemoStore, now
from joblens.models import JobStatus, StreamType

ScriptFor = Callable[[Mapping[str, Any]], Script]

INTERRUPTED = (
    "\nInterrupt received.\nPlease wait for Terraform to exit or data loss may occur.\n"
    "Gracefully shutting down...\n\nStopping operation...\n"
)


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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=5.0)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def _log(self, job_id: str, text: str, stream: StreamType) -> None:
        self.store.insert_log(job_id, text, stream)

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
        self._log(job_id, f"Tendril {self.name} claimed job {job_id[:8]}.\n", StreamType.SYSTEM)
        await self.clock.sleep(self.rng.uniform(0.5, 1.0))
        started = self.store.update_job(
            job_id,
            {"status": JobStatus.PROCESSING.value, "started_at": now()},
            only_if={JobStatus.CLAIMED},
        )
        if started is None:
            return
        # A Tendril that ignores cancellation writes PROCESSING with every progress update.
        progress = {"status": JobStatus.PROCESSING.value} if script.ignores_cancel else {}
        for index, flush in enumerate(script.flushes):
            if index == script.crash_before:
                await self._crash(job_id)
                return
            await self.clock.sleep(flush.delay)
            if (
                self.store.jobs[job_id]["status"] != JobStatus.PROCESSING
                and not script.ignores_cancel
            ):
                self._stop_terraform(job_id)
                return
            for text, stream in flush.chunks:
                self._log(job_id, text, stream)
            if flush.metadata:
                self.store.update_job(job_id, progress, metadata=flush.metadata)
        await self.clock.sleep(self.rng.uniform(0.3, 0.8))
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
        """Die mid-run: after the heartbeat timeout the platform re-queues the job."""
        self.abandoned.add(job_id)
        await self.clock.sleep(5.0)
        requeued = self.store.update_job(
            job_id,
            {"status": JobStatus.QUEUED.value, "worker_id": None},
            only_if={JobStatus.PROCESSING},
        )
        if requeued is not None:
            self._log(
                job_id,
                f"Tendril {self.name} stopped sending heartbeats; the job was put back in the "
                "queue and will be retried on another Tendril.\n",
                StreamType.SYSTEM,
            )

    def _stop_terraform(self, job_id: str) -> None:
        """Cancelled while running: interrupt Terraform and say so (status is left alone)."""
        self._log(job_id, INTERRUPTED, StreamType.STDERR)
        self._log(
            job_id,
            f"Job cancelled; Tendril {self.name} stopped Terraform and released the state lock.\n",
            StreamType.SYSTEM,
        )
