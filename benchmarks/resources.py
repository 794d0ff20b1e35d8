"""What reading an apply's resources costs (``joblens.resources``), against storing its lines.

    .venv/bin/python benchmarks/resources.py [--lines N] [--repeats R]

Feeds ``ResourceTracker`` about a million lines of each log as the job screen feeds it
(``feed_chunks``, ten chunks of whole lines a call, each chunk read by ``feed_text``) and, for
scale, ``LineStore.append`` the same chunks (the first step of the log pane's ingest, which
takes 0.75-1.3 s per million lines to the last row painted: ``log_pane.py``). The logs:

- ``workload``: ``workload.py``'s log, 100 lines a chunk (two thirds of its lines name a
  resource: refreshes, ticks, completions, each with a tail that makes most of them no step;
  5% in colour, a diagnostic every 80 lines);
- ``dense apply``: an apply of many resources and nothing else, 100 lines a chunk, ten at a
  time as Terraform's parallelism runs them: each ``Creating...`` (one in ten ``Modifying...
  [id=...]``), five ``Still creating... [10s elapsed]`` ticks and ``Creation complete after
  53s [id=...]``; without colour (``-no-color``, as the platform's runner runs tofu), then
  coloured as Terraform colours a step;
- ``sample plans``: ``plan_digest.py``'s (the plans of ``tests/data`` repeated, in 10 KB
  rows): output that is mostly no step, with a plan's header every 13 lines.

Prints per log the median over ``--repeats`` runs of CPU seconds per million lines for the
tracker and for the store, and the tracker's over the store's; ``--reference`` times the
tracker as it was before issue 13's work too (``tests/support/resources_reference.py``).

Run of 2026-11-30 (``--reference``; 2 cores, Python 3.11.7, on a machine other work kept
busy, load average 4; CPU seconds per million lines):

| log | MB | before | tracker | store | tracker / store |
|---|---|---|---|---|---|
| workload | 105 | 1.45 | 1.17 | 0.68 | 1.7 |
| dense apply | 68 | 3.31 | 1.72 | 0.20 | 8.5 |
| dense apply, coloured | 84 | 3.63 | 1.84 | 1.23 | 1.5 |
| sample plans | 40 | 0.49 | 0.52 | 0.60 | 0.9 |

For scale, a ``findall`` that only cuts these lines (one string each) takes 0.15 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joblens.models import StreamType
from joblens.resources import ResourceTracker
from joblens.widgets.log.store import STDOUT, LineStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plan_digest import sample_batches
from workload import BATCH_LINES, batches

#: Resources running at once (Terraform's ``-parallelism`` default).
PARALLELISM = 10
TICKS = 5
#: Chunks handed to the tracker in one call, as the feed hands over a flush of several rows.
CHUNKS_PER_CALL = 10
_KINDS = ("aws_instance.node", 'module.fleet["eu-west-1"].aws_ebs_volume.data', "null_resource.x")


def _steps(number: int) -> list[str]:
    """The step lines of resource ``number``, in order."""
    address = f"{_KINDS[number % len(_KINDS)]}[{number}]"
    ident = f"i-{number * 2654435761 % 2**48:012x}"
    if number % 10 == 9:
        lines = [f"{address}: Modifying... [id={ident}]"]
        verb, noun, bracket = "modifying", "Modifications", f"[id={ident}, "
    else:
        lines = [f"{address}: Creating..."]
        verb, noun, bracket = "creating", "Creation", "["
    lines += [f"{address}: Still {verb}... {bracket}{10 * t}s elapsed]" for t in range(1, 6)]
    lines.append(f"{address}: {noun} complete after 53s [id={ident}]")
    return lines


def dense_apply(total_lines: int) -> list[str]:
    """An apply of about ``total_lines`` lines: its ``Plan:`` line, then its resources
    ``PARALLELISM`` at a time, their steps interleaved, then ``Apply complete!``."""
    count = max(1, (total_lines - 2) // (TICKS + 2))
    lines = [f"Plan: {count} to add, 0 to change, 0 to destroy."]
    waiting = iter(range(count))
    # (range first: zip stops at its end before taking a number from waiting)
    running = [iter(_steps(n)) for _, n in zip(range(PARALLELISM), waiting, strict=False)]
    while running:
        for steps in list(running):
            line = next(steps, None)
            if line is not None:
                lines.append(line)
                continue
            running.remove(steps)
            number = next(waiting, None)
            if number is not None:
                running.append(iter(_steps(number)))
    lines.append(f"Apply complete! Resources: {count} added, 0 changed, 0 destroyed.")
    return lines


def coloured(line: str) -> str:
    """A step line as Terraform colours it (``views/hook_ui.go``)."""
    return f"\x1b[0m\x1b[1m{line}\x1b[0m\x1b[0m"


def chunked(lines: list[str]) -> list[str]:
    """``lines`` as chunks of ``BATCH_LINES`` newline-ended lines."""
    return [
        "".join(line + "\n" for line in lines[at : at + BATCH_LINES])
        for at in range(0, len(lines), BATCH_LINES)
    ]


def feed_tracker(chunks: list[str], kind: Callable[[], Any] = ResourceTracker) -> Any:
    tracker = kind()
    stream = StreamType.STDOUT
    for at in range(0, len(chunks), CHUNKS_PER_CALL):
        group = chunks[at : at + CHUNKS_PER_CALL]
        tracker.feed_chunks([(text, stream) for text in group], tracker.index)
    tracker.close()
    return tracker


def feed_store(chunks: list[str]) -> LineStore:
    store = LineStore()
    for text in chunks:
        store.append(text, STDOUT)
    return store


def timed(run: Callable[[list[str]], object], chunks: list[str], repeats: int) -> float:
    """The median CPU time of ``run(chunks)`` (CPU, not wall: the machine may be shared)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        run(chunks)
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--reference",
        action="store_true",
        help="time the tracker as it was too (tests/support/resources_reference.py)",
    )
    args = parser.parse_args()
    reference: Callable[[], Any] | None = None
    if args.reference:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from support.resources_reference import ReferenceTracker

        reference = ReferenceTracker
    dense = dense_apply(args.lines)
    logs = {
        "workload": list(batches(args.lines)),
        "dense apply": chunked(dense),
        "dense apply, coloured": chunked([coloured(line) for line in dense]),
        "sample plans": sample_batches(args.lines),
    }
    print(f"about {args.lines:,} lines a log, CPU seconds per million lines, {args.repeats} runs")
    before = f" {'before':>9s}" if reference else ""
    print(f"{'log':24s} {'MB':>6s}{before} {'tracker':>9s} {'store':>9s} {'ratio':>6s}  resources")
    for name, chunks in logs.items():
        scale = 1_000_000 / sum(text.count("\n") for text in chunks)
        tracker = feed_tracker(chunks)
        if reference is not None:
            was = timed(lambda c: feed_tracker(c, reference), chunks, args.repeats) * scale
            before = f" {was:7.3f} s"
        tracker_s = timed(feed_tracker, chunks, args.repeats) * scale
        store_s = timed(feed_store, chunks, args.repeats) * scale
        size = sum(len(text) for text in chunks) / 1e6
        print(
            f"{name:24s} {size:6.1f}{before} {tracker_s:7.3f} s {store_s:7.3f} s"
            f" {tracker_s / store_s:6.2f}  {tracker.progress_text()}"
        )


if __name__ == "__main__":
    main()
