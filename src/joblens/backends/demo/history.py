"""Jobs the demo's user ran before the demo started: their rows and whole logs, as they ended.

``joblens demo --list`` opens on the jobs list, which would be a single row without them. A
past job's script is played into the store at once, stamped as if it had run from its
creation time on (a real run is slower than the demo's, hence :data:`SLOWER`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joblens.backends.demo.store import DemoStore, now
from joblens.backends.demo.terraform import Fate, Script
from joblens.models import JobStatus, JobType

#: How much slower than the demo's own pace a past job ran.
SLOWER = 3


def play_past(
    store: DemoStore,
    job_id: str,
    script: Script,
    tendril_id: str,
    created: datetime,
    *,
    cancel_after: int | None = None,
) -> None:
    """Write ``script``'s whole run into the job's row and log, stamped from ``created``.

    ``cancel_after``: the user cancelled it after that many flushes (the Tendril stopped).
    """
    row = store.jobs[job_id]
    clock = created + timedelta(seconds=3)
    row["created_at"] = created
    store.update_job(
        job_id,
        {"status": "CLAIMED", "worker_id": tendril_id, "claimed_at": clock - timedelta(seconds=1)},
    )
    store.update_job(job_id, {"status": "PROCESSING", "started_at": clock})
    flushes = script.flushes if cancel_after is None else script.flushes[:cancel_after]
    for flush in flushes:
        clock += timedelta(seconds=flush.delay * SLOWER)
        for text, stream in flush.chunks:
            store.insert_log(job_id, text, stream, created_at=clock)
        if flush.metadata:
            store.update_job(job_id, {}, metadata=flush.metadata)
    if cancel_after is None:
        ending = {"status": script.status.value, "error_message": script.error_message}
    else:
        ending = {"status": JobStatus.CANCELLED.value, "error_message": "Cancelled by user"}
    store.update_job(job_id, {**ending, "completed_at": clock})
    row["updated_at"] = clock  # as of when it ran, not when the demo started


@dataclass(frozen=True, slots=True)
class PastJob:
    """One job of the history: what it was, on which vine (by index), how long ago."""

    job_type: JobType
    vine: int
    ago: timedelta
    fate: Fate = "success"
    cancel_after: int | None = None
    on_cloud: bool = False  # run by the cloud-hosted Tendril, not the user's own
    applies_previous: bool = False  # a DEPLOY of the PLAN just before it


#: The demo user's last two days, oldest first.
HISTORY = (
    PastJob(JobType.UPDATE_WORKER, 0, timedelta(days=2, hours=3), on_cloud=True),
    PastJob(JobType.CONNECTION_TEST, 2, timedelta(days=1, hours=5)),
    PastJob(JobType.FETCH_RESOURCES, 2, timedelta(days=1, hours=4, minutes=52)),
    PastJob(JobType.PLAN, 1, timedelta(hours=26)),
    PastJob(JobType.DEPLOY, 1, timedelta(hours=25, minutes=40), "fail", applies_previous=True),
    PastJob(JobType.DESTROY, 2, timedelta(hours=5), cancel_after=6, on_cloud=True),
    PastJob(JobType.PLAN, 0, timedelta(hours=3, minutes=12)),
    PastJob(JobType.DEPLOY, 0, timedelta(hours=3), applies_previous=True, on_cloud=True),
)

#: Creates a job: (type, vine id, fate, assigned Tendril, source plan row) -> its id.
CreateJob = Callable[[JobType, str, Fate, "str | None", "Mapping[str, Any] | None"], str]


def add_history(
    store: DemoStore,
    vine_ids: tuple[str, ...],
    tendrils: tuple[str, str],
    create: CreateJob,
    script_for: Callable[[Mapping[str, Any]], Script],
    *,
    waiting_tendril: str,
) -> list[str]:
    """Insert :data:`HISTORY`'s jobs, each run to its end, and one job still QUEUED for a
    Tendril that is offline (its wait counts up in the list); return their ids.

    ``tendrils``: the user's own Tendril and the cloud-hosted one.
    """
    stamp = now()
    ids: list[str] = []
    previous: Mapping[str, Any] | None = None
    for past in HISTORY:
        tendril = tendrils[1] if past.on_cloud else tendrils[0]
        plan = previous if past.applies_previous else None
        job_id = create(past.job_type, vine_ids[past.vine], past.fate, tendril, plan)
        play_past(
            store,
            job_id,
            script_for(store.jobs[job_id]),
            tendril,
            stamp - past.ago,
            cancel_after=past.cancel_after,
        )
        previous = store.jobs[job_id]
        ids.append(job_id)
    waiting = create(JobType.PLAN, vine_ids[2], "success", waiting_tendril, None)
    store.jobs[waiting]["created_at"] = stamp - timedelta(minutes=4, seconds=30)
    ids.append(waiting)
    return ids
