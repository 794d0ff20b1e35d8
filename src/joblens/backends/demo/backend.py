"""The embedded demo backend: in-memory tables, simulated Tendrils, realistic Terraform jobs.

``joblens demo`` runs on it, so the job view works on a fresh machine without Supabase. It keeps
docs/PLATFORM.md's semantics (conditional cancel, what Re-run and Apply insert, bigint log ids,
Tendril liveness) and is checked by the same contract tests as the Supabase backend.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import random
import uuid
from collections.abc import AsyncGenerator, Collection, Iterator, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from joblens.actions import CANCELLABLE, cancel_changes, check_tendril, deploy_row, rerun_row
from joblens.backends.base import (
    DEPLOYS_LISTED,
    JOBS_LISTED,
    PAGE_SIZE,
    Backend,
    ChangeEvent,
    ChunksArrived,
    FollowEvent,
    JobChanged,
    LiveInterrupted,
    LiveStarted,
)
from joblens.backends.demo.history import add_history, play_past
from joblens.backends.demo.scenarios import SCENARIOS
from joblens.backends.demo.store import DemoStore, now
from joblens.backends.demo.tendril import Clock, SimulatedTendril
from joblens.backends.demo.terraform import Fate, JobContext, Script, build_script
from joblens.backends.demo.world import (
    World,
    config_snapshot,
    configuration_hash,
    populate,
    set_colour,
)
from joblens.errors import JobNotFound
from joblens.models import (
    Job,
    JobRef,
    JobState,
    JobType,
    LogChunk,
    StreamType,
    Tendril,
)

#: Real seconds between heartbeats: not scaled, so a slow demo's Tendrils stay live.
HEARTBEAT_SECONDS = 5.0
#: How long "Subscribed to PostgreSQL" takes, in seconds (less when the demo runs faster).
SUBSCRIBE_DELAY = 0.3
#: How long a simulated realtime drop lasts, in simulated seconds.
OUTAGE_SECONDS = 3.0


class DemoBackend(Backend):
    """An in-process platform: the scenarios' jobs, five Tendrils, two of which run jobs."""

    name = "demo"

    def __init__(
        self,
        speed: float = 1.0,
        *,
        seed: int | None = None,
        simulate: bool = True,
        ansi: bool = False,
    ) -> None:
        """``speed`` scales every delay; ``seed`` makes ids and output repeatable.

        With ``simulate=False`` no Tendril runs jobs (the contract tests drive every change).
        With ``ansi`` the Tendrils run OpenTofu with colour; real runners never do (they pass
        ``-no-color``), so by default the output is plain text, as real logs are.
        """
        self.clock = Clock(speed)
        self._seed = seed
        self._rng = random.Random(seed)
        self.store = DemoStore(self._new_id)
        self.world: World = populate(self.store, ansi=ansi)
        self._simulate = simulate
        self._fates: dict[str, Fate] = {}
        self._attempts: dict[str, int] = {}
        self._drop_every: float | None = None  # simulated seconds between realtime drops
        self._claims: set[str] = set()
        self._tendrils: list[SimulatedTendril] = []
        self._tasks: list[asyncio.Task[None]] = []

    # ids and randomness

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _rng_for(self, job_id: str) -> random.Random:
        """A job's own generator: its output does not depend on what else runs."""
        return (
            random.Random(f"{self._seed}:{job_id}") if self._seed is not None else random.Random()
        )

    # lifecycle

    async def connect(self) -> None:
        """Start the live Tendrils; jobs created before now start running."""
        if not self._simulate or self._tasks:
            return
        for worker_id in self.world.live_tendril_ids:
            tendril = SimulatedTendril(
                self.store,
                worker_id,
                self.clock,
                self._script_for,
                self._claims,
                self._rng_for(worker_id),
            )
            self._tendrils.append(tendril)
            self._tasks.append(asyncio.create_task(tendril.run(), name=f"demo-{tendril.name}"))
        self._tasks.append(asyncio.create_task(self._beat(), name="demo-heartbeats"))

    async def close(self) -> None:
        """Stop the Tendrils and their runs."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for tendril in self._tendrils:
            await tendril.stop()
        self._tasks.clear()
        self._tendrils.clear()

    async def _beat(self) -> None:
        while True:
            self.store.heartbeat(self.world.beating_tendril_ids)
            await asyncio.sleep(HEARTBEAT_SECONDS)

    @property
    def running_job_ids(self) -> frozenset[str]:
        """Jobs a simulated Tendril is working on (waiting to claim, or running)."""
        return frozenset(self._claims)

    # scenarios

    def start_scenario(self, name: str, *, ansi: bool | None = None) -> str:
        """Create the scenario's job (it runs once connected); return its id.

        ``ansi`` (when given) makes the Tendrils run OpenTofu with or without colour from now on.
        "requeued": the first Tendril dies mid-apply, the platform re-queues the job as
        ``recover_stale_jobs()`` does, and the other Tendril claims it and finishes.
        """
        if ansi is not None:
            set_colour(self.store, self.world, ansi)
        staging = self.world.vine_ids[0]
        if name == "plan":
            return self._create_job(JobType.PLAN, staging, "success", self.world.default_tendril_id)
        if name == "deploy-fail":
            plan = self._finished_plan(staging)
            return self._create_job(JobType.DEPLOY, staging, "fail", None, plan)
        if name == "long":
            return self._create_job(JobType.DEPLOY, staging, "long", self.world.default_tendril_id)
        if name == "cancel-ignored":
            return self._create_job(JobType.DEPLOY, staging, "cancel-ignored", None)
        if name == "requeued":
            return self._create_job(JobType.DEPLOY, staging, "requeued", None)
        if name == "flaky-realtime":
            self._drop_every = 15.0
            return self._create_job(JobType.DEPLOY, staging, "success", None)
        raise ValueError(f"unknown scenario {name!r}: choose one of {', '.join(SCENARIOS)}")

    def _create_job(
        self,
        job_type: JobType,
        vine_id: str,
        fate: Fate,
        tendril_id: str | None,
        plan: Mapping[str, Any] | None = None,
    ) -> str:
        vine = self.store.vines[vine_id]
        snapshot = dict(plan["config_snapshot"]) if plan else config_snapshot(vine, self._rng)
        row = self.store.insert_job(
            {
                "user_id": self.world.user_id,
                "job_type": job_type.value,
                "vine_id": vine_id,
                "vineyard_id": self.world.vineyard_id,
                "cloud_identity_id": self.world.identity_id,
                "config_snapshot": snapshot,
                "configuration_hash": configuration_hash(snapshot),
                "assigned_worker_id": tendril_id,
                "plan_job_id": plan["id"] if plan else None,
            }
        )
        self._fates[row["id"]] = fate
        return str(row["id"])

    def _finished_plan(self, vine_id: str) -> dict[str, Any]:
        """A PLAN that ran an hour ago, with its logs: the failing DEPLOY's source."""
        tendril = self.world.default_tendril_id
        plan_id = self._create_job(JobType.PLAN, vine_id, "success", tendril)
        row = self.store.jobs[plan_id]
        script = self._script_for(row)
        play_past(self.store, plan_id, script, tendril, now() - timedelta(hours=1, minutes=12))
        return row

    def add_history(self) -> list[str]:
        """The user's jobs of the last two days, ended, and one waiting in the queue (for the
        jobs list: ``joblens demo --list``); their ids. Call before ``connect``."""
        world = self.world
        return add_history(
            self.store,
            world.vine_ids,
            (world.default_tendril_id, world.cloud_tendril_id),
            self._create_job,
            self._script_for,
            waiting_tendril=world.offline_tendril_id,
        )

    def _script_for(self, row: Mapping[str, Any]) -> Script:
        plan_id = row.get("plan_job_id")
        plan = self.store.jobs.get(plan_id) if plan_id else None
        context = JobContext(
            job_id=str(row["id"]),
            job_type=str(row["job_type"]),
            fate=self._fates.get(row["id"], "success"),
            config=row.get("config_snapshot") or {},
            plan_job_id=plan_id,
            plan_metadata=plan.get("execution_metadata") if plan else None,
        )
        script = build_script(context, self._rng_for(str(row["id"])))
        attempt = self._attempts[row["id"]] = self._attempts.get(row["id"], 0) + 1
        if context.fate == "cancel-ignored":
            script = replace(script, ignores_cancel=True)
        elif context.fate == "requeued" and attempt == 1:
            script = replace(script, crash_before=script.mid_apply())
        return script

    # reading

    async def resolve_job_id(self, ref: str) -> str:
        job_ref = JobRef.parse(ref)
        text = job_ref.full_id or ref.strip().lower()
        if text in self.store.jobs:
            return text
        matches = [job_id for job_id in self.store.jobs if job_ref.matches(job_id)]
        if not matches:
            what = job_ref.full_id or f"with an id starting {job_ref.digits}"
            raise JobNotFound(f"no job {what} (or it is not visible to you)")
        if len(matches) > 1:
            raise JobNotFound(
                f"{ref.strip()} matches {len(matches)} jobs: give more digits of the id"
            )
        return matches[0]

    async def get_job(self, job_id: str) -> Job:
        view = self.store.job_view(job_id)
        if view is None:
            raise JobNotFound(f"no job {job_id} (or it is not visible to you)")
        return Job.from_row(view)

    async def get_job_state(self, job_id: str) -> JobState:
        row = self.store.jobs.get(job_id)
        if row is None:
            raise JobNotFound(f"no job {job_id} (or it is not visible to you)")
        return JobState.from_row(row)

    async def fetch_logs(
        self, job_id: str, *, after: LogChunk | None = None, limit: int = PAGE_SIZE
    ) -> list[LogChunk]:
        rows = self.store.log_rows(job_id)
        start = 0
        if after is not None:
            start = bisect.bisect_right(rows, _log_id(after), key=lambda r: int(r["id"]))
        return [LogChunk.from_row(r) for r in rows[start : start + max(limit, 0)]]

    async def fetch_latest_logs(
        self, job_id: str, *, before: LogChunk | None = None, limit: int = PAGE_SIZE
    ) -> list[LogChunk]:
        rows = self.store.log_rows(job_id)
        end = len(rows)
        if before is not None:
            end = bisect.bisect_left(rows, _log_id(before), key=lambda r: int(r["id"]))
        start = max(end - max(limit, 0), 0)
        return [LogChunk.from_row(r) for r in rows[start:end]]

    async def count_logs(
        self, job_id: str, *, after: LogChunk | None = None, upto: LogChunk | None = None
    ) -> int | None:
        rows = self.store.log_rows(job_id)
        start = 0 if after is None else bisect.bisect_right(rows, _log_id(after), key=_row_id)
        end = len(rows) if upto is None else bisect.bisect_right(rows, _log_id(upto), key=_row_id)
        return max(0, end - start)

    async def follow_logs(self, job_id: str) -> AsyncGenerator[FollowEvent, None]:
        """LiveStarted once subscribed, then every commit as it happens, until closed."""
        # Subscribe before announcing: a chunk committed during the caller's backfill is
        # then delivered live too (the feed drops the repeat).
        loop = asyncio.get_running_loop()
        while True:
            queue = self.store.subscribe(job_id)
            try:
                # Never slower than a real subscription, even in a slowed-down demo.
                await asyncio.sleep(min(SUBSCRIBE_DELAY, SUBSCRIBE_DELAY / self.clock.speed))
                yield LiveStarted()
                drop_at = None
                if self._drop_every is not None:
                    drop_at = loop.time() + self._drop_every / self.clock.speed
                while True:
                    try:
                        async with asyncio.timeout_at(drop_at):
                            batch = [await queue.get()]
                    except TimeoutError:
                        break
                    while not queue.empty():
                        batch.append(queue.get_nowait())
                    for event in _events_of(batch):
                        yield event
            finally:
                self.store.unsubscribe(job_id, queue)
            # Simulated drop: what is committed until the next subscription is only backfilled.
            yield LiveInterrupted("realtime channel closed (simulated); reconnecting")
            await self.clock.sleep(OUTAGE_SECONDS)

    async def list_tendrils(self) -> list[Tendril]:
        rows = sorted(
            self.store.workers.values(), key=lambda w: (not w.get("is_default"), w["name"])
        )
        return [Tendril.from_row(w) for w in rows]

    # actions

    async def cancel_job(self, job_id: str) -> bool:
        row = self.store.update_job(job_id, cancel_changes(), only_if=set(CANCELLABLE))
        if row is None and job_id not in self.store.jobs:
            raise JobNotFound(f"no job {job_id} (or it is not visible to you)")
        return row is not None

    async def rerun_job(self, job: Job) -> Job:
        fields = {**rerun_row(job), "user_id": job.user_id or self.world.user_id}
        # A long job re-runs long; a failed one was a capacity error, which passes on retry.
        fate: Fate = "long" if self._fates.get(job.id) == "long" else "success"
        row = self.store.insert_job(fields)
        self._fates[row["id"]] = fate
        return await self.get_job(row["id"])

    async def apply_plan(self, plan: Job, tendril_id: str | None) -> Job:
        source = await self.get_job(plan.id)  # as stored now, not as the screen last saw it
        fields = {**deploy_row(source, tendril_id), "user_id": source.user_id or self.world.user_id}
        if tendril_id is not None:
            worker = self.store.workers.get(tendril_id)
            check_tendril(Tendril.from_row(worker) if worker is not None else None)
        row = self.store.insert_job(fields)
        self._fates[row["id"]] = "success"
        return await self.get_job(row["id"])

    async def list_deploys(self, plan_id: str) -> list[Job]:
        rows = [
            row
            for row in self.store.jobs.values()
            if row.get("plan_job_id") == plan_id and str(row.get("job_type")) == JobType.DEPLOY
        ]
        rows.sort(key=lambda row: row["created_at"], reverse=True)
        return [
            Job.from_row(self.store.job_view(row["id"]) or row) for row in rows[:DEPLOYS_LISTED]
        ]

    # the jobs list

    async def list_jobs(
        self,
        statuses: Collection[str] = (),
        types: Collection[str] = (),
        limit: int = JOBS_LISTED,
    ) -> list[Job]:
        """The user's newest jobs (RLS: only the world's user's), newest first."""
        limit = max(0, min(limit, PAGE_SIZE))
        rows = self.store.newest_jobs(self.world.user_id, statuses, types, limit)
        return [Job.from_row(self.store.job_view(row["id"]) or row) for row in rows]

    async def job_changes(self) -> AsyncGenerator[ChangeEvent, None]:
        """LiveStarted once subscribed, then every insert and update of the user's jobs."""
        queue = self.store.watch_jobs()
        try:
            await asyncio.sleep(min(SUBSCRIBE_DELAY, SUBSCRIBE_DELAY / self.clock.speed))
            yield LiveStarted()
            while True:
                job = await queue.get()
                if job.user_id == self.world.user_id:
                    yield JobChanged(job)
        finally:
            self.store.unwatch_jobs(queue)

    # seeding (tests)

    def write_log(self, job_id: str, text: str, stream: StreamType | str) -> LogChunk:
        """Commit one chunk, as a Tendril would."""
        return self.store.insert_log(job_id, text, str(stream))


def _events_of(batch: list[LogChunk | Job]) -> Iterator[FollowEvent]:
    """Queued commits as follow events, in commit order: runs of chunks, and row updates."""
    chunks: list[LogChunk] = []
    for item in batch:
        if isinstance(item, LogChunk):
            chunks.append(item)
            continue
        if chunks:
            yield ChunksArrived(tuple(chunks))
            chunks = []
        yield JobChanged(item)
    if chunks:
        yield ChunksArrived(tuple(chunks))


def _row_id(row: Mapping[str, Any]) -> int:
    return int(row["id"])


def _log_id(chunk: LogChunk) -> int:
    if isinstance(chunk.id, int):
        return chunk.id
    with contextlib.suppress(ValueError):
        return int(chunk.id)
    raise ValueError(f"demo log ids are integers, not {chunk.id!r}")
