"""From what OpenTofu writes to the rows a runner inserts: the demo's side of the flush model.

A script is first a list of :class:`Step`: what OpenTofu (or the runner itself) writes at one
moment, and the metadata the runner merges then. A real runner never inserts those as they
are: the output reaches it through a pipe in pieces that do not respect lines, and it sends a
stream's buffer when :mod:`joblens.runner_log`'s timers or size cap say so. :func:`cut` plays
the steps through that model in simulated time and returns the :class:`Flush` items a simulated
Tendril inserts: rows that often end mid-line, streams interleaved, timed as a newer runner
sends them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from joblens.models import StreamType
from joblens.runner_log import NEW_RUNNER, FlushPolicy, Row, RunnerLogWriter

#: Characters in a pipe read, on average: reads end anywhere, not at line ends.
PIECE = 90
#: Simulated seconds the last step's output takes, and until the process ends after it.
TAIL = 0.3

Chunks = tuple[tuple[str, StreamType], ...]


@dataclass(frozen=True, slots=True)
class Step:
    """``delay`` simulated seconds after the previous step, OpenTofu or the runner writes
    ``chunks`` (text, stream) and the runner merges ``metadata`` into the job."""

    delay: float
    chunks: Chunks = ()
    metadata: Mapping[str, Any] | None = None
    #: The runner marks the job PROCESSING here (it was CLAIMED while preparing).
    starts_processing: bool = False


@dataclass(frozen=True, slots=True)
class Flush:
    """Wait ``delay``, then insert ``chunks`` (one row each: text, stream), merge ``metadata``."""

    delay: float
    chunks: Chunks = ()
    metadata: Mapping[str, Any] | None = None
    starts_processing: bool = False
    #: What the runner still sends if OpenTofu is interrupted after this flush: what it holds,
    #: up to the end of the line OpenTofu was writing (interrupted, it finishes that line).
    unsent: Chunks = ()


@dataclass(slots=True)
class _Group:
    at: float
    rows: list[Row] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    starts_processing: bool = False
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # stream: sent, written


def _pieces(text: str, start: float, window: float, rng: random.Random) -> list[tuple[float, str]]:
    """``text`` as pipe reads of random length, spread over ``window`` seconds from ``start``."""
    parts: list[str] = []
    i = 0
    while i < len(text):
        n = rng.randint(1, 2 * PIECE)
        parts.append(text[i : i + n])
        i += n
    if len(parts) <= 1:
        return [(start, text)]
    gaps = [rng.expovariate(1.0) for _ in parts[1:]]
    scale = window / sum(gaps)
    out = [(start, parts[0])]
    at = start
    for gap, part in zip(gaps, parts[1:], strict=True):
        at += gap * scale
        out.append((at, part))
    return out


def _timeline(
    steps: Sequence[Step], rng: random.Random
) -> list[tuple[float, int, str, str, Step | None]]:
    """Every write, as (time, order, stream, text, None), and every step, as (time, order, "",
    "", step). A step's output is spread over part of the gap to the next step; the runner's
    own (SYSTEM) lines are written whole."""
    order = itertools.count()
    events: list[tuple[float, int, str, str, Step | None]] = []
    t = 0.0
    for k, step in enumerate(steps):
        t += step.delay
        events.append((t, next(order), "", "", step))
        gap = steps[k + 1].delay if k + 1 < len(steps) else TAIL
        window = gap * rng.uniform(0.3, 0.9)
        total = sum(len(text) for text, _stream in step.chunks) or 1
        start = t
        for text, stream in step.chunks:
            share = window * len(text) / total
            parts = (
                [(start, text)] if stream == StreamType.SYSTEM else _pieces(text, start, share, rng)
            )
            events += [(at, next(order), str(stream), part, None) for at, part in parts]
            start += share
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def cut(
    steps: Sequence[Step], rng: random.Random, policy: FlushPolicy = NEW_RUNNER
) -> tuple[Flush, ...]:
    """The flushes a runner makes of ``steps`` (simulated time from the claim, at 0)."""
    writer = RunnerLogWriter(policy)
    groups: list[_Group] = []
    sent: dict[str, int] = {}
    written: dict[str, int] = {}
    texts: dict[str, list[str]] = {}

    def group(at: float, rows: Sequence[Row] = ()) -> _Group:
        if not groups or groups[-1].at != at:
            groups.append(_Group(at))
        g = groups[-1]
        g.rows += rows
        for row in rows:
            sent[row.stream] = sent.get(row.stream, 0) + len(row.text)
        g.positions = {s: (sent.get(s, 0), n) for s, n in written.items()}
        return g

    def fire_until(at: float) -> None:
        while (due := writer.due()) is not None and due <= at:
            group(due, writer.advance(due))

    end = 0.0
    for at, _order, stream, text, step in _timeline(steps, rng):
        fire_until(at)
        end = max(end, at)
        if step is not None:
            if step.metadata or step.starts_processing:
                g = group(at)
                g.metadata = {**(g.metadata or {}), **(step.metadata or {})}
                g.starts_processing |= step.starts_processing
            continue
        written[stream] = written.get(stream, 0) + len(text)
        texts.setdefault(stream, []).append(text)
        rows = writer.write(stream, text, at)
        if rows:
            group(at, rows)
    fire_until(end + TAIL)
    if writer.pending():
        group(end + TAIL, writer.close(end + TAIL))
    full = {s: "".join(parts) for s, parts in texts.items()}
    flushes = []
    before = 0.0
    for g in groups:
        flushes.append(
            Flush(
                g.at - before,
                tuple((row.text, StreamType(row.stream)) for row in g.rows),
                g.metadata or None,
                g.starts_processing,
                _unsent(full, g.positions),
            )
        )
        before = g.at
    return tuple(flushes)


def _unsent(full: Mapping[str, str], positions: Mapping[str, tuple[int, int]]) -> Chunks:
    """Per stream: from what was sent to the end of the line being written."""
    out = []
    for stream, (sent, written) in positions.items():
        text = full[stream]
        end = written
        if end and text[end - 1] != "\n":
            newline = text.find("\n", end)
            end = len(text) if newline < 0 else newline + 1
        if end > sent:
            out.append((text[sent:end], StreamType(stream)))
    return tuple(out)
