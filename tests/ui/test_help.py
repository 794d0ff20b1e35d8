"""The help screen (? and F1), every action in the palette, and keys that say why they do not
apply now."""

from __future__ import annotations

from typing import Any

import pytest
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Input

from joblens.app import JoblensApp
from joblens.screens.help import HelpScreen, KeyTable, binding_keys, key_groups, key_label
from joblens.screens.job_screen import JobScreen
from joblens.widgets.error_digest import DiagnosticList
from joblens.widgets.log import LogPane, LogView
from joblens.widgets.log.search_bar import LogSearchBar
from support.demo import StaticWorld
from support.views import notes, opened
from support.waiting import wait_for

LOG = (
    ("Terraform will perform the following actions:\n", "STDOUT"),
    ("\nError: creating S3 Bucket (logs): BucketAlreadyExists\n\n", "STDERR"),
)


def help_rows(pilot: Pilot[Any]) -> dict[str, set[tuple[str, str]]]:
    """What the open help lists: (keys, description) rows under each heading."""
    screen = pilot.app.screen
    assert isinstance(screen, HelpScreen)
    shown: dict[str, set[tuple[str, str]]] = {}
    heading = ""
    for widget in screen.query(".help-heading, KeyTable"):
        if isinstance(widget, KeyTable):
            shown[heading] |= set(widget.rows)
        else:
            heading = str(widget.render())
            shown[heading] = set()
    return shown


async def open_help(pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))


@pytest.mark.parametrize("key", ["question_mark", "f1"])
async def test_help_opens_from_the_log_and_lists_a_key_of_each_group(
    static_world: StaticWorld, key: str
) -> None:
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        assert screen.query_one(LogPane).has_focus
        await open_help(pilot, key)
        rows = help_rows(pilot)
        assert list(rows) == ["Job", "Log", "Search and filter", "Panels", "App"]
        assert ("c", "Cancel") in rows["Job"]
        assert ("f", "Filter") in rows["Log"] and ("z", "Fold") in rows["Log"]
        assert ("End G", "Follow") in rows["Log"] and ("|", "Log in $PAGER") in rows["Log"]
        assert ("Ctrl+R", "Regex") in rows["Search and filter"]
        assert ("x", "Errors") in rows["Panels"] and ("R", "Resources") in rows["Panels"]
        assert ("c y", "Copy") in rows["Panels"]  # in the Errors list
        assert ("q", "Quit") in rows["App"] and ("Ctrl+P", "Palette") in rows["App"]
        assert ("? F1", "Keys (this help)") in rows["App"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        assert screen.query_one(LogPane).has_focus


async def test_help_opens_from_a_focused_panel_and_q_closes_it(static_world: StaticWorld) -> None:
    job_id = static_world.job(job_type="DEPLOY", status="FAILED", plan_job_id=None)
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: bool(screen.digest.diagnostics))
        await pilot.press("x")  # the Errors panel, its list in focus
        entries = screen.query_one(DiagnosticList)
        await wait_for(pilot, lambda: entries.has_focus)
        await open_help(pilot, "question_mark")
        await pilot.press("q")  # closes the help; does not quit
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        assert pilot.app.is_running and entries.has_focus
        await open_help(pilot, "f1")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: pilot.app.screen is screen)


async def test_at_60_by_15_the_help_scrolls_to_its_last_key(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(60, 15)) as pilot:
        await opened(pilot)
        await open_help(pilot, "question_mark")
        keys = pilot.app.screen.query_one("#help-keys", VerticalScroll)
        assert keys.has_focus and keys.max_scroll_y > 0
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: keys.scroll_y > 0)
        await pilot.press("end")
        await wait_for(pilot, lambda: keys.scroll_y == keys.max_scroll_y)
        last = pilot.app.screen.query(KeyTable).last()
        assert keys.region.contains_region(last.region)  # the App keys, in view


async def test_typing_a_question_mark_in_the_search_field_types_it(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await pilot.press("slash", "w", "h", "y", "question_mark")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert screen.query_one(LogView).search_bar.value == "why?"
        await pilot.press("escape", "f", "question_mark")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert screen.query_one(LogView).filter_bar.value == "?"


def test_the_help_lists_every_described_key_of_the_job_view() -> None:
    """Built from the BINDINGS: a key added to any of them is listed without a copy here."""
    app = JoblensApp.__new__(JoblensApp)  # key_groups reads only the class's own bindings
    listed = {row for group in key_groups(app) for s in group.sections for row in s.rows}
    for declared in (JobScreen.BINDINGS, LogPane.BINDINGS, LogSearchBar.BINDINGS):
        for binding in declared:
            assert isinstance(binding, Binding)
            if binding.description and not binding.system:
                assert (binding_keys(binding), binding.description) in listed, binding


def test_keys_read_as_people_write_them() -> None:
    assert [key_label(k) for k in ("ctrl+r", "pageup", "G", "g", "home", "f1", "escape")] == [
        "Ctrl+R",
        "PgUp",
        "G",
        "g",
        "Home",
        "F1",
        "Esc",
    ]
    assert key_label("number_sign") == "#" and key_label("question_mark") == "?"
    assert binding_keys(Binding("up,k", "x")) == "↑ k"
    assert binding_keys(Binding("vertical_line", "x", key_display="|")) == "|"


async def test_the_palette_offers_every_action(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        commands = {c.title: c for c in pilot.app.get_system_commands(screen)}
        for title in (
            "Show the job details",
            "Show the config snapshot",
            "Show the execution metadata",
            "Copy job id",
            "Copy the lines in view",
            "Save the log",
            "Open the log in $PAGER",
            "Show the keys",
        ):
            assert title in commands, title
        # (As the palette runs them: on the app's loop, after the current message.)
        pilot.app.call_next(commands["Show the config snapshot"].callback)
        await pilot.pause()
        assert not screen.query_one("#config-snapshot").collapsed  # type: ignore[attr-defined]
        pilot.app.call_next(commands["Show the keys"].callback)
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))


@pytest.mark.parametrize(
    ("fields", "key", "reason"),
    [
        ({"status": "SUCCESS"}, "c", "job can be cancelled; this job is SUCCESS."),
        ({"status": "PROCESSING"}, "r", "job can be re-run; this job is PROCESSING."),
        ({"status": "PROCESSING"}, "a", "can be applied; this job is a PLAN with status"),
        ({"job_type": "DEPLOY", "status": "SUCCESS"}, "a", "this job is a DEPLOY"),
        (
            {"job_type": "DEPLOY", "status": "SUCCESS", "plan_job_id": None},
            "o",
            "No plan to open: this DEPLOY has no source PLAN.",
        ),
        ({"status": "PROCESSING"}, "o", "No DEPLOY to open: none applies this PLAN yet."),
        ({"job_type": "DEPLOY", "status": "SUCCESS"}, "p", "only a PLAN has one"),
        ({"status": "SUCCESS"}, "R", "its resources are in the Plan panel (p)"),
    ],
)
async def test_a_key_that_does_not_apply_now_says_why(
    static_world: StaticWorld, fields: dict[str, Any], key: str, reason: str
) -> None:
    job_id = static_world.job(**fields)
    before = set(static_world.store.jobs)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press(key)
        await wait_for(pilot, lambda: any(reason in n for n in notes(pilot.app)))
        assert len(notes(pilot.app)) == 1  # one toast
        assert pilot.app.screen is screen  # nothing opened, nothing asked
    assert set(static_world.store.jobs) == before


async def test_keys_that_apply_are_not_explained(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        assert screen.why_not("cancel_job") is None
        assert screen.why_not("toggle_panel", ("plan",)) is None
        await pilot.press("p")
        await pilot.pause()
        assert not screen.query_one("#plan").collapsed  # type: ignore[attr-defined]
        assert notes(pilot.app) == []


async def test_e_with_no_errors_says_so(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="SUCCESS")
    static_world.logs(job_id, ("no trouble here\n", "STDOUT"))
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: any("No errors" in n for n in notes(pilot.app)))


async def test_the_search_field_keeps_its_keys_while_the_help_is_closed(
    static_world: StaticWorld,
) -> None:
    """F1 while typing opens the help (it types nothing); closing it goes back to the field."""
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await pilot.press("slash", "a")
        await open_help(pilot, "f1")
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        field = screen.query_one(LogView).search_bar
        assert isinstance(pilot.app.focused, Input) and pilot.app.focused is field
        assert field.value == "a"


# -- how it looks ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (60, 15)])
def test_help_screen_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    """Headings, notes and keys wrapped word by word; at 60x15 it fills the screen and scrolls."""
    world = StaticWorld()
    job_id = world.job(status="SUCCESS")
    world.logs(job_id, *LOG)

    async def open_it(pilot: Pilot[Any]) -> None:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: screen.feed.live and screen.feed.backfilled.is_set())
        await open_help(pilot, "question_mark")
        await pilot.pause(0.2)

    assert snap_compare(world.app(job_id), terminal_size=size, run_before=open_it)


async def test_escape_closes_the_keys_panel_before_going_back(static_world: StaticWorld) -> None:
    first = static_world.job(status="SUCCESS")
    second = static_world.job(status="FAILED")
    app = static_world.app(first)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        app.open_job(await static_world.backend.get_job(second))
        await wait_for(pilot, lambda: len(app.screen_stack) == 3)
        top = await opened(pilot)
        app.action_show_help_panel()  # the palette's "Keys"
        await wait_for(pilot, lambda: bool(top.query("HelpPanel")))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not top.query("HelpPanel"))
        assert app.screen is top  # still on the second job
        await pilot.press("escape")  # now Esc goes back
        await wait_for(pilot, lambda: app.screen is not top)
        assert isinstance(app.screen, JobScreen) and app.screen.job.id == first
