"""End to end through the local stack: a committed INSERT to its line painted, and first paint.

    python benchmarks/live_latency.py [--inserts N] [--schema documented|deployed]
                                      [--history-lines N] [--history-runs N]

Starts a fresh database and ``python -m devstack serve`` on 127.0.0.1, creates a user, a token
and jobs, and opens the real app headless (``JoblensApp(SupabaseBackend(...)).run_test``,
200x50) with the unmodified supabase-py client.

1. Live: once the log feed is live and backfilled, a separate process (asyncpg, its own
   connection, as a Tendril writes) commits N single-line chunks one at a time, 5-20 ms apart.
   For each, latency = painted - committed, where *committed* is when the INSERT's autocommit
   returned to the writer (``time.monotonic``, the same clock in both processes) and *painted*
   is the first call of ``LogPane.render_line`` that returns that line's row, i.e. the
   compositor rendering it into a frame (headless: the frame is built, not written to a tty).
2. History: a job with a 100,000-line history (1,000 chunks of 100 lines, inserted by SQL before
   the app opens): from ``JoblensApp(...)`` construction to the first render of the job's last
   line, and to the feed reporting every older page loaded (``LogFeed.history_loaded``).

The database and the server are removed at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import gc
import itertools
import json
import pstats
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import asyncpg  # noqa: E402
from devstack.testing import StackInfo, start_stack  # noqa: E402

from provenance import source_state  # noqa: E402
from workload import batches  # noqa: E402

SIZE = (200, 50)
LIVE_PREFIX = "live-insert "
HISTORY_END = "HISTORY-END"
_SEQ = re.compile(r"live-insert (\d+) ")
_FILLER = "Still creating... [aws_eks_node_group.default, 10s elapsed] " + "x" * 30


# -- the probe: when is a line's row rendered? ------------------------------------------------


class PaintProbe:
    """Wraps ``LogPane.render_line`` (first render of each line) and ``write_chunks`` (arrival)."""

    def __init__(self) -> None:
        self.seen_lines: set[int] = set()
        self.live: dict[int, float] = {}  # insert seq -> painted (monotonic)
        self.arrived: dict[int, float] = {}  # insert seq -> handed to the pane (monotonic)
        self.token: str | None = None
        self.token_seen: float | None = None
        self.token_arrived: float | None = None
        self._originals: dict[str, Callable[..., Any]] = {}

    def install(self) -> None:
        from joblens.widgets.log import LogPane

        render_original = LogPane.render_line
        write_original = LogPane.write_chunks
        self._originals = {"render_line": render_original, "write_chunks": write_original}
        probe = self

        def render_line(pane: LogPane, y: int) -> Any:
            strip = render_original(pane, y)
            if not pane.wrap:
                line = pane.scroll_offset.y + y
                if line < pane.line_count and line not in probe.seen_lines:
                    probe.seen_lines.add(line)
                    probe._note(pane.line_text(line))
            return strip

        def write_chunks(pane: LogPane, chunks: Any) -> None:
            now = time.monotonic()
            if probe.token is not None and chunks and probe.token in chunks[-1].text:
                probe.token_arrived = now
            for chunk in chunks:
                match = _SEQ.match(chunk.text)
                if match:
                    probe.arrived.setdefault(int(match.group(1)), now)
            write_original(pane, chunks)

        LogPane.render_line = render_line
        LogPane.write_chunks = write_chunks

    def uninstall(self) -> None:
        from joblens.widgets.log import LogPane

        for name, original in self._originals.items():
            setattr(LogPane, name, original)

    def reset(self, token: str | None = None) -> None:
        self.seen_lines.clear()
        self.live.clear()
        self.arrived.clear()
        self.token, self.token_seen, self.token_arrived = token, None, None

    def _note(self, text: str) -> None:
        now = time.monotonic()
        match = _SEQ.match(text)
        if match:
            self.live.setdefault(int(match.group(1)), now)
        elif self.token is not None and self.token_seen is None and self.token in text:
            self.token_seen = now


def clamp_zero_timers() -> None:
    """Work around Textual 8.2.8's ``set_timer(0)``, which raises ZeroDivisionError in the
    timer task and never fires (LogPane asks for one when a chunk comes 17-40 ms after an
    unthrottled flush, and then never flushes again). Opt-in: ``--clamp-zero-timers``."""
    from joblens.widgets.log import LogPane

    original = LogPane.set_timer

    def set_timer(pane: LogPane, delay: float, *args: Any, **kwargs: Any) -> Any:
        return original(pane, max(delay, 0.001), *args, **kwargs)

    LogPane.set_timer = set_timer


# -- seeding -------------------------------------------------------------------------------


async def create_job(stack: StackInfo, user_id: str, status: str = "PROCESSING") -> str:
    """A PLAN job owned by ``user_id``, as the web page would create it."""
    rows = await stack.asql(
        "insert into provision_jobs (user_id, job_type, status, started_at) "
        "values ($1, 'PLAN', $2, now()) returning id",
        user_id,
        status,
    )
    return str(rows[0]["id"])


async def insert_history(
    stack: StackInfo, job_id: str, lines: int, per_chunk: int = 100, cut: bool = False
) -> int:
    """``lines`` Terraform-like lines in chunks of ``per_chunk``, one row each; the last line
    is marked. With ``cut``, the rows end where a runner's flush falls, mid-line (as many
    rows, of random lengths around the same mean)."""
    texts = list(batches(lines))
    if per_chunk != 100:
        flat = "".join(texts).splitlines(keepends=True)
        texts = ["".join(flat[i : i + per_chunk]) for i in range(0, len(flat), per_chunk)]
    last = texts[-1].rstrip("\n").rsplit("\n", 1)
    texts[-1] = (last[0] + "\n" if len(last) == 2 else "") + f"{HISTORY_END} of {lines} lines\n"
    if cut:
        whole = "".join(texts)
        rnd = random.Random(5)
        bounds = sorted(rnd.sample(range(1, len(whole) - 1), len(texts) - 1))
        bounds = [0, *bounds, len(whole)]
        texts = [whole[a:b] for a, b in itertools.pairwise(bounds)]
        assert texts[-1].endswith("\n")
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.executemany(
            # clock_timestamp(): one transaction, yet each row later than the one before, as
            # when a Tendril commits chunk by chunk (the documented schema orders by it).
            f"insert into {stack.logs_table} (job_id, log_chunk, stream_type, created_at) "
            "values ($1, $2, 'STDOUT', clock_timestamp())",
            [(job_id, text) for text in texts],
        )
    finally:
        await conn.close()
    return len(texts)


def backend_for(stack: StackInfo, token: str) -> Any:
    """The real Supabase backend (supabase-py) pointed at the local stack."""
    from joblens.backends.supabase import SupabaseBackend, SupabaseSettings

    settings = SupabaseSettings(
        url=stack.url, anon_key=stack.anon_key, access_token=token, logs_table=stack.logs_table
    )
    return SupabaseBackend(settings)


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def job_screen(app: Any) -> Any:
    from joblens.screens.job_screen import JobScreen

    screen = app.screen
    return screen if isinstance(screen, JobScreen) else None


# -- the writer (a separate process, as a Tendril) ------------------------------------------


async def _writer(dsn: str, table: str, job_id: str, count: int, seed: int) -> None:
    """Commit ``count`` one-line chunks, 5-20 ms apart; print [[seq, sent, committed], ...]."""
    rng = random.Random(seed)
    conn = await asyncpg.connect(dsn)
    query = f"insert into {table} (job_id, log_chunk, stream_type) values ($1, $2, 'STDOUT')"
    await conn.execute("select 1")
    out: list[tuple[int, float, float]] = []
    try:
        for seq in range(count):
            text = f"{LIVE_PREFIX}{seq:06d} {_FILLER}\n"
            sent = time.monotonic()
            await conn.execute(query, job_id, text)
            out.append((seq, sent, time.monotonic()))
            await asyncio.sleep(rng.uniform(0.005, 0.020))
    finally:
        await conn.close()
    print(json.dumps(out))


# -- the measurements ---------------------------------------------------------------------


async def loop_lag(
    samples: list[float], stalls: list[tuple[float, float]], every: float = 0.005
) -> None:
    """Record how late each short sleep wakes up (the app's event loop being busy), and for
    wake-ups over 50 ms late, (wall, CPU of this thread) over that sleep: CPU near the wall
    time means the app itself was busy; far below it, the process waited for a core."""
    while True:
        before, cpu = time.monotonic(), time.thread_time()
        await asyncio.sleep(every)
        late = time.monotonic() - before - every
        samples.append(late)
        if late > 0.05:
            stalls.append((late + every, time.thread_time() - cpu))


class StallSampler:
    """A thread that prints the event loop thread's stack whenever it is stuck > ``limit`` s."""

    def __init__(self, limit: float = 0.05) -> None:
        self.limit = limit
        self.beat = time.monotonic()
        self.stacks: collections.Counter[str] = collections.Counter()
        self._thread_id = threading.get_ident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    async def heartbeat(self) -> None:
        while True:
            self.beat = time.monotonic()
            await asyncio.sleep(0.002)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        sampled_beat = 0.0
        while not self._stop.wait(0.01):
            beat = self.beat
            if time.monotonic() - beat > self.limit and beat != sampled_beat:
                sampled_beat = beat  # one sample per stall
                frame = sys._current_frames().get(self._thread_id)
                if frame is not None:
                    stack = traceback.format_stack(frame)[-12:]
                    self.stacks["".join(stack)] += 1

    def report(self) -> None:
        print(f"\nevent-loop stalls over {self.limit * 1000:.0f} ms: {sum(self.stacks.values())}")
        for stack, n in self.stacks.most_common(5):
            print(f"--- {n} stall(s), innermost frames last:\n{stack}")


async def measure_live(
    stack: StackInfo,
    token: str,
    job_id: str,
    count: int,
    profile: bool = False,
    gc_freeze: bool = False,
) -> dict[str, Any]:
    """Open the job, wait for the live feed, run the writer; latencies in seconds."""
    from joblens.app import JoblensApp

    probe = PaintProbe()
    probe.install()
    commits: list[Any] = []  # [seq, sent, committed] from the writer's JSON
    lags: list[float] = []
    stalls: list[tuple[float, float]] = []
    gc_pauses: list[tuple[int, float]] = []
    stall: str | None = None
    pane_lines = 0
    tracked = 0
    try:
        app = JoblensApp(backend_for(stack, token), job_id)
        async with app.run_test(size=SIZE):
            await wait_until(
                lambda: (s := job_screen(app)) is not None and s.feed.backfilled.is_set(),
                30,
                "the live feed",
            )
            await asyncio.sleep(0.5)  # let the first status poll and frames settle
            if gc_freeze:
                gc.freeze()  # what the app could do once the screen is up (see --gc-freeze)
            probe.reset()
            lag_task = asyncio.create_task(loop_lag(lags, stalls))
            gc_started: list[float] = []

            def gc_timer(phase: str, info: dict[str, int]) -> None:
                if phase == "start":
                    gc_started[:] = [time.perf_counter()]
                elif gc_started:
                    gc_pauses.append((info["generation"], time.perf_counter() - gc_started[0]))

            gc.callbacks.append(gc_timer)
            profiler = cProfile.Profile() if profile else None
            sampler = StallSampler() if profile else None
            if sampler is not None:
                beat_task = asyncio.create_task(sampler.heartbeat())
                sampler.start()
            if profiler is not None:
                profiler.enable()
            writer = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--writer",
                stack.database_url,
                stack.logs_table,
                job_id,
                str(count),
                stdout=subprocess.PIPE,
            )
            out, _ = await asyncio.wait_for(writer.communicate(), timeout=60 + count * 0.05)
            commits = json.loads(out)
            if profiler is not None:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            if sampler is not None:
                sampler.stop()
                beat_task.cancel()
                sampler.report()
            lag_task.cancel()
            gc.callbacks.remove(gc_timer)
            try:
                await wait_until(lambda: len(probe.live) >= count, 15, "every line painted")
            except RuntimeError:
                pane = job_screen(app).query_one("LogPane")
                stall = (
                    f"STALL: {len(probe.live)} of {count} lines painted 15 s after the last "
                    f"commit; {len(probe.arrived)} reached LogPane.write_chunks, the pane holds "
                    f"{pane.line_count} lines, flush queued={pane._flush_queued}, flush timer "
                    f"alive={pane._flush_timer is not None and not pane._flush_timer._task.done()}"
                )
            pane_lines = job_screen(app).query_one("LogPane").line_count
            tracked = len(gc.get_objects())
    except ZeroDivisionError:
        # Raised on shutdown by a dead set_timer(0) task (see clamp_zero_timers); the
        # measurements are complete by then.
        if not commits:
            raise
        stall = (stall or "") + " (a set_timer(0) task died with ZeroDivisionError)"
    finally:
        probe.uninstall()
    painted = [(seq, c) for seq, _s, c in commits if seq in probe.live]
    return {
        "latency": [probe.live[seq] - c for seq, c in painted],
        "to_pane": [probe.arrived[seq] - c for seq, c in painted if seq in probe.arrived],
        "pane_to_paint": [
            probe.live[seq] - probe.arrived[seq] for seq, _ in painted if seq in probe.arrived
        ],
        "commit_rtt": [c - s for _seq, s, c in commits],
        "pane_lines": pane_lines,
        "stall": stall,
        "count": count,
        "loop_lag": lags,
        "stalls": stalls,
        "gc_pauses": gc_pauses,
        "tracked": tracked,
    }


async def measure_history(
    stack: StackInfo, token: str, job_id: str, lines: int, profile: bool = False
) -> dict[str, Any]:
    """App construction to the last line's first render, and to all history loaded; on the
    way, when the newest page's REST request was sent and answered (rows parsed into
    chunks) and when it reached ``LogPane.write_chunks`` (sanitised)."""
    from joblens.app import JoblensApp
    from joblens.backends.supabase import SupabaseBackend

    probe = PaintProbe()
    probe.install()
    probe.reset(HISTORY_END)
    marks: dict[str, float] = {}
    fetch_original = SupabaseBackend.fetch_latest_logs
    fetches: list[tuple[float, float]] = []

    async def fetch_latest_logs(backend: Any, *args: Any, **kwargs: Any) -> Any:
        sent = time.monotonic()
        page = await fetch_original(backend, *args, **kwargs)
        fetches.append((sent, time.monotonic()))
        return page

    SupabaseBackend.fetch_latest_logs = fetch_latest_logs
    profiler = cProfile.Profile() if profile else None
    try:
        start = time.monotonic()
        if profiler is not None:
            profiler.enable()
        app = JoblensApp(backend_for(stack, token), job_id)
        async with app.run_test(size=SIZE):
            await wait_until(lambda: job_screen(app) is not None, 30, "the job screen")
            marks["job_screen"] = time.monotonic() - start
            await wait_until(lambda: probe.token_seen is not None, 60, "the last line painted")
            assert probe.token_seen is not None
            if profiler is not None:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            marks["first_paint"] = probe.token_seen - start
            marks["tail_sent"] = fetches[0][0] - start
            marks["tail_fetched"] = fetches[0][1] - start
            marks["tail_to_pane"] = (probe.token_arrived or start) - start
            screen = job_screen(app)
            await wait_until(screen.feed.history_loaded.is_set, 120, "all history")
            pane = screen.query_one("LogPane")
            await wait_until(lambda: pane.line_count >= lines, 60, "all history in the pane")
            marks["history_loaded"] = time.monotonic() - start
            marks["pane_lines"] = pane.line_count
    finally:
        probe.uninstall()
        SupabaseBackend.fetch_latest_logs = fetch_original
    return marks


# -- reporting ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run(args: argparse.Namespace) -> None:
    # Import costs stay outside the timings, as in `joblens <id>` (the CLI builds the backend
    # before the app).
    from joblens.app import JoblensApp  # noqa: F401
    from joblens.backends.supabase import SupabaseBackend  # noqa: F401

    print(f"joblens at {source_state()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"starting a {args.schema} stack ...", flush=True)
    stack = start_stack(args.schema)
    try:
        asyncio.run(_run(stack, args))
    finally:
        stack.stop()


async def _run(stack: StackInfo, args: argparse.Namespace) -> None:
    user_id = await stack.acreate_user()
    token = stack.token(user_id)
    figures: list[tuple[str, float | int, str]] = []

    if args.inserts:
        job_id = await create_job(stack, user_id)
        print(f"live: {args.inserts} single-line INSERTs, 5-20 ms apart ...", flush=True)
        live = await measure_live(stack, token, job_id, args.inserts, args.profile, args.gc_freeze)
        ms = [x * 1000 for x in live["latency"]]
        print(f"\nINSERT committed -> row rendered, {args.inserts} inserts ({args.schema} schema)")
        print(f"{'':26}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}{'min':>9}")
        for label, key in (
            ("insert_to_paint_ms", "latency"),
            ("  insert_to_pane_ms", "to_pane"),
            ("  pane_to_paint_ms", "pane_to_paint"),
            ("insert_commit_rtt_ms", "commit_rtt"),
            ("app_loop_lag_ms", "loop_lag"),
        ):
            values = [x * 1000 for x in live[key]]
            if not values:
                continue
            cells = [percentile(values, q) for q in (50, 90, 99)] + [max(values), min(values)]
            print(f"{label:26}" + "".join(f"{c:9.1f}" for c in cells))
        if live["stall"]:
            print(live["stall"])
        if live["stalls"]:
            wall = sum(w for w, _ in live["stalls"])
            cpu = sum(c for _, c in live["stalls"])
            print(
                f"event loop late > 50 ms {len(live['stalls'])} times, {wall * 1000:.0f} ms in "
                f"all, of which the app's thread ran {cpu * 1000:.0f} ms (the rest: waiting for "
                "a core, taken by the server, PostgreSQL and the writer)"
            )
        for generation in (0, 1, 2):
            pauses = [p for g, p in live["gc_pauses"] if g == generation]
            if pauses:
                print(
                    f"gc generation {generation}: {len(pauses)} collections, "
                    f"{sum(pauses) * 1000:.0f} ms in all, longest {max(pauses) * 1000:.1f} ms"
                )
        print(
            f"pane lines at the end: {live['pane_lines']}; objects tracked by the garbage "
            f"collector: {live['tracked']:,}"
        )
        figures.append(("insert_lines_painted", len(ms), f"of {args.inserts}"))
        if ms:
            figures += [
                ("insert_to_paint_p50_ms", percentile(ms, 50), "target<50"),
                ("insert_to_paint_p90_ms", percentile(ms, 90), ""),
                ("insert_to_paint_p99_ms", percentile(ms, 99), "target<150"),
                ("insert_to_paint_max_ms", max(ms), ""),
            ]

    if args.history_lines:
        job_id = await create_job(stack, user_id, status="SUCCESS")
        t0 = time.monotonic()
        chunks = await insert_history(
            stack, job_id, args.history_lines, args.history_chunk_lines, args.history_cut
        )
        seeded = time.monotonic() - t0
        await asyncio.sleep(3.0)  # the server digests the inserts' change events first
        print(
            f"\nhistory: {args.history_lines:,} lines in {chunks:,} chunks inserted in "
            f"{seeded:.1f} s; opening it {args.history_runs} times ...",
            flush=True,
        )
        runs = [
            await measure_history(stack, token, job_id, args.history_lines, args.profile and i == 0)
            for i in range(args.history_runs)
        ]
        columns = (
            ("job screen", "job_screen"),
            ("tail GET sent", "tail_sent"),
            ("tail rows in", "tail_fetched"),
            ("in LogPane", "tail_to_pane"),
            ("last line painted", "first_paint"),
            ("all history", "history_loaded"),
        )
        print(f"{'run':>4}" + "".join(f"{title:>19}" for title, _ in columns))
        for i, marks in enumerate(runs, 1):
            print(f"{i:>4}" + "".join(f"{marks[key] * 1000:>16.0f} ms" for _, key in columns))
        print("(each column: ms since JoblensApp(...) was constructed)")
        print(
            "(run 1 is cold, as every `joblens <id>` is: the process's first client, TLS\n"
            " context and screen; later runs reuse what Python and Textual cached)"
        )
        cold, warm = runs[0], runs[1:] or runs
        figures += [
            ("history_first_paint_cold_ms", cold["first_paint"] * 1000, "target<1500"),
            ("history_all_loaded_cold_ms", cold["history_loaded"] * 1000, ""),
            (
                "history_first_paint_warm_ms",
                statistics.median(m["first_paint"] for m in warm) * 1000,
                "target<1500",
            ),
            (
                "history_all_loaded_warm_ms",
                statistics.median(m["history_loaded"] for m in warm) * 1000,
                "",
            ),
        ]

    print()
    for name, value, target in figures:
        number = f"{value:.0f}" if isinstance(value, int) else f"{value:.1f}"
        print(f"FIGURE {name} {number} {target}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inserts", type=int, default=1000, help="live INSERTs (0: skip)")
    parser.add_argument("--schema", choices=("documented", "deployed"), default="deployed")
    parser.add_argument("--history-lines", type=int, default=100_000, help="history size (0: skip)")
    parser.add_argument("--history-runs", type=int, default=3, help="openings of the history")
    parser.add_argument(
        "--history-chunk-lines",
        type=int,
        default=100,
        help="lines per history chunk (10: 10,000 rows, so older pages load in the background)",
    )
    parser.add_argument(
        "--history-cut",
        action="store_true",
        help="cut the history's rows mid-line, where a runner's flush falls (see joblens.lines)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print the app's cProfile of the live window"
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() once the job is live (a fix to try for full-collection pauses)",
    )
    parser.add_argument(
        "--clamp-zero-timers",
        action="store_true",
        help="work around set_timer(0) never firing in Textual 8.2.8 (see clamp_zero_timers)",
    )
    parser.add_argument("--writer", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        dsn, table, job_id, count = args.writer
        asyncio.run(_writer(dsn, table, job_id, int(count), seed=7))
        return
    if args.clamp_zero_timers:
        clamp_zero_timers()
    run(args)


if __name__ == "__main__":
    main()
