"""Where the errors are in a log: the lines ``e`` / ``E`` jump to.

A line is a target when a Terraform/OpenTofu diagnostic starts there (``Error: ...`` or
``Warning: ...`` at the left margin, or the ``╷`` of a boxed one: ``joblens.diagnostics``), or
when it is the first non-blank line of a run of STDERR lines (so a diagnostic or a stack trace
written to STDERR is one stop, not one per line; the frame's ``│``/``╵`` lines never are).

Nothing here runs as lines are stored. The store is scanned when asked (``catch_up``), each line
once: the STDERR runs are found in the blocks' stream codes, and the lines that may start a
diagnostic by one regular expression over the blocks' bytes (a line beginning, after any colour
codes, with ``Error:``, ``Warning:`` or ``╷``); nothing is decoded but those lines and the first
line of each STDERR run, which are looked at in Python. About 0.1 s for a million lines of
100 characters with no error in them (an eighth of what storing them costs). Lines prepended
above the scanned ones (older pages) and appended below are scanned the next time; targets are
kept by stable line id (``index - store.origin``), so prepends do not move them.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from joblens.diagnostics import ERROR, start_severity, uncoloured
from joblens.widgets.log.store import STDERR, LineStore

#: A line that may start a diagnostic, from the newline before it (``start_severity`` decides).
_CANDIDATE = re.compile(rb"\n(?:\x1b\[[0-9;:]*m)*(?:Error:|Warning:| *\xe2\x95\xb7)")
_STDERR_RUN = re.compile(re.escape(bytes((STDERR,))) + b"+")
#: Blank STDERR lines looked back over to find whether a line begins its run.
_LOOKBACK = 256


def _text(store: LineStore, index: int) -> str:
    return uncoloured(store.line(index).decode("utf-8", "replace"))


class ErrorMarks:
    """The targets of ``e`` / ``E`` in one store, found lazily and kept across prepends."""

    def __init__(self) -> None:
        self._ids: list[int] = []  # sorted stable ids of targets
        self._errors: list[int] = []  # the same, only those of severity "error"
        # The stable ids scanned: [lo, hi). Lines outside it are scanned by ``catch_up``.
        self._lo = 0
        self._hi = 0

    def __bool__(self) -> bool:
        return bool(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def catch_up(self, store: LineStore) -> None:
        """Scan the lines not scanned yet (prepended above, appended below)."""
        origin = store.origin
        top = -origin
        if top < self._lo and self._hi == self._lo:  # nothing scanned: all of it, from the top
            self._lo = self._hi = top
        if top < self._lo:
            self._recheck_first(store)  # its run may begin in the lines above it now
            found, _ = self._scan(store, top + origin, self._lo + origin)
            self._ids[:0] = [i - origin for i, _ in found]
            self._errors[:0] = [i - origin for i, severity in found if severity == ERROR]
            self._lo = top
        end = len(store) - origin
        if self._hi < end:
            found, held = self._scan(store, self._hi + origin, len(store))
            self._ids += [i - origin for i, _ in found]
            self._errors += [i - origin for i, severity in found if severity == ERROR]
            self._hi = end if held is None else held - origin

    def truncate(self, store: LineStore, count: int) -> None:
        """Lines from ``count`` on were dropped (``LineStore.truncate``): forget their targets,
        and the line before them, decided again by the next ``catch_up`` (a ``╷`` is decided by
        the line after it)."""
        cut = count - store.origin - 1
        if cut >= self._hi:
            return
        del self._ids[bisect_left(self._ids, cut) :]
        del self._errors[bisect_left(self._errors, cut) :]
        self._hi = max(cut, -store.origin)
        self._lo = min(self._lo, self._hi)  # the cut may fall above lines not scanned yet

    def step(
        self, store: LineStore, after: int, backwards: bool = False
    ) -> tuple[int, bool] | None:
        """The next target after line ``after`` (before it, ``backwards``), wrapping around the
        ends of the log: ``(line, wrapped)``; None when there is none."""
        if not self._ids:
            return None
        key = after - store.origin
        if backwards:
            at = bisect_left(self._ids, key) - 1
            return (self._ids[at] + store.origin, at < 0)
        at = bisect_right(self._ids, key)
        wrapped = at == len(self._ids)
        return (self._ids[0 if wrapped else at] + store.origin, wrapped)

    def first_error(self, store: LineStore) -> int | None:
        """The first target of severity error (the first target if every one is a warning)."""
        ids = self._errors or self._ids
        return ids[0] + store.origin if ids else None

    def last(self, store: LineStore) -> int | None:
        return self._ids[-1] + store.origin if self._ids else None

    def lines(self, store: LineStore) -> list[int]:
        """Every target found so far, in order."""
        return [i + store.origin for i in self._ids]

    def _recheck_first(self, store: LineStore) -> None:
        """Before lines are scanned above the scanned ones: the first target, if it was taken
        for the first line of a STDERR run that the lines above may continue, is decided
        again."""
        if not self._ids or self._ids[0] >= self._lo + _LOOKBACK:
            return
        index = self._ids[0] + store.origin
        if store.stream(index) != STDERR:
            return
        following = _text(store, index + 1) if index + 1 < len(store) else None
        text = _text(store, index)
        if start_severity(text, following) is None and not _begins_run(store, index, text):
            del self._ids[0]
            if self._errors and self._errors[0] == index - store.origin:
                del self._errors[0]

    # -- scanning ----------------------------------------------------------------------------

    def _scan(
        self, store: LineStore, begin: int, end: int
    ) -> tuple[list[tuple[int, str]], int | None]:
        """Targets among lines ``begin:end`` (indexes), sorted, with their severity; and the
        first line that cannot be decided yet (a ``╷`` that is the last line stored), if any."""
        found: dict[int, str] = {}
        held: int | None = None
        count = len(store)
        k, i = store.block_of(begin) if begin < count else (len(store.blocks), 0)
        while k < len(store.blocks):
            block, first = store.blocks[k], store.firsts[k]
            stop = min(len(block), end - first)
            if stop <= i:
                break
            for run in _STDERR_RUN.finditer(block.streams, i, stop):
                for j in range(run.start(), run.end()):
                    text = _text(store, first + j)
                    if text.strip():
                        if _begins_run(store, first + j, text):
                            found[first + j] = ERROR
                        break
            starts = block.starts
            begin_byte = starts[i]
            end_byte = starts[stop] if stop < len(block) else block.used
            candidates = [i] if begin_byte == 0 else []  # no newline before a block's first line
            candidates += (
                bisect_left(starts, match.start() + 1)
                for match in _CANDIDATE.finditer(block.data, max(0, begin_byte - 1), end_byte)
            )
            for j in candidates:
                index = first + j
                text = _text(store, index)
                following = _text(store, index + 1) if index + 1 < count else None
                severity = start_severity(text, following)
                if severity is not None:
                    found[index] = severity
                elif following is None and "╷" in text:
                    held = index
            k, i = k + 1, 0
        ordered = sorted(found.items())
        if held is not None:
            ordered = [(index, severity) for index, severity in ordered if index < held]
        return ordered, held


def _begins_run(store: LineStore, index: int, text: str) -> bool:
    """Whether STDERR line ``index`` (not blank) is the first non-blank line of its run, and not
    a line of a diagnostic's frame (its ``╷`` is a start of its own)."""
    if text.lstrip(" ")[:1] in ("│", "╵"):
        return False
    for before in range(index - 1, max(-1, index - 1 - _LOOKBACK), -1):
        if store.stream(before) != STDERR:
            return True
        if _text(store, before).strip():
            return False
    return True
