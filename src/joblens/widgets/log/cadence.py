"""When the log pane shows buffered lines: at once after a pause, every frame during a burst,
and during a stream that goes on, as often as a small share of a core allows.

Each flush moves every visible row, so the whole pane is painted again: on a 200x50 pane that
is a few milliseconds of the pane's own rendering and about as much again of Textual's
compositing. A fixed rate costs whatever the machine and the terminal's size make it cost, so a
stream is throttled by what its paints actually take: the interval between flushes is the time
the last paints took divided by ``PAINT_SHARE``, between ``FASTEST_STREAM_SECONDS`` and
``SLOWEST_STREAM_SECONDS``. On a small terminal that is 25 flushes a second; on a 200x50 one,
at 1,000 lines a second, about 15 (benchmarks/log_pane.py). A burst (a page of backlog, messages
held during a reconnect) is over before the throttle starts, so its last lines are not held
back by it.
"""

from __future__ import annotations

from collections import deque
from statistics import median

FRAME_SECONDS = 1 / 60
#: A stream is shown at most this often ...
FASTEST_STREAM_SECONDS = 1 / 25
#: ... and at least this often, however slow its paints.
SLOWEST_STREAM_SECONDS = 1 / 10
#: The share of a core the pane's own paints may take while a stream goes on (the whole frame,
#: with Textual's compositing and the flush, costs about twice as much).
PAINT_SHARE = 0.06
#: Lines that keep coming this long, with no pause this long, are a stream.
STREAM_SECONDS = 0.25
#: Shorter waits are not waited: the lines are shown at once.
MIN_WAIT_SECONDS = 0.001
#: What a paint costs is the median of this many recent paints: a garbage collection or another
#: process's moment on the core makes one paint slow, and must not slow the stream down.
PAINTS_KEPT = 9


class FlushCadence:
    """Decides how long buffered lines wait; told the time and what paints cost, it keeps no
    clock of its own."""

    def __init__(self) -> None:
        self.last_flush = float("-inf")
        self._run_started = 0.0  # first arrival after the last pause
        self._paints: deque[float] = deque(maxlen=PAINTS_KEPT)
        #: What painting the pane after a flush costs (0 until it has been painted).
        self.paint_seconds = 0.0
        self._flushed_unpainted = False

    def _note(self, now: float) -> float:
        """Seconds since the last flush; after a pause that long, a new run starts at ``now``."""
        since = now - self.last_flush
        if since >= STREAM_SECONDS:
            self._run_started = now
        return since

    @property
    def stream_seconds(self) -> float:
        """The interval between flushes of a stream that goes on."""
        interval = self.paint_seconds / PAINT_SHARE
        return min(max(interval, FASTEST_STREAM_SECONDS), SLOWEST_STREAM_SECONDS)

    def wait(self, now: float) -> float:
        """Seconds until lines that arrive at ``now`` should be shown (0: at once)."""
        since = self._note(now)
        streaming = now - self._run_started >= STREAM_SECONDS
        wait = (self.stream_seconds if streaming else FRAME_SECONDS) - since
        # Under a millisecond is not worth a timer, and Textual 8.2.8 never fires a one-shot
        # timer of 0 or under ~1 us: the pane would wait for a flush that never comes.
        return wait if wait >= MIN_WAIT_SECONDS else 0.0

    def flushed(self, now: float) -> None:
        """Lines were shown at ``now`` (by the pane's timer or by anything else)."""
        self._note(now)
        self.last_flush = now
        self._flushed_unpainted = True

    def painted(self, seconds: float) -> None:
        """The pane was painted in ``seconds``; only the first paint after a flush (the one that
        draws every row again) counts, not the partial ones in between."""
        if not self._flushed_unpainted:
            return
        self._flushed_unpainted = False
        self._paints.append(seconds)
        self.paint_seconds = median(self._paints)  # once a frame, not once a chunk
