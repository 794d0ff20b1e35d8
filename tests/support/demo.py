"""The demo backend as the view's tests use it: jobs that change only when a test says."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from joblens.app import JoblensApp
from joblens.backends.demo import DemoBackend
from support.views import QUICK_POLL, make_app

#: A fixed moment the static jobs are stamped with.
T0 = datetime(2026, 11, 28, 9, 30, 0, tzinfo=UTC)


def write_demo_logs(backend: DemoBackend, job_id: str, chunks: Iterable[tuple[str, str]]) -> None:
    """Append log rows ``(text, stream_type)`` to a demo job, in this order."""
    for text, stream in chunks:
        backend.write_log(job_id, text, stream)


class StaticWorld:
    """A demo backend whose jobs only change when a test changes them."""

    def __init__(self, poll_seconds: float = QUICK_POLL) -> None:
        self.backend = DemoBackend(speed=100.0, seed=11, simulate=False)
        self.store = self.backend.store
        self.world = self.backend.world
        #: How often the apps made by `app` poll a job's row (the app's own default is 3 s).
        self.poll_seconds = poll_seconds

    def job(self, **fields: Any) -> str:
        """A job stamped from T0: PLAN by default; terminal ones ran 4m 10s."""
        values: dict[str, Any] = {
            "job_type": "PLAN",
            "status": "QUEUED",
            "user_id": self.world.user_id,
            "vine_id": self.world.vine_ids[0],
            "vineyard_id": self.world.vineyard_id,
            "cloud_identity_id": self.world.identity_id,
            "config_snapshot": {"project_name": "acme", "db_password": "hunter2", "nodes": 3},
            "created_at": T0,
            "updated_at": T0 + timedelta(seconds=253),
        }
        status = fields.get("status", "QUEUED")
        if status != "QUEUED":
            values.update(
                worker_id=self.world.default_tendril_id,
                assigned_worker_id=self.world.default_tendril_id,
                claimed_at=T0 + timedelta(seconds=2),
            )
        if status in ("PROCESSING", "SUCCESS", "FAILED", "CANCELLED"):
            values["started_at"] = T0 + timedelta(seconds=3)
        if status in ("SUCCESS", "FAILED", "CANCELLED"):
            values["completed_at"] = T0 + timedelta(seconds=253)
        values.update(fields)
        row = self.store.insert_job(values)
        return str(row["id"])

    def logs(self, job_id: str, *chunks: tuple[str, str]) -> None:
        write_demo_logs(self.backend, job_id, chunks)

    def set(self, job_id: str, **changes: Any) -> None:
        self.store.update_job(job_id, changes)

    def app(self, job_ref: str) -> JoblensApp:
        return make_app(self.backend, job_ref, poll_seconds=self.poll_seconds)

    def list_app(self, now: datetime | None = None) -> JoblensApp:
        """The app on the jobs list (bare ``joblens``); ``now``: the list's fixed clock."""
        clock = None if now is None else (lambda: now)
        return JoblensApp(self.backend, None, clock=clock, poll_seconds=self.poll_seconds)
