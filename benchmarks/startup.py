"""Start-up times of the real ``joblens`` command, as a user sees them.

    python benchmarks/startup.py [--runs N] [--demo-runs N]

- ``joblens --help`` and ``joblens --version``: wall time of the whole process (spawn to exit),
  median of N runs (target < 200 ms).
- For scale: ``python -c pass`` and ``python -c "import joblens.app"`` (Textual, the screens),
  which every first frame pays for.
- ``joblens demo`` in a pseudo-terminal (200x50, TERM=xterm-256color): from just before the
  fork to the first bytes written, and to the first frame showing the job's header (the
  terminal output, escape sequences removed, contains the header's "Plan" and "#<short id>")
  (target < 0.8 s). The process is killed once the frame is seen. Median of N runs.

The report says whether Textual's bytecode is installed: on a machine that sets
PYTHONDONTWRITEBYTECODE=1 without it, every start compiles Textual from source (about 0.4 s);
``uv sync`` installs it (``compile-bytecode`` in pyproject.toml).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from provenance import source_state  # noqa: E402

_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[\]P_^][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")
_HEADER = re.compile(r"Plan .*#[0-9a-f]{8}")


def joblens_command() -> list[str]:
    """The installed console script next to this Python (the venv's), else ``python -m``."""
    script = Path(sys.executable).with_name("joblens")
    if script.exists():
        return [str(script)]
    found = shutil.which("joblens")
    return [found] if found else [sys.executable, "-m", "joblens"]


def time_command(args: list[str], runs: int) -> list[float]:
    """Wall times (s) of ``joblens ARGS`` run to exit, output captured."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [*joblens_command(), *args], capture_output=True, timeout=30, cwd=ROOT, check=False
        )
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"joblens {' '.join(args)} exited {done.returncode}")
    return times


def time_python(code: str, runs: int) -> list[float]:
    """Wall times (s) of ``python -c CODE`` with joblens's Python: the import share of start-up."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, timeout=30, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return times


def bytecode_state() -> str:
    """Whether Textual is installed with its bytecode: without it, every start compiles it."""
    import importlib.util

    spec = importlib.util.find_spec("textual.app")
    origin = spec.origin if spec else None
    cached = origin is not None and Path(importlib.util.cache_from_source(origin)).exists()
    env = "set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "not set"
    state = "installed" if cached else "MISSING (every start compiles Textual from source)"
    return f"Textual's bytecode: {state}; PYTHONDONTWRITEBYTECODE {env}"


def time_demo_frame(timeout: float = 15.0) -> tuple[float, float]:
    """(first bytes, first frame with the job header) of ``joblens demo`` in a pty, in s."""
    command = joblens_command()
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes joblens on the pty
        os.environ["TERM"] = "xterm-256color"
        os.environ.pop("NO_COLOR", None)
        try:
            os.execv(command[0], [*command, "demo"])
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    first_bytes: float | None = None
    output = b""
    try:
        deadline = start + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                break  # the child exited
            now = time.perf_counter()
            if first_bytes is None:
                first_bytes = now - start
            output += data
            text = _ESCAPES.sub(b"", output).decode("utf-8", "replace")
            if _HEADER.search(text):
                return first_bytes, now - start
        raise RuntimeError(f"no header frame within {timeout} s: {output[-500:]!r}")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of --help and --version")
    parser.add_argument("--demo-runs", type=int, default=5, help="runs of the demo")
    args = parser.parse_args()

    print(f"joblens at {source_state()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    time_command(["--version"], 1)  # warm the page cache and .pyc files
    results: dict[str, list[float]] = {
        "help": time_command(["--help"], args.runs),
        "version": time_command(["--version"], args.runs),
    }
    results["python_bare"] = time_python("pass", args.runs)
    results["import_joblens_app"] = time_python("import joblens.app", args.runs)
    demo = [time_demo_frame() for _ in range(args.demo_runs)]
    results["demo_first_bytes"] = [d[0] for d in demo]
    results["demo_first_frame"] = [d[1] for d in demo]

    print(f"\njoblens start-up ({' '.join(joblens_command())}), Python {sys.version.split()[0]}")
    print(bytecode_state())
    print(f"{'figure':22}{'runs':>6}{'median':>10}{'min':>10}{'max':>10}")
    for name, values in results.items():
        ms = [v * 1000 for v in values]
        print(
            f"{name:22}{len(ms):>6}{statistics.median(ms):>7.0f} ms"
            f"{min(ms):>7.0f} ms{max(ms):>7.0f} ms"
        )
    print()
    targets = {"help": 200, "version": 200, "demo_first_frame": 800}
    for name, values in results.items():
        target = f" target<{targets[name]}" if name in targets else ""
        print(f"FIGURE startup_{name}_ms {statistics.median(values) * 1000:.1f}{target}")


if __name__ == "__main__":
    main()
