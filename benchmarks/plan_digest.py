"""What the plan digest costs: feeding it a million lines, alone and inside the log pane's ingest.

    python benchmarks/plan_digest.py [--lines 1000000] [--no-pane] [--runs 3] [--shapes a,b]

Six texts of ``--lines`` lines, in the batches the job screen receives (whole lines: a batch
per ~10 KB row for the plans, 100 lines for the workload):

- ``demo``: colourless OpenTofu as the runner stores it, the demo stack's change blocks
  (``joblens.backends.demo.terraform.tofu.plan_chunks``) repeated with distinct addresses:
  a resource header every 7 lines (the demo's resources have few attributes), the worst case
  for the headers;
- ``sample``: the hand-written Terraform/OpenTofu plans of ``tests/data`` repeated (a header
  every 13 lines, heredocs, drift, every kind of replacement, a ``Plan:`` line every ~260);
- ``attributes`` and ``attributes-coloured``: a plan of eight resources whose bodies run to a
  million attribute lines (security group rules with descriptions and tags in capitals), one
  ``Plan:`` line at the end; colourless, and coloured as Terraform colours it: the worst case
  for skipping the lines that do not matter;
- ``workload`` and ``workload-colourless``: ``workload.py``'s log, the log pane benchmark's
  (5% of its lines in ANSI colour, which the digest strips before reading).

Figures: ``feed`` (every batch through ``PlanDigest.feed_texts``; median of 3), ``summary``
(one summary of the result), and, unless ``--no-pane``, the log pane's ingest of each text
headless (to the last line rendered, as ``log_pane.py`` measures it) without and with the
digest, fed where the job screen feeds it and summarised as often as the screen shows it
(``PLAN_REFRESH_SECONDS``, and once at the end); each run in a fresh process, the runs of
the two taking turns, the median of ``--runs``. The digest's share is given in wall time and
in the process's CPU time (steadier on a busy machine).

The app's objects from before the ingest are frozen (``gc.freeze``) unless ``--no-freeze``: a
full garbage collection walks them all (~20 ms for the headless app), and any allocation may
be the one that triggers it, at an arbitrary point of a 0.3 s run: left in, it adds 20 ms to
whichever of the two runs crosses that point (with a digest or not, old or new), a step that
says how big the app is, not what the digest costs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import batches

ROWS_BYTES = 10_240
#: As ``joblens.screens.job_screen.PLAN_REFRESH_SECONDS`` (not imported: it loads the screens).
PLAN_REFRESH_SECONDS = 0.25


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


#: Terraform's colours for a change's symbol, and for the parts of a plan it emphasises.
_SYMBOL_COLOUR = {"+": "\x1b[32m", "-": "\x1b[31m", "~": "\x1b[33m"}
_DESCRIPTIONS = ("Office VPN", "Partner NAT", "Monitoring probe", "On-call jump host")
RESOURCES_WITH_ATTRIBUTES = 8


def attribute_batches(total_lines: int, coloured: bool) -> list[str]:
    """Eight security groups whose rules run to ``total_lines`` lines: a header per 125,000
    lines, attribute lines everywhere else, capitals in most rows (``Name`` tags, rule
    descriptions such as "Office VPN 12"), as ``terraform plan`` prints them (with its
    colours if ``coloured``); the ``Plan:`` line last."""
    from joblens.sanitize import sanitize

    def symbol(mark: str) -> str:
        if not coloured or mark == " ":
            return mark
        return f"{_SYMBOL_COLOUR[mark]}{mark}\x1b[0m\x1b[0m"

    def rule(mark: str, n: int, indent: str) -> list[str]:
        s = symbol(mark)
        description = f"{_DESCRIPTIONS[n % len(_DESCRIPTIONS)]} {n}"
        return [
            f"{indent}{s} {{\n",
            f"{indent}    {s} cidr_blocks      = [\n",
            f'{indent}        {s} "10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}/32",\n',
            f"{indent}      ]\n",
            f'{indent}    {s} description      = "{description}"\n',
            f"{indent}    {s} from_port        = 443\n",
            f'{indent}    {s} protocol         = "tcp"\n',
            f'{indent}    {s} tags             = {{ "Name" = "rule-{n}" }}\n',
            f"{indent}    {s} to_port          = 443\n",
            f"{indent}  }},\n",
        ]

    per_resource = max(1, total_lines // RESOURCES_WITH_ATTRIBUTES)
    lines: list[str] = []
    n = 0
    for k in range(RESOURCES_WITH_ATTRIBUTES):
        address = f"aws_security_group.edge[{k}]"
        header = f"  # {address} will be updated in-place\n"
        hidden = "        # (8 unchanged attributes hidden)\n"
        if coloured:
            header = f"  \x1b[1m# {address}\x1b[0m will be updated in-place\n"
            hidden = "        \x1b[90m# (8 unchanged attributes hidden)\x1b[0m\n"
        lines += [header, f'  {symbol("~")} resource "aws_security_group" "edge" {{\n']
        lines.append(f"      {symbol('~')} ingress                = [\n")
        end = len(lines) + per_resource - 6
        while len(lines) < end:
            lines += rule("-+"[n % 2], n, "          ")
            n += 1
        lines += ["        ]\n", hidden, "    }\n"]
    del lines[total_lines - 1 :]
    plan = "Plan: 0 to add, 8 to change, 0 to destroy.\n"
    lines.append(f"\x1b[0m\x1b[1mPlan:\x1b[0m{plan[5:]}" if coloured else plan)
    return [sanitize(text) for text in _cut(lines)]


def workload_batches(total_lines: int, colourless: bool) -> list[str]:
    from joblens.sanitize import sanitize, strip_sgr

    texts = [sanitize(t) for t in batches(total_lines)]
    return [strip_sgr(t) for t in texts] if colourless else texts


#: Each text, by the name the pane workers are given.
SHAPES: dict[str, Callable[[int], list[str]]] = {
    "demo": plan_batches,
    "sample": sample_batches,
    "attributes": lambda n: attribute_batches(n, coloured=False),
    "attributes-coloured": lambda n: attribute_batches(n, coloured=True),
    "workload": lambda n: workload_batches(n, colourless=False),
    "workload-colourless": lambda n: workload_batches(n, colourless=True),
}


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


async def _pane_ingest(shape: str, lines: int, with_digest: bool, freeze: bool) -> None:
    """The log pane headless, fed the text as the job screen feeds it (and, with the digest,
    its summary taken as often as the screen shows it); the wall and CPU time to the last line
    rendered and the last summary taken (log_pane.py's method)."""
    from joblens.models import LogChunk
    from joblens.plan_digest import PlanDigest
    from log_pane import _TOKEN, SIZE, _make_app, _until_seen

    texts = SHAPES[shape](lines)
    texts[-1] += f"{_TOKEN}-END\n"
    app, _feed, _drop = _make_app("joblens")
    digest = PlanDigest()
    ids = iter(range(1, 1 << 62))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one("Probe")
        await pilot.pause()
        if freeze:
            gc.collect()
            gc.freeze()
        pane.token, pane.seen = f"{_TOKEN}-END", None
        cpu0, start = time.process_time(), time.perf_counter()
        shown = start
        for text in texts:
            chunks = [LogChunk(next(ids), "job", text)]
            at = pane.append_mark()
            pane.write_chunks(chunks)
            # What JobLog.write_chunks (screens/job_log.py) does for a PLAN (JobPlan.feed),
            # and JobPlan's show at its pace (screens/job_plan.py).
            changed = with_digest and digest.feed_texts((c.text for c in chunks), at)
            if changed and time.perf_counter() - shown >= PLAN_REFRESH_SECONDS:
                digest.summary()
                shown = time.perf_counter()
            await asyncio.sleep(0)
        if with_digest:
            digest.summary()
        summarised = time.perf_counter()
        painted = await _until_seen(pane, f"{_TOKEN}-END", timeout=3600)
        done = max(painted, summarised)
        cpu = time.process_time() - cpu0
        print(json.dumps({"ingest_s": done - start, "cpu_s": cpu}), flush=True)
        os._exit(0)


def _ingest(shape: str, lines: int, with_digest: bool, freeze: bool) -> tuple[float, float]:
    command = [sys.executable, __file__, "--pane-worker", shape, str(lines)]
    if with_digest:
        command.append("--with-digest")
    if not freeze:
        command.append("--no-freeze")
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return float(figures["ingest_s"]), float(figures["cpu_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--no-pane", action="store_true", help="the digest alone")
    parser.add_argument("--runs", type=int, default=3, help="pane runs of each (the median)")
    parser.add_argument("--shapes", default=",".join(SHAPES), help=f"some of: {', '.join(SHAPES)}")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="leave the app's objects to every full garbage collection (see the docstring)",
    )
    parser.add_argument("--pane-worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--with-digest", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pane_worker:
        shape, lines = args.pane_worker
        asyncio.run(_pane_ingest(shape, int(lines), args.with_digest, not args.no_freeze))
        return
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    unknown = sorted(set(shapes) - set(SHAPES))
    if unknown:
        parser.error(f"unknown shapes: {', '.join(unknown)}")
    print(f"plan digest, {args.lines:,} lines, Python {sys.version.split()[0]}")
    for shape in shapes:
        f = _feed_figures(SHAPES[shape](args.lines))
        print(
            f"  {shape:20} {f['megabytes']:6.1f} MB  feed {f['feed_s'] * 1000:7.1f} ms"
            f"  summary {f['summary_s'] * 1000:6.1f} ms  ({f['resources']:,} resources)"
        )
    if args.no_pane:
        return
    for shape in shapes:
        runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for _ in range(args.runs):  # taking turns, so that a slow spell hits both
            for digest, times in runs.items():
                times.append(_ingest(shape, args.lines, digest, not args.no_freeze))
        (wall, cpu), (wall_d, cpu_d) = (
            (statistics.median(t[0] for t in runs[d]), statistics.median(t[1] for t in runs[d]))
            for d in (False, True)
        )
        print(
            f"  pane ingest, {shape}: {wall:.2f} s without the digest, {wall_d:.2f} s with it"
            f" ({(wall_d - wall) / wall:+.1%}); CPU {cpu:.2f} s and {cpu_d:.2f} s"
            f" ({(cpu_d - cpu) / cpu:+.1%})"
        )


if __name__ == "__main__":
    main()
