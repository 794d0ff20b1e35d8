"""JSON panels of any size and depth: joblens's lazy tree against the panels it replaced.

    python benchmarks/json_panels.py                    # demo and local stack, ~4 min
    python benchmarks/json_panels.py --backend demo     # no PostgreSQL needed

Two documents: ``metadata``, about 10 MB of Terraform-plan-like ``execution_metadata`` (30,000
resource changes, secrets inside), and ``deep``, a ``config_snapshot`` 5,000 levels deep with
its secrets at the bottom. Two ways of showing them, in the same run:

- ``joblens``: this tree. The Supabase backend selects the JSON columns as text, the model keeps
  a large or deep document as a ``JsonDoc``, the panel is a ``JsonTree`` that reads it as it
  is opened, in worker threads that let the event loop go first.
- ``before``: the code this replaced, restored by patching in the measuring subprocess:
  ``select *`` (supabase-py parses the columns), the model keeping the parsed value, and the
  panel printing all of it, masked (the recursive ``mask_secrets`` of the time), into a
  ``Static`` (up to 400 lines) or a ``TextArea``, on the event loop.

Each measurement is a fresh subprocess: the real app headless (120x40), the demo backend or
the unmodified supabase-py client against ``python -m devstack serve``.

Figures (one run each; see benchmarks/README.md):

- open: app started, until the job screen is shown (resolve the id, read the job, compose).
  Then the app settles: once live, the screen reads the whole job again (on the local stack
  that blocks the event loop ~40-100 ms for 10 MB: supabase-py's json.loads of the body);
  the panel's figures start after it.
- first rows: the panel's key (m or s) sent as a terminal sends it, from a thread, until the
  panel's body is first painted with content.
- key p50/p99/max: f12 (an app binding) sent every 20 to 30 ms from a thread, from the
  panel's key until the panel has loaded and 0.5 s more; sent until its action ran. For
  joblens, loaded includes opening plan_result and its 30,000 resource_changes (a page
  listed, the rest counted).
- memory: another subprocess under tracemalloc (started just before the app), in MB and over
  the document's size (compact JSON): the peak while the job opens (fetching and parsing it)
  and the peak while the panel opens (over what was held when its key was pressed), and what
  is held at the end; "over empty" subtracts the same figure for a job whose JSON is {}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from provenance import source_state  # noqa: E402

SIZE = (120, 40)
FAILED: list[str] = []  # what stopped the "before" panel, when it failed
WORKLOADS = {"metadata": ("execution_metadata", "m", "execution-metadata"),
             "deep": ("config_snapshot", "s", "config-snapshot"),
             "empty": ("execution_metadata", "m", "execution-metadata")}  # fmt: skip


def document(workload: str) -> Any:
    """The workload's JSON value (deterministic)."""
    if workload == "empty":
        return {}
    if workload == "deep":
        value: dict[str, Any] = {"db_password": "hunter2", "token": {"k": "s3cret"}, "ok": 1}
        for level in range(5_000):
            value = {"level": level, "child": value}
        return value
    rng = random.Random(7)
    changes = [
        {
            "address": f"aws_instance.node[{n}]",
            "type": "aws_instance",
            "change": {
                "actions": ["create"],
                "after": {
                    "ami": f"ami-{rng.getrandbits(48):012x}",
                    "tags": {"Name": f"node-{n}", "team": "platform"},
                    "user_data": "#!/bin/bash\necho provisioning node\n" * 3,
                    "password": f"pw-{n}",
                },
            },
        }
        for n in range(30_000)
    ]
    return {"phase": "apply", "plan_result": {"resource_changes": changes}, "outputs": {}}


def document_text(workload: str) -> str:
    """Compact JSON text of the workload, written without recursion."""
    from joblens.json_codec import dumps_iteratively

    return dumps_iteratively(document(workload))


# -- "before": the code this replaced -------------------------------------------------------


def install_before() -> None:
    """Patch the app back to the select, model and panel this work replaced."""
    import re

    from rich.highlighter import JSONHighlighter
    from rich.text import Text
    from textual.widgets import Collapsible, Static, TextArea

    import joblens.backends.supabase.backend as supabase_backend
    import joblens.models as models
    from joblens.widgets import details

    secret = re.compile(r"pass(word|wd|phrase)?$|passw|secret|token|api[_-]?key", re.I)

    def mask_value(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: mask_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask_value(v) for v in value]
        return value if value is None or value == "" else "••••••••"

    def mask_secrets(data: Any) -> Any:
        if isinstance(data, dict):
            return {
                k: mask_value(v) if secret.search(str(k)) else mask_secrets(v)
                for k, v in data.items()
            }
        return [mask_secrets(v) for v in data] if isinstance(data, list) else data

    def build(self: details.JsonPanel) -> None:
        if self._data == self._shown:
            return
        self._shown = self._data
        contents = self.query_one(Collapsible.Contents)
        contents.remove_children()
        try:
            masked = mask_secrets(self._data)
            text = json.dumps(masked, indent=2, ensure_ascii=False, default=str)
        except RecursionError as error:  # reported; Textual's crash report of it takes minutes
            FAILED.append(f"{type(error).__name__}: {error}")
            return
        if text.count("\n") > details.LARGE_JSON_LINES:
            contents.mount(TextArea(text, read_only=True, soft_wrap=False, classes="json-body"))
        else:
            contents.mount(Static(JSONHighlighter()(Text(text)), classes="json-body"))

    models.json_field = lambda value, default=None: default if value is None else value  # type: ignore[assignment]
    supabase_backend.job_select = lambda _c, embeds: f"*, {embeds}" if embeds else "*"  # type: ignore[assignment]
    supabase_backend.job_row = dict  # type: ignore[assignment]
    details.JsonPanel._build = build  # type: ignore[method-assign]


# -- one measurement (a subprocess) -------------------------------------------------------


def make_backend(kind: str, workload: str) -> tuple[Any, str]:
    if kind == "stack":
        from joblens.backends.supabase import SupabaseBackend, SupabaseSettings

        info = json.loads(os.environ["JSON_PANELS_STACK"])
        settings = SupabaseSettings(info["url"], info["anon_key"], info["token"], None, "job_logs")
        return SupabaseBackend(settings), info["jobs"][workload]
    from joblens.backends.demo import DemoBackend

    backend = DemoBackend(speed=100.0, seed=11, simulate=False)
    column = WORKLOADS[workload][0]
    job = {"job_type": "PLAN", "status": "SUCCESS", "user_id": backend.world.user_id}
    row = backend.store.insert_job({**job, column: document(workload)})
    return backend, str(row["id"])


async def measure(kind: str, approach: str, workload: str, memory: bool) -> dict[str, Any]:
    from textual import events
    from textual.binding import Binding
    from textual.widget import Widget

    from joblens.app import JoblensApp
    from joblens.screens.job_screen import JobScreen
    from joblens.widgets.header import JobHeader
    from joblens.widgets.json_rows import Role
    from joblens.widgets.json_tree import JsonTree

    if approach == "before":
        install_before()
    backend, job_id = make_backend(kind, workload)
    _, key, panel_id = WORKLOADS[workload]
    answered: list[float] = []
    painted: list[float] = []

    class ProbeApp(JoblensApp):
        BINDINGS = [*JoblensApp.BINDINGS, Binding("f12", "probe", "probe", show=False)]

        def action_probe(self) -> None:
            answered.append(time.perf_counter())

    render_lines = Widget.render_lines

    def watched(self: Widget, crop: Any) -> Any:
        lines = render_lines(self, crop)
        shown = not isinstance(self, JsonTree) or any(r.role is Role.VALUE for r in self.rows)
        if not painted and self.has_class("json-body") and shown:
            painted.append(time.perf_counter())
        return lines

    Widget.render_lines = watched  # type: ignore[method-assign]
    if memory:
        tracemalloc.start()
    app = ProbeApp(backend, job_id)
    result: dict[str, Any] = {}
    started = time.perf_counter()
    async with app.run_test(size=SIZE):

        async def until(check: Any, timeout: float = 120.0) -> None:
            deadline = time.perf_counter() + timeout
            while not check():
                failed = app.fatal_error or app._exception or (FAILED and FAILED[0])
                if failed or app._exit or time.perf_counter() > deadline:
                    raise RuntimeError(str(failed) if failed else "the app ended or timed out")
                await asyncio.sleep(0.002)

        def send(name: str) -> None:
            app._driver.send_message(events.Key(name, None))  # type: ignore[union-attr]

        await until(lambda: isinstance(app.screen, JobScreen))
        result["open"] = time.perf_counter() - started
        # Settle first: once live, the screen reads the job again (the whole row, JSON too),
        # which is the job's fetch, not the panel's work.
        header = app.screen.query_one(JobHeader)

        def live() -> bool:
            refreshing = any(w.is_running for w in app.workers if w.group == "refresh-job")
            return header.link_problem is None and not refreshing

        await asyncio.sleep(0.3)
        await until(live, timeout=30)
        await asyncio.sleep(0.3)
        if memory:
            at_press, result["peak_open"] = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
        sent: list[float] = []
        stop = threading.Event()

        def probe() -> None:
            while not stop.is_set():
                sent.append(time.perf_counter())
                send("f12")
                time.sleep(0.02 + random.random() * 0.01)

        prober = threading.Thread(target=probe, daemon=True)
        if not memory:
            prober.start()
        pressed = time.perf_counter()
        send(key)
        await until(lambda: bool(painted))
        result["first_rows"] = painted[0] - pressed
        panel = app.screen.query_one(f"#{panel_id}")
        if approach == "joblens" and workload != "empty":
            tree = panel.query_one(JsonTree)

            def settled() -> bool:
                busy = any(w.is_running for w in app.workers if w.group.startswith("json"))
                return not tree.busy and not busy

            await until(settled)
            for label in ("plan_result", "resource_changes") if workload == "metadata" else ():
                row = next(row for row in tree.rows if row.label == label)
                tree.move_cursor(tree.rows.index(row))
                tree.focus()
                send("enter")
                await until(lambda row=row: row.expanded)
                await until(settled)
        result["loaded"] = time.perf_counter() - pressed
        await asyncio.sleep(0.5)
        stop.set()
        await until(lambda: len(answered) >= len(sent), timeout=60)
        pairs = list(zip(answered, sent, strict=False))
        latencies = sorted((a - s) * 1000 for a, s in pairs)
        result["slow"] = [
            (round((s - pressed) * 1000), round((a - s) * 1000)) for a, s in pairs if a - s > 0.05
        ]
        if latencies:
            pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
            result.update(p50=pick(0.5), p99=pick(0.99), max=latencies[-1], probes=len(sent))
        if memory:
            current, peak = tracemalloc.get_traced_memory()
            result.update(peak_panel=peak - at_press, held=current)
        app.exit()
    return result


def run_one(kind: str, approach: str, workload: str, memory: bool) -> dict[str, Any]:
    """One measurement in a fresh subprocess; an error is reported, not raised."""
    args = [sys.executable, __file__, "--one", kind, approach, workload]
    done = subprocess.run(
        [*args, *(["--memory"] if memory else [])],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=os.environ.copy(),
    )  # fmt: skip
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("RESULT "):
            return dict(json.loads(line[7:]))
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": tail[:160]}


# -- the run -------------------------------------------------------------------------------


def start_stack_with_jobs() -> Any:
    from devstack.testing import start_stack

    stack = start_stack("deployed")
    uid = stack.create_user()
    jobs = {}
    for workload, (column, _, _) in WORKLOADS.items():
        rows = stack.sql(
            f"insert into provision_jobs (user_id, job_type, status, {column}) "
            "values ($1, 'PLAN', 'SUCCESS', $2::jsonb) returning id::text",
            uid,
            document_text(workload),
        )
        jobs[workload] = rows[0]["id"]
    info = {"url": stack.url, "anon_key": stack.anon_key, "token": stack.token(uid), "jobs": jobs}
    os.environ["JSON_PANELS_STACK"] = json.dumps(info)
    return stack


def fmt(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"
    if unit == "ms":
        return f"{value:,.1f}" if value < 1000 else f"{value / 1000:.1f} s"
    return f"{value:.2f}x"


MEMORY = ("peak_open", "peak_panel", "held")


def report(
    kind: str, workload: str, results: dict[str, dict[str, Any]], base: dict[str, Any], size: int
) -> None:
    """One Markdown table: the figures of both approaches for one backend and document."""
    print(f"\n{kind} / {workload} ({size / 1e6:.2f} MB of JSON)")
    print("| figure | joblens | before |")
    print("|---|---|---|")
    rows = [
        ("open", "open the job", "s"),
        ("first_rows", "key to the panel's first rows", "s"),
        ("p50", "key round trip p50 (ms)", "ms"),
        ("p99", "key round trip p99 (ms)", "ms"),
        ("max", "key round trip max (ms)", "ms"),
        ("peak_open", "peak memory opening the job, over empty", "mem"),
        ("peak_panel", "peak memory opening the panel", "mem"),
        ("held", "memory held at the end, over empty", "mem"),
    ]
    for name, label, unit in rows:
        cells = []
        for approach in ("joblens", "before"):
            got = results[approach]
            if "error" in got:
                cells.append(f"fails: {got['error']}" if name == "open" else "-")
                continue
            value = got.get(name)
            if unit == "mem" and value is not None:
                value -= base.get(approach, {}).get(name, 0) if name != "peak_panel" else 0
                cells.append(f"{value / 1e6:.1f} MB = {value / size:.2f}x")
            else:
                cells.append(fmt(value, unit))
        print(f"| {label} | {cells[0]} | {cells[1]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("demo", "stack", "both"), default="both")
    parser.add_argument("--workload", choices=("metadata", "deep", "both"), default="both")
    parser.add_argument("--one", nargs=3, metavar=("BACKEND", "APPROACH", "WORKLOAD"))
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    if args.one:
        kind, approach, workload = args.one
        result = asyncio.run(measure(kind, approach, workload, args.memory))
        print("RESULT " + json.dumps(result))
        return
    print(f"joblens at {source_state()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    kinds = ("demo", "stack") if args.backend == "both" else (args.backend,)
    chosen = ("metadata", "deep") if args.workload == "both" else (args.workload,)
    stack = start_stack_with_jobs() if "stack" in kinds else None
    try:
        for kind in kinds:
            base = {a: run_one(kind, a, "empty", memory=True) for a in ("joblens", "before")}
            for workload in chosen:
                results: dict[str, dict[str, Any]] = {}
                for approach in ("joblens", "before"):
                    timing = run_one(kind, approach, workload, memory=False)
                    if "error" not in timing:
                        memory = run_one(kind, approach, workload, memory=True)
                        timing.update({k: memory.get(k) for k in MEMORY})
                    results[approach] = timing
                size = len(document_text(workload).encode())
                report(kind, workload, results, base, size)
    finally:
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    main()
