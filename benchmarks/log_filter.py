"""Filtering, searching and folding a million lines in the open log pane, keys never waiting.

    python benchmarks/log_filter.py [--lines 1000000]

The log pane (headless, 120x40) holds ``--lines`` lines of ``workload.py``'s Terraform-like log
(5% coloured; a third of its lines are ``Refreshing state...`` or ``Still creating...``, in
short runs: many folds, a worst case for them). Then, each from the end of the log:

- ``filter``: ``LogPane.set_filter`` for a rare text, a common one, a regex, an inverse and one
  stream: the time until the first matching rows are painted, the time until the filter has
  looked at every line, and the longest the event loop was kept from a key meanwhile (a probe
  timer every 5 ms notes its lateness);
- ``search``: ``LogPane.search`` for the same texts: the time to the first match shown, to the
  full count (``search_count``), and the longest stall;
- ``folds``: the share of the pane's ingest (to the last row painted, as ``log_pane.py``
  measures it) spent finding folds, by ingesting once with folding on and once off.

Targets (issue 13): first matches within 100 ms, the full count within 1 s, no stall a key would
feel (under ~50 ms), folds under 20% of ingest.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import batches

CASES = [
    ("rare text", "ffff0000", False, False, None),
    ("common text", "creating", False, False, None),
    ("regex", r"Still (creating|destroying)\.\.\. \[\d+s", True, False, None),
    ("inverse", "Refreshing", False, True, None),
    ("STDERR only", "", False, False, frozenset({"STDERR"})),
]


class Stalls:
    """The longest time a 5 ms timer fired late: how long a key would have waited."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _probe(self) -> None:
        while True:
            due = time.perf_counter() + 0.005
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - due)

    def __enter__(self) -> Stalls:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._probe())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


class FirstPaint:
    """When the pane first painted a row once ``ready()`` held (a match to show)."""

    def __init__(self, pane: Any, ready: Any) -> None:
        self.pane, self.ready = pane, ready
        self.at: float | None = None

    def __enter__(self) -> FirstPaint:
        original = type(self.pane).render_line

        def render_line(y: int) -> Any:
            strip = original(self.pane, y)
            if self.at is None and self.ready():
                self.at = time.perf_counter()
            return strip

        self.pane.render_line = render_line
        return self

    def __exit__(self, *exc: object) -> None:
        del self.pane.render_line


async def _ingest(lines: int, folding: bool) -> tuple[Any, Any, Any, float]:
    """A running app whose pane holds ``lines`` lines, and the seconds the ingest took."""
    from textual.app import App, ComposeResult

    from joblens.models import LogChunk, StreamType
    from joblens.widgets.log import LogPane, LogView

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield LogView()

    app = Host()
    runner = app.run_test(size=(120, 40))
    pilot = await runner.__aenter__()
    view = app.query_one(LogView)
    pane: LogPane = view.pane
    pane.folding = folding
    start = time.perf_counter()
    for n, text in enumerate(batches(lines)):
        stream = StreamType.STDERR if n % 50 == 7 else StreamType.STDOUT
        pane.write_chunks([LogChunk(n + 1, "job", text, stream=stream)])
    pane.write_chunks([LogChunk(10**9, "job", "the last line\n")])
    while pane._flush_queued or pane._pending_append:
        await pilot.pause(0.001)
    await pilot.pause()
    elapsed = time.perf_counter() - start
    return app, runner, pilot, elapsed


async def _filters(pane: Any, pilot: Any) -> list[tuple[str, float, float, float, int]]:
    from joblens.widgets.log.log_filter import ALL_STREAMS, LogFilter

    rows = []
    for name, text, regex, invert, streams in CASES:
        pane.set_filter(None)
        await pilot.pause()
        with Stalls() as stalls, FirstPaint(pane, lambda: pane.filter_progress[0] > 0) as paint:
            start = time.perf_counter()
            pane.set_filter(LogFilter(text, regex, invert, streams or ALL_STREAMS))
            while not pane.filter_progress[2]:
                await pilot.pause(0.001)
            full = time.perf_counter() - start
            await pilot.pause()
        first = (paint.at or time.perf_counter()) - start
        rows.append((name, first, full, stalls.worst, pane.filter_progress[0]))
    pane.set_filter(None)
    return rows


async def _searches(pane: Any, pilot: Any) -> list[tuple[str, float, float, float, int]]:
    rows = []
    for name, text, regex, invert, streams in CASES:
        if not text or streams or invert:  # a search has no inverse or streams
            continue
        pane.clear_search()
        pane.follow()
        await pilot.pause()
        with Stalls() as stalls, FirstPaint(pane, lambda: pane.match_line is not None) as paint:
            start = time.perf_counter()
            pane.search(text, regex=regex)
            while (count := pane.search_count) is not None and not count[2]:
                await pilot.pause(0.001)
            full = time.perf_counter() - start
            await pilot.pause()
        first = (paint.at or time.perf_counter()) - start
        rows.append((name, first, full, stalls.worst, count[1] if count else 0))
    return rows


async def main(lines: int) -> None:
    ingest: dict[bool, list[float]] = {}
    for folding in (False, True, False, True):
        app, runner, pilot, seconds = await _ingest(lines, folding)
        ingest.setdefault(folding, []).append(seconds)
        if folding and len(ingest[True]) == 2:
            pane = app.query_one("LogPane")
            folds = len(pane.folds)
            filters = await _filters(pane, pilot)
            searches = await _searches(pane, pilot)
        await runner.__aexit__(None, None, None)
    off, on = statistics.median(ingest[False]), statistics.median(ingest[True])
    print(f"{lines:,} lines; ingest to the last row painted: {off:.2f} s without folding,")
    print(f"{on:.2f} s with it ({folds:,} folds): folds cost {(on - off) / off:+.0%} of ingest\n")
    _table(("filter", "first rows", "all lines", "worst stall", "shown"), filters)
    print()
    _table(("search", "first match", "full count", "worst stall", "matches"), searches)


def _table(heads: tuple[str, ...], rows: list[tuple[str, float, float, float, int]]) -> None:
    print(f"{heads[0]:<14}" + "".join(f"{head:>13}" for head in heads[1:]))
    for name, first, full, stall, count in rows:
        times = "".join(f"{seconds * 1e3:>10.0f} ms" for seconds in (first, full, stall))
        print(f"{name:<14}{times}{count:>13,}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    asyncio.run(main(parser.parse_args().lines))
