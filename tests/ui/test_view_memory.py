"""Looks changed in the view (theme, wrap, timestamps) are kept for the next run, in the
user's state directory; flags, the environment and a profile's settings still win."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from joblens.app import JoblensApp
from joblens.cli.common import prefs_from
from joblens.settings import resolve, write_setting
from joblens.view_memory import ViewMemory, memory_path
from joblens.widgets.log import LogPane
from support.demo import StaticWorld
from support.views import QUICK_POLL, opened, opened_pane
from support.waiting import wait_for


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A joblens home of the test's own: its state and config directories under tmp_path."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("JOBLENS_CONFIG", "JOBLENS_PROFILE", "JOBLENS_THEME", "JOBLENS_WRAP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("JOBLENS_TIMESTAMPS", raising=False)
    return tmp_path


def app_for(world: StaticWorld, job_id: str) -> JoblensApp:
    """The app as `joblens` runs it: preferences resolved from the settings, memory kept."""
    prefs = prefs_from(resolve())
    return JoblensApp(
        world.backend, job_id, poll_seconds=QUICK_POLL, prefs=prefs, memory=ViewMemory()
    )


async def test_theme_wrap_and_timestamps_changed_in_the_view_are_kept_for_the_next_run(
    static_world: StaticWorld, home: Path
) -> None:
    job_id = static_world.job(status="SUCCESS")
    static_world.logs(job_id, ("a line\n", "STDOUT"))
    app = app_for(static_world, job_id)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await opened_pane(pilot, 1)
        assert not pane.wrap and not pane.timestamps
        assert not memory_path().exists()  # nothing changed yet: nothing written
        await pilot.press("w", "t")
        app.theme = "nord"  # as the palette's "Change theme" does
        await wait_for(
            pilot, lambda: memory_path().exists() and "nord" in memory_path().read_text()
        )
    assert json.loads(memory_path().read_text()) == {
        "theme": "nord",
        "timestamps": True,
        "wrap": True,
    }
    assert stat.S_IMODE(memory_path().stat().st_mode) == 0o600
    assert memory_path().is_relative_to(home / "state")
    settings = resolve()
    assert str(settings["wrap"].source).startswith("remembered from the view")

    again = app_for(static_world, job_id)
    async with again.run_test(size=(80, 24)) as pilot:
        pane = await opened_pane(pilot, 1)
        assert pane.wrap and pane.timestamps
        assert again.theme == "nord"


async def test_a_job_opened_later_in_the_same_run_starts_as_the_user_left_the_last(
    static_world: StaticWorld, home: Path
) -> None:
    first = static_world.job(status="SUCCESS")
    second = static_world.job(status="FAILED")
    app = app_for(static_world, first)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("w")
        app.open_job(await static_world.backend.get_job(second))
        await wait_for(pilot, lambda: len(app.screen_stack) == 3)
        screen = await opened(pilot)
        assert screen.query_one(LogPane).wrap


async def test_flags_the_environment_and_a_profile_still_win_over_what_was_remembered(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ViewMemory().remember("wrap", True)
    ViewMemory().remember("theme", "nord")
    assert resolve().value("wrap") is True and resolve().value("theme") == "nord"
    assert resolve({"wrap": False}).value("wrap") is False
    monkeypatch.setenv("JOBLENS_THEME", "gruvbox")
    assert resolve().value("theme") == "gruvbox"
    monkeypatch.delenv("JOBLENS_THEME")
    config = home / "config" / "joblens" / "config.toml"
    write_setting(config, "default", "wrap", "false")
    assert resolve().value("wrap") is False
    assert resolve().value("theme") == "nord"


def test_a_broken_or_stale_memory_is_ignored(home: Path) -> None:
    path = memory_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert ViewMemory().read() == {}
    assert resolve().value("wrap") is False
    path.write_text(json.dumps({"theme": "no-such-theme", "wrap": "yes", "other": 1}))
    assert ViewMemory().read() == {"theme": "no-such-theme"}  # a string; the theme is checked:
    assert resolve().value("theme") is None  # unknown to this Textual, so dropped
