"""Display preferences (``joblens.prefs``) through the app: the theme, and how the log starts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.app import App, InvalidThemeError
from textual.color import Color
from textual.theme import BUILTIN_THEMES

from joblens.app import JoblensApp
from joblens.prefs import ViewPrefs, theme_names
from joblens.screens.job_screen import JobScreen
from joblens.widgets.log import LogPane
from joblens.widgets.log.render import TIME_GUTTER
from support.demo import T0, StaticWorld
from support.log_host import visible
from support.views import QUICK_POLL, opened, opened_pane
from support.waiting import wait_for

# tests/ui/conftest.py runs these in UTC: T0 (09:30:00 UTC) shows as 09:30:00.


def test_theme_names_are_the_themes_every_app_offers() -> None:
    names = theme_names()
    assert "textual-dark" in names and "nord" in names
    assert len(set(names)) == len(names)
    assert names == tuple(App().available_themes)
    for name in names:
        app: App[None] = App()
        app.theme = name
        assert app.current_theme.name == name


def test_view_prefs_default_to_textual_s_look_unwrapped_without_times() -> None:
    prefs = ViewPrefs()
    assert (prefs.theme, prefs.wrap, prefs.timestamps) == (None, False, False)
    with pytest.raises(AttributeError):
        prefs.wrap = True  # type: ignore[misc]


async def test_the_prefs_reach_the_log_pane_and_the_theme(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.store.insert_log(job_id, "x" * 300 + "\n", "STDOUT", created_at=T0)
    static_world.store.insert_log(
        job_id, "second\n", "STDOUT", created_at=T0 + timedelta(seconds=1)
    )
    prefs = ViewPrefs(theme="nord", wrap=True, timestamps=True)
    app = JoblensApp(static_world.backend, job_id, poll_seconds=QUICK_POLL, prefs=prefs)
    assert app.prefs is prefs and app.theme == "nord"
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, 2)
        assert app.theme == "nord" and app.current_theme.name == "nord"
        assert pane.styles.background == Color.parse(BUILTIN_THEMES["nord"].surface or "")
        assert pane.wrap and pane.timestamps
        await pilot.press("home")
        text = pane.scrollable_content_region.width - TIME_GUTTER
        rows = -(-300 // text)
        shown = visible(pane)
        assert shown[0] == "09:30:00 " + "x" * text
        assert shown[1] == " " * TIME_GUTTER + "x" * text
        assert shown[rows] == "09:30:01 second"
        # The keys still toggle what the prefs started.
        await pilot.press("t")
        assert not pane.timestamps and visible(pane)[0] == "x" * (text + TIME_GUTTER)
        await pilot.press("w")
        assert not pane.wrap and visible(pane)[1] == "second"


async def test_without_prefs_the_app_looks_as_before(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(job_id, ("only line\n", "STDOUT"))
    app = static_world.app(job_id)
    assert app.prefs == ViewPrefs()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, 1)
        assert app.theme == "textual-dark"
        assert not pane.wrap and not pane.timestamps
        assert visible(pane)[0] == "only line"


async def test_jobs_opened_on_top_start_with_the_prefs_too(static_world: StaticWorld) -> None:
    first = static_world.job(status="SUCCESS")
    other = static_world.job(job_type="DEPLOY", status="PROCESSING")
    static_world.logs(other, ("deploying\n", "STDOUT"))
    prefs = ViewPrefs(timestamps=True)
    app = JoblensApp(static_world.backend, first, poll_seconds=QUICK_POLL, prefs=prefs)
    async with app.run_test(size=(120, 40)) as pilot:
        below = await opened(pilot)
        assert below.query_one(LogPane).timestamps
        app.open_job(await static_world.backend.get_job(other))
        await wait_for(pilot, lambda: app.screen is not below)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobScreen) and screen.job.id == other
        pane = screen.query_one(LogPane)
        await wait_for(pilot, lambda: pane.line_count == 1)
        assert pane.timestamps and not pane.wrap
        assert visible(pane)[0].endswith(" deploying") and visible(pane)[0][2] == ":"


async def test_a_line_written_in_several_rows_takes_the_time_of_the_last(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.store.insert_log(job_id, "whole line\n", "STDOUT", created_at=T0)
    async with JoblensApp(
        static_world.backend, job_id, poll_seconds=QUICK_POLL, prefs=ViewPrefs(timestamps=True)
    ).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, 1)
        began = T0 + timedelta(seconds=20)
        static_world.store.insert_log(job_id, "aws_eks_cluster.main: Still creat", "STDOUT", began)
        await wait_for(pilot, lambda: bool(pane.open_lines))
        await pilot.pause()
        # Unfinished, it shows the time of its newest row ...
        assert visible(pane)[1] == "09:30:20 aws_eks_cluster.main: Still creat"
        ended = T0 + timedelta(seconds=65)
        static_world.store.insert_log(job_id, "ing... [10s elapsed]\n", "STDOUT", ended)
        await wait_for(pilot, lambda: pane.line_count == 2)
        await pilot.pause()
        # ... and once whole, that of the row that completed it.
        assert pane.line_time(1) == int(ended.timestamp())
        assert visible(pane)[1] == "09:31:05 aws_eks_cluster.main: Still creating... [10s elapsed]"


def test_a_theme_textual_does_not_know_is_refused(static_world: StaticWorld) -> None:
    with pytest.raises(InvalidThemeError):
        JoblensApp(static_world.backend, "00000000", prefs=ViewPrefs(theme="no-such-theme"))
