"""How the Supabase backend's watchdog tells a live realtime socket from a dead one.

realtime-py notices a half-open socket only after ~50 s (websockets' own ping), and a server
that stops sending while still answering websocket pings never. The watchdog therefore watches
every frame received (heartbeat replies included), sends a Phoenix heartbeat of its own when
the socket goes quiet, and drops the socket when nothing at all comes back.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass


@dataclass
class LiveTiming:
    """How eagerly the watchdog checks, probes and gives up (tests shorten these)."""

    check_every: float = 1.0  # seconds between watchdog checks
    probe_after: float = 2.0  # send a heartbeat of our own after this long without a frame
    unanswered_after: float = 2.0  # a probe unanswered this long: say the stream is not heard
    dead_after: float = 25.0  # no frame at all for this long: drop the socket and reconnect
    not_live_after: float = 30.0  # a channel not live again this long is replaced
    assume_live_after: float = 10.0  # joined without the system frame this long: backfill


class FrameClock(logging.Filter):
    """When realtime-py last received any frame from the server, heartbeat replies included.

    realtime-py routes heartbeat replies nowhere, so no callback sees them; its listen loop
    does log every frame it receives (``receive: ...`` at DEBUG, formatted whether or not the
    level is enabled). This filter on that logger notes the time, then lets through exactly
    the records the logger's earlier level would have let through, so lowering the level to
    see the frames changes nothing anyone else sees.
    """

    LOGGER = "realtime._async.client"

    def __init__(self) -> None:
        super().__init__()
        self.last = 0.0
        self._threshold = logging.WARNING  # the logger's effective level before ours

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("receive: "):
            self.last = time.monotonic()
        return record.levelno >= self._threshold

    @classmethod
    def installed(cls) -> FrameClock:
        """The one clock on realtime-py's logger (installed on first use)."""
        logger = logging.getLogger(cls.LOGGER)
        for existing in logger.filters:
            if isinstance(existing, FrameClock):
                return existing
        clock = cls()
        clock._threshold = logger.getEffectiveLevel()
        logger.addFilter(clock)
        logger.setLevel(logging.DEBUG)
        return clock
