"""What the plan digest costs: feeding it a million lines, alone and inside the log pane's ingest.

    python benchmarks/plan_digest.py [--lines 1000000] [--no-pane]

Four texts of ``--lines`` lines, in the batches the job screen receives (whole lines: a batch
per ~10 KB row for the plans, 100 lines for the workload):

- ``demo plan``: colourless OpenTofu as the runner stores it, the demo stack's change blocks
  (``joblens.backends.demo.terraform.tofu.plan_chunks``) repeated with distinct addresses:
  a resource header every 7 lines (the demo's resources have few attributes), a worst case;
- ``sample plans``: the hand-written Terraform/OpenTofu plans of ``tests/data`` repeated (a
  header every 13 lines, heredocs, drift, every kind of replacement);
- ``workload`` and ``workload colourless``: ``workload.py``'s log, the log pane benchmark's
  (5% of its lines in ANSI colour, which the digest strips before reading).

Figures: ``feed`` (every batch through ``PlanDigest.feed_texts``; median of 3), ``summary``
(one summary of the result), and, unless ``--no-pane``, the log pane's ingest of each plan
headless (to the last line rendered, as ``log_pane.py`` measures it) without and with the
digest fed where the job screen feeds it; each run in a fresh process, the median of three.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import batches

ROWS_BYTES = 10_240


def _cut(lines: list[str]) -> list[str]:
    """Whole lines in batches of about a runner's row (10 KB)."""
    out, current, size = [], [], 0
    for line in lines:
        current.append(line)
        size += len(line)
        if size >= ROWS_BYTES:
            out.append("".join(current))
            current, size = [], 0
    if current:
        out.append("".join(current))
    return out


def plan_batches(total_lines: int) -> list[str]:
    """The demo's plan, its change blocks repeated with distinct addresses: one resource
    header every 7 lines (its resources have few attributes), a worst case."""
    import random

    from joblens.backends.demo.terraform.stack import choose_changes, stack_resources
    from joblens.backends.demo.terraform.tofu import plan_chunks

    rng = random.Random(7)
    lines: list[str] = []
    copy = 0
    while len(lines) < total_lines:
        resources = stack_resources(f"acme-{copy}", [{"name": "general"}, {"name": "spot"}])
        text = "".join(plan_chunks(choose_changes(resources, rng))[1:-1])  # the blocks only
        text = text.replace("module.", f"module.c{copy}_").replace(
            "aws_instance.", f"aws_instance.c{copy}_"
        )
        lines.extend(text.splitlines(keepends=True))
        copy += 1
    lines = lines[:total_lines]
    lines[-1] = "Plan: 1 to add, 0 to change, 0 to destroy.\n"
    return _cut(lines)


def sample_batches(total_lines: int) -> list[str]:
    """The hand-written Terraform and OpenTofu plans of ``tests/data`` (modules, drift, every
    kind of replacement, heredocs) repeated with distinct addresses: a header every 13 lines."""
    data = Path(__file__).resolve().parent.parent / "tests" / "data"
    text = (data / "plans" / "terraform_modules.txt").read_text() + (
        data / "tofu" / "plan.txt"
    ).read_text()
    lines: list[str] = []
    copy = 0
    while len(lines) < total_lines:
        lines.extend(text.replace("aws_", f"aws{copy}_").splitlines(keepends=True))
        copy += 1
    return _cut(lines[:total_lines])


def workload_batches(total_lines: int, colourless: bool) -> list[str]:
    from joblens.sanitize import sanitize, strip_sgr

    texts = [sanitize(t) for t in batches(total_lines)]
    return [strip_sgr(t) for t in texts] if colourless else texts


def _feed_figures(texts: list[str]) -> dict[str, Any]:
    from joblens.plan_digest import PlanDigest

    feeds, summaries = [], []
    for _ in range(3):
        digest = PlanDigest()
        t0 = time.perf_counter()
        for at, text in enumerate(texts):
            digest.feed_texts((text,), at)
        feeds.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        summary = digest.summary()
        summaries.append(time.perf_counter() - t0)
    return {
        "feed_s": statistics.median(feeds),
        "summary_s": statistics.median(summaries),
        "resources": len(summary.resources),
        "megabytes": sum(len(t) for t in texts) / 1e6,
    }


async def _pane_ingest(kind: str, lines: int, with_digest: bool) -> None:
    """The log pane headless, fed the plan as the job screen feeds it; the time to the last
    line rendered (log_pane.py's method)."""
    from joblens.models import LogChunk
    from joblens.plan_digest import PlanDigest
    from log_pane import _TOKEN, SIZE, _make_app, _until_seen

    texts = (plan_batches if kind == "demo" else sample_batches)(lines)
    texts[-1] += f"{_TOKEN}-END\n"
    app, _feed, _drop = _make_app("joblens")
    digest = PlanDigest()
    ids = iter(range(1, 1 << 62))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one("Probe")
        await pilot.pause()
        pane.token, pane.seen = f"{_TOKEN}-END", None
        start = time.perf_counter()
        for text in texts:
            chunks = [LogChunk(next(ids), "job", text)]
            at = pane.append_mark()
            pane.write_chunks(chunks)
            if with_digest:  # what JobScreen._write_chunks does for a PLAN
                digest.feed_texts((c.text for c in chunks), at)
            await asyncio.sleep(0)
        painted = await _until_seen(pane, f"{_TOKEN}-END", timeout=3600)
        print(json.dumps({"ingest_s": painted - start}), flush=True)
        os._exit(0)


def _ingest(kind: str, lines: int, with_digest: bool) -> float:
    command = [sys.executable, __file__, "--pane-worker", kind, str(lines)]
    if with_digest:
        command.append("--with-digest")
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["ingest_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--no-pane", action="store_true", help="the digest alone")
    parser.add_argument("--pane-worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--with-digest", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pane_worker:
        kind, lines = args.pane_worker
        asyncio.run(_pane_ingest(kind, int(lines), args.with_digest))
        return
    print(f"plan digest, {args.lines:,} lines, Python {sys.version.split()[0]}")
    for name, texts in (
        ("demo plan", plan_batches(args.lines)),
        ("sample plans", sample_batches(args.lines)),
        ("workload", workload_batches(args.lines, colourless=False)),
        ("workload colourless", workload_batches(args.lines, colourless=True)),
    ):
        f = _feed_figures(texts)
        print(
            f"  {name:20} {f['megabytes']:6.1f} MB  feed {f['feed_s'] * 1000:7.1f} ms"
            f"  summary {f['summary_s'] * 1000:6.1f} ms  ({f['resources']:,} resources)"
        )
    if args.no_pane:
        return
    for kind in ("demo", "sample"):
        runs: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(3):  # taking turns, so that a slow spell of the machine hits both
            for digest, times in runs.items():
                times.append(_ingest(kind, args.lines, digest))
        without, with_digest = (statistics.median(runs[d]) for d in (False, True))
        print(
            f"  pane ingest, {kind} plan: {without:.2f} s without the digest,"
            f" {with_digest:.2f} s with it ({(with_digest - without) / without:+.1%})"
        )


if __name__ == "__main__":
    main()
