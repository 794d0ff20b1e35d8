"""The jobs list (bare ``joblens``, ``joblens list``) as a user drives it: jobs coming and
changing live, the filters and the search, Enter into a job and Esc back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

import pytest
from textual.widgets import Static

from joblens.backends.base import ChangeEvent, LiveStarted
from joblens.errors import BackendUnavailable
from joblens.models import Job
from joblens.screens import job_list
from joblens.screens.job_list import JobListScreen
from joblens.screens.job_screen import JobScreen
from joblens.widgets.job_table import JobTable
from support.demo import T0, StaticWorld
from support.views import listed
from support.waiting import wait_for

NOW = T0 + timedelta(hours=2)


def link(screen: JobListScreen) -> str:
    return str(screen.query_one("#list-link", Static).render())


def rows(screen: JobListScreen) -> list[str]:
    table = screen.query_one(JobTable)
    return [str(table.get_option_at_index(i).prompt) for i in range(table.option_count)]


def ids(screen: JobListScreen) -> list[str]:
    return [job.id for job in screen.query_one(JobTable).jobs]


def three_jobs(world: StaticWorld) -> list[str]:
    """A failed DEPLOY, a PLAN that succeeded, a queued PLAN on another vine: oldest first."""
    return [
        world.job(job_type="DEPLOY", status="FAILED", error_message="Error: quota"),
        world.job(status="SUCCESS", created_at=T0 + timedelta(minutes=10)),
        world.job(vine_id=world.world.vine_ids[2], created_at=T0 + timedelta(minutes=20)),
    ]


async def test_the_list_shows_the_newest_first_and_a_new_job_appears_live(
    static_world: StaticWorld,
) -> None:
    failed, plan, queued = three_jobs(static_world)
    async with static_world.list_app(NOW).run_test(size=(120, 40)) as pilot:
        screen = await listed(pilot)
        assert ids(screen) == [queued, plan, failed]
        first = rows(screen)[0]
        assert "QUEUED" in first and queued[:8] in first and "acme-data" in first
        assert "1h 40m" in first and "1h ago" in first  # waiting since T0+20m, at T0+2h
        new = static_world.job(job_type="DESTROY", created_at=NOW - timedelta(seconds=30))
        await wait_for(pilot, lambda: ids(screen)[:1] == [new])
        assert "Destroy" in rows(screen)[0] and "30s ago" in rows(screen)[0]


async def test_a_queued_job_nothing_alive_can_claim_is_marked_until_its_tendril_is_back(
    static_world: StaticWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_list, "TENDRIL_REFRESH_SECONDS", 0.2)
    offline = static_world.world.offline_tendril_id
    waiting = static_world.job(assigned_worker_id=offline)
    anyone = static_world.job(created_at=T0 + timedelta(minutes=5))  # two Tendrils are online
    async with static_world.list_app(NOW).run_test(size=(120, 40)) as pilot:
        screen = await listed(pilot)

        def status_of(job_id: str) -> str:
            return rows(screen)[ids(screen).index(job_id)].split("  ")[0].strip()

        await wait_for(pilot, lambda: status_of(waiting) == "◷ QUEUED ⚠")
        assert status_of(anyone) == "◷ QUEUED"
        # Its Tendril comes back: the next read of the Tendrils takes the mark away.
        static_world.store.workers[offline].update(status="ONLINE")
        static_world.store.heartbeat([offline])
        await wait_for(pilot, lambda: status_of(waiting) == "◷ QUEUED")


async def test_the_list_says_live_only_once_changes_come_live(
    static_world: StaticWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``● live`` once the stream carries job changes; where the jobs table is not in the
    realtime publication, ``↻ every 10s`` (the re-reads alone), never ``● live``."""
    started = asyncio.Event()

    async def unpublished() -> AsyncGenerator[ChangeEvent, None]:
        await started.wait()
        yield LiveStarted(jobs=False)
        await asyncio.Event().wait()

    three_jobs(static_world)
    monkeypatch.setattr(static_world.backend, "job_changes", unpublished)
    async with static_world.list_app(NOW).run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, JobListScreen)
        await wait_for(pilot, lambda: screen.loaded)
        assert link(screen) == "connecting"
        started.set()
        await wait_for(pilot, lambda: screen.live is False and "every" in link(screen))
        assert link(screen) == "↻ every 10s"
        tooltip = str(screen.query_one("#list-link", Static).tooltip)
        assert "not in the realtime publication" in tooltip and "every 10 s" in tooltip


async def test_a_failed_re_read_shows_until_a_read_works(
    static_world: StaticWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_jobs(static_world)
    backend = static_world.backend
    list_jobs, failing = backend.list_jobs, {"now": False}

    async def flaky(*args: Any, **kwargs: Any) -> list[Job]:
        if failing["now"]:
            raise BackendUnavailable("the server did not answer")
        return await list_jobs(*args, **kwargs)

    monkeypatch.setattr(backend, "list_jobs", flaky)
    async with static_world.list_app(NOW).run_test(size=(120, 40)) as pilot:
        screen = await listed(pilot)
        assert link(screen) == "● live"
        failing["now"] = True
        await pilot.press("r")  # read again now
        await wait_for(pilot, lambda: link(screen) == "⚠ not read")
        assert "did not answer" in str(screen.query_one("#list-link", Static).tooltip)
        assert len(ids(screen)) == 3  # what was read stays
        failing["now"] = False
        await pilot.press("r")
        await wait_for(pilot, lambda: link(screen) == "● live")


async def test_a_status_change_shows_in_place_and_the_cursor_stays(
    static_world: StaticWorld,
) -> None:
    failed, plan, queued = three_jobs(static_world)
    async with static_world.list_app(NOW).run_test(size=(120, 40)) as pilot:
        screen = await listed(pilot)
        await pilot.press("down")
        assert screen.query_one(JobTable).highlighted_job.id == plan  # type: ignore[union-attr]
        static_world.set(
            queued,
            status="PROCESSING",
            worker_id=static_world.world.default_tendril_id,
            started_at=NOW - timedelta(seconds=75),
        )
        await wait_for(pilot, lambda: "PROCESSING" in rows(screen)[0])
        assert "tendril-eu-west-1" in rows(screen)[0] and "1m 15s" in rows(screen)[0]
        assert ids(screen) == [queued, plan, failed]
        assert screen.query_one(JobTable).highlighted_job.id == plan  # type: ignore[union-attr]


async def test_s_and_t_filter_by_status_and_type_and_esc_clears(
    static_world: StaticWorld,
) -> None:
    failed, plan, queued = three_jobs(static_world)
    async with static_world.list_app(NOW).run_test(size=(80, 24)) as pilot:
        screen = await listed(pilot)
        await pilot.press("s")  # active
        assert ids(screen) == [queued]
        await pilot.press("s")  # failed
        assert ids(screen) == [failed]
        await pilot.press("s", "s", "s")  # succeeded, cancelled, all
        assert ids(screen) == [queued, plan, failed]
        await pilot.press("t")  # the first type the jobs have: PLAN
        assert ids(screen) == [queued, plan]
        await pilot.press("t")  # DEPLOY
        assert ids(screen) == [failed]
        assert "Deploy" in str(screen.query_one("#list-title").render())
        await pilot.press("s")
        assert ids(screen) == [] and screen.query_one("#list-empty").display
        await pilot.press("escape")
        assert ids(screen) == [queued, plan, failed]


async def test_search_finds_jobs_by_id_vine_and_tendril(static_world: StaticWorld) -> None:
    failed, plan, queued = three_jobs(static_world)
    async with static_world.list_app(NOW).run_test(size=(80, 24)) as pilot:
        screen = await listed(pilot)
        await pilot.press("slash", *plan[:6])
        assert ids(screen) == [plan]
        await pilot.press("escape")
        await pilot.press("slash", *"DATA")  # the vine acme-data, any case
        assert ids(screen) == [queued]
        await pilot.press("enter")  # keeps the search, back in the table
        assert isinstance(screen.focused, JobTable) and ids(screen) == [queued]
        await pilot.press("escape", "slash", *"eu-west")  # the Tendril that ran the others
        assert ids(screen) == [plan, failed]
        await pilot.press(*"s")  # typed, not the status filter
        assert ids(screen) == [] and screen.status_filter == 0


async def test_enter_opens_the_job_and_esc_comes_back_to_the_list(
    static_world: StaticWorld,
) -> None:
    failed, plan, _ = three_jobs(static_world)
    async with static_world.list_app(NOW).run_test(size=(80, 24)) as pilot:
        screen = await listed(pilot)
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
        job_view = pilot.app.screen
        assert isinstance(job_view, JobScreen) and job_view.job.id == failed
        assert job_view.job.config_snapshot  # the whole job, not the list's row
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        assert screen.query_one(JobTable).highlighted_job.id == failed  # type: ignore[union-attr]
        static_world.set(plan, status="CANCELLED")  # live while the job was open, and after
        await wait_for(pilot, lambda: "CANCELLED" in rows(screen)[1])


async def test_a_job_opened_directly_has_no_list_to_go_back_to(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
        screen = pilot.app.screen
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is screen
