"""Terraform's noise, found in a log as it streams: runs of lines the pane can fold into one.

Three kinds of line say little one by one and take whole screens together:

- provider downloads at ``init``: ``- Finding hashicorp/aws versions...``, ``- Installing ...``,
  ``- Installed ...``, ``- Using previously-installed ...``, ``- Reusing ...``;
- ``<address>: Refreshing state... [id=...]``, one per resource before every plan;
- ``<address>: Still creating... [10s elapsed]`` (destroying, modifying, reading...), one per
  running resource every ten seconds of an apply.

A *run* is three or more consecutive lines of one kind (``MIN_RUN``): fewer save no room.
Lines of other kinds between two ``Still ...`` ticks end the run, so a run is always a
contiguous range of the log and folding it never reorders anything.

Finding them costs one C-level search per kind over each block's bytes (``bytes.find`` speed:
no line becomes a ``str``), and Python work only per line that matches; the lines are looked at
once, as they arrive (``catch_up``), and a run still growing at the end of the log is extended
in place. Colour codes before the text are allowed (the runner may pass colour through).

A run is named by the stable ids of its first and last lines (``index - store.origin``, see
``store.LineStore``), so prepended pages of older lines never move it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate

from joblens.sanitize import strip_sgr
from joblens.widgets.log.store import NO_TIME, LineStore

#: Fewer consecutive lines of a kind than this are not folded.
MIN_RUN = 3


class FoldKind(StrEnum):
    PROVIDERS = "providers"
    REFRESH = "refresh"
    STILL = "still"


# Each kind's pattern over a block's bytes. A match starts at the kind's words (a literal, which
# the regex engine finds at ``bytes.find`` speed: no work per line) and takes in the whole run of
# lines of that kind that follow, so Python works once per run, not once per line; where its first
# line begins is found from the block's line starts. Colour codes may come before the words.
_SGR = rb"(?:\x1b\[[0-9;]*m)*"
_PROVIDER = rb"- (?:Finding|Installing|Installed|Using|Reusing) "
_LINES: dict[FoldKind, tuple[bytes, bytes]] = {  # (the words, the same as a later line)
    FoldKind.PROVIDERS: (_PROVIDER, _SGR + _PROVIDER),
    FoldKind.REFRESH: (rb": Refreshing state\.\.\.", rb"[^\n]*: Refreshing state\.\.\."),
    FoldKind.STILL: (rb": Still [a-z]+\.\.\. \[", rb"[^\n]*: Still [a-z]+\.\.\. \["),
}
# Runs shorter than MIN_RUN do not match at all: most noise lines cost no Python work.
_PATTERNS: dict[FoldKind, re.Pattern[bytes]] = {
    kind: re.compile(words + rb"[^\n]*\n(?:" + later + rb"[^\n]*\n){%d,}" % (MIN_RUN - 1))
    for kind, (words, later) in _LINES.items()
}
_SGR_ONLY = re.compile(_SGR + rb"\Z")
# What the summary says a run's lines were.
_TITLES: dict[FoldKind, str] = {
    FoldKind.PROVIDERS: "Provider downloads",
    FoldKind.REFRESH: "Refreshing state",
    FoldKind.STILL: "Still running",
}
_ELAPSED = re.compile(r"\[(\d+(?:h\d+)?(?:m\d+)?s|\d+m|\d+h) elapsed\]")
_ADDRESS = re.compile(r"^(\S.*?): (?:Refreshing state|Still [a-z]+)\.\.\.")
#: Lines read to list the resources a run is about (a long run names the first few).
_SUMMARY_LINES = 64
_SUMMARY_NAMES = 3


@dataclass
class Fold:
    """A run of noise lines: stable ids of its first and last line, and its kind."""

    first: int
    last: int
    kind: FoldKind

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    def summary(self, store: LineStore) -> str:
        """One line saying what the run holds, such as ``Refreshing state: 42 lines (12s) ·
        aws_vpc.main, aws_subnet.a, … ``."""
        first = self.first + store.origin
        last = self.last + store.origin
        parts = [f"{_TITLES[self.kind]}: {self.count:,} lines"]
        began, ended = store.time(first), store.time(last)
        if began != NO_TIME and ended != NO_TIME and ended > began:
            parts[0] += f" over {_duration(ended - began)}"
        if self.kind == FoldKind.STILL:
            elapsed = _ELAPSED.search(_text(store, last))
            if elapsed:
                parts.append(f"up to {elapsed.group(1)} elapsed")
        if self.kind != FoldKind.PROVIDERS:
            names = self._names(store, first, last)
            if names:
                parts.append(names)
        return " · ".join(parts)

    def _names(self, store: LineStore, first: int, last: int) -> str:
        seen: dict[str, None] = {}
        for index in range(first, min(last, first + _SUMMARY_LINES - 1) + 1):
            found = _ADDRESS.match(_text(store, index))
            if found:
                seen.setdefault(found.group(1))
        names = list(seen)
        if not names:
            return ""
        shown = ", ".join(names[:_SUMMARY_NAMES])
        if len(names) > _SUMMARY_NAMES or last - first + 1 > _SUMMARY_LINES:
            shown += ", …"
        return shown


def _text(store: LineStore, index: int) -> str:
    text = store.line(index).decode("utf-8", "replace")
    return strip_sgr(text) if "\x1b" in text else text


def _duration(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


class FoldFinder:
    """The runs of one store's lines, found as lines are appended (``catch_up``).

    ``folds`` holds every run of ``MIN_RUN`` lines or more, in order. The last ``MIN_RUN - 1``
    lines looked at are looked at again with the next ones (a run may be beginning there), and a
    run found to overlap or touch the last fold extends it: the run being written at the end of
    the log grows in place.
    """

    def __init__(self) -> None:
        self.folds: list[Fold] = []
        # Stable ids of the first line not looked at yet, and of where the next look starts (a
        # run may begin in the lines before); at first, before any line, prepended ones too.
        self._scanned = self._again = -(1 << 62)

    def catch_up(self, store: LineStore) -> bool:
        """Look at the lines appended since the last call; True when the folds changed."""
        end = len(store)
        if self._scanned + store.origin >= end:
            return False
        start = max(self._again + store.origin, 0)
        changed = False
        for first, last, kind in _runs(store, start, end):
            changed |= self._add(first - store.origin, last - store.origin, kind)
        self._scanned = end - store.origin
        # The last lines again next time: with one more line they may be a run (or extend the
        # fold they end).
        self._again = self._scanned - (MIN_RUN - 1)
        return changed

    def prepended(self, store: LineStore, count: int) -> bool:
        """``count`` older lines were put before the first ones (an older page): look at them
        alone, and at the first ``MIN_RUN - 1`` lines after them, where a run may go on from
        them. Their runs go first; one that touches the first fold, of its kind, joins it. The
        lines looked at before keep their ids and their folds, so a log read newest page first
        costs one look at each line, not one per page.

        True when the folds after the older lines are as they were (but for the first one
        growing back into them); False when all were looked for again."""
        if count <= 0:
            return True
        window = count + MIN_RUN - 1
        if self._scanned + store.origin >= window:
            older = self._older(store, window)
            if older is not None:
                self.folds[:0] = older
                return True
        # Few lines looked at yet, or (text that is two kinds of noise at once) a run of
        # another kind overlapping the first fold: everything again, as if read in order.
        self.folds = []
        self._scanned = self._again = -(1 << 62)
        self.catch_up(store)
        return False

    def _older(self, store: LineStore, window: int) -> list[Fold] | None:
        """The runs among the first ``window`` lines, as ``_add`` would take them in order,
        the one touching the first fold joined to it; None if one overlaps it otherwise."""
        older: list[Fold] = []
        for first, last, kind in _runs(store, 0, min(len(store), window)):
            first, last = first - store.origin, last - store.origin
            fold = older[-1] if older else None
            if fold is not None and fold.kind == kind and first <= fold.last + 1:
                fold.last = max(fold.last, last)
            elif fold is None or first > fold.last:
                older.append(Fold(first, last, kind))
        head = self.folds[0] if self.folds else None
        if older and head is not None and older[-1].last + 1 >= head.first:
            tail = older.pop()
            if tail.kind != head.kind or (older and older[-1].last >= head.first):
                return None
            head.first = min(head.first, tail.first)  # a run going on into the lines after
        return older

    def _add(self, first: int, last: int, kind: FoldKind) -> bool:
        """Lines ``first..last`` (stable ids) are a run of ``kind``; it extends the last fold
        when it overlaps or directly follows it."""
        fold = self.folds[-1] if self.folds else None
        if fold is not None and fold.kind == kind and first <= fold.last + 1 and last > fold.last:
            fold.last = last
            return True
        if fold is not None and first <= fold.last:
            return False  # seen already
        self.folds.append(Fold(first, last, kind))
        return True

    def truncate(self, store: LineStore) -> None:
        """The store lost its lines from ``len(store)`` on (a rewind): forget what they made.

        Runs that reach the cut are dropped and their lines looked at again.
        """
        end = len(store) - store.origin  # stable id of the first line gone
        if self._scanned <= end:
            return
        restart = max(-store.origin, end - (MIN_RUN - 1))
        while self.folds and self.folds[-1].last >= restart - 1:
            restart = min(restart, self.folds.pop().first)
        self._scanned = self._again = restart
        self.catch_up(store)


def _runs(store: LineStore, start: int, end: int) -> list[tuple[int, int, FoldKind]]:
    """``(first, last, kind)`` line indexes of the runs of noise lines among lines
    ``start:end``, in order of their first line; runs may overlap (``FoldFinder._add``
    joins them)."""
    found: list[tuple[int, int, FoldKind]] = []
    k, i = store.block_of(start)
    while k < len(store.blocks) and store.firsts[k] < end:
        block = store.blocks[k]
        first = store.firsts[k]
        stop = min(len(block), end - first)
        begin = block.starts[i] if i < len(block) else block.used
        finish = block.starts[stop] if stop < len(block) else block.used
        if k and i == 0:
            found.extend(_across(store, k, end))
        found.extend(_block_runs(block.data, block.starts, begin, finish, first))
        k, i = k + 1, 0
    found.sort()
    return found


def _block_runs(
    data: bytes | bytearray, starts: Sequence[int], begin: int, finish: int, first: int
) -> list[tuple[int, int, FoldKind]]:
    """The runs in ``data[begin:finish]`` (whole lines), whose line ``n`` starts at
    ``starts[n]`` and is line ``first + n`` of the log."""
    runs = []
    for kind, pattern in _PATTERNS.items():
        for match in pattern.finditer(data, begin, finish):
            at, to = match.span()
            line = bisect_right(starts, at) - 1
            last = line + data.count(b"\n", at, to) - 1
            if kind == FoldKind.PROVIDERS and not _SGR_ONLY.match(data, starts[line], at):
                line += 1  # "- Installing" inside a line is not init's: the run is the rest
                if last - line + 1 < MIN_RUN:
                    continue
            runs.append((first + line, first + last, kind))
    return runs


def _across(store: LineStore, k: int, end: int) -> list[tuple[int, int, FoldKind]]:
    """The runs that cross from block ``k - 1`` into block ``k`` (blocks are separate buffers,
    so neither block's search sees them whole): the lines on either side of the boundary are
    searched together, and any run found there joins those found in each block."""
    boundary = store.firsts[k]
    lines = range(max(0, boundary - (MIN_RUN - 1)), min(end, boundary + MIN_RUN - 1))
    data = b"".join(store.line(n) + b"\n" for n in lines)
    starts = list(accumulate((len(store.line(n)) + 1 for n in lines[:-1]), initial=0))
    runs = _block_runs(data, starts, 0, len(data), lines.start)
    return [run for run in runs if run[0] < boundary <= run[1]]
