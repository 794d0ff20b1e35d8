"""What checking the log against the table costs while a job streams 1,000 lines a second.

Usage: python benchmarks/completeness_cost.py [--seconds 60] [--schema deployed]
       [--lose-every 0]

A fresh database and `python -m devstack serve` (as live_latency.py), the unmodified
supabase-py client, and a writer process (a Tendril) committing 10 lines every 10 ms, each
row cut mid-line as the runner's flushes cut them. joblens's feed follows the job as the view
does (checks every 3 s). Every request the feed makes is counted by kind, with the rows and
bytes it read. With ``--lose-every N`` the stack drops changes (its ``lose`` fault) every N
seconds, so the cost of recovering them shows too. At the end: every line of the table held,
in the table's order?
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # devstack and tests: at the repository root
sys.path.insert(0, str(Path(__file__).resolve().parent))
import asyncpg  # noqa: E402
from devstack.testing import StackInfo, start_stack  # noqa: E402

from live_latency import backend_for, create_job  # noqa: E402
from provenance import source_state  # noqa: E402

LINE = 'aws_eks_node_group.this["general"]: Still creating... [{n}s elapsed] ' + "x" * 40


def writer_main(dsn: str, table: str, job_id: str, seconds: float) -> None:
    """Commit 10 lines every 10 ms for ``seconds``, rows cut mid-line (a runner's flushes)."""

    async def write() -> None:
        conn = await asyncpg.connect(dsn)
        query = f"insert into {table} (job_id, log_chunk, stream_type) values ($1, $2, 'STDOUT')"
        carry = ""
        n = 0
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                text = carry + "".join(LINE.format(n=n + i) + "\n" for i in range(10))
                n += 10
                cut = len(text) - 17  # the flush fell 17 characters before the end
                carry = text[cut:]
                await conn.execute(query, job_id, text[:cut])
                await asyncio.sleep(0.01)
            await conn.execute(query, job_id, carry)
        finally:
            await conn.close()

    asyncio.run(write())


def inject_lose(stack: StackInfo, count: int) -> None:
    """Ask the stack to drop the next ``count`` changes (socket and heartbeats intact)."""
    stack.fault("lose", count=count)


async def measure(stack: StackInfo, seconds: float, lose_every: float) -> dict[str, Any]:
    from joblens.feed import LogFeed
    from joblens.log_output import PaneOutput
    from joblens.sanitize import split_chunk

    user_id = await stack.acreate_user()
    job_id = await create_job(stack, user_id)
    backend = backend_for(stack, stack.token(user_id))
    await backend.connect()
    requests: Counter[str] = Counter()
    rows_read: Counter[str] = Counter()
    bytes_read: Counter[str] = Counter()

    def counted(name: str) -> None:
        original = getattr(backend, name)

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            requests[name] += 1
            result = await original(*args, **kwargs)
            if isinstance(result, list):
                rows_read[name] += len(result)
                bytes_read[name] += sum(len(c.text.encode()) + 120 for c in result)
            return result

        setattr(backend, name, wrapper)

    for name in ("count_logs", "fetch_logs", "fetch_latest_logs"):
        counted(name)
    lines: list[str] = []

    def take_back(mark: int) -> None:
        del lines[mark:]

    output = PaneOutput(
        lambda chunks: lines.extend(x for c in chunks for x in split_chunk(c.text)),
        mark=lambda: len(lines),
        rewind=take_back,
        start=lambda: 0,
    )
    feed = LogFeed(backend, job_id, output)
    follower = asyncio.create_task(feed.run())
    await asyncio.wait_for(feed.backfilled.wait(), 30)
    writer = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--writer",
            stack.database_url,
            stack.logs_table,
            job_id,
            str(seconds),
        ]
    )
    started = time.monotonic()
    lost_asked = 0
    try:
        while writer.poll() is None:
            await asyncio.sleep(lose_every or 1.0)
            if lose_every and writer.poll() is None:
                await asyncio.to_thread(inject_lose, stack, 25)
                lost_asked += 25
        elapsed = time.monotonic() - started
        before = dict(requests)
        for _ in range(3):  # what plain mode does at the job's end
            await feed.backfill()
            await feed.verify()
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
        await backend.close()
    feed.close_open_lines()
    rows = await stack.asql(
        f"select log_chunk from {stack.logs_table} where job_id = $1 order by id", job_id
    )
    table_lines = "".join(r["log_chunk"] for r in rows).split("\n")
    if table_lines and table_lines[-1] == "":
        table_lines.pop()
    return {
        "elapsed": elapsed,
        "requests_while_streaming": before,
        "requests": dict(requests),
        "rows": dict(rows_read),
        "bytes": dict(bytes_read),
        "table_rows": len(rows),
        "table_lines": len(table_lines),
        "held_lines": len(lines),
        "exact": lines == table_lines,
        "recovered": feed.recovered,
        "lose_asked": lost_asked,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--schema", choices=("documented", "deployed"), default="deployed")
    parser.add_argument("--lose-every", type=float, default=0.0)
    parser.add_argument("--writer", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        dsn, table, job_id, seconds = args.writer
        writer_main(dsn, table, job_id, float(seconds))
        return
    print(f"joblens at {source_state()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    stack = start_stack(args.schema)
    try:
        result = asyncio.run(measure(stack, args.seconds, args.lose_every))
    finally:
        stack.stop()
    minutes = result["elapsed"] / 60
    print(
        f"{result['elapsed']:.0f} s of 1,000 lines/s; table: {result['table_rows']:,} rows, "
        f"{result['table_lines']:,} lines; the feed held {result['held_lines']:,} lines, "
        f"{'exactly the table' if result['exact'] else 'NOT the table'}"
    )
    print(f"rows put back in place by the feed: {result['recovered']:,}")
    if args.lose_every:
        print(
            f"changes dropped by the stack: {result['lose_asked']:,} asked; recovered by the "
            f"feed: {result['recovered']:,}"
        )
    print(
        f"{'requests while streaming':28}{'per minute':>12}{'rows read/min':>16}{'KB read/min':>14}"
    )
    for name, n in sorted(result["requests_while_streaming"].items()):
        rows = result["rows"].get(name, 0) / minutes
        kb = result["bytes"].get(name, 0) / 1024 / minutes
        print(f"{name:28}{n / minutes:12.1f}{rows:16.0f}{kb:14.1f}")
    for name, n in sorted(result["requests_while_streaming"].items()):
        print(f"FIGURE check_{name}_per_min {n / minutes:.1f}")
    print(f"FIGURE check_exact {int(result['exact'])}")


if __name__ == "__main__":
    main()
