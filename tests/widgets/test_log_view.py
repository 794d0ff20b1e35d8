"""The log view on its own: its search field drives the pane, its indicator follows both."""

from __future__ import annotations

from joblens.widgets.log import LogView
from support.log_host import indicator_text, numbered, open_pane, settle, write


def _notes(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


async def test_the_field_searches_the_pane_and_the_indicator_shows_the_search() -> None:
    async with open_pane() as (app, pilot, pane):
        view = app.query_one(LogView)
        bar = view.search_bar
        await write(pilot, pane, numbered(0, 100, prefix="row"))
        assert not bar.display and not view.search_has_focus
        view.open_search()
        await pilot.pause()
        assert bar.display and view.search_has_focus
        await pilot.press(*"row 42", "enter")
        await settle(pilot)
        assert not bar.display and pane.has_focus
        assert pane.match_line == 42 and not pane.following
        assert "/row 42 1/1 · n next" in indicator_text(app)  # the first of one match
        assert "Paused" in indicator_text(app)
        view.open_search()
        await pilot.pause()
        assert bar.value == "row 42"  # the search in use, to edit
        await pilot.press("escape")  # closes the field; the search stays
        assert not bar.display and pane.has_focus and pane.search_text == "row 42"
        await pilot.press("escape")  # the pane clears the search
        await settle(pilot)
        assert pane.search_text is None and "/" not in indicator_text(app)


async def test_a_search_that_finds_nothing_says_so_and_an_empty_one_clears() -> None:
    async with open_pane() as (app, pilot, pane):
        view = app.query_one(LogView)
        await write(pilot, pane, numbered(0, 20))
        view.open_search()
        await pilot.press(*"line 7", "enter")
        assert pane.search_text == "line 7"
        view.open_search()
        await pilot.press(*"nowhere", "enter")  # typing replaces the search shown (selected)
        await settle(pilot)
        assert "No line matches 'nowhere'" in _notes(app)
        assert pane.search_text == "line 7"  # the last search found stays
        view.open_search()
        await pilot.press("backspace", "enter")  # an empty search ends the search
        await settle(pilot)
        assert pane.search_text is None and "/" not in indicator_text(app)
