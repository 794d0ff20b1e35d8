"""A job as the platform really runs it: rows cut mid-line, status changes seen live, and a
job whose Tendril died put back in the queue and run again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import Static

from joblens.widgets.header import StatusBadge
from joblens.widgets.log import LogPane
from support.demo import StaticWorld
from support.views import notes, opened
from support.waiting import wait_for


def text_of(screen: object, selector: str) -> str:
    widget = screen.query_one(selector, Static)  # type: ignore[attr-defined]
    return str(widget.render())


@pytest.fixture
def no_poll(static_world: StaticWorld) -> None:
    """Only the live stream can tell the view of a change (the 3 s poll is far away)."""
    static_world.poll_seconds = 600.0


async def test_a_status_change_reaches_the_header_without_the_poll(
    static_world: StaticWorld, no_poll: None
) -> None:
    job_id = static_world.job(status="CLAIMED")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        badge = screen.query_one(StatusBadge)
        await wait_for(pilot, lambda: screen.feed.live)
        static_world.set(job_id, status="PROCESSING", started_at=datetime.now(UTC))
        await wait_for(pilot, lambda: badge.status == "PROCESSING", timeout=2)
        static_world.set(job_id, status="SUCCESS", completed_at=datetime.now(UTC))
        await wait_for(pilot, lambda: "SUCCESS" in str(badge.render()), timeout=2)
        assert "Tendril" in text_of(screen, "#tendril")  # the name kept from the full row


async def test_lines_cut_across_rows_are_shown_whole(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(
        job_id,
        ("Terraform will perform the fol", "STDOUT"),
        ("╷\n│ Warn", "STDERR"),
        ("lowing actions:\n\n  # aws_vpc.main will be cre", "STDOUT"),
        ("ing: deprecated\n", "STDERR"),
    )
    async with static_world.app(job_id).run_test(size=(100, 30)) as pilot:
        screen = await opened(pilot)
        pane = screen.query_one(LogPane)
        await wait_for(pilot, lambda: pane.line_count == 4)
        lines = [pane.line_text(i) for i in range(pane.line_count)]
        assert lines == [
            "╷",
            "Terraform will perform the following actions:",
            "",
            "│ Warning: deprecated",
        ]
        assert pane.open_lines == ["  # aws_vpc.main will be cre"]
        static_world.logs(job_id, ("ated\n", "STDOUT"))
        await wait_for(pilot, lambda: pane.line_count == 5)
        assert pane.line_text(4) == "  # aws_vpc.main will be created"
        assert pane.open_lines == []


async def test_a_requeued_job_marks_the_attempt_in_the_log_and_the_header(
    static_world: StaticWorld, no_poll: None
) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(job_id, ("aws_eks_cluster.this: Still creating... [10s ela", "STDOUT"))
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        pane = screen.query_one(LogPane)
        await wait_for(pilot, lambda: screen.feed.live and pane.open_lines != [])
        # The runner died mid-line; the platform puts the job back in the queue.
        static_world.set(job_id, status="QUEUED", worker_id=None, claimed_at=None, started_at=None)
        await wait_for(pilot, lambda: pane.line_count == 2)
        assert pane.line_text(0) == "aws_eks_cluster.this: Still creating... [10s ela"
        separator = pane.line_text(1)
        assert separator.startswith("── requeued ")
        assert "tendril-eu-west-1 stopped responding · attempt 2 ──" in separator
        assert "attempt 2" in text_of(screen, "#tendril")
        assert "in all" in text_of(screen, "#duration")
        assert pane.open_lines == []
        # Another Tendril claims it: the header names it once the full row is read.
        other = next(
            t
            for t in static_world.world.beating_tendril_ids
            if t != static_world.world.default_tendril_id
        )
        static_world.set(job_id, status="CLAIMED", worker_id=other, claimed_at=datetime.now(UTC))
        name = static_world.store.workers[other]["name"]
        await wait_for(pilot, lambda: name in text_of(screen, "#tendril"), timeout=3)
        static_world.logs(job_id, ("Tendril claimed the job\n", "SYSTEM"))
        await wait_for(pilot, lambda: pane.line_count == 3)
        assert pane.line_text(2) == "Tendril claimed the job"
        assert "attempt 2" in text_of(screen, "#tendril")


async def test_a_deleted_job_says_so_instead_of_reconnecting(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: screen.feed.live)
        del static_world.store.jobs[job_id]
        await wait_for(pilot, lambda: "job gone" in text_of(screen, "#link-state"), timeout=10)
        # The toast is posted with the header's change, not before it: on a loaded machine it
        # may be painted a moment after (a flake seen in CI runs).
        await wait_for(pilot, lambda: any("may have been deleted" in n for n in notes(pilot.app)))


async def test_a_server_that_stops_answering_is_not_shown_as_live(
    static_world: StaticWorld,
) -> None:
    from joblens.errors import BackendUnavailable

    job_id = static_world.job(status="PROCESSING")
    backend = static_world.backend
    real = backend.get_job_state
    answering = True

    async def get_job_state(job: str) -> object:
        if not answering:
            raise BackendUnavailable("cannot reach SUPABASE_URL http://x: timed out")
        return await real(job)

    backend.get_job_state = get_job_state  # type: ignore[method-assign, assignment]
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        badge = screen.query_one(StatusBadge)
        await wait_for(pilot, lambda: "● live" in text_of(screen, "#link-state"))
        assert badge._timer is not None  # the spinner turns while the job is heard
        answering = False
        await wait_for(pilot, lambda: "reconnecting" in text_of(screen, "#link-state"))
        assert badge.stale and badge._timer is None  # no spinner for what nobody confirms
        assert "PROCESSING?" in str(badge.render())
        await wait_for(pilot, lambda: "· 1s" in text_of(screen, "#link-state"), timeout=5)
        answering = True
        await wait_for(pilot, lambda: "● live" in text_of(screen, "#link-state"), timeout=10)
        assert not badge.stale and badge._timer is not None


async def test_a_finished_job_does_not_say_it_follows_new_lines(static_world: StaticWorld) -> None:
    from joblens.widgets.log.follow import LogFollowIndicator

    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        indicator = screen.query_one(LogFollowIndicator)
        await wait_for(pilot, lambda: "End of the log" in str(indicator.render()))
        assert "Following" not in str(indicator.render())
