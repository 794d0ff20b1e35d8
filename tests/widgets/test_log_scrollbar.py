"""The pane's vertical bar: repainted only when its thumb moves, and always showing the truth."""

from __future__ import annotations

import random

import pytest
from textual.geometry import Region
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from support.log_host import numbered, open_pane, settle, write


def drawn(bar: ScrollBar) -> list[Strip]:
    """The bar's rows as the next frame shows them (unchanged rows come from its cache)."""
    return bar.render_lines(Region(0, 0, bar.size.width, bar.size.height))


def redrawn(bar: ScrollBar) -> list[Strip]:
    """The bar's rows drawn afresh from its current values."""
    bar.refresh()
    return drawn(bar)


def count_renders(monkeypatch: pytest.MonkeyPatch, bar: ScrollBar) -> list[int]:
    renders = [0]
    original = ScrollBar.render

    def render(self: ScrollBar) -> object:
        if self is bar:
            renders[0] += 1
        return original(self)

    monkeypatch.setattr(ScrollBar, "render", render)
    return renders


async def test_a_followed_stream_does_not_repaint_a_bar_that_does_not_move(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(0, 2000))
        bar = pane.vertical_scrollbar
        renders = count_renders(monkeypatch, bar)
        for start in range(2000, 2200, 10):
            await write(pilot, pane, numbered(start, start + 10))
            assert pane.following
        # 2,000+ lines in 12 rows: a one-cell thumb pinned to the bottom, the same every frame.
        assert renders[0] == 0
        assert [s.text for s in drawn(bar)] == [s.text for s in redrawn(bar)]


async def test_the_bar_is_repainted_when_its_thumb_moves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(0, 30))
        bar = pane.vertical_scrollbar
        renders = count_renders(monkeypatch, bar)
        # 30 lines in 12 rows: each new line shrinks the thumb visibly.
        await write(pilot, pane, numbered(30, 40))
        assert renders[0] >= 1
        assert drawn(bar) == redrawn(bar)
        pane.scroll_to(y=0, animate=False)
        await settle(pilot)
        before = renders[0]
        await write(pilot, pane, numbered(40, 60))  # paused: the thumb shrinks at the top
        assert renders[0] > before
        assert drawn(bar) == redrawn(bar)


async def test_the_bar_always_shows_its_current_values() -> None:
    """Random writes, scrolls, prepends and resizes: the bar on screen never lags behind."""
    rng = random.Random(20261129)
    async with open_pane() as (_, pilot, pane):
        written = 0
        for step in range(80):
            action = rng.choice(("write", "write", "burst", "scroll", "end", "prepend", "resize"))
            if action == "write":
                count = rng.randint(1, 15)
                await write(pilot, pane, numbered(written, written + count))
                written += count
            elif action == "burst":
                count = rng.randint(100, 600)
                await write(pilot, pane, numbered(written, written + count))
                written += count
            elif action == "scroll":
                pane.scroll_to(y=rng.randint(0, max(0, pane.max_scroll_y)), animate=False)
            elif action == "end":
                pane.scroll_end(animate=False)
            elif action == "prepend":
                pane.prepend_chunks([numbered(0, rng.randint(1, 40), prefix="older")])
            else:
                await pilot.resize_terminal(rng.randint(30, 100), rng.randint(6, 30))
            await settle(pilot)
            bar = pane.vertical_scrollbar
            assert drawn(bar) == redrawn(bar), f"step {step}: {action}"
