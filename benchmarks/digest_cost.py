"""What reading a job's log for its digests and folds costs the job view, against its ingest.

    .venv/bin/python benchmarks/digest_cost.py [--lines N] [--runs R] [--only NAME]

The real app (``JoblensApp``, headless 120x40, the demo backend in process) opens a finished job
whose log holds about a million lines, in 100-line rows as a runner writes them, and reads all
of it as a user who opens that job does: the newest page first, older pages before it, each
line through the feed (merge, join, sanitise) into the log pane. The figure is the app process's
CPU time from opening the job to the moment every line is in the pane and every reader has
caught up; "ingest" is the same without the readers (each screen feed made to do nothing, the
pane's folding off).

Readers, per job type (``screens/job_digests.py``, ``screens/job_plan.py``):

- every job: the folds (``widgets/log/folds.py``), the errors reader (``widgets/error_digest.py``);
- a PLAN: the plan digest (``joblens/plan_digest.py``);
- any other job: the resource tracker (``joblens/resources.py``).

The logs (``workload.py``, ``resources.py`` and ``plan_digest.py`` make them):

- ``workload`` (DEPLOY): the shared workload's log, 5% in colour, a diagnostic every 80 lines;
- ``dense apply`` (DEPLOY): an apply of ~140,000 resources and nothing else, colourless;
- ``sample plans`` (PLAN): the plans of ``tests/data`` repeated (a header every 13 lines);
- ``demo plan`` (PLAN): the demo's plan repeated (a header every 7 lines: the worst case).

Each run is its own process. Prints per log the median CPU seconds with and without the readers
and what the readers add, as a share of the ingest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SIZE = (120, 40)
LOGS = {
    "workload": "DEPLOY",
    "dense apply": "DEPLOY",
    "sample plans": "PLAN",
    "demo plan": "PLAN",
}


def _texts(name: str, lines: int) -> list[str]:
    if name == "workload":
        from workload import batches

        return list(batches(lines))
    if name == "dense apply":
        from resources import chunked, dense_apply

        return chunked(dense_apply(lines))
    from plan_digest import plan_batches, sample_batches

    return sample_batches(lines) if name == "sample plans" else plan_batches(lines)


#: What each mode keeps of the readers: all, none, or one.
MODES = {
    "on": {"folds", "errors", "digest"},
    "off": set(),
    "folds": {"folds"},
    "errors": {"errors"},
    "digest": {"digest"},
}


def _readers_off(kept: set[str]) -> None:
    """The screen's feeds but ``kept`` do nothing; the pane folds only if "folds" is kept."""
    from joblens.screens.job_digests import ErrorsFeed, ResourcesFeed
    from joblens.screens.job_plan import JobPlan
    from joblens.widgets.log.pane import LogPane

    if "errors" not in kept:
        ErrorsFeed.due = lambda self: None  # type: ignore[method-assign]
    if "digest" not in kept:
        ResourcesFeed.feed = lambda self, chunks, at: None  # type: ignore[method-assign]
        JobPlan.feed = lambda self, chunks, at: None  # type: ignore[method-assign]
    if "folds" in kept:
        return
    init = LogPane.__init__

    def unfolded(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["folding"] = False
        init(self, *args, **kwargs)

    LogPane.__init__ = unfolded  # type: ignore[method-assign]


#: The readers' entry points, timed where they run (``--attribute``): (module, class, method).
READERS = {
    "folds": [
        ("joblens.widgets.log.lens", "LogLens", "appended"),
        ("joblens.widgets.log.lens", "LogLens", "prepended"),
    ],
    "errors": [("joblens.screens.job_digests", "ErrorsFeed", "_read")],
    "digest": [
        ("joblens.screens.job_digests", "ResourcesFeed", "feed"),
        ("joblens.screens.job_digests", "ResourcesFeed", "_show"),
        ("joblens.screens.job_plan", "JobPlan", "feed"),
        ("joblens.screens.job_plan", "JobPlan", "_show"),
    ],
}


def _attribute(spent: dict[str, float]) -> None:
    """Time the readers' entry points on the event loop's thread (CPU, ``thread_time``) into
    ``spent``, by reader; a call inside another timed one counts once."""
    import importlib

    depth = [0]
    for reader, places in READERS.items():
        spent[reader] = 0.0
        for module, cls_name, name in places:
            cls = getattr(importlib.import_module(module), cls_name)
            original = getattr(cls, name)

            def timed(*args: Any, _original: Any = original, _reader: str = reader) -> Any:
                if depth[0]:
                    return _original(*args)
                depth[0] += 1
                began = time.thread_time()
                try:
                    return _original(*args)
                finally:
                    spent[_reader] += time.thread_time() - began
                    depth[0] -= 1

            setattr(cls, name, timed)


def _caught_up(screen: Any, lines: int, readers: set[str]) -> bool:
    pane = screen.pane
    feed = screen.feed
    if not (feed.history_loaded.is_set() and feed.backfilled.is_set()):
        return False
    if pane.line_count < lines:
        return False
    if "errors" not in readers:
        return True
    reader = screen._errors.reader
    return reader._next - pane.start_mark() >= pane.line_count and reader._previous is None


async def _one(name: str, lines: int, readers: set[str], attribute: bool) -> dict[str, Any]:
    _readers_off(readers)
    spent: dict[str, float] = {}
    if attribute:
        _attribute(spent)
    from joblens.app import JoblensApp
    from joblens.backends.demo import DemoBackend
    from joblens.backends.demo.store import now
    from joblens.models import JobType
    from joblens.screens.job_screen import JobScreen

    texts = _texts(name, lines)
    total = sum(text.count("\n") for text in texts)
    backend = DemoBackend(seed=1, simulate=False)
    job_id = backend.start_scenario("plan" if LOGS[name] == JobType.PLAN else "long")
    for text in texts:
        backend.write_log(job_id, text, "STDOUT")
    stamp = now()
    backend.store.update_job(
        job_id,
        # (no metadata: a PLAN's figures come from its log, as while it runs)
        {"status": "SUCCESS", "started_at": stamp, "completed_at": stamp, "execution_metadata": {}},
    )
    del texts
    app = JoblensApp(backend, job_id)
    cpu_from, wall_from = time.process_time(), time.monotonic()
    async with app.run_test(size=SIZE):
        deadline = wall_from + 600
        while not (isinstance(app.screen, JobScreen) and _caught_up(app.screen, total, readers)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: not read within 600 s")
            await asyncio.sleep(0.005)
        cpu, wall = time.process_time() - cpu_from, time.monotonic() - wall_from
        screen = app.screen
        tracker = screen.resource_tracker
        digest = screen._plan.digest
        found = {
            "resources": tracker.progress_text() if tracker is not None else None,
            "plan": None if digest is None else str(digest.summary())[:60],
            "errors": len(screen._errors.reader.diagnostics),
        }
        await backend.close()
    return {
        "cpu": cpu,
        "wall": wall,
        "lines": total,
        "found": found if readers else None,
        "spent": spent,
    }


def _run(name: str, lines: int, mode: str) -> dict[str, Any]:
    """One run of ``_one`` in a process of its own (mode "timed": all readers, each timed)."""
    out = subprocess.run(
        [sys.executable, __file__, "--lines", str(lines), "--one", name, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=sorted(LOGS), action="append")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also run the app without the readers, and with each alone (the difference)",
    )
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # (name, mode): a worker
    args = parser.parse_args()
    if args.one:
        name, mode = args.one
        timed = mode == "timed"
        result = asyncio.run(_one(name, args.lines, MODES["on" if timed else mode], timed))
        print(json.dumps(result))
        return
    print(f"about {args.lines:,} lines a log; app CPU seconds to every line read, median of")
    print(f"{args.runs} runs; the readers' share of the rest (the ingest)")
    print(
        f"{'log':14s} {'type':7s} {'app':>7s} {'ingest':>7s} {'readers':>8s}"
        f" {'folds':>6s} {'errors':>6s} {'digest':>6s}  found"
    )
    for name in args.only or LOGS:
        runs = [_run(name, args.lines, "timed") for _ in range(args.runs)]
        shares: dict[str, list[float]] = {reader: [] for reader in ("all", *READERS)}
        for run in runs:
            readers = sum(run["spent"].values())
            ingest = run["cpu"] - readers
            shares["all"].append(readers / ingest)
            for reader, seconds in run["spent"].items():
                shares[reader].append(seconds / ingest)
        middle = sorted(runs, key=lambda run: run["cpu"])[len(runs) // 2]
        readers = sum(middle["spent"].values())
        share = {reader: statistics.median(values) for reader, values in shares.items()}
        print(
            f"{name:14s} {LOGS[name]:7s} {middle['cpu']:5.2f} s {middle['cpu'] - readers:5.2f} s"
            f" {share['all']:8.0%} {share['folds']:6.0%} {share['errors']:6.0%}"
            f" {share['digest']:6.0%}  {middle['found']}"
        )
        if args.compare:
            cpu = {mode: _run(name, args.lines, mode)["cpu"] for mode in MODES}
            off = cpu["off"]
            print(
                "  by difference: "
                + ", ".join(
                    f"{mode} +{(cpu[mode] - off) / off:.0%}" for mode in MODES if mode != "off"
                )
                + f" (without readers {off:.2f} s)"
            )


if __name__ == "__main__":
    main()
