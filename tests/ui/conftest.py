"""Fixtures for the job view's Pilot tests: the demo backend with jobs in chosen states."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from joblens.app import JoblensApp
from joblens.backends.demo import DemoBackend
from joblens.screens import job_screen
from joblens.widgets.log import LogPane

# Timestamps in snapshots and assertions read the same on every machine.
os.environ["TZ"] = "UTC"
time.tzset()

#: A fixed moment the static jobs are stamped with.
T0 = datetime(2026, 11, 28, 9, 30, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll status every 0.1 s instead of 3 s, so tests see changes quickly."""
    monkeypatch.setattr(job_screen, "POLL_SECONDS", 0.1)


@pytest.fixture(autouse=True)
def no_system_clipboard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Never touch the developer's real clipboard; record what pyperclip was asked to copy."""
    import pyperclip

    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    return copied


class StaticWorld:
    """A demo backend whose jobs only change when a test changes them."""

    def __init__(self) -> None:
        self.backend = DemoBackend(speed=100.0, seed=11, simulate=False)
        self.store = self.backend.store
        self.world = self.backend.world

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
        for text, stream in chunks:
            self.backend.write_log(job_id, text, stream)

    def set(self, job_id: str, **changes: Any) -> None:
        self.store.update_job(job_id, changes)

    def app(self, job_ref: str) -> JoblensApp:
        return JoblensApp(self.backend, job_ref)


@pytest.fixture
def static_world() -> StaticWorld:
    return StaticWorld()


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until ``condition()`` holds; fail with a clear message after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for the condition")
        await pilot.pause(0.02)


async def opened(pilot: Pilot[Any]) -> job_screen.JobScreen:
    """Wait for the job screen to replace the connecting screen."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, job_screen.JobScreen))
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, job_screen.JobScreen)
    return screen


async def opened_pane(pilot: Pilot[Any], lines: int) -> LogPane:
    """The job screen's log pane, once it holds ``lines`` lines."""
    pane = (await opened(pilot)).query_one(LogPane)
    await wait_for(pilot, lambda: pane.line_count == lines)
    return pane


def pane_lines(pane: LogPane) -> list[str]:
    """Every line the pane shows: the stored ones, then each stream's unfinished one."""
    return [pane.line_text(i) for i in range(pane.line_count)] + pane.open_lines
