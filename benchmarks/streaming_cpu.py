"""CPU of the open job view while 1,000 lines/s stream in, and while the job is quiet.

    python benchmarks/streaming_cpu.py [--seconds S] [--idle-seconds S] [--no-baseline]

The real app (``JoblensApp``, headless 200x50) watches a job of the in-process demo backend
(``DemoBackend(simulate=False)``: no simulated Tendril, so nothing but this script writes).
Every 100 ms a 100-line Terraform-like chunk is committed with ``backend.write_log`` (as a
Tendril's flush), so the whole path runs: the backend's subscription, the feed (merge,
sanitise), the screen, the pane, the compositor. CPU = process CPU time (all threads,
``time.process_time``) / wall time over the window, after a 1 s warm-up. The status poll
(every 3 s) and the header's clock run as usual.

Lag: each chunk's last line is marked; a chunk counts as painted when a row at or below its last
line is first rendered (``render_line``). Idle: after streaming stops and 2 s of quiet, the
same view is measured for ``--idle-seconds``.

Baseline (optional): the same app with Textual's ``Log`` in place of ``LogPane`` (an adapter
with ``write_chunks``), run in a separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import batches

SIZE = (200, 50)
CHUNK_SECONDS = 0.1
CHUNK_LINES = 100


class LagProbe:
    """Marks each chunk's last line at write time; notes when a row at or past it renders."""

    def __init__(self) -> None:
        self.marks: list[int] = []  # last-line index of each chunk written (increasing)
        self.written: list[float] = []
        self.painted: dict[int, float] = {}  # chunk number -> first render at/after its end
        self.max_line = -1

    def wrap(self, cls: type[Any], line_count: Any) -> None:
        """Patch ``cls.render_line`` (rows are lines: wrapping is off in both widgets)."""
        original = cls.render_line
        probe = self

        def render_line(widget: Any, y: int) -> Any:
            strip = original(widget, y)
            line = widget.scroll_offset.y + y
            if line > probe.max_line and line < line_count(widget):
                probe.max_line = line
                now = time.monotonic()
                done = bisect.bisect_right(probe.marks, line)
                for chunk in range(len(probe.painted), done):
                    probe.painted[chunk] = now
            return strip

        cls.render_line = render_line

    def wrote(self, last_line: int) -> None:
        self.marks.append(last_line)
        self.written.append(time.monotonic())

    def lags(self) -> list[float]:
        return [self.painted[i] - self.written[i] for i in sorted(self.painted)]


def _log_adapter() -> type[Any]:
    """Textual's ``Log`` with the two methods the job screen calls on its pane."""
    from textual.widgets import Log

    class LogAsPane(Log):
        def write_chunks(self, chunks: Any) -> None:
            for chunk in chunks:
                self.write_lines(chunk.text.split("\n")[:-1])

        def prepend_chunks(self, chunks: Any) -> None:
            raise NotImplementedError("the baseline does not load history")

    return LogAsPane


async def _worker(
    kind: str, seconds: float, idle_seconds: float, profile: str | None = None
) -> dict[str, Any]:
    from joblens.app import JoblensApp
    from joblens.backends.demo import DemoBackend
    from joblens.screens import job_screen
    from joblens.widgets.log_pane import LogPane

    probe = LagProbe()
    if kind == "Log":
        adapter = _log_adapter()
        job_screen.LogPane = adapter  # type: ignore[attr-defined, misc]
        widget_cls: type[Any] = adapter
    else:
        widget_cls = LogPane
    probe.wrap(widget_cls, lambda w: w.line_count)

    backend = DemoBackend(seed=1, simulate=False)
    job_id = backend.start_scenario("plan")
    texts = batches(int((seconds + 2) / CHUNK_SECONDS) * CHUNK_LINES)
    app = JoblensApp(backend, job_id)
    result: dict[str, Any] = {"kind": kind}
    async with app.run_test(size=SIZE):
        deadline = time.monotonic() + 30
        while not (
            isinstance(app.screen, job_screen.JobScreen) and app.screen.feed.backfilled.is_set()
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the job screen never went live")
            await asyncio.sleep(0.01)
        pane = app.screen.query_one(widget_cls)
        await asyncio.sleep(0.5)

        # Stream: one chunk every CHUNK_SECONDS on a fixed schedule (late ticks catch up).
        profiler = cProfile.Profile() if profile == "stream" else None
        if profiler is not None:
            profiler.enable()
        start = time.monotonic()
        measured_from = start + 1.0  # warm-up
        cpu_from = wall_from = 0.0
        written = 0
        tick = 0
        while True:
            now = time.monotonic()
            if cpu_from == 0.0 and now >= measured_from:
                cpu_from, wall_from = time.process_time(), now
            if now >= measured_from + seconds:
                break
            backend.write_log(job_id, next(texts), "STDOUT")
            written += CHUNK_LINES
            probe.wrote(written - 1)
            tick += 1
            await asyncio.sleep(max(0.0, start + tick * CHUNK_SECONDS - time.monotonic()))
        cpu, wall = time.process_time() - cpu_from, time.monotonic() - wall_from
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        result["stream_cpu"] = cpu / wall
        result["lines_per_s"] = written / (time.monotonic() - start)
        await asyncio.sleep(2.0)  # let the last frames out, then quiet
        result["lags"] = probe.lags()
        result["chunks"] = len(probe.marks)
        result["pane_lines"] = pane.line_count

        profiler = cProfile.Profile() if profile == "idle" else None
        cpu_from, wall_from = time.process_time(), time.monotonic()
        if profiler is not None:
            profiler.enable()
        await asyncio.sleep(idle_seconds)
        cpu, wall = time.process_time() - cpu_from, time.monotonic() - wall_from
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        result["idle_cpu"] = cpu / wall
        result["idle_cpu_s"] = cpu
        await backend.close()
    return result


def _run(kind: str, seconds: float, idle_seconds: float, profile: str | None) -> dict[str, Any]:
    print(f"  {kind}: {seconds:.0f} s streaming, {idle_seconds:.0f} s idle ...", flush=True)
    command = [sys.executable, __file__, "--worker", kind, str(seconds), str(idle_seconds)]
    if profile:
        command += ["--profile", profile]
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=300)
    if profile:
        print(done.stderr)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="streaming window")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="idle window")
    parser.add_argument("--no-baseline", action="store_true", help="skip Textual's Log")
    parser.add_argument(
        "--profile",
        choices=("stream", "idle"),
        help="print joblens's cProfile (by own time) of that window (CPU figures inflate)",
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, seconds, idle = args.worker[0], float(args.worker[1]), float(args.worker[2])
        print(json.dumps(asyncio.run(_worker(kind, seconds, idle, args.profile))))
        return

    kinds = ["joblens"] if args.no_baseline else ["joblens", "Log"]
    results = {
        kind: _run(
            kind, args.seconds, args.idle_seconds, args.profile if kind == "joblens" else None
        )
        for kind in kinds
    }
    print(
        f"\nThe job view streaming {CHUNK_LINES} lines every {CHUNK_SECONDS * 1000:.0f} ms "
        f"(demo backend, headless {SIZE[0]}x{SIZE[1]}), Python {sys.version.split()[0]}"
    )
    print(f"{'figure':30}" + "".join(f"{k:>14}" for k in kinds))

    def row(label: str, cells: list[str]) -> None:
        print(f"{label:30}" + "".join(f"{c:>14}" for c in cells))

    row("lines/s written", [f"{results[k]['lines_per_s']:,.0f}" for k in kinds])
    row("stream CPU (% of a core)", [f"{results[k]['stream_cpu']:.1%}" for k in kinds])
    row("chunks painted", [f"{len(results[k]['lags'])}/{results[k]['chunks']}" for k in kinds])
    for q in (50, 99):
        row(f"write -> painted p{q}", [f"{_ms(results[k]['lags'], q):.1f} ms" for k in kinds])
    row("write -> painted max", [f"{max(results[k]['lags']) * 1000:.1f} ms" for k in kinds])
    row("idle CPU (% of a core)", [f"{results[k]['idle_cpu']:.2%}" for k in kinds])
    print()
    jl = results["joblens"]
    print(f"FIGURE stream_1000lps_cpu_pct {jl['stream_cpu'] * 100:.1f} target<25")
    print(f"FIGURE stream_write_to_paint_p50_ms {_ms(jl['lags'], 50):.1f}")
    print(f"FIGURE stream_write_to_paint_max_ms {max(jl['lags']) * 1000:.1f}")
    print(f"FIGURE idle_cpu_pct {jl['idle_cpu'] * 100:.2f} target~0")
    if "Log" in results:
        base = results["Log"]
        print(f"RATIO stream_cpu Log {base['stream_cpu'] / jl['stream_cpu']:.1f}")
        lag = statistics.median(base["lags"]) / statistics.median(jl["lags"])
        print(f"RATIO stream_lag_p50 Log {lag:.1f}")


if __name__ == "__main__":
    main()
