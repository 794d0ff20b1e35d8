"""What searching and filtering a million-line log costs (``joblens.widgets.log.search``).

    python benchmarks/log_search.py [--lines 1000000] [--budget N] [--repeats 3]

Two stores of ``--lines`` lines: ``workload.py``'s Terraform-like log (5% of its lines in ANSI
colour), and the same log colourless, as the platform's runner writes it (``tofu -no-color``).
One line in 10,000 is a rare error; every 50th chunk of 100 lines is STDERR, every 500th
SYSTEM, and a NOTE line (joblens's own) stands every 100,000 lines.

For each query, a ``MatchScan`` stepped as the pane steps it (``step()`` with the default
budget, or ``--budget``): the time to the first 50 lines kept (all of them, if fewer), to the
full count, the longest single ``step()`` (a key waits at most that long) and the median one;
and the time ``find_line`` takes from the top to the first match (the ``n`` key). Median of
``--repeats`` runs (the longest step: the longest of all).
Targets (issue 13): first matches within 100 ms, the full count within 1 s, and no step
longer than a frame or two (well under 50 ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from joblens.sanitize import sanitize, strip_sgr
from joblens.widgets.log.match_scan import STEP_LINES, MatchScan
from joblens.widgets.log.search import LogQuery, find_line
from joblens.widgets.log.store import NOTE, STDERR, STDOUT, SYSTEM, LineStore
from workload import BATCH_LINES, batches

RARE_EVERY = 10_000
RARE_LINE = (
    "\x1b[31mError:\x1b[0m creating EC2 Instance (web-3): InsufficientInstanceCapacity:"
    " We currently do not have sufficient m5.large capacity in eu-west-1b"
)
NOTE_EVERY = 100_000


@dataclass(frozen=True)
class Case:
    name: str
    text: str | None
    regex: bool = False
    invert: bool = False
    streams: frozenset[int] | None = None


CASES = [
    Case("rare literal", "insufficientinstancecapacity"),
    Case("common literal", "refreshing state"),
    Case("regex", "Still (creating|destroying)", regex=True),
    Case("regex, no literal in it", r"id=[0-9a-f]{16}|\d+s", regex=True),
    Case("inverse filter", "refreshing state", invert=True),
    Case("stream only (STDERR)", None, streams=frozenset({STDERR})),
    Case("literal + STDERR", "error", streams=frozenset({STDERR})),
]


def build(total_lines: int, colourless: bool) -> LineStore:
    """The workload in a store, chunk by chunk, with its rare lines, streams and notes."""
    store = LineStore()
    done = 0
    for number, text in enumerate(batches(total_lines)):
        lines = sanitize(text).split("\n")[:-1]
        for at in range(len(lines)):
            if (done + at) % RARE_EVERY == RARE_EVERY // 2:
                lines[at] = RARE_LINE
        chunk = "\n".join(lines) + "\n"
        if colourless:
            chunk = strip_sgr(chunk)
        if number % 500 == 499:
            code = SYSTEM
        elif number % 50 == 49:
            code = STDERR
        else:
            code = STDOUT
        store.append(chunk, code)
        done += len(lines)
        if done % NOTE_EVERY < BATCH_LINES:
            store.append("-- attempt 2 begins here --", NOTE)
    return store


@dataclass
class Figures:
    first_50: float
    full: float
    longest_step: float
    median_step: float
    steps: int
    kept: int
    matches: int
    find_first: float


def measure(store: LineStore, case: Case, budget: int) -> Figures:
    query = None if case.text is None else LogQuery.parse(case.text, case.regex)
    scan = MatchScan(store, query, invert=case.invert, streams=case.streams)
    t0 = time.perf_counter()
    first_50 = None
    times: list[float] = []
    steps = 0
    done = False
    while not done:
        s0 = time.perf_counter()
        done = scan.step(budget)
        now = time.perf_counter()
        times.append(now - s0)
        steps += 1
        if first_50 is None and (len(scan.lines) >= 50 or done):
            first_50 = now - t0
    full = time.perf_counter() - t0
    find_first = float("nan")
    if query is not None and not case.invert:
        f0 = time.perf_counter()
        find_line(store, query, 0)
        find_first = time.perf_counter() - f0
    assert first_50 is not None
    return Figures(
        first_50,
        full,
        max(times),
        statistics.median(times),
        steps,
        len(scan.lines),
        scan.matches,
        find_first,
    )


def _median(runs: list[Figures]) -> Figures:
    def med(name: str) -> float:
        return statistics.median(getattr(run, name) for run in runs)

    last = runs[-1]
    return Figures(
        med("first_50"),
        med("full"),
        max(run.longest_step for run in runs),
        med("median_step"),
        last.steps,
        last.kept,
        last.matches,
        med("find_first"),
    )


def _ms(seconds: float) -> str:
    if seconds != seconds:  # NaN: not measured
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 0.01 else f"{seconds * 1000:,.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--budget", type=int, default=STEP_LINES, help="lines per step()")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.lines:,} lines, step budget {args.budget:,} lines, median of {args.repeats}")
    header = (
        "| log | query | kept lines | matches | first 50 | full count | longest step"
        " | median step | steps | find_line first |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    worst_step = 0.0
    for colourless in (False, True):
        t0 = time.perf_counter()
        store = build(args.lines, colourless)
        size = sum(block.used for block in store.blocks) / 1e6
        label = f"{'colourless' if colourless else '5% coloured'} ({size:.0f} MB)"
        print(f"<!-- built {label} in {time.perf_counter() - t0:.1f} s -->")
        for case in CASES:
            runs = [measure(store, case, args.budget) for _ in range(args.repeats)]
            f = _median(runs)
            worst_step = max(worst_step, f.longest_step)
            print(
                f"| {label} | {case.name} | {f.kept:,} | {f.matches:,} | {_ms(f.first_50)}"
                f" | {_ms(f.full)} | {_ms(f.longest_step)} | {_ms(f.median_step)} | {f.steps}"
                f" | {_ms(f.find_first)} |"
            )
    print(f"longest step of all: {_ms(worst_step)}")


if __name__ == "__main__":
    main()
