"""The demo's in-memory tables, shaped like the platform's rows, with change notifications.

Rows are plain dicts with the platform's column names, so the demo parses them with the same
``from_row`` functions as the Supabase backend. Log ids come from one bigint-like counter, like
the deployed ``job_logs`` table's identity column.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from joblens.models import JOB_COLUMNS, JSON_COLUMNS, Job, LogChunk


def now() -> datetime:
    return datetime.now(UTC)


class DemoStore:
    """``provision_jobs``, ``job_logs``, ``workers`` and the tables they refer to."""

    def __init__(self, new_id: Callable[[], str]) -> None:
        self.new_id = new_id
        self.jobs: dict[str, dict[str, Any]] = {}
        self.workers: dict[str, dict[str, Any]] = {}
        self.vines: dict[str, dict[str, Any]] = {}
        self.vineyards: dict[str, dict[str, Any]] = {}
        self.identities: dict[str, dict[str, Any]] = {}
        self._logs: dict[str, list[dict[str, Any]]] = {}
        self._log_ids = itertools.count(1)
        # A job's live subscribers get its log chunks and its row's updates, in commit order
        # (as realtime sends INSERTs of the logs and UPDATEs of provision_jobs on one channel).
        self._subscribers: dict[str, set[asyncio.Queue[LogChunk | Job]]] = {}
        self._job_listeners: list[Callable[[str], None]] = []
        # Watchers of every job's row (the jobs list): each insert and update, as realtime
        # sends INSERTs and UPDATEs of provision_jobs to a channel without a filter.
        self._row_watchers: set[asyncio.Queue[Job]] = set()
        #: Every status each job has had, in order: how tests see a job's whole journey.
        self.status_history: dict[str, list[str]] = {}

    # provision_jobs

    def insert_job(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a job with the table's defaults; tell the listeners (the Tendrils)."""
        stamp = now()
        row: dict[str, Any] = dict.fromkeys(JOB_COLUMNS + JSON_COLUMNS)
        row.update(status="QUEUED", config_snapshot={}, created_at=stamp, updated_at=stamp)
        row.update(fields)
        row["id"] = row["id"] or self.new_id()
        self.jobs[row["id"]] = row
        self.status_history[row["id"]] = [str(row["status"])]
        self._tell_watchers(row)
        self.announce_queued(row["id"])
        return row

    def update_job(
        self,
        job_id: str,
        changes: Mapping[str, Any],
        *,
        only_if: Collection[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """One conditional update: None when the row is absent or its status is not in ``only_if``.

        ``metadata`` is merged into ``execution_metadata``, as the platform's status update does.
        """
        row = self.jobs.get(job_id)
        if row is None or (
            only_if is not None and str(row["status"]) not in set(map(str, only_if))
        ):
            return None
        before = str(row["status"])
        row.update(changes)
        if str(row["status"]) != before:
            self.status_history.setdefault(job_id, []).append(str(row["status"]))
        if metadata:
            merged = dict(row["execution_metadata"] or {})
            merged.update(metadata)
            row["execution_metadata"] = merged
        row["updated_at"] = now()
        if job_id in self._subscribers:
            changed = Job.from_row(row)  # the bare row, without embeds, as realtime sends it
            for queue in self._subscribers[job_id]:
                queue.put_nowait(changed)
        self._tell_watchers(row)
        return row

    def watch_jobs(self) -> asyncio.Queue[Job]:
        """A queue of every job row inserted or updated from now on (bare, without embeds)."""
        queue: asyncio.Queue[Job] = asyncio.Queue()
        self._row_watchers.add(queue)
        return queue

    def unwatch_jobs(self, queue: asyncio.Queue[Job]) -> None:
        self._row_watchers.discard(queue)

    def _tell_watchers(self, row: Mapping[str, Any]) -> None:
        if self._row_watchers:
            changed = Job.from_row(row)
            for queue in self._row_watchers:
                queue.put_nowait(changed)

    def newest_jobs(
        self, user_id: str, statuses: Collection[str], types: Collection[str], limit: int
    ) -> list[dict[str, Any]]:
        """The user's jobs with one of ``statuses`` and ``types`` (empty: any), newest first."""
        wanted_status, wanted_type = set(map(str, statuses)), set(map(str, types))
        rows = [
            row
            for row in self.jobs.values()
            if row.get("user_id") == user_id
            and (not wanted_status or str(row.get("status")) in wanted_status)
            and (not wanted_type or str(row.get("job_type")) in wanted_type)
        ]
        rows.sort(key=lambda row: row["created_at"], reverse=True)
        return rows[:limit]

    def on_job_queued(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(job_id)`` whenever a job is inserted or put back in the queue."""
        self._job_listeners.append(listener)

    def announce_queued(self, job_id: str) -> None:
        for listener in list(self._job_listeners):
            listener(job_id)

    def job_view(self, job_id: str) -> dict[str, Any] | None:
        """The row with the embeds joblens selects (Tendril names, vine, vineyard, identity)."""
        row = self.jobs.get(job_id)
        if row is None:
            return None
        view = dict(row)
        worker = self.workers.get(row.get("worker_id") or "")
        assigned = self.workers.get(row.get("assigned_worker_id") or "")
        view["worker"] = {"name": worker["name"]} if worker else None
        view["assigned_worker"] = {"name": assigned["name"]} if assigned else None
        view["vine"] = self.vines.get(row.get("vine_id") or "")
        view["vineyard"] = self.vineyards.get(row.get("vineyard_id") or "")
        identity = self.identities.get(row.get("cloud_identity_id") or "")
        # Only provider and name: a real identity's credentials are never selected.
        view["cloud_identity"] = (
            {"provider": identity.get("provider"), "name": identity.get("name")}
            if identity
            else None
        )
        return view

    # job_logs

    def insert_log(
        self, job_id: str, text: str, stream: str, created_at: datetime | None = None
    ) -> LogChunk:
        """Commit one chunk and deliver it to the job's live subscribers."""
        row = {
            "id": next(self._log_ids),
            "job_id": job_id,
            "log_chunk": text,
            "stream_type": str(stream),
            "created_at": created_at or now(),
        }
        self._logs.setdefault(job_id, []).append(row)
        chunk = LogChunk.from_row(row)
        for queue in self._subscribers.get(job_id, ()):
            queue.put_nowait(chunk)
        return chunk

    def log_rows(self, job_id: str) -> list[dict[str, Any]]:
        """The job's log rows, by id (insertion order is id order)."""
        return self._logs.get(job_id, [])

    def subscribe(self, job_id: str) -> asyncio.Queue[LogChunk | Job]:
        queue: asyncio.Queue[LogChunk | Job] = asyncio.Queue()
        self._subscribers.setdefault(job_id, set()).add(queue)
        return queue

    def unsubscribe(self, job_id: str, queue: asyncio.Queue[LogChunk | Job]) -> None:
        queues = self._subscribers.get(job_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._subscribers[job_id]

    def subscriber_count(self, job_id: str) -> int:
        return len(self._subscribers.get(job_id, ()))

    # workers

    def insert_worker(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": self.new_id(),
            "user_id": None,
            "mode": "self-hosted",
            "status": "OFFLINE",
            "last_heartbeat": None,
            "version": None,
            "is_default": False,
            "metadata": {},
            "created_at": now(),
        }
        row.update(fields)
        self.workers[row["id"]] = row
        return row

    def heartbeat(self, worker_ids: Iterable[str]) -> None:
        stamp = now()
        for worker_id in worker_ids:
            if worker_id in self.workers:
                self.workers[worker_id]["last_heartbeat"] = stamp
