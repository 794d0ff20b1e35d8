"""joblens's LogPane against Textual's Log and RichLog, headless, on one Terraform-like workload.

    python benchmarks/log_pane.py [--quick] [--colourless]
    python benchmarks/log_pane.py --line-cost

Each measurement runs in a fresh subprocess (``--worker``), so memory is a clean RSS delta and
one widget's garbage never slows another. Figures: ingest time to the final rendered frame
(batches of 100 lines, the event loop runs between batches), memory per line, scroll to top and
back to the bottom, one cold render of the visible region at the top/middle/end, the time from
a chunk's arrival to its row being rendered, and CPU while streaming 1,000 lines/s. The last
lines are ``RATIO <figure> <baseline> <number>``: the baseline's figure over joblens's (larger
is better for joblens).

``--colourless`` feeds every widget the same log with its colour codes removed, as the
platform's runner writes it (tofu runs with ``-no-color``), so joblens highlights it
(``terraform_colour``) at render time and the others show it grey; it ends with the
``--line-cost`` figure: what rendering one line costs joblens, for colourless lines highlighted
against coloured lines through the ANSI parser (the path every coloured line took before).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import batches

KINDS = ("joblens", "Log", "RichLog")
SIZE = (200, 50)
#: Runs per widget of the ingest figure at each size (the median is reported); others run once.
INGEST_REPEATS = {10_000: 5, 100_000: 3}
_TOKEN = "ZZTOKEN"
_SGR = re.compile(r"\x1b\[[0-9;]*m")
#: Lines of the workload timed by the line-cost figure (about 5% of them are coloured).
LINE_COST_LINES = 40_000
# A framed diagnostic as tofu prints it without colour: its gutter's colour is found by
# looking back to the block's first line, the only highlighting that reads other lines.
_FRAMED_ERROR = (
    "╷\n"
    "│ Error: creating RDS DB Instance (tendril-main): InvalidParameterCombination: RDS does"
    " not support creating a DB instance with DBInstanceClass=db.t2.micro, Engine=postgres\n"
    "│\n"
    "│   with aws_db_instance.main,\n"
    '│   on database.tf line 1, in resource "aws_db_instance" "main":\n'
    '│    1: resource "aws_db_instance" "main" {\n'
    "│\n"
    + "│ The detail of the error, wrapped by tofu at the terminal's width, line on line.\n" * 12
    + "╵\n"
)


def _colourless(text: str) -> str:
    """The text as the platform's runner gets it from ``tofu -no-color``."""
    return _SGR.sub("", text)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _make_app(kind: str) -> tuple[Any, Callable[[str], None], Callable[[], None]]:
    """An app with one widget of ``kind``, how to feed it a chunk, and how to drop its caches."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.strip import Strip
    from textual.widgets import Log, RichLog

    from joblens.models import LogChunk
    from joblens.widgets.log import LogPane

    base: type[Any] = {"joblens": LogPane, "Log": Log, "RichLog": RichLog}[kind]

    class Probe(base):  # type: ignore[misc, valid-type]
        """Notes when a row holding the probe token is rendered."""

        token: str | None = None
        seen: float | None = None

        def render_line(self, y: int) -> Strip:
            strip: Strip = super().render_line(y)
            if self.token is not None and self.seen is None and self.token in strip.text:
                self.seen = time.perf_counter()
            return strip

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Probe()

    app = Host()
    ids = iter(range(1, 1 << 62))

    def feed(text: str) -> None:
        widget = app.query_one(Probe)
        if kind == "joblens":
            widget.write_chunks([LogChunk(next(ids), "job", text)])
        elif kind == "Log":
            widget.write_lines(text.split("\n")[:-1])
        else:
            widget.write(Text.from_ansi(text))

    def drop_caches() -> None:
        widget = app.query_one(Probe)
        for name in ("_cache", "_rows", "_render_line_cache", "_line_cache"):
            cache = getattr(widget, name, None)
            if cache is not None:
                cache.clear()
        widget._styles_cache.clear()

    return app, feed, drop_caches


async def _render_times(
    pilot: Any, widget: Any, drop_caches: Callable[[], None]
) -> dict[str, float]:
    """One render of every visible row at the top, middle and end, caches dropped; best of 5."""
    height = widget.scrollable_content_region.height
    renders = {}
    for where, y in (("top", 0), ("middle", widget.max_scroll_y // 2), ("end", None)):
        widget.scroll_to(y=widget.max_scroll_y if y is None else y, animate=False)
        await pilot.pause()
        samples = []
        for _ in range(5):
            drop_caches()
            t0 = time.perf_counter()
            for row in range(height):
                widget.render_line(row)
            samples.append(time.perf_counter() - t0)
        renders[where] = min(samples)
    return renders


async def _until_seen(widget: Any, token: str, timeout: float = 60.0) -> float:
    """When a row holding ``token`` was rendered. A token set before the action (the ingest's
    END, watched from the first write) keeps a render already seen: Log sometimes renders its
    last row while the writer yields, and is never asked to render it again."""
    if widget.token != token:
        widget.token, widget.seen = token, None
    deadline = time.perf_counter() + timeout
    while widget.seen is None and time.perf_counter() < deadline:
        await asyncio.sleep(0.001)
    seen = widget.seen
    widget.token = None
    if seen is None:
        raise RuntimeError(f"{token} never rendered")
    return float(seen)


async def _worker(
    kind: str, lines: int, extras: bool, stream_seconds: float, colourless: bool
) -> None:
    texts = list(batches(lines))
    if colourless:
        texts = [_colourless(text) for text in texts]
    texts[0] = f"{_TOKEN}-TOP\n" + texts[0]
    texts[-1] += f"{_TOKEN}-END\n"
    text_bytes = sum(len(t.encode()) for t in texts)
    app, feed, drop_caches = _make_app(kind)
    result: dict[str, Any] = {"kind": kind, "lines": lines, "text_bytes": text_bytes}
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one("Probe")
        await pilot.pause()
        gc.collect()
        rss0 = _rss_bytes()
        widget.token, widget.seen = f"{_TOKEN}-END", None
        start = time.perf_counter()
        for text in texts:
            feed(text)
            await asyncio.sleep(0)
        painted = await _until_seen(widget, f"{_TOKEN}-END", timeout=3600)
        result["ingest_s"] = painted - start
        result["rss_delta"] = _rss_bytes() - rss0
        result["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        if not extras:
            _report(result)
        renders = await _render_times(pilot, widget, drop_caches)
        result["render_s"] = renders
        # Home, then End, each until its row is rendered; the median of five round trips.
        trips = []
        for _ in range(5):
            t0 = time.perf_counter()
            widget.scroll_home(animate=False, immediate=True)
            await _until_seen(widget, f"{_TOKEN}-TOP")
            widget.scroll_end(animate=False, immediate=True)
            await _until_seen(widget, f"{_TOKEN}-END")
            trips.append(time.perf_counter() - t0)
        result["scroll_top_bottom_s"] = statistics.median(trips)
        # Arrival to rendered row, one small chunk at a time.
        latencies = []
        for i in range(40):
            token = f"{_TOKEN}-{i}"
            t0 = time.perf_counter()
            feed(f"latency probe {token}\n")
            latencies.append(await _until_seen(widget, token, timeout=10) - t0)
            # Irregular gaps, so arrivals fall at every phase of Textual's 60 Hz frame clock.
            await asyncio.sleep(0.02 + (i % 7) * 0.0031)
        result["latency_s"] = sorted(latencies)
        # Streaming 1,000 lines/s (10 lines every 10 ms) into the open view.
        chunk = "".join(next(batches(10, seed=7)))
        if colourless:
            chunk = _colourless(chunk)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        tick = wall0
        while time.perf_counter() - wall0 < stream_seconds:
            feed(chunk)
            tick += 0.01
            await asyncio.sleep(max(0.0, tick - time.perf_counter()))
        await pilot.pause()
        result["cpu_1000lps"] = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        if kind == "joblens":
            result.update(await _wrap_figures(pilot, widget, drop_caches))
        _report(result)
    raise AssertionError("unreachable")


def _report(result: dict[str, Any]) -> NoReturn:
    """Print the figures and leave at once: tearing down an app holding a million lines (and
    Log's thread workers) is not what is measured, and has been seen to hang."""
    print(json.dumps(result), flush=True)
    os._exit(0)


async def _wrap_figures(pilot: Any, widget: Any, drop_caches: Callable[[], None]) -> dict[str, Any]:
    """joblens only (Log cannot wrap; RichLog wraps once, at write time): wrap at 80 columns."""
    await pilot.resize_terminal(80, 24)
    await pilot.pause()
    widget.scroll_to(y=widget.max_scroll_y // 2, animate=False)
    await pilot.pause()
    t0 = time.perf_counter()
    widget.wrap = True
    wrap_on = await _until_seen(widget, "") - t0  # "": the next row rendered at all
    renders = await _render_times(pilot, widget, drop_caches)
    t0 = time.perf_counter()
    widget.wrap = False
    wrap_off = await _until_seen(widget, "") - t0
    # Search ("/"): a text found nowhere reads the whole log, the worst case.
    t0 = time.perf_counter()
    found = widget.search("no line holds this text")
    search_miss = time.perf_counter() - t0
    assert not found
    return {
        "wrap_on_s": wrap_on,
        "wrap_off_s": wrap_off,
        "wrap_render_s": renders,
        "search_miss_s": search_miss,
    }


def _run(
    kind: str, lines: int, extras: bool, stream_seconds: float, timeout: float, colourless: bool
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", kind, str(lines)]
    if extras:
        command += ["--extras", "--stream-seconds", str(stream_seconds)]
    if colourless:
        command.append("--colourless")
    print(f"  running {kind} {lines:,} lines{' + extras' if extras else ''} ...", flush=True)
    for attempt in (1, 2):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
            break
        except subprocess.TimeoutExpired as exc:
            # Log runs used to stall here (_until_seen waited for a second render of a row
            # already rendered; fixed). Should a run stall again, it is said and run once more;
            # a second stall is a hang.
            if attempt == 2:
                raise SystemExit(f"{kind} {lines:,} took over {timeout} s twice") from exc
            print(f"  {kind} {lines:,} took over {timeout} s; running it again", flush=True)
    if done.returncode:
        raise SystemExit(f"{kind} {lines:,} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _line_cost() -> None:
    """What ``line_segments`` costs per line (the pane's whole work for a line it paints once).

    Best of 7 passes over each set, every line rendered cold (the pane caches a line after its
    first paint, so this is paid once per line shown). Highlighting is turned off for the
    reference row by swapping ``line_spans`` for a function that finds nothing.
    """
    from rich.console import Console
    from rich.style import Style

    import joblens.widgets.log.render as log_render
    from joblens.widgets.log.store import LineStore

    console = Console(width=200, color_system="truecolor")
    base, marker = Style(color="white", bgcolor="black"), Style(italic=True)
    every = [line for text in batches(LINE_COST_LINES) for line in text.split("\n")[:-1]]
    coloured = [line for line in every if "\x1b" in line]
    stripped = [_colourless(line) for line in every]

    def store_of(lines: list[str]) -> LineStore:
        store = LineStore()
        store.append("".join(line + "\n" for line in lines))
        return store

    def per_line(store: LineStore) -> float:
        count = len(store)
        best = float("inf")
        for _ in range(7):
            t0 = time.perf_counter()
            for index in range(count):
                # The neighbours' text, as LogPane._line_segments gives it for every line.
                def nearby(offset: int, index: int = index) -> str | None:
                    at = index + offset
                    return store.line(at).decode("utf-8", "replace") if 0 <= at < count else None

                log_render.line_segments(store.line(index), base, marker, console, nearby)
            best = min(best, time.perf_counter() - t0)
        return best / count

    framed = store_of(_FRAMED_ERROR.split("\n")[:-1] * 50)
    figures = [
        ("coloured lines, ANSI parse", len(coloured), per_line(store_of(coloured))),
        (
            "the same lines colourless, highlighted",
            len(coloured),
            per_line(store_of([_colourless(line) for line in coloured])),
        ),
        ("every line colourless, highlighted", len(stripped), per_line(store_of(stripped))),
        ("framed diagnostic lines (look-back)", len(framed), per_line(framed)),
    ]
    real = log_render.line_spans
    log_render.line_spans = lambda text, nearby=None: ()
    try:
        off = per_line(store_of(stripped))
    finally:
        log_render.line_spans = real
    figures.append(("every line colourless, not highlighted", len(stripped), off))
    print(f"\nline_segments per line, cold (best of 7), Python {sys.version.split()[0]}")
    for label, count, seconds in figures:
        print(f"  {label:42} {count:>7,} lines {seconds * 1e6:>8.2f} us")
    ansi, highlighted = figures[0][2], figures[1][2]
    print(f"RATIO line_cost ansi_over_highlighted {ansi / highlighted:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k lines only, under a minute")
    parser.add_argument(
        "--colourless",
        action="store_true",
        help="the log without colour codes (tofu -no-color), highlighted by joblens",
    )
    parser.add_argument(
        "--line-cost", action="store_true", help="only the per-line render cost, a few seconds"
    )
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "LINES"), help=argparse.SUPPRESS)
    parser.add_argument("--extras", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stream-seconds", type=float, default=3.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, lines = args.worker[0], int(args.worker[1])
        asyncio.run(_worker(kind, lines, args.extras, args.stream_seconds, args.colourless))
        return
    if args.line_cost:
        _line_cost()
        return

    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    extras_at = sizes[-1]
    stream_seconds = 2.0 if args.quick else 5.0
    results: dict[tuple[str, int], dict[str, Any]] = {}
    ingest: dict[tuple[str, int], list[float]] = {}
    for size in sizes:
        # Small ingests last a few frames, so one run is mostly noise: take the median of
        # several, the widgets taking turns so that a slow spell of the machine hits them alike.
        for _ in range(INGEST_REPEATS.get(size, 1)):
            for kind in KINDS:
                # RichLog takes ~3 minutes for 1M lines here; anything far beyond that is a hang.
                timeout = 60 + size / 1000
                extras = size == extras_at and (kind, size) not in results
                result = _run(kind, size, extras, stream_seconds, timeout, args.colourless)
                results.setdefault((kind, size), result)
                ingest.setdefault((kind, size), []).append(result["ingest_s"])

    print(
        f"\nLogPane vs Textual Log/RichLog, headless {SIZE[0]}x{SIZE[1]},"
        f" Python {sys.version.split()[0]}"
        + (", colourless input (joblens highlights it)" if args.colourless else "")
    )
    print(f"{'figure':34} " + " ".join(f"{k:>14}" for k in KINDS))
    ratios: list[tuple[str, str, float]] = []

    def row(figure: str, values: dict[str, float], fmt: Callable[[float], str]) -> None:
        print(f"{figure:34} " + " ".join(f"{fmt(values[k]):>14}" for k in KINDS))
        for k in KINDS[1:]:
            ratios.append((figure, k, values[k] / values["joblens"]))

    for size in sizes:
        label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"
        row(f"ingest_{label}", {k: statistics.median(ingest[k, size]) for k in KINDS}, _fmt_s)
    big = {k: results[k, extras_at] for k in KINDS}
    text_bytes = big["joblens"]["text_bytes"]
    row(
        "memory_per_line",
        {k: big[k]["rss_delta"] / extras_at for k in KINDS},
        lambda b: f"{b:,.0f} B",
    )
    print(
        f"{'  (x text size, RSS delta)':34} "
        + " ".join(f"{big[k]['rss_delta'] / text_bytes:>13.2f}x" for k in KINDS)
    )
    for where in ("top", "middle", "end"):
        row(f"render_{where}", {k: big[k]["render_s"][where] for k in KINDS}, _fmt_s)
    row("scroll_top_bottom", {k: big[k]["scroll_top_bottom_s"] for k in KINDS}, _fmt_s)
    row("latency_p50", {k: statistics.median(big[k]["latency_s"]) for k in KINDS}, _fmt_s)
    row("latency_max", {k: max(big[k]["latency_s"]) for k in KINDS}, _fmt_s)
    row("cpu_1000lps", {k: big[k]["cpu_1000lps"] for k in KINDS}, lambda c: f"{c:.0%} core")
    jl = big["joblens"]
    if "wrap_on_s" in jl:
        print(f"{'wrap_on_80_columns':34} {_fmt_s(jl['wrap_on_s']):>14} {'-':>14} {'-':>14}")
        print(f"{'wrap_off':34} {_fmt_s(jl['wrap_off_s']):>14} {'-':>14} {'-':>14}")
        print(f"{'search_no_match':34} {_fmt_s(jl['search_miss_s']):>14} {'-':>14} {'-':>14}")
        for where in ("top", "middle", "end"):
            value = _fmt_s(jl["wrap_render_s"][where])
            print(f"{'render_wrapped_' + where:34} {value:>14} {'-':>14} {'-':>14}")
    repeats = ", ".join(f"{INGEST_REPEATS.get(size, 1)} at {size:,}" for size in sizes)
    print(
        f"\ningest: median of {repeats} runs;"
        f" render/scroll/latency/cpu at {extras_at:,} lines; renders are cold (caches dropped),"
        " best of 5; 'painted' = the row was rendered by the compositor (headless: not written)."
    )
    for figure, baseline, ratio in ratios:
        print(f"RATIO {figure} {baseline} {ratio:.1f}")
    if args.colourless:
        _line_cost()


if __name__ == "__main__":
    main()
