"""What the header and the status banner show, as a user reads them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from textual.widgets import Button, Static

from joblens.app import JoblensApp
from joblens.backends.demo import DemoBackend
from joblens.errors import ExitCode, JobNotFound
from joblens.screens import job_queue
from joblens.widgets.banner import StatusBanner
from joblens.widgets.header import JobHeader, StatusBadge
from support.demo import T0, StaticWorld
from support.views import QUICK_POLL, make_app, opened
from support.waiting import wait_for


def text_of(screen: object, selector: str) -> str:
    widget = screen.query_one(selector, Static)  # type: ignore[attr-defined]
    return str(widget.render())


async def test_header_shows_type_status_duration_id_tendril_and_created(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        assert "Plan" in text_of(screen, "#job-type")
        assert "SUCCESS" in text_of(screen, "#status-badge")
        assert text_of(screen, "#duration") == "took 4m 10s"
        assert text_of(screen, "#job-id") == f"#{job_id[:8]}"
        assert "tendril-eu-west-1" in text_of(screen, "#tendril")
        assert text_of(screen, "#created") == "created 2026-11-28 09:30:00 UTC"


async def test_a_recent_jobs_created_time_says_how_long_ago_and_fits_at_60_columns(
    static_world: StaticWorld,
) -> None:
    created = datetime.now(UTC) - timedelta(minutes=5, seconds=10)
    job_id = static_world.job(status="SUCCESS", created_at=created)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        stamp = created.strftime("%Y-%m-%d %H:%M:%S")
        assert text_of(screen, "#created") == f"created {stamp} UTC (5m ago)"
        await pilot.resize_terminal(60, 24)
        today = created.date() == datetime.now(UTC).date()  # (just after midnight: not today)
        short = f"created {created.strftime('%H:%M' if today else '%Y-%m-%d %H:%M')} UTC · 5m ago"
        await wait_for(pilot, lambda: text_of(screen, "#created") == short)
        await pilot.pause(0.1)
        meta = screen.query_one("#header-meta")
        for part in meta.children:  # every part of the line whole, inside the header
            assert part.region.right <= meta.region.right
            assert part.region.width >= len(str(part.render()))


async def test_how_long_ago_a_job_was_created_moves_on_each_second(
    static_world: StaticWorld,
) -> None:
    """Within a minute the words change each second (they stood for 20 s, "10s ago" 20 s
    after it was true)."""
    job_id = static_world.job(status="SUCCESS", created_at=datetime.now(UTC))
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        first = text_of(screen, "#created")
        assert first.endswith("s ago)")
        await wait_for(pilot, lambda: text_of(screen, "#created") != first, timeout=3.0)
        assert text_of(screen, "#created").endswith("s ago)")


async def test_queued_job_shows_queue_time_and_the_requested_tendril(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(assigned_worker_id=static_world.world.default_tendril_id)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        assert text_of(screen, "#duration").startswith("queued ")
        assert "tendril-eu-west-1 (requested)" in text_of(screen, "#tendril")
        anywhere = static_world.job()
        cast(JoblensApp, pilot.app).open_job(await static_world.backend.get_job(anywhere))
        await wait_for(pilot, lambda: pilot.app.screen is not screen)
        await pilot.pause()
        assert "any available (requested)" in text_of(pilot.app.screen, "#tendril")


async def test_status_badge_animates_while_processing_and_stops_when_done(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="PROCESSING")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        badge = screen.query_one(StatusBadge)
        assert badge.has_class("-processing")
        first = str(badge.render())
        await wait_for(pilot, lambda: str(badge.render()) != first, timeout=2)
        static_world.set(job_id, status="SUCCESS", completed_at=None)
        await wait_for(pilot, lambda: badge.has_class("-success"))
        assert "✔ SUCCESS" in str(badge.render())


async def test_duration_updates_every_second_while_running(static_world: StaticWorld) -> None:
    job_id = static_world.job(
        status="PROCESSING", started_at=datetime.now(UTC) - timedelta(seconds=5)
    )
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        before = text_of(screen, "#duration")
        assert before.startswith("running ")
        await wait_for(pilot, lambda: text_of(screen, "#duration") != before, timeout=3)


async def test_only_the_actions_available_now_are_shown(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)

        def shown() -> set[str]:
            return {b.id or "" for b in screen.query(Button) if b.display}

        assert shown() == {"action-cancel", "action-copy"}
        static_world.set(job_id, status="SUCCESS")
        await wait_for(pilot, lambda: shown() == {"action-apply", "action-rerun", "action-copy"})


async def test_success_banner_is_green_with_a_check_mark(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        banner = screen.query_one(StatusBanner)
        assert banner.display and banner.has_class("-success")
        assert str(banner.render()) == "✔ Succeeded in 4m 10s"


async def test_failed_banner_is_red_with_the_error_message_shown_literally(
    static_world: StaticWorld,
) -> None:
    hostile = "Error: [bold red]quota[/] exceeded\x1b]52;c;ZXZpbA==\x07\x1b[2J"
    job_id = static_world.job(job_type="DEPLOY", status="FAILED", error_message=hostile)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        banner = screen.query_one(StatusBanner)
        assert banner.has_class("-failed")
        assert str(banner.render()) == "✖ Failed: Error: [bold red]quota[/] exceeded"


async def test_cancelled_banner_is_gray_and_says_cancelled_by_user(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="CANCELLED", error_message=None)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        banner = screen.query_one(StatusBanner)
        assert banner.has_class("-cancelled")
        assert str(banner.render()) == "⊘ Cancelled by user"


async def test_no_banner_while_the_job_runs_and_the_poll_brings_it(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="PROCESSING")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        banner = screen.query_one(StatusBanner)
        assert not banner.display
        static_world.set(job_id, status="FAILED", error_message="terraform exited 1")
        await wait_for(pilot, lambda: banner.display)
        assert "terraform exited 1" in str(banner.render())
        assert screen.query_one(JobHeader).job.status == "FAILED"


async def test_unknown_status_and_type_are_shown_as_they_are(static_world: StaticWorld) -> None:
    job_id = static_world.job(job_type="TELEPORT", status="PAUSED")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        assert "TELEPORT" in text_of(screen, "#job-type")
        assert "PAUSED" in text_of(screen, "#status-badge")
        assert screen.query_one(StatusBadge).has_class("-unknown")


async def test_an_unknown_job_id_ends_with_a_one_line_error_and_exit_code() -> None:
    backend = DemoBackend(speed=100.0, seed=3, simulate=False)
    app = make_app(backend, "deadbeefdeadbeef", poll_seconds=QUICK_POLL)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.fatal_error is not None)
    assert isinstance(app.fatal_error, JobNotFound)
    assert app.return_code == ExitCode.NOT_FOUND
    assert "\n" not in app.fatal_error.message


async def test_q_quits_with_0_and_ctrl_c_with_130(static_world: StaticWorld) -> None:
    for key, code in (("q", ExitCode.OK), ("ctrl+c", ExitCode.INTERRUPTED)):
        app = static_world.app(static_world.job(status="SUCCESS"))
        async with app.run_test(size=(80, 24)) as pilot:
            await opened(pilot)
            await pilot.press(key)
            await wait_for(pilot, lambda a=app: a._exit)  # type: ignore[misc]
        assert app.return_code == code and app.fatal_error is None


async def test_a_queued_job_says_in_the_banner_what_it_waits_for_until_it_is_claimed(
    static_world: StaticWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It asked for a Tendril that stopped days ago: nothing else said it would wait for ever."""
    monkeypatch.setattr(job_queue, "TENDRIL_REFRESH_SECONDS", 0.2)
    offline = static_world.world.offline_tendril_id
    job_id = static_world.job(assigned_worker_id=offline)
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        banner = screen.query_one(StatusBanner)
        await wait_for(pilot, lambda: banner.display and "offline" in str(banner.render()))
        words = " ".join(str(banner.render()).split())  # (two lines at 80 columns)
        assert words == (
            "◷ Waiting for tendril-us-east-2 to claim the job: offline, last seen 3d 4h ago"
        )
        assert banner.has_class("-queued") and banner.has_class("-stuck")
        assert screen.query_one("#log-area").region.height >= 10  # the log keeps its room
        # The Tendril comes back: the next read of the Tendrils says so, quietly.
        static_world.store.workers[offline].update(status="ONLINE")
        static_world.store.heartbeat([offline])
        await wait_for(pilot, lambda: "(online)" in str(banner.render()))
        assert not banner.has_class("-stuck")
        # Claimed: there is nothing to wait for.
        static_world.set(job_id, status="CLAIMED", worker_id=offline, claimed_at=T0)
        await wait_for(pilot, lambda: not banner.display)


async def test_a_queued_job_any_tendril_may_claim_counts_those_online(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job()
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        banner = screen.query_one(StatusBanner)
        await wait_for(pilot, lambda: banner.display)
        assert str(banner.render()) == (
            "◷ Waiting for any available Tendril to claim the job (2 online)"
        )
        assert not banner.has_class("-stuck")


async def test_a_split_pane_keeps_the_status_duration_and_short_id_whole(
    static_world: StaticWorld,
) -> None:
    """At 40 columns the id was cut off: the type shows as its icon (the label in its
    tooltip), the duration without its label, one space between the parts, a live link as
    its dot. (This job has been running for days: the longest duration there is.)"""
    job_id = static_world.job(job_type="DEPLOY", status="PROCESSING")
    async with static_world.app(job_id).run_test(size=(40, 24)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: text_of(screen, "#job-type") == "▲")
        assert str(screen.query_one("#job-type", Static).tooltip) == "Deploy"
        top = screen.query_one("#header-top")
        for selector in ("#job-type", "#status-badge", "#duration", "#job-id"):
            part = screen.query_one(selector, Static)
            assert part.region.right <= top.region.right, selector
            assert part.region.width >= len(str(part.render())), selector
        assert text_of(screen, "#job-id") == f"#{job_id[:8]}"
        assert re.fullmatch(r"\d+d \d+h", text_of(screen, "#duration"))
        await pilot.resize_terminal(60, 24)  # wide enough again: the words come back
        await wait_for(pilot, lambda: text_of(screen, "#job-type") == "▲ Deploy")
        assert text_of(screen, "#duration").startswith("running ")
        await wait_for(pilot, lambda: text_of(screen, "#link-state") in ("● live", "○ connecting"))
