"""The log pane's filter (``f``, stream keys 1/2/3) and the search's count, regex and wrap."""

from __future__ import annotations

from joblens.models import StreamType
from joblens.widgets.log import LogView
from joblens.widgets.log.log_filter import LogFilter
from support.log_host import chunk, indicator_text, open_pane, settle, visible, write

MIXED = [
    chunk("aws_vpc.main: Creating...\n"),
    chunk("Error: creating subnet: quota exceeded\n", StreamType.STDERR),
    chunk("▸ tofu apply\n", StreamType.SYSTEM),
    chunk("aws_vpc.main: Creation complete after 2s [id=vpc-1]\n"),
    chunk("aws_subnet.a: Creating...\n"),
    chunk("Error: creating route: denied\n", StreamType.STDERR),
]


async def test_f_shows_only_matching_lines_live_and_esc_shows_all_again() -> None:
    async with open_pane((80, 12)) as (app, pilot, pane):
        await write(pilot, pane, *MIXED)
        await pilot.press("f")
        await pilot.press(*"creating")
        await pilot.press("enter")
        await settle(pilot)
        assert [row for row in visible(pane) if row] == [
            "aws_vpc.main: Creating...",
            "Error: creating subnet: quota exceeded",
            "aws_subnet.a: Creating...",
            "Error: creating route: denied",
        ]
        assert "'creating' · 4 lines" in indicator_text(app)
        # Lines that arrive later are filtered as they come.
        await write(pilot, pane, chunk("aws_subnet.b: Creating...\nnot this one\n"))
        for _ in range(50):
            if pane.filter_progress[2]:
                break
            await pilot.pause(0.01)
        await settle(pilot)
        assert [row for row in visible(pane) if row][-1] == "aws_subnet.b: Creating..."
        assert "5 lines" in indicator_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert pane.filter is None and len([r for r in visible(pane) if r]) == 8


async def test_a_bang_inverts_and_ctrl_r_reads_a_regex() -> None:
    async with open_pane((80, 12)) as (_app, pilot, pane):
        await write(pilot, pane, *MIXED)
        await pilot.press("f", "ctrl+r", *"^Error: creating (subnet|route)", "enter")
        await settle(pilot)
        assert [row for row in visible(pane) if row] == [
            "Error: creating subnet: quota exceeded",
            "Error: creating route: denied",
        ]
        await pilot.press("f", "ctrl+a", "!", "enter")  # the same regex, inverted
        await settle(pilot)
        assert "Error" not in " ".join(visible(pane))
        assert pane.filter == LogFilter("^Error: creating (subnet|route)", True, True)


async def test_a_bad_regex_says_why_and_keeps_the_field_open() -> None:
    async with open_pane((80, 12)) as (app, pilot, pane):
        await write(pilot, pane, *MIXED)
        await pilot.press("f", "ctrl+r", *"(oops", "enter")
        await settle(pilot)
        assert pane.filter is None
        view = app.query_one(LogView)
        assert view.filter_bar.has_focus
        assert any("Not a regular expression" in n.message for n in app._notifications)


async def test_stream_keys_hide_and_show_streams() -> None:
    async with open_pane((80, 12)) as (app, pilot, pane):
        await write(pilot, pane, *MIXED)
        await pilot.press("1", "3")  # hide STDOUT and SYSTEM: the errors are left
        await settle(pilot)
        assert [row for row in visible(pane) if row] == [
            "Error: creating subnet: quota exceeded",
            "Error: creating route: denied",
        ]
        assert "STDERR only" in indicator_text(app)
        await pilot.press("1", "3")
        await settle(pilot)
        assert pane.filter is None


async def test_search_counts_matches_and_says_when_it_wraps() -> None:
    async with open_pane((80, 12)) as (app, pilot, pane):
        await write(pilot, pane, *MIXED)
        app.query_one(LogView).open_search()  # "/" on the job screen
        await pilot.press(*"creating", "enter")
        await settle(pilot)
        assert "/creating 1/4" in indicator_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert "/creating 2/4" in indicator_text(app)
        await pilot.press("n", "n", "n")
        await settle(pilot)
        assert "/creating 1/4" in indicator_text(app)
        assert any("wrapped around to the top" in n.message for n in app._notifications)


async def test_search_regex_and_a_filter_together_skip_hidden_lines() -> None:
    async with open_pane((80, 12)) as (app, pilot, pane):
        await write(pilot, pane, *MIXED)
        await pilot.press("2")  # hide STDERR
        await settle(pilot)
        app.query_one(LogView).open_search()
        await pilot.press("ctrl+r", *"creat(ing|ion)", "enter")
        await settle(pilot)
        assert pane.match_line == 0
        await pilot.press("n")
        await settle(pilot)
        assert pane.match_line == 3  # line 1 (STDERR) is hidden: passed over
