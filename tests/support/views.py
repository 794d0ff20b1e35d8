"""The app as tests build and drive it: made with a chosen poll interval, opened on a job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from devstack.testing import StackInfo
from textual.pilot import Pilot

from joblens.app import JoblensApp
from joblens.backends.base import Backend
from joblens.screens.job_list import JobListScreen
from joblens.screens.job_screen import JobScreen
from joblens.widgets.details import JsonPanel
from joblens.widgets.json_rows import Role, Row
from joblens.widgets.json_tree import JsonTree
from joblens.widgets.log import LogPane
from support.backends import backend_for
from support.waiting import wait_for

#: How often the view's tests on the demo backend poll a job's row (joblens: every 3 s), so
#: that they see changes quickly.
QUICK_POLL = 0.1


def make_app(backend: Backend, job_ref: str, *, poll_seconds: float) -> JoblensApp:
    """The app on ``job_ref``, polling each job's row every ``poll_seconds`` (joblens: 3 s;
    tests poll faster to see changes quickly, or far slower to see only the live stream)."""
    return JoblensApp(backend, job_ref, poll_seconds=poll_seconds)


async def listed(pilot: Pilot[Any]) -> JobListScreen:
    """The jobs list screen, once it has read the jobs and its live stream is up."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobListScreen))
    screen = pilot.app.screen
    assert isinstance(screen, JobListScreen)
    await wait_for(pilot, lambda: screen.loaded and screen.live is True)
    return screen


async def opened(pilot: Pilot[Any]) -> JobScreen:
    """Wait for the job screen to replace the connecting screen."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, JobScreen)
    return screen


async def opened_pane(pilot: Pilot[Any], lines: int) -> LogPane:
    """The job screen's log pane, once it holds ``lines`` lines."""
    pane = (await opened(pilot)).query_one(LogPane)
    await wait_for(pilot, lambda: pane.line_count == lines)
    return pane


@asynccontextmanager
async def live_view(
    stack: StackInfo, token: str, job_id: str, *, poll_seconds: float
) -> AsyncIterator[tuple[Pilot[None], JobScreen, LogPane]]:
    """The real app on ``job_id`` through the stack, its screen live: (pilot, screen, pane)."""
    app = make_app(backend_for(stack, token), job_id[:8], poll_seconds=poll_seconds)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: screen.feed.live, timeout=15)
        yield pilot, screen, screen.query_one(LogPane)


def pane_lines(pane: LogPane) -> list[str]:
    """Every line the pane shows: the stored ones, then each stream's unfinished one."""
    return [pane.line_text(i) for i in range(pane.line_count)] + pane.open_lines


def notes(app: object) -> list[str]:
    """The messages of the notifications the app is showing."""
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


# -- the JSON panels -----------------------------------------------------------------------


async def open_tree(pilot: Pilot[Any], key: str, panel_id: str) -> JsonTree:
    """Press ``key`` on the job view; the panel's tree once its first rows are shown."""
    screen = await opened(pilot)
    await pilot.press(key)
    panel = screen.query_one(f"#{panel_id}", JsonPanel)
    await wait_for(pilot, lambda: bool(panel.query(JsonTree)), timeout=10)
    tree = panel.query_one(JsonTree)
    await wait_for(pilot, lambda: any(r.role is Role.VALUE for r in tree.rows), timeout=10)
    tree.focus()
    return tree


async def open_row(pilot: Pilot[Any], tree: JsonTree, label: str, key: str = "enter") -> None:
    """Move the cursor to the first row labelled ``label``, press ``key``, wait for its rows."""
    tree.move_cursor(next(i for i, row in enumerate(tree.rows) if row.label == label))
    await pilot.press(key)
    await wait_for(pilot, lambda: not tree.busy, timeout=30)


def shown_text(rows: list[Row]) -> str:
    """The rows as ``label: text`` lines."""
    return "\n".join(f"{row.label}: {row.text}" for row in rows)
