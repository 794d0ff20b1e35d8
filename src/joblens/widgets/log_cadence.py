"""When the log pane shows buffered lines: at once after a pause, every frame during a burst,
25 times a second during a stream that goes on.

Each flush repaints every visible row (they all move up) and Textual spends ~6 ms a frame on a
200x50 pane: streaming 1,000 lines/s cost 36% of a core at 60 Hz, 21% at 25 Hz
(benchmarks/log_pane.py). A burst (a page of backlog, messages held during a reconnect) is over
before the throttle starts, so its last lines are not held back by it.
"""

from __future__ import annotations

FRAME_SECONDS = 1 / 60
FLUSH_SECONDS = 1 / 25
#: Lines that keep coming this long, with no pause this long, are a stream.
STREAM_SECONDS = 0.25
#: Shorter waits are not waited: the lines are shown at once.
MIN_WAIT_SECONDS = 0.001


class FlushCadence:
    """Decides how long buffered lines wait; told the time, it keeps no clock of its own."""

    def __init__(self) -> None:
        self.last_flush = float("-inf")
        self._run_started = 0.0  # first arrival after the last pause

    def _note(self, now: float) -> float:
        """Seconds since the last flush; after a pause that long, a new run starts at ``now``."""
        since = now - self.last_flush
        if since >= STREAM_SECONDS:
            self._run_started = now
        return since

    def wait(self, now: float) -> float:
        """Seconds until lines that arrive at ``now`` should be shown (0: at once)."""
        since = self._note(now)
        streaming = now - self._run_started >= STREAM_SECONDS
        wait = (FLUSH_SECONDS if streaming else FRAME_SECONDS) - since
        # Under a millisecond is not worth a timer, and Textual 8.2.8 never fires a one-shot
        # timer of 0 or under ~1 us: the pane would wait for a flush that never comes.
        return wait if wait >= MIN_WAIT_SECONDS else 0.0

    def flushed(self, now: float) -> None:
        """Lines were shown at ``now`` (by the pane's timer or by anything else)."""
        self._note(now)
        self.last_flush = now
