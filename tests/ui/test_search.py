"""Searching the log from the job view: "/", Enter, n / N, Escape, and what keys mean meanwhile."""

from __future__ import annotations

from joblens.screens.confirm import ConfirmScreen
from joblens.screens.job_screen import JobScreen
from joblens.widgets.log import LogPane
from joblens.widgets.log.follow import LogFollowIndicator
from joblens.widgets.log.search_bar import LogSearchBar
from support.demo import StaticWorld
from support.views import notes, opened, opened_pane
from support.waiting import wait_for


async def test_slash_searches_and_typing_in_the_field_triggers_no_action(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(
        job_id,
        *((f"refreshing {i}\n", "STDOUT") for i in range(120)),
        ("\x1b[31mError:\x1b[0m creating cancel-protected bucket\n", "STDERR"),
        *((f"applying {i}\n", "STDOUT") for i in range(80)),
    )
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        pane = screen.query_one(LogPane)
        bar = screen.query_one(LogSearchBar)
        await wait_for(pilot, lambda: pane.line_count == 201)
        assert not bar.display or not bar.has_class("-open")
        await pilot.press("slash")
        assert bar.has_class("-open") and bar.has_focus
        await pilot.press(*"error: creating cancel")  # c, a, r... are text here
        assert isinstance(pilot.app.screen, JobScreen)
        assert static_world.store.jobs[job_id]["status"] == "PROCESSING"
        await pilot.press("enter")
        assert not bar.has_class("-open") and pane.has_focus
        assert pane.match_line == 120 and not pane.following
        indicator = screen.query_one(LogFollowIndicator)
        # The match moved to, and how many there are in all (one).
        await wait_for(
            pilot, lambda: "/error: creating cancel 1/1 · n next" in str(indicator.render())
        )
        await pilot.press("slash")
        assert bar.value == "error: creating cancel"  # the last search, to edit
        await pilot.press("escape")  # closes the field; the search stays
        assert not bar.has_class("-open") and pane.search_text == "error: creating cancel"
        await pilot.press("escape")  # clears the search
        assert pane.search_text is None
        await wait_for(pilot, lambda: "/" not in str(indicator.render()))
        await pilot.press("c")  # keys act on the job again
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))


async def test_a_search_that_finds_nothing_says_so_and_leaves_the_view(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="SUCCESS")
    static_world.logs(job_id, *((f"line {i}\n", "STDOUT") for i in range(100)))
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, 100)
        before = pane.scroll_y
        await pilot.press("slash", *"no such thing", "enter")
        await wait_for(pilot, lambda: any("No line matches" in n for n in notes(pilot.app)))
        assert pane.scroll_y == before and pane.following and pane.search_text is None


async def test_escape_clears_a_search_before_it_goes_back(static_world: StaticWorld) -> None:
    plan_id = static_world.job(status="SUCCESS")
    static_world.logs(plan_id, ("Plan: 1 to add, 0 to change, 0 to destroy.\n", "STDOUT"))
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        plan_screen = await opened(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: pilot.app.screen is not plan_screen)
        await pilot.press("enter")  # "Any available" Tendril
        await wait_for(
            pilot,
            lambda: isinstance(pilot.app.screen, JobScreen) and pilot.app.screen is not plan_screen,
        )
        deploy_screen = pilot.app.screen
        deploy_id = deploy_screen.job.id  # type: ignore[attr-defined]
        static_world.logs(deploy_id, ("Apply complete! Resources: 1 added.\n", "STDOUT"))
        pane = deploy_screen.query_one(LogPane)
        await wait_for(pilot, lambda: pane.line_count >= 1)
        await pilot.press("slash", *"apply", "enter")
        assert pane.search_text == "apply"
        await pilot.press("escape")
        assert pane.search_text is None and pilot.app.screen is deploy_screen
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is plan_screen)
