"""CPU of the open job view while 1,000 lines/s stream in, and while the job is quiet.

    python benchmarks/streaming_cpu.py [--backend demo|supabase|both] [--seconds S]
                                       [--idle-seconds S] [--no-baseline]
                                       [--profile stream|idle]

The real app (``JoblensApp``, headless 200x50) watches one job; a 100-line Terraform-like chunk
is committed every 100 ms (as a Tendril's flush), so the whole path runs: the backend's
subscription, the feed (merge, sanitise), the screen, the pane, the compositor.

- ``demo``: the in-process demo backend (``DemoBackend(simulate=False)``: no simulated Tendril;
  the job is set PROCESSING); the chunks are committed in the app's process with
  ``backend.write_log``.
- ``supabase``: a PROCESSING job on a fresh local stack (``python -m devstack serve`` on
  127.0.0.1) and the real supabase-py client; the chunks are INSERTed by a separate process
  (asyncpg), so the app's process pays for the websocket, JSON and validation as in use.

CPU = the app process's CPU time (all threads, ``time.process_time``) / wall time over the
window, after a 1 s warm-up. The status poll (3 s) and the header's clock run as usual.

Lag: each chunk's last line is marked; a chunk counts as painted when a row at or below its last
line is first rendered (``render_line``); lag = painted - committed. Idle: after streaming stops
and 2 s of quiet, the same view is measured for ``--idle-seconds``.

Baseline (optional): the same app with Textual's ``Log`` in place of ``LogPane`` (an adapter with
``write_chunks``). Every app runs in its own process.
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from provenance import source_state  # noqa: E402
from workload import batches  # noqa: E402

SIZE = (200, 50)
CHUNK_SECONDS = 0.1
CHUNK_LINES = 100
WARM_UP = 1.0
MARK = "stream-chunk "


def configure(chunk_lines: int) -> None:
    """Chunks of ``chunk_lines`` lines, as often as 1,000 lines/s needs."""
    global CHUNK_LINES, CHUNK_SECONDS
    CHUNK_LINES, CHUNK_SECONDS = chunk_lines, chunk_lines / 1000


def chunk_texts() -> Iterator[str]:
    """Endless CHUNK_LINES-line chunks; chunk ``i``'s last line starts with ``stream-chunk i``."""
    pending: list[str] = []
    i = 0
    for text in batches(10**9):
        pending += text.splitlines(keepends=True)
        while len(pending) >= CHUNK_LINES:
            body, pending = pending[: CHUNK_LINES - 1], pending[CHUNK_LINES:]
            yield "".join(body) + f"{MARK}{i} end of chunk\n"
            i += 1


class LagProbe:
    """Notes each chunk's last line as it reaches the pane, and when a row at or past it renders."""

    def __init__(self) -> None:
        self.marks: list[int] = []  # last-line index of each chunk (increasing)
        self.keys: list[int] = []  # the chunk number of each mark
        self.arrived: list[float] = []
        self.painted: dict[int, float] = {}  # chunk number -> first render at/after its end
        self.max_line = -1

    def wrap(self, cls: type[Any]) -> None:
        """Patch ``cls.render_line`` and ``cls.write_chunks`` (rows are lines: no wrapping)."""
        render_original = cls.render_line
        write_original = cls.write_chunks
        probe = self

        def render_line(widget: Any, y: int) -> Any:
            strip = render_original(widget, y)
            line = widget.scroll_offset.y + y
            if probe.max_line < line < widget.line_count:
                probe.max_line = line
                now = time.monotonic()
                done = bisect.bisect_right(probe.marks, line)
                for i in range(len(probe.painted), done):
                    probe.painted[probe.keys[i]] = now
            return strip

        def write_chunks(widget: Any, chunks: Any) -> None:
            line = widget.line_count - 1
            write_original(widget, chunks)
            now = time.monotonic()
            for chunk in chunks:
                line += chunk.text.count("\n")
                start = chunk.text.rfind("\n", 0, len(chunk.text) - 1) + 1
                if chunk.text.startswith(MARK, start):
                    probe.marks.append(line)
                    probe.keys.append(int(chunk.text[start + len(MARK) :].split(" ", 1)[0]))
                    probe.arrived.append(now)

        cls.render_line = render_line
        cls.write_chunks = write_chunks


def _log_adapter() -> type[Any]:
    """Textual's ``Log`` with the two methods the job screen calls on its pane."""
    from textual.widgets import Log

    class LogAsPane(Log):
        def __init__(self, *, wrap: bool = False, **kwargs: Any) -> None:
            super().__init__(**kwargs)  # Log does not wrap: the baseline runs unwrapped

        def write_chunks(self, chunks: Any) -> None:
            for chunk in chunks:
                self.write_lines(chunk.text.split("\n")[:-1])

        def show_open_lines(self, chunks: Any) -> None:
            """Log cannot show an unfinished line apart: the baseline shows none."""

        def write_note(self, text: str) -> None:
            self.write_line(text)

        def append_mark(self) -> int:
            return self.line_count

        def start_mark(self) -> int:
            return 0

        def rewind(self, mark: int) -> None:
            """Only a requeue rewinds; the benchmark's job is never requeued."""

        def prepend_chunks(self, chunks: Any) -> None:
            raise NotImplementedError("the baseline does not load history")

    return LogAsPane


# -- writers -------------------------------------------------------------------------------


async def _schedule(seconds: float, commit: Callable[[str], Any]) -> list[tuple[int, float]]:
    """Commit a chunk every CHUNK_SECONDS for ``seconds`` (late ticks catch up); (i, time)."""
    texts = chunk_texts()
    start = time.monotonic()
    done: list[tuple[int, float]] = []
    for i in range(round(seconds / CHUNK_SECONDS)):
        await asyncio.sleep(max(0.0, start + i * CHUNK_SECONDS - time.monotonic()))
        result = commit(next(texts))
        if asyncio.iscoroutine(result):
            await result
        done.append((i, time.monotonic()))
    return done


async def _sql_writer(dsn: str, table: str, job_id: str, seconds: float) -> None:
    """The Tendril of the supabase run: INSERTs on its own connection; prints the commits."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    query = f"insert into {table} (job_id, log_chunk, stream_type) values ($1, $2, 'STDOUT')"
    try:
        done = await _schedule(seconds, lambda text: conn.execute(query, job_id, text))
    finally:
        await conn.close()
    print(json.dumps(done))


# -- one app in one process ----------------------------------------------------------------


def _backend(config: dict[str, Any]) -> tuple[Any, str]:
    if config["backend"] == "demo":
        from joblens.backends.demo import DemoBackend
        from joblens.backends.demo.store import now

        backend = DemoBackend(seed=1, simulate=False)
        job_id = backend.start_scenario("plan")
        # Running, as in the supabase run (the header animates while a job runs).
        backend.store.update_job(job_id, {"status": "PROCESSING", "started_at": now()})
        return backend, job_id
    from joblens.backends.supabase import SupabaseBackend, SupabaseSettings

    stack = config["stack"]
    settings = SupabaseSettings(
        url=stack["url"],
        anon_key=stack["anon_key"],
        access_token=stack["token"],
        logs_table=stack["logs_table"],
    )
    return SupabaseBackend(settings), stack["job_id"]


def _profiled(profile: bool) -> cProfile.Profile | None:
    if not profile:
        return None
    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _report(profiler: cProfile.Profile | None) -> None:
    if profiler is not None:
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(25)
        stats.print_callers(6)


async def _worker(config: dict[str, Any]) -> dict[str, Any]:
    from joblens.app import JoblensApp
    from joblens.screens import job_screen
    from joblens.widgets.log import LogPane
    from joblens.widgets.log import view as log_view

    seconds, idle_seconds, profile = config["seconds"], config["idle"], config.get("profile")
    configure(config["chunk_lines"])
    widget_cls: type[Any] = LogPane
    if config["kind"] == "Log":
        widget_cls = _log_adapter()
        log_view.LogPane = widget_cls  # what the job screen's LogView composes
    probe = LagProbe()
    probe.wrap(widget_cls)

    backend, job_id = _backend(config)
    app = JoblensApp(backend, job_id)
    result: dict[str, Any] = {}
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

        writing = WARM_UP + seconds + 0.2
        if config["backend"] == "demo":
            commits_task = asyncio.create_task(
                _schedule(writing, lambda text: backend.write_log(job_id, text, "STDOUT"))
            )
        else:
            stack = config["stack"]
            writer = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--sql-writer",
                json.dumps(
                    [stack["database_url"], stack["logs_table"], job_id, writing, CHUNK_LINES]
                ),
                stdout=subprocess.PIPE,
            )
        await asyncio.sleep(WARM_UP)
        profiler = _profiled(profile == "stream")
        cpu_from, wall_from = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu_from, time.monotonic() - wall_from
        _report(profiler)
        result["stream_cpu"] = cpu / wall
        if config["backend"] == "demo":
            commits = await commits_task
        else:
            out, _ = await asyncio.wait_for(writer.communicate(), timeout=60)
            commits = json.loads(out)
        committed = dict(commits)
        await asyncio.sleep(2.0)  # let the last frames out, then quiet
        result["lags"] = [t - committed[i] for i, t in sorted(probe.painted.items())]
        result["to_pane"] = [
            t - committed[i] for i, t in zip(probe.keys, probe.arrived, strict=True)
        ]
        result["chunks"] = len(commits)
        result["lines_per_s"] = (len(commits) - 1) * CHUNK_LINES / (commits[-1][1] - commits[0][1])
        result["pane_lines"] = pane.line_count

        profiler = _profiled(profile == "idle")
        cpu_from, wall_from = time.process_time(), time.monotonic()
        await asyncio.sleep(idle_seconds)
        cpu, wall = time.process_time() - cpu_from, time.monotonic() - wall_from
        _report(profiler)
        result["idle_cpu"] = cpu / wall
        await backend.close()
    return result


def _run(config: dict[str, Any]) -> dict[str, Any]:
    print(
        f"  {config['backend']} / {config['kind']}: {config['seconds']:.0f} s streaming, "
        f"{config['idle']:.0f} s idle ...",
        flush=True,
    )
    command = [sys.executable, __file__, "--worker", json.dumps(config)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=300)
    if config.get("profile"):
        print(done.stderr)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- main ----------------------------------------------------------------------------------


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1000


def _supabase_jobs(count: int) -> tuple[Any, list[dict[str, Any]]]:
    """A fresh stack, one user, and ``count`` PROCESSING jobs (one per app run)."""
    from devstack.testing import run_sync, start_stack

    stack = start_stack("deployed")
    try:
        user_id = stack.create_user()
        token = stack.token(user_id)
        configs = []
        for _ in range(count):
            rows = run_sync(
                stack.asql(
                    "insert into provision_jobs (user_id, job_type, status, started_at) "
                    "values ($1, 'PLAN', 'PROCESSING', now()) returning id",
                    user_id,
                )
            )
            configs.append(
                {
                    "url": stack.url,
                    "anon_key": stack.anon_key,
                    "token": token,
                    "logs_table": stack.logs_table,
                    "database_url": stack.database_url,
                    "job_id": str(rows[0]["id"]),
                }
            )
    except BaseException:
        stack.stop()
        raise
    return stack, configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("demo", "supabase", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=10.0, help="streaming window")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="idle window")
    parser.add_argument(
        "--chunk-lines",
        type=int,
        default=100,
        help="lines per chunk (a chunk every chunk-lines ms: always 1,000 lines/s)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip Textual's Log")
    parser.add_argument(
        "--profile",
        choices=("stream", "idle"),
        help="print joblens's cProfile (by own time) of that window (CPU figures inflate)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sql-writer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_worker(json.loads(args.worker)))))
        return
    if args.sql_writer:
        dsn, table, job_id, seconds, chunk_lines = json.loads(args.sql_writer)
        configure(chunk_lines)
        asyncio.run(_sql_writer(dsn, table, job_id, seconds))
        return

    print(f"joblens at {source_state()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    configure(args.chunk_lines)
    backends = ["demo", "supabase"] if args.backend == "both" else [args.backend]
    kinds = ["joblens"] if args.no_baseline else ["joblens", "Log"]
    runs = [(b, k) for b in backends for k in kinds]
    stack: Any = None
    stack_configs: list[dict[str, Any]] = []
    if "supabase" in backends:
        print("starting a deployed stack ...", flush=True)
        stack, stack_configs = _supabase_jobs(len(kinds))
    results: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        for backend, kind in runs:
            config: dict[str, Any] = {
                "backend": backend,
                "kind": kind,
                "seconds": args.seconds,
                "idle": args.idle_seconds,
                "profile": args.profile if kind == "joblens" else None,
                "chunk_lines": args.chunk_lines,
            }
            if backend == "supabase":
                config["stack"] = stack_configs.pop(0)
            results[backend, kind] = _run(config)
    finally:
        if stack is not None:
            stack.stop()

    print(
        f"\nThe job view streaming {CHUNK_LINES} lines every {CHUNK_SECONDS * 1000:.0f} ms, "
        f"headless {SIZE[0]}x{SIZE[1]}, Python {sys.version.split()[0]}"
    )
    labels = [f"{b}/{k}" for b, k in runs]
    print(f"{'figure':30}" + "".join(f"{label:>18}" for label in labels))

    def row(name: str, cell: Callable[[dict[str, Any]], str]) -> None:
        print(f"{name:30}" + "".join(f"{cell(results[r]):>18}" for r in runs))

    row("lines/s committed", lambda r: f"{r['lines_per_s']:,.0f}")
    row("stream CPU (% of a core)", lambda r: f"{r['stream_cpu']:.1%}")
    row("chunks painted", lambda r: f"{len(r['lags'])}/{r['chunks']}")
    row("commit -> pane p50", lambda r: f"{_ms(r['to_pane'], 50):.1f} ms")
    for q in (50, 99):
        row(f"commit -> painted p{q}", lambda r, q=q: f"{_ms(r['lags'], q):.1f} ms")  # type: ignore[misc]
    row("commit -> painted max", lambda r: f"{max(r['lags']) * 1000:.1f} ms")
    row("idle CPU (% of a core)", lambda r: f"{r['idle_cpu']:.2%}")
    print()

    def tag(backend: str) -> str:
        return backend if CHUNK_LINES == 100 else f"{backend}_chunk{CHUNK_LINES}"

    for backend in backends:
        jl = results[backend, "joblens"]
        print(
            f"FIGURE {tag(backend)}_stream_1000lps_cpu_pct {jl['stream_cpu'] * 100:.1f} target<25"
        )
        print(f"FIGURE {tag(backend)}_stream_commit_to_paint_p50_ms {_ms(jl['lags'], 50):.1f}")
        print(f"FIGURE {tag(backend)}_stream_commit_to_paint_max_ms {max(jl['lags']) * 1000:.1f}")
        print(f"FIGURE {tag(backend)}_idle_cpu_pct {jl['idle_cpu'] * 100:.2f} target~0")
    for backend in backends:
        if (backend, "Log") in results:
            jl, base = results[backend, "joblens"], results[backend, "Log"]
            print(
                f"RATIO {tag(backend)}_stream_cpu Log {base['stream_cpu'] / jl['stream_cpu']:.1f}"
            )
            lag = statistics.median(base["lags"]) / statistics.median(jl["lags"])
            print(f"RATIO {tag(backend)}_stream_lag_p50 Log {lag:.1f}")


if __name__ == "__main__":
    main()
