"""Live job status through the local stack: a committed status UPDATE to where it is seen.

    python benchmarks/status_latency.py [--changes N] [--header-changes N] [--plain-runs N]
                                        [--schema documented|deployed]

Starts a fresh database and ``python -m devstack serve`` (``live_latency``'s start-up), creates
a user, a token and PROCESSING jobs, and follows them with the unmodified supabase-py client.
A writer process with its own PostgreSQL connection (as a Tendril writes) commits status
UPDATEs, alternating CLAIMED and PROCESSING (``claimed_at`` untouched: not a requeue), each
with ``execution_metadata = {"bench_seq": N}``; *committed* is when the UPDATE's autocommit
returned to the writer (``time.monotonic``, one clock for every process).

1. Backend: ``SupabaseBackend.follow_logs`` yields ``JobChanged`` (the realtime UPDATE on the
   log channel): latency = yielded - committed, for N changes 20-50 ms apart.
2. Header: the real app headless (``JoblensApp(...).run_test``, 200x50) on the JobScreen; the
   time until the header's ``StatusBadge`` is first rendered showing the committed status (and
   until ``set_status`` was called with it). Paced: the writer commits the next change only
   once this one is shown (or after 5 s), then 50-150 ms later, so no change hides another.
   Target: p99 < 200 ms over 100 changes.
3. Plain mode: ``joblens logs JOB --follow`` run as a subprocess with SUPABASE_URL,
   SUPABASE_ANON_KEY, JOBLENS_ACCESS_TOKEN and JOBLENS_LOGS_TABLE; once it has printed a line
   written after it started (so it is live), the job is set SUCCESS: the time until the
   process exits, and its exit code (0). Target: under 1 s.

The header and plain figures depend on the app acting on ``JobChanged``; with the 3 s status
poll alone they come out at 0-3 s. The database and the server are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # devstack: a tool at the repository root
sys.path.insert(0, str(Path(__file__).resolve().parent))
import asyncpg  # noqa: E402
from devstack.testing import StackInfo, start_stack  # noqa: E402

from live_latency import (  # noqa: E402
    SIZE,
    backend_for,
    create_job,
    job_screen,
    percentile,
    wait_until,
)
from provenance import source_state  # noqa: E402

STATUSES = ("CLAIMED", "PROCESSING")
UPDATE_SQL = (
    "update provision_jobs set status = $2::text::job_status,"
    " execution_metadata = jsonb_build_object('bench_seq', $3::int) where id = $1::uuid"
)


@dataclass(frozen=True)
class Commit:
    seq: int
    status: str
    committed: float  # time.monotonic() when the UPDATE's autocommit returned


# -- the writer: a separate process, as a Tendril ------------------------------------------------


def _writer_main(dsn: str, job_id: str, count: int, gap: tuple[float, float], paced: bool) -> None:
    """In the writer process: commit ``count`` status UPDATEs, printing each as a JSON line
    ``[seq, status, committed]``; ``paced``: each waits for a line on stdin first."""

    async def run() -> None:
        rng = random.Random(11)
        conn = await asyncpg.connect(dsn)
        try:
            for seq in range(count):
                if paced and not sys.stdin.readline():
                    return
                await asyncio.sleep(rng.uniform(*gap))
                await conn.execute(UPDATE_SQL, job_id, STATUSES[seq % 2], seq)
                print(json.dumps([seq, STATUSES[seq % 2], time.monotonic()]), flush=True)
        finally:
            await conn.close()

    asyncio.run(run())


class Writer:
    """The parent's end of the writer process. A process of its own, so that its commit times
    are not delayed by the measuring process's event loop or GIL (with a writer thread, some
    commits seemed to come after their status was shown)."""

    def __init__(self, job_id: str, count: int, gap: tuple[float, float], paced: bool) -> None:
        self.args = [job_id, str(count), str(gap[0]), str(gap[1]), str(int(paced))]
        self.commits: list[Commit] = []
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, stack: StackInfo) -> Writer:
        self.proc = await asyncio.create_subprocess_exec(
            *(sys.executable, __file__, "--writer", stack.database_url, *self.args),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return self

    async def next_commit(self, go: bool = False, timeout: float = 30.0) -> Commit | None:
        """The next commit the writer reports (``go``: let a paced writer make it first);
        None once it has finished."""
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        if go:
            self.proc.stdin.write(b"go\n")
            await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            return None
        self.commits.append(Commit(*json.loads(line)))
        return self.commits[-1]

    async def finish(self) -> list[Commit]:
        if self.proc is not None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return self.commits


# -- 1. the backend ---------------------------------------------------------------------------


async def measure_backend(stack: StackInfo, token: str, job_id: str, count: int) -> dict[str, Any]:
    """Committed UPDATE -> ``follow_logs`` yields its JobChanged; latencies in seconds."""
    from joblens.backends.base import JobChanged, LiveStarted

    backend = backend_for(stack, token)
    await backend.connect()
    yielded: dict[int, float] = {}
    live = asyncio.Event()

    async def consume() -> None:
        async for event in backend.follow_logs(job_id):
            now = time.monotonic()
            if isinstance(event, LiveStarted):
                live.set()
            elif isinstance(event, JobChanged):
                metadata = event.job.execution_metadata
                yielded.setdefault(metadata["bench_seq"], now)  # every UPDATE here sets it

    consumer = asyncio.create_task(consume())
    try:
        await asyncio.wait_for(live.wait(), 30)
        writer = await Writer(job_id, count, (0.020, 0.050), paced=False).start(stack)
        while await writer.next_commit() is not None:
            pass
        commits = await writer.finish()
        with contextlib.suppress(RuntimeError):  # what never came is reported as lost
            await wait_until(lambda: len(yielded) >= count, 15, "every JobChanged")
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        await backend.close()
    return {
        "latency": [yielded[c.seq] - c.committed for c in commits if c.seq in yielded],
        "lost": count - len(yielded),
    }


# -- 2. the header ----------------------------------------------------------------------------


class BadgeProbe:
    """Wraps ``StatusBadge.set_status`` (told) and ``render_line`` (painted) to time when the
    header first shows the status a commit expects."""

    def __init__(self) -> None:
        self.expected: Commit | None = None
        self.told: dict[int, float] = {}
        self.painted: dict[int, float] = {}
        self.shown = asyncio.Event()  # the app runs in the measuring task's own event loop
        self._originals: dict[str, Any] = {}

    def install(self) -> None:
        from joblens.widgets.header import StatusBadge

        set_original, render_original = StatusBadge.set_status, StatusBadge.render_line
        self._originals = {"set_status": set_original, "render_line": render_original}
        probe = self

        def set_status(badge: StatusBadge, status: str) -> None:
            probe._note(probe.told, str(status))
            set_original(badge, status)

        def render_line(badge: StatusBadge, y: int) -> Any:
            strip = render_original(badge, y)
            if probe._note(probe.painted, str(badge.status)):
                probe.shown.set()
            return strip

        StatusBadge.set_status = set_status
        StatusBadge.render_line = render_line

    def uninstall(self) -> None:
        from joblens.widgets.header import StatusBadge

        for name, original in self._originals.items():
            setattr(StatusBadge, name, original)

    def expect(self, seq: int) -> None:
        """The next commit will be ``seq``: wait for its status from now on."""
        self.shown.clear()
        self.expected = Commit(seq, STATUSES[seq % 2], 0.0)

    def _note(self, marks: dict[int, float], status: str) -> bool:
        commit = self.expected
        if commit is None or status != commit.status or commit.seq in marks:
            return False
        marks[commit.seq] = time.monotonic()
        return True


async def measure_header(
    stack: StackInfo, token: str, job_id: str, count: int, timeout: float = 5.0
) -> dict[str, Any]:
    """Committed UPDATE -> the header's badge rendered with the new status (closed loop)."""
    from joblens.app import JoblensApp

    probe = BadgeProbe()
    probe.install()
    commits: list[Commit] = []

    async def write() -> list[Commit]:
        writer = await Writer(job_id, count, (0.050, 0.150), paced=True).start(stack)
        try:
            for seq in range(count):
                probe.expect(seq)  # before the UPDATE, so no early render is missed
                if await writer.next_commit(go=True) is None:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(probe.shown.wait(), timeout)
        finally:
            await writer.finish()
        return writer.commits

    try:
        app = JoblensApp(backend_for(stack, token), job_id)
        async with app.run_test(size=SIZE):
            await wait_until(
                lambda: (s := job_screen(app)) is not None and s.feed.backfilled.is_set(),
                30,
                "the live feed",
            )
            await asyncio.sleep(0.5)  # the first poll and frames settle
            commits = await write()
    except ZeroDivisionError:
        if not commits:  # Textual 8.2.8's set_timer(0) at shutdown: see live_latency.py
            raise
    finally:
        probe.uninstall()
    return {
        "latency": [probe.painted[c.seq] - c.committed for c in commits if c.seq in probe.painted],
        "told": [probe.told[c.seq] - c.committed for c in commits if c.seq in probe.told],
        "lost": len(commits) - len(probe.painted),
    }


# -- 3. plain mode: `joblens logs JOB --follow` -----------------------------------------------


def joblens_command() -> list[str]:
    """The installed CLI next to this Python, else ``python -m joblens``."""
    found = shutil.which("joblens", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "joblens"]


async def _printed(stream: asyncio.StreamReader, marker: str) -> None:
    while marker not in (line := await stream.readline()).decode(errors="replace"):
        if not line:
            raise RuntimeError(f"joblens exited before printing {marker!r}")


async def measure_plain_exit(stack: StackInfo, token: str, user_id: str) -> dict[str, Any]:
    """SUCCESS committed -> ``joblens logs JOB --follow`` has exited; its exit code."""
    job_id = await create_job(stack, user_id)
    conn = await asyncpg.connect(stack.database_url)
    add = f"insert into {stack.logs_table} (job_id, log_chunk) values ($1::uuid, $2)"
    await conn.execute(add, job_id, "bench-start\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBLENS_", "SUPABASE_"))}
    env |= {
        "SUPABASE_URL": stack.url,
        "SUPABASE_ANON_KEY": stack.anon_key,
        "JOBLENS_ACCESS_TOKEN": token,
        "JOBLENS_LOGS_TABLE": stack.logs_table,
    }
    proc = await asyncio.create_subprocess_exec(
        *joblens_command(),
        "logs",
        job_id,
        "--follow",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        await asyncio.wait_for(_printed(proc.stdout, "bench-start"), 30)
        await conn.execute(add, job_id, "bench-live\n")  # once printed, the stream is live
        await asyncio.wait_for(_printed(proc.stdout, "bench-live"), 30)
        await conn.execute(
            "update provision_jobs set status = 'SUCCESS', completed_at = now()"
            " where id = $1::uuid",
            job_id,
        )
        committed = time.monotonic()
        drain = asyncio.create_task(proc.stdout.read())
        code = await asyncio.wait_for(proc.wait(), 30)
        exited = time.monotonic()
        await drain
    finally:
        await conn.close()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return {"exit_after": exited - committed, "code": code}


# -- reporting --------------------------------------------------------------------------------


def report(title: str, seconds: list[float], lost: int, target_ms: float | None) -> list[str]:
    """A p50/p99/max row; the FIGURE lines for it."""
    ms = [s * 1000 for s in seconds]
    if not ms:
        print(f"{title:30} nothing measured ({lost} lost)")
        return []
    cells = [percentile(ms, 50), percentile(ms, 99), max(ms), min(ms)]
    print(f"{title:30}" + "".join(f"{c:9.1f}" for c in cells) + f"{len(ms):>7}{lost:>6}")
    key = title.strip().replace(" ", "_")
    target = f"target<{target_ms:.0f}" if target_ms is not None else ""
    return [
        f"FIGURE {key}_p50_ms {cells[0]:.1f}",
        f"FIGURE {key}_p99_ms {cells[1]:.1f} {target}".rstrip(),
        f"FIGURE {key}_max_ms {cells[2]:.1f}",
    ]


async def _run(stack: StackInfo, args: argparse.Namespace) -> None:
    user_id = await stack.acreate_user()
    token = stack.token(user_id)
    figures: list[str] = []
    print(f"\n{'ms from the commit':30}{'p50':>9}{'p99':>9}{'max':>9}{'min':>9}{'n':>7}{'lost':>6}")
    if args.changes:
        result = await measure_backend(stack, token, await create_job(stack, user_id), args.changes)
        figures += report("status_to_backend", result["latency"], result["lost"], None)
    if args.header_changes:
        job_id = await create_job(stack, user_id)
        result = await measure_header(stack, token, job_id, args.header_changes)
        figures += report("status_to_header", result["latency"], result["lost"], 200)
        figures += report("  status_to_set_status", result["told"], result["lost"], None)
    runs = [await measure_plain_exit(stack, token, user_id) for _ in range(args.plain_runs)]
    if runs:
        exits = [r["exit_after"] * 1000 for r in runs]
        print(
            f"\n`joblens logs --follow` exit after SUCCESS, {len(runs)} runs: "
            + ", ".join(f"{ms:.0f} ms" for ms in exits)
            + f"; exit codes {sorted({r['code'] for r in runs})}"
        )
        figures.append(f"FIGURE plain_follow_exit_max_ms {max(exits):.0f} target<1000")
    print()
    print("\n".join(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=100, help="backend changes (0: skip)")
    parser.add_argument("--header-changes", type=int, default=100, help="header changes (0: skip)")
    parser.add_argument("--plain-runs", type=int, default=3, help="`logs --follow` runs")
    parser.add_argument("--schema", choices=("documented", "deployed"), default="deployed")
    parser.add_argument("--writer", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        dsn, job_id, count, low, high, paced = args.writer
        _writer_main(dsn, job_id, int(count), (float(low), float(high)), paced == "1")
        return
    from joblens.app import JoblensApp  # noqa: F401 (import costs stay outside the timings)
    from joblens.backends.supabase import SupabaseBackend  # noqa: F401

    print(f"joblens at {source_state()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"starting a {args.schema} stack ...", flush=True)
    stack = start_stack(args.schema)
    try:
        asyncio.run(_run(stack, args))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
