"""How the jobs list looks (pytest-textual-snapshot): at 80x24 every column, at 60x15 the ones
that fit (the Tendril and the vine dropped whole, nothing cut mid-word). The list's clock is
fixed, so ages and running durations read the same on every run. Update after an intended
change with ``./dev test tests/ui/test_job_list_snapshots.py --snapshot-update``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from joblens.screens.job_list import JobListScreen
from support.demo import T0, StaticWorld
from support.waiting import wait_for

NOW = T0 + timedelta(hours=5)


def _world() -> StaticWorld:
    """Jobs of every status and several types, on two vines and two Tendrils."""
    world = StaticWorld()
    refs = world.world
    at = T0 - timedelta(days=1)
    world.job(job_type="CONNECTION_TEST", status="SUCCESS", vine_id=refs.vine_ids[2], created_at=at)
    world.job(
        job_type="DEPLOY",
        status="FAILED",
        error_message="Error: quota",
        created_at=T0,
        worker_id=refs.cloud_tendril_id,
    )
    world.job(job_type="DESTROY", status="CANCELLED", created_at=T0 + timedelta(hours=2))
    world.job(status="SUCCESS", created_at=T0 + timedelta(hours=4))
    world.job(
        job_type="DEPLOY",
        status="PROCESSING",
        created_at=NOW - timedelta(minutes=3),
        started_at=NOW - timedelta(minutes=2, seconds=5),
    )
    world.job(
        job_type="FETCH_RESOURCES",
        vine_id=refs.vine_ids[2],
        assigned_worker_id=refs.offline_tendril_id,
        created_at=NOW - timedelta(seconds=40),
    )
    return world


async def _listed(pilot: Pilot[Any]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobListScreen))
    screen = pilot.app.screen
    assert isinstance(screen, JobListScreen)
    await wait_for(pilot, lambda: screen.loaded)
    # The queued job on the offline Tendril is marked (◷ QUEUED ⚠) once the Tendrils are read.
    await wait_for(pilot, lambda: screen.tendrils is not None)
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", [(80, 24), (60, 15)])
def test_the_jobs_list(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(_world().list_app(NOW), terminal_size=size, run_before=_listed)


def test_the_jobs_list_filtered_and_searched(snap_compare: Any) -> None:
    async def filtered(pilot: Pilot[Any]) -> None:
        await _listed(pilot)
        # DEPLOY (the fourth type the jobs have, in the platform's order) on the EU Tendrils.
        # Enter keeps the search and leaves the field (whose cursor blinks on a timer).
        await pilot.press("t", "t", "t", "t", "slash", *"eu-", "enter")
        await pilot.pause(0.2)

    assert snap_compare(_world().list_app(NOW), terminal_size=(80, 24), run_before=filtered)
