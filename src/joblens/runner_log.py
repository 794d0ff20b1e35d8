"""How a Tendril turns a process's output into log rows: the runner's flush model.

A real runner does not write lines. It pipes Terraform/OpenTofu's output into one byte buffer
per stream (STDOUT, STDERR and, in newer runners, SYSTEM for its own lines) and inserts a
buffer as ONE row when a timer fires, when the buffer reaches 10 KB, and at the end. A row
therefore ends wherever the flush fell, often in the middle of a line; the line goes on in the
stream's next row, and the streams' rows interleave. Anything that reads the logs has to
assemble lines across rows, so the demo and the local stack's tendril both write through this
model rather than through whole lines.

It is pure and clocked by the caller: every call says what time it is (seconds, any origin), so
the demo runs it in simulated time (repeatably, from a seed) and ``devstack tendril`` in real
time. It imports nothing from joblens, so ``devstack`` can use it without joblens depending on
``devstack``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: The runner flushes a buffer once it holds this many bytes (10 KB).
MAX_ROW_BYTES = 10_240


@dataclass(frozen=True, slots=True)
class FlushPolicy:
    """When a runner sends a stream's buffer (besides at the size cap and at the end).

    ``interval``: old runners flush every buffer on one ticker (every 2 s from the start).
    ``quiet``/``backstop``: newer runners flush a buffer ``quiet`` seconds after its last write,
    and never later than ``backstop`` seconds after its first unsent byte (so a process that
    writes without pause is still shown every second).
    """

    interval: float | None = None
    quiet: float | None = None
    backstop: float | None = None
    max_bytes: int = MAX_ROW_BYTES

    def __post_init__(self) -> None:
        if self.interval is None and self.quiet is None and self.backstop is None:
            raise ValueError("a flush policy needs a timer: interval, quiet or backstop")
        if self.max_bytes < 4:  # room for any one UTF-8 character
            raise ValueError("max_bytes must be at least 4")


#: Runners before the SYSTEM stream: one ticker for every buffer, every 2 seconds.
OLD_RUNNER = FlushPolicy(interval=2.0)
#: Newer runners: about 100 ms after a write, with a 1 s backstop.
NEW_RUNNER = FlushPolicy(quiet=0.1, backstop=1.0)


#: The newer runners' own SYSTEM lines, as they write them (old runners write none).
JOB_CLAIMED = "▸ Job claimed — preparing workspace…\n"
UPLOADING_PLAN = "▸ Uploading plan file\n"
DOWNLOADING_PLAN = "▸ Downloading plan file\n"
ESTIMATING_COSTS = "▸ Estimating costs\n"


def assuming_role(role_arn: str) -> str:
    return f"▸ Assuming IAM role {role_arn}\n"


def running(command: str) -> str:
    """``running("tofu plan")``: the runner starts a command."""
    return f"▸ Running {command}\n"


def job_finished(status: str) -> str:
    return f"▸ Job finished — {status}\n"


@dataclass(frozen=True, slots=True)
class Row:
    """One flush: a row of the logs table (``log_chunk``, ``stream_type``), sent at ``at``."""

    stream: str
    text: str
    at: float


@dataclass(slots=True)
class _Buffer:
    data: bytearray
    first: float  # when its oldest unsent byte was written
    last: float  # when it was last written


class RunnerLogWriter:
    """Per-stream byte buffers flushed as rows by a :class:`FlushPolicy`.

    Rows never exceed ``policy.max_bytes`` bytes and never split a UTF-8 character (the column
    is text); joining a stream's rows in order gives back exactly what was written to it.
    Times must not go backwards.
    """

    def __init__(self, policy: FlushPolicy = NEW_RUNNER, *, start: float = 0.0) -> None:
        self.policy = policy
        self.start = start  # the origin of the old runners' ticker
        self.now = start
        self._buffers: dict[str, _Buffer] = {}  # insertion order: first written first

    def _tick(self, at: float) -> None:
        if at < self.now:
            raise ValueError(f"time went backwards: {at} < {self.now}")
        self.now = at

    def _due(self, buf: _Buffer) -> float:
        p = self.policy
        times = []
        if p.interval is not None:
            ticks = math.floor((buf.first - self.start) / p.interval) + 1
            times.append(self.start + ticks * p.interval)
        if p.quiet is not None:
            times.append(buf.last + p.quiet)
        if p.backstop is not None:
            times.append(buf.first + p.backstop)
        return min(times)

    def due(self) -> float | None:
        """When the next timer flush falls, or None while every buffer is empty."""
        return min((self._due(b) for b in self._buffers.values()), default=None)

    def advance(self, at: float) -> list[Row]:
        """Fire every timer due by ``at``, in the order they fall; return the rows sent."""
        self._tick(at)
        rows: list[Row] = []
        while (due := self.due()) is not None and due <= at:
            for stream, buf in list(self._buffers.items()):
                if self._due(buf) == due:
                    rows.append(self._take(stream, due, len(buf.data)))
        return rows

    def write(self, stream: str, text: str, at: float) -> list[Row]:
        """The process wrote ``text`` to ``stream``: timers due by then fire first, then the
        buffer is cut while it holds ``max_bytes`` or more (the rest waits for a timer)."""
        rows = self.advance(at)
        data = text.encode()
        if not data:
            return rows
        buf = self._buffers.get(stream)
        if buf is None:
            self._buffers[stream] = buf = _Buffer(bytearray(), at, at)
        buf.data += data
        buf.last = at
        while stream in self._buffers and len(buf.data) >= self.policy.max_bytes:
            rows.append(self._take(stream, at, _char_boundary(buf.data, self.policy.max_bytes)))
        return rows

    def flush(self, stream: str, at: float) -> list[Row]:
        """Send one stream's buffer now (its timer fell here): a row, or none if it is empty."""
        self._tick(at)
        buf = self._buffers.get(stream)
        return [self._take(stream, at, len(buf.data))] if buf else []

    def close(self, at: float) -> list[Row]:
        """The process ended: timers due by then fire, then every buffer is sent."""
        rows = self.advance(at)
        for stream in list(self._buffers):
            rows.append(self._take(stream, at, len(self._buffers[stream].data)))
        return rows

    def pending(self) -> dict[str, str]:
        """What each stream holds unsent (only streams that hold something)."""
        return {s: b.data.decode() for s, b in self._buffers.items()}

    def abandon(self) -> dict[str, str]:
        """The runner died: its buffers are lost. Return what was lost."""
        lost = self.pending()
        self._buffers.clear()
        return lost

    def _take(self, stream: str, at: float, size: int) -> Row:
        buf = self._buffers[stream]
        head = bytes(buf.data[:size])
        del buf.data[:size]
        if buf.data:
            buf.first = at  # what stays waits from now
        else:
            del self._buffers[stream]
        return Row(stream, head.decode(), at)


def _char_boundary(data: bytearray, limit: int) -> int:
    """The largest cut at or below ``limit`` that does not split a UTF-8 character."""
    cut = min(limit, len(data))
    while cut < len(data) and cut > 0 and data[cut] & 0xC0 == 0x80:
        cut -= 1
    return cut


def replay(
    writes: Iterable[tuple[float, str, str]],
    policy: FlushPolicy = NEW_RUNNER,
    *,
    end: float | None = None,
) -> list[Row]:
    """The rows a runner sends for timed writes ``(at, stream, text)``.

    Writes are taken in time order (ties keep their order). The process ends at ``end``
    (default: its last write), where whatever is still buffered is sent.
    """
    ordered = sorted(writes, key=lambda w: w[0])
    writer = RunnerLogWriter(policy, start=ordered[0][0] if ordered else 0.0)
    rows: list[Row] = []
    for at, stream, text in ordered:
        rows += writer.write(stream, text, at)
    return rows + writer.close(writer.now if end is None else end)
