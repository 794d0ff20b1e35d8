"""Where the feed's lines go, and how it takes back what turned out to be out of place.

The feed can find, after the fact, that the table holds a row it never received (realtime
dropped it) or received late (a transaction that committed after later ones). The row's
place is before lines already passed on, so the feed rewinds to a checkpoint and passes the
log on again from there (:mod:`joblens.feed`). An output says where it stands (``mark``) and
forgets what came after a mark (``rewind``):

- :class:`PaneOutput` is the log pane's: it can take lines back, so nothing waits;
- :class:`HeldOutput` is plain mode's: what is printed cannot be taken back, so lines wait
  here until the feed has checked them against the table (``release``), a second or so.

Notes (joblens's own lines, such as where a requeued job's next attempt begins) travel with
the lines, so they stay in their place when the log is passed on again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from joblens.models import LogChunk

ChunkSink = Callable[[list[LogChunk]], None]
NoteSink = Callable[[str], None]


class Output(Protocol):
    """What the feed writes whole lines and notes to."""

    def lines(self, chunks: list[LogChunk]) -> None: ...

    def note(self, text: str) -> None: ...

    def mark(self) -> int | None:
        """Where the output stands now; None when it cannot take anything back."""

    def start_mark(self) -> int | None:
        """The mark before everything written (None if some of it cannot be taken back)."""

    def rewind(self, mark: int) -> None:
        """Forget everything written after ``mark``."""

    def release(self, mark: int | None) -> None:
        """Everything up to ``mark`` (all, for None) has been checked against the table."""


class PaneOutput:
    """Straight to sinks that can take lines back (the log pane): ``mark`` and ``rewind``
    are the pane's."""

    def __init__(
        self,
        sink: ChunkSink,
        on_note: NoteSink | None = None,
        mark: Callable[[], int | None] | None = None,
        rewind: Callable[[int], None] | None = None,
        start: Callable[[], int | None] | None = None,
    ) -> None:
        self._sink = sink
        self._on_note = on_note
        self._mark = mark
        self._rewind = rewind
        self._start = start

    def lines(self, chunks: list[LogChunk]) -> None:
        self._sink(chunks)

    def note(self, text: str) -> None:
        if self._on_note is not None:
            self._on_note(text)

    def mark(self) -> int | None:
        return None if self._mark is None or self._rewind is None else self._mark()

    def start_mark(self) -> int | None:
        return None if self._start is None or self._rewind is None else self._start()

    def rewind(self, mark: int) -> None:
        if self._rewind is not None:
            self._rewind(mark)

    def release(self, mark: int | None) -> None:
        return None


class HeldOutput:
    """Lines held until checked, then passed on in order (plain mode: stdout, notes to
    stderr). Releasing is the only way anything leaves."""

    def __init__(self, sink: ChunkSink, on_note: NoteSink | None = None) -> None:
        self._sink = sink
        self._on_note = on_note
        self._held: list[list[LogChunk] | str] = []
        self._released = 0  # entries passed on before the first one held

    def lines(self, chunks: list[LogChunk]) -> None:
        self._held.append(chunks)

    def note(self, text: str) -> None:
        self._held.append(text)

    def mark(self) -> int:
        return self._released + len(self._held)

    def start_mark(self) -> int | None:
        return 0 if self._released == 0 else None

    def rewind(self, mark: int) -> None:
        del self._held[max(0, mark - self._released) :]

    def release(self, mark: int | None) -> None:
        count = len(self._held) if mark is None else max(0, mark - self._released)
        out, self._held = self._held[:count], self._held[count:]
        self._released += len(out)
        for entry in out:
            if isinstance(entry, str):
                if self._on_note is not None:
                    self._on_note(entry)
            else:
                self._sink(entry)
