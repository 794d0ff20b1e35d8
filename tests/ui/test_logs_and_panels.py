"""The log pane inside the job view, and the collapsible detail panels."""

from __future__ import annotations

import gc
import warnings

import pytest
from textual.widgets import Collapsible, Static, TextArea

from joblens.backends.demo import DemoBackend
from joblens.models import Job, LogChunk, StreamType
from joblens.screens.job_screen import JobScreen
from joblens.secrets import MASK
from joblens.widgets.details import JsonPanel
from joblens.widgets.log import LogPane, LogView
from joblens.widgets.log.follow import LogFollowIndicator
from joblens.widgets.log.store import stream_code
from support.demo import StaticWorld
from support.views import QUICK_POLL, make_app, opened, opened_pane
from support.waiting import wait_for


async def test_a_running_job_streams_its_output_until_the_banner() -> None:
    backend = DemoBackend(speed=40.0, seed=5)
    job_id = backend.start_scenario("plan")
    async with make_app(backend, job_id, poll_seconds=QUICK_POLL).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        pane = screen.query_one(LogPane)
        await wait_for(pilot, lambda: screen.job.status == "SUCCESS", timeout=20)
        await wait_for(pilot, lambda: pane.line_count > 0)
        stored = "".join(row["log_chunk"] for row in backend.store.log_rows(job_id))
        expected = stored.count("\n") + (0 if stored.endswith("\n") else 1)
        await wait_for(pilot, lambda: pane.line_count >= expected - 5, timeout=5)
        assert pane.following
        assert any("Plan:" in pane.line_text(i) for i in range(pane.line_count))


async def test_lines_handed_over_while_the_view_is_taken_down_are_dropped(
    static_world: StaticWorld,
) -> None:
    """The app quits (or the screen closes) while the feed still hands over lines, notes, a
    rewind or the unfinished lines: they are dropped, not a crash on the way out (seen on a
    loaded machine: a worker failed with "No nodes match 'LogView'")."""
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(job_id, ("one\n", "STDOUT"))
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        await opened_pane(pilot, 1)
        screen = pilot.app.screen
        assert isinstance(screen, JobScreen)
        chunk = LogChunk(id=99, job_id=job_id, text="late\n", stream=StreamType.STDOUT)
        await screen.query_one(LogView).remove()  # what taking the screen down does first
        sinks = screen._log
        sinks.write_chunks([chunk])
        sinks.prepend_chunks([chunk])
        sinks.show_open_lines([chunk])
        sinks.write_note("attempt ended")
        sinks.rewind(0)
        screen._show_job(screen.job)  # (the poll's answer, which asks the pane for errors)
        output = screen.feed._out
        assert output.mark() is None and output.start_mark() is None


async def test_reading_the_job_again_twice_at_once_leaves_no_coroutine_unawaited(
    static_world: StaticWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view asks for the row again when the stream comes back or a Tendril's name is
    missing; two asks at once keep the last. The first was a coroutine handed to a worker
    that the second cancelled before it ran: never awaited, and Python warned of it."""
    job_id = static_world.job(status="PROCESSING")
    reads: list[str] = []
    backend = static_world.backend
    get_job = backend.get_job

    async def counted(ref: str) -> Job:
        reads.append(ref)
        return await get_job(ref)

    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        monkeypatch.setattr(backend, "get_job", counted)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            screen.refresh_job_soon()
            screen.refresh_job_soon()
            await wait_for(pilot, lambda: bool(reads))
            await pilot.pause(0.1)
            gc.collect()
        assert job_id in reads
        assert not [w for w in caught if "never awaited" in str(w.message)]


async def test_each_chunk_keeps_its_stream(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(
        job_id,
        ("Assuming IAM role arn:aws:iam::1:role/x…\n", "SYSTEM"),
        ("\x1b[32m+\x1b[0m aws_vpc.main\nPlan: 1 to add, 0 to change, 0 to destroy.\n", "STDOUT"),
        ("Warning: Argument is deprecated\n", "STDERR"),
    )
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, 4)
        assert [pane.line_text(i) for i in range(4)] == [
            "Assuming IAM role arn:aws:iam::1:role/x…",
            "\x1b[32m+\x1b[0m aws_vpc.main",
            "Plan: 1 to add, 0 to change, 0 to destroy.",
            "Warning: Argument is deprecated",
        ]
        streams = [StreamType.SYSTEM, StreamType.STDOUT, StreamType.STDOUT, StreamType.STDERR]
        assert [pane._store.stream(i) for i in range(4)] == [stream_code(s) for s in streams]


async def test_hostile_escape_sequences_never_reach_the_pane(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(
        job_id,
        ("\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[2J\x1b[Hsafe \x9b31mtext\x00\x07\n", "STDOUT"),
    )
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, 1)
        assert pane.line_text(0) == "safe text"


async def test_scrolling_up_shows_paused_with_new_lines_and_end_follows_again(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(job_id, *((f"line {i}\n", "STDOUT") for i in range(200)))
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        pane = screen.query_one(LogPane)
        indicator = screen.query_one(LogFollowIndicator)
        await wait_for(pilot, lambda: pane.line_count == 200)
        await pilot.press("pageup")
        await wait_for(pilot, lambda: not pane.following)
        static_world.logs(job_id, *((f"more {i}\n", "STDOUT") for i in range(7)))
        await wait_for(pilot, lambda: "7 new lines" in str(indicator.render()))
        assert indicator.has_class("-paused")
        await pilot.press("end")
        await wait_for(pilot, lambda: pane.following and not indicator.has_class("-paused"))
        assert pane.is_vertical_scroll_end


async def test_job_details_panel_lists_ids_and_every_timestamp(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="SUCCESS", plan_job_id="11111111-2222-4333-8444-555555555555")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        panel = screen.query_one("#job-details", Collapsible)
        assert panel.collapsed
        await pilot.click("#job-details CollapsibleTitle")
        await wait_for(pilot, lambda: not panel.collapsed)
        body = screen.query_one("#job-details-body", Static)
        rendered = _render_text(pilot.app, body)
        for expected in (
            job_id,
            "PLAN",
            "SUCCESS",
            "tendril-eu-west-1",
            "11111111-2222-4333-8444-555555555555",
            "2026-11-28 09:30:00",
            "2026-11-28 09:30:03",
            "2026-11-28 09:34:13",
            "acme-platform",
        ):
            assert expected in rendered, expected


def _render_text(app: object, widget: Static) -> str:
    console = app.console  # type: ignore[attr-defined]
    lines = console.render_lines(widget.content, console.options.update_width(110))
    return "\n".join("".join(seg.text for seg in line) for line in lines)


async def test_json_panels_are_built_on_expand_with_secrets_masked(
    static_world: StaticWorld,
) -> None:
    metadata = {
        "cluster_name": "eks-staging",
        "argocd_admin_password": "s3cr3t-argo",
        "outputs": {"kubeconfig": {"value": "very-secret", "sensitive": True, "type": "string"}},
    }
    job_id = static_world.job(job_type="DEPLOY", status="SUCCESS", execution_metadata=metadata)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        panel = screen.query_one("#execution-metadata", JsonPanel)
        assert not panel.query(".json-body")  # nothing built while collapsed
        await pilot.click("#execution-metadata CollapsibleTitle")
        await wait_for(pilot, lambda: bool(panel.query(".json-body")))
        text = _render_text(pilot.app, panel.query_one(".json-body", Static))
        assert "eks-staging" in text and MASK in text
        assert "s3cr3t-argo" not in text and "very-secret" not in text
        config = screen.query_one("#config-snapshot", JsonPanel)
        await pilot.click("#config-snapshot CollapsibleTitle")
        await wait_for(pilot, lambda: bool(config.query(".json-body")))
        assert "hunter2" not in _render_text(pilot.app, config.query_one(".json-body", Static))


async def test_a_huge_json_payload_opens_in_a_scrollable_viewer(static_world: StaticWorld) -> None:
    metadata = {
        "cached_resources": [{"id": f"i-{n:06d}", "type": "aws_instance"} for n in range(3000)]
    }
    job_id = static_world.job(
        job_type="FETCH_RESOURCES", status="SUCCESS", execution_metadata=metadata
    )
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        panel = screen.query_one("#execution-metadata", JsonPanel)
        await pilot.click("#execution-metadata CollapsibleTitle")
        await wait_for(pilot, lambda: bool(panel.query(TextArea)))
        assert "i-002999" in panel.query_one(TextArea).text


async def test_metadata_panel_follows_the_job_as_it_changes(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING", execution_metadata={"phase": "init"})
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        panel = screen.query_one("#execution-metadata", JsonPanel)
        await pilot.click("#execution-metadata CollapsibleTitle")
        await wait_for(pilot, lambda: bool(panel.query(".json-body")))
        static_world.set(job_id, status="SUCCESS", execution_metadata={"phase": "done"})
        await wait_for(
            pilot,
            lambda: '"done"' in _render_text(pilot.app, panel.query_one(".json-body", Static)),
        )


async def test_panels_toggle_by_key(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="SUCCESS", execution_metadata={"phase": "done"})
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        for key, panel_id in (
            ("d", "job-details"),
            ("s", "config-snapshot"),
            ("m", "execution-metadata"),
        ):
            panel = screen.query_one(f"#{panel_id}", Collapsible)
            await pilot.press(key)
            await wait_for(pilot, lambda p=panel: not p.collapsed)  # type: ignore[misc]
            await pilot.press(key)
            await wait_for(pilot, lambda p=panel: p.collapsed)  # type: ignore[misc]


async def test_ctrl_c_copies_selected_log_text_instead_of_quitting(
    static_world: StaticWorld, no_system_clipboard: list[str]
) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(job_id, ("first line\n\x1b[31mError:\x1b[0m boom\n", "STDOUT"))
    async with static_world.app(job_id).run_test(size=(100, 30)) as pilot:
        pane = await opened_pane(pilot, 2)
        await pilot.pause(0.1)
        await pilot.mouse_down(pane, offset=(0, 1))
        await pilot.hover(pane, offset=(5, 1))
        await pilot.mouse_up(pane, offset=(5, 1))
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: no_system_clipboard == ["Error:"])
        assert not pilot.app._exit
        await pilot.press("ctrl+c")  # nothing selected now: quits
        await wait_for(pilot, lambda: pilot.app._exit)
