"""Told when it ends: a job that ends while the view shows it (end_notice.py, --exit-on-end, Q)."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from joblens.app import JoblensApp
from joblens.end_notice import DesktopNotifier
from joblens.errors import ExitCode
from joblens.prefs import ViewPrefs
from joblens.screens.job_screen import EXIT_AFTER_SECONDS, JobScreen
from joblens.widgets.banner import StatusBanner
from support.demo import T0, StaticWorld
from support.views import QUICK_POLL, notes, opened
from support.waiting import wait_for

#: Polls enough for a second announcement to have come, were there one.
SETTLE = 6 * QUICK_POLL


class Desktop:
    """The desktop's notifier, faked: the command lines it was asked to run."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def run(self, argv: list[str], **_: Any) -> subprocess.CompletedProcess[bytes]:
        self.commands.append(argv)
        return subprocess.CompletedProcess(argv, 0)

    def notifier(self) -> DesktopNotifier:
        return DesktopNotifier("notify-send", "/usr/bin/notify-send", run=self.run)


@pytest.fixture
def bells(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Each time the app rang the terminal bell."""
    rung: list[float] = []
    monkeypatch.setattr(JoblensApp, "bell", lambda self: rung.append(time.monotonic()))
    return rung


@pytest.fixture
def desktop() -> Desktop:
    return Desktop()


def app_on(
    world: StaticWorld,
    job_id: str,
    desktop: Desktop,
    *,
    prefs: ViewPrefs = ViewPrefs(),  # noqa: B008 (frozen)
    exit_on_end: bool = False,
) -> JoblensApp:
    return JoblensApp(
        world.backend,
        job_id,
        poll_seconds=QUICK_POLL,
        prefs=prefs,
        notifier=desktop.notifier(),
        exit_on_end=exit_on_end,
    )


def fail(world: StaticWorld, job_id: str) -> None:
    """The job fails 3m 10s after it started."""
    world.set(
        job_id,
        status="FAILED",
        error_message="Error: creating\x1b[2J EKS\nCluster",
        completed_at=T0 + timedelta(seconds=193),
    )


def quitting(app: JoblensApp) -> bool:
    """The app has been told to exit (Textual's own flag)."""
    return bool(app._exit)


async def banner_shown(pilot: Pilot[Any], screen: JobScreen) -> None:
    banner = screen.query_one(StatusBanner)
    await wait_for(pilot, lambda: banner.display)


async def test_a_job_that_fails_while_open_rings_toasts_and_notifies_once(
    static_world: StaticWorld, bells: list[float], desktop: Desktop
) -> None:
    job_id = static_world.job(job_type="DEPLOY", status="PROCESSING")
    app = app_on(static_world, job_id, desktop)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.pause(SETTLE)
        assert (bells, desktop.commands) == ([], [])
        fail(static_world, job_id)
        await wait_for(pilot, lambda: desktop.commands)
        await pilot.pause(SETTLE)  # later polls see the same FAILED row: nothing more
        summary = f"Job #{job_id[:8]} FAILED after 3m 10s"
        assert notes(app).count(summary) == 1
        assert len(bells) == 1
        [argv] = desktop.commands
        assert argv[3:] == [summary, "Deploy on tendril-eu-west-1: Error: creating EKS Cluster"]
        assert not quitting(app)  # (not without --exit-on-end)
        assert screen.job.status == "FAILED"


async def test_the_bell_and_the_desktop_notification_can_each_be_turned_off(
    static_world: StaticWorld, bells: list[float], desktop: Desktop
) -> None:
    for prefs, rings, notifies in [
        (ViewPrefs(bell=False), 0, 1),
        (ViewPrefs(desktop_notify=False), 1, 0),
        (ViewPrefs(bell=False, desktop_notify=False), 0, 0),
    ]:
        bells.clear()
        desktop.commands.clear()
        job_id = static_world.job(status="PROCESSING")
        app = app_on(static_world, job_id, desktop, prefs=prefs)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await opened(pilot)
            fail(static_world, job_id)
            await banner_shown(pilot, screen)
            await pilot.pause(SETTLE)
            assert f"Job #{job_id[:8]} FAILED after 3m 10s" in notes(app)  # the toast stays
            assert (len(bells), len(desktop.commands)) == (rings, notifies), prefs


async def test_a_job_already_finished_when_opened_says_nothing(
    static_world: StaticWorld, bells: list[float], desktop: Desktop
) -> None:
    job_id = static_world.job(status="FAILED", error_message="boom")
    app = app_on(static_world, job_id, desktop)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await banner_shown(pilot, screen)
        await pilot.pause(SETTLE)
        assert (bells, desktop.commands) == ([], [])
        assert not any("FAILED after" in note for note in notes(app))


async def test_exit_on_end_quits_with_the_job_s_code_after_showing_its_banner(
    static_world: StaticWorld, bells: list[float], desktop: Desktop
) -> None:
    job_id = static_world.job(status="PROCESSING")
    app = app_on(static_world, job_id, desktop, exit_on_end=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.pause(SETTLE)
        assert not quitting(app)
        fail(static_world, job_id)
        await banner_shown(pilot, screen)
        shown = time.monotonic()
        await wait_for(pilot, lambda: quitting(app), timeout=EXIT_AFTER_SECONDS + 3)
        assert time.monotonic() - shown > EXIT_AFTER_SECONDS - 0.3
    assert app.return_code == ExitCode.JOB_FAILED and app.fatal_error is None
    assert len(bells) == 1 and len(desktop.commands) == 1  # told, then gone


async def test_exit_on_end_with_a_job_already_ended_quits_with_its_code(
    static_world: StaticWorld, desktop: Desktop
) -> None:
    job_id = static_world.job(status="CANCELLED")
    app = app_on(static_world, job_id, desktop, exit_on_end=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await wait_for(pilot, lambda: quitting(app), timeout=EXIT_AFTER_SECONDS + 3)
    assert app.return_code == ExitCode.JOB_CANCELLED


async def test_q_quits_when_the_job_ends_and_says_so(
    static_world: StaticWorld, desktop: Desktop
) -> None:
    job_id = static_world.job(status="PROCESSING")
    app = app_on(static_world, job_id, desktop)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        titles = [command.title for command in screen.palette_commands()]
        assert "Quit when the job ends" in titles
        await pilot.press("Q")
        assert screen.exit_on_end
        assert any(f"quit when job #{job_id[:8]} ends" in note for note in notes(app))
        titles = [command.title for command in screen.palette_commands()]
        assert "Stay open when the job ends" in titles
        static_world.set(job_id, status="CANCELLED", completed_at=T0 + timedelta(seconds=60))
        await wait_for(pilot, lambda: quitting(app), timeout=EXIT_AFTER_SECONDS + 3)
    assert app.return_code == ExitCode.JOB_CANCELLED


async def test_q_again_stays_open_when_the_job_ends(
    static_world: StaticWorld, desktop: Desktop
) -> None:
    job_id = static_world.job(status="PROCESSING")
    app = app_on(static_world, job_id, desktop, exit_on_end=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("Q")
        assert not screen.exit_on_end
        assert f"joblens will stay open when job #{job_id[:8]} ends." in notes(app)
        fail(static_world, job_id)
        await banner_shown(pilot, screen)
        await pilot.pause(EXIT_AFTER_SECONDS + 0.3)
        assert not quitting(app)


async def test_q_on_a_job_that_has_ended_says_q_quits(
    static_world: StaticWorld, desktop: Desktop
) -> None:
    job_id = static_world.job(status="SUCCESS")
    app = app_on(static_world, job_id, desktop)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        assert "Quit when the job ends" not in [c.title for c in screen.palette_commands()]
        await pilot.press("Q")
        assert f"Job #{job_id[:8]} has already ended (SUCCESS): q quits." in notes(app)
        await pilot.pause(EXIT_AFTER_SECONDS + 0.3)
        assert not quitting(app) and not screen.exit_on_end
