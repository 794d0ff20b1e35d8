"""The footer on narrow terminals: keys shown whole or not at all, the palette's key last."""

from __future__ import annotations

from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets._footer import FooterKey

from joblens.screens.job_list import JobListScreen
from joblens.screens.job_screen import JobScreen
from support.demo import StaticWorld
from support.views import listed, opened
from support.waiting import wait_for


@pytest.mark.parametrize("width", [50, 60, 64, 70, 80, 100, 120])
async def test_the_footer_shows_whole_keys_left_of_the_palette(
    static_world: StaticWorld, width: int
) -> None:
    job_id = static_world.job(status="FAILED", error_message="boom")
    static_world.logs(job_id, ("Error: boom\n", "STDERR"))
    async with static_world.app(job_id).run_test(size=(width, 24)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: bool(screen.query(".-command-palette")))
        await pilot.pause(0.2)
        palette = screen.query_one(".-command-palette", FooterKey)
        assert palette.region.right <= width
        shown = [key for key in screen.query(FooterKey) if key.display and key is not palette]
        assert shown, "no key at all fits"
        for key in shown:
            assert key.region.width > 0
            assert key.region.right <= palette.region.x, f"{key.key} runs under the palette"


@pytest.mark.parametrize("width", [60, 70])
async def test_a_narrow_footer_drops_keys_and_takes_them_back_when_wider(
    static_world: StaticWorld, width: int
) -> None:
    job_id = static_world.job(status="FAILED", error_message="boom")
    async with static_world.app(job_id).run_test(size=(width, 24)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: bool(screen.query(".-command-palette")))
        await pilot.pause(0.2)
        hidden = {key.key for key in screen.query(FooterKey) if not key.display}
        assert hidden
        await pilot.resize_terminal(160, 24)
        await wait_for(pilot, lambda: all(key.display for key in screen.query(FooterKey)))


def footer_keys(screen: Screen[Any]) -> list[str]:
    return [key.key for key in screen.query(FooterKey) if key.display]


@pytest.mark.parametrize("width", [80, 120])
async def test_a_job_opened_from_the_list_offers_esc_back(
    static_world: StaticWorld, width: int
) -> None:
    """The log's own Escape (clear the search or filter) hid the screen's "esc Back" from the
    footer even with nothing to clear; it now gives way, and takes Escape back while there is a
    search or a filter."""
    static_world.job(status="FAILED", error_message="boom")
    async with static_world.list_app().run_test(size=(width, 24)) as pilot:
        await listed(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
        screen = await opened(pilot)
        await wait_for(pilot, lambda: "escape" in footer_keys(screen))
        await pilot.press("f")
        await pilot.press(*"boom", "enter")
        await wait_for(pilot, lambda: screen.pane.filter is not None)
        await wait_for(pilot, lambda: "escape" not in footer_keys(screen))
        await pilot.press("escape")  # clears the filter, stays
        await wait_for(pilot, lambda: screen.pane.filter is None)
        assert pilot.app.screen is screen
        await wait_for(pilot, lambda: "escape" in footer_keys(screen))
        await pilot.press("escape")  # back to the list
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobListScreen))
