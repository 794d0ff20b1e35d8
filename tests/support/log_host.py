"""A tiny app hosting the log view as the job screen does, and helpers for its tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from itertools import count

from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot, _get_mouse_message_arguments
from textual.strip import Strip

from joblens.models import LogChunk, StreamType
from joblens.widgets.log import LogPane, LogView

_ids = count(1)


def chunk(
    text: str, stream: StreamType | str = StreamType.STDOUT, at: datetime | None = None
) -> LogChunk:
    """A chunk of ``text`` on ``stream``, written at ``at`` (its ``created_at``)."""
    return LogChunk(id=next(_ids), job_id="job", text=text, stream=stream, created_at=at)


def numbered(start: int, stop: int, prefix: str = "line") -> LogChunk:
    return chunk("".join(f"{prefix} {i}\n" for i in range(start, stop)))


class LogHost(App[None]):
    """The log view as the job screen uses it, recording the pane's following states."""

    def __init__(self, wrap: bool = False, timestamps: bool = False) -> None:
        super().__init__()
        self.wrap = wrap
        self.timestamps = timestamps
        self.states: list[tuple[bool, int]] = []

    def compose(self) -> ComposeResult:
        yield LogView(wrap=self.wrap, timestamps=self.timestamps)

    def on_mount(self) -> None:
        self.query_one(LogView).pane.focus()

    def on_log_pane_following_changed(self, event: LogPane.FollowingChanged) -> None:
        self.states.append((event.following, event.unseen))


@asynccontextmanager
async def open_pane(
    size: tuple[int, int] = (60, 12), *, wrap: bool = False, timestamps: bool = False
) -> AsyncIterator[tuple[LogHost, Pilot[None], LogPane]]:
    """A LogHost running headless at ``size``: the app, its pilot and its pane."""
    app = LogHost(wrap=wrap, timestamps=timestamps)
    async with app.run_test(size=size) as pilot:
        yield app, pilot, app.query_one(LogView).pane


def text_of(strip: Strip) -> str:
    return "".join(segment.text for segment in strip)


def visible(pane: LogPane) -> list[str]:
    height = pane.scrollable_content_region.height
    return [text_of(pane.render_line(y)).rstrip() for y in range(height)]


async def settle(pilot: Pilot[None]) -> None:
    """Let the buffered flush (a cadence wait away, log_cadence.py) and its repaint happen."""
    pane = pilot.app.query_one(LogPane)
    for _ in range(200):
        if not pane._flush_queued:
            break
        await pilot.pause(0.01)
    await pilot.pause()


async def write(pilot: Pilot[None], pane: LogPane, *chunks: LogChunk) -> None:
    pane.write_chunks(list(chunks))
    await settle(pilot)


async def wheel(pilot: Pilot[None], pane: LogPane, kind: type[events.MouseEvent], n: int) -> None:
    """Turn the mouse wheel over the pane, as the terminal reports it."""
    arguments = _get_mouse_message_arguments(pane, (5, 5))
    for _ in range(n):
        pilot.app.screen._forward_event(kind(**arguments))
        await pilot.pause()


def indicator_text(app: LogHost) -> str:
    return str(app.query_one(LogView).indicator.render())
