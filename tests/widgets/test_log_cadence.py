"""When buffered lines are shown: at once after a pause, each frame in a burst, 25 Hz after."""

from __future__ import annotations

import pytest

from joblens.widgets.log_cadence import (
    FLUSH_SECONDS,
    FRAME_SECONDS,
    MIN_WAIT_SECONDS,
    STREAM_SECONDS,
    FlushCadence,
)


def test_a_burst_flushes_every_frame_and_a_stream_that_goes_on_is_throttled() -> None:
    cadence, now = FlushCadence(), 1000.0
    assert cadence.wait(now) == 0  # the first lines: at once
    cadence.flushed(now)
    started = now
    while now + FRAME_SECONDS - started < STREAM_SECONDS:
        now += 0.005
        assert cadence.wait(now) == pytest.approx(FRAME_SECONDS - 0.005)  # a burst: next frame
        now += FRAME_SECONDS - 0.005
        cadence.flushed(now)
    now += 0.005
    assert cadence.wait(now) == pytest.approx(FLUSH_SECONDS - 0.005)  # a stream now
    now += FLUSH_SECONDS - 0.005
    cadence.flushed(now)
    now += FLUSH_SECONDS + 0.010  # the next lines are late (the loop was busy): at once ...
    assert cadence.wait(now) == 0
    cadence.flushed(now)
    now += 0.005  # ... and the stream is still throttled
    assert cadence.wait(now) == pytest.approx(FLUSH_SECONDS - 0.005)
    now += FLUSH_SECONDS - 0.005
    cadence.flushed(now)
    now += STREAM_SECONDS  # a pause: at once, and the next lines are a new burst
    assert cadence.wait(now) == 0
    cadence.flushed(now)
    now += 0.005
    assert cadence.wait(now) == pytest.approx(FRAME_SECONDS - 0.005)


@pytest.mark.parametrize("short", [0.0, 1e-9, 1e-6, MIN_WAIT_SECONDS / 2])
def test_a_wait_too_short_for_a_timer_is_no_wait(short: float) -> None:
    """Textual 8.2.8 never fires a one-shot timer of 0 or under ~1 us: such a wait would
    leave the lines unshown for good (a frozen pane, seen in benchmarks/END_TO_END.md)."""
    cadence = FlushCadence()
    cadence.flushed(1000.0)
    assert cadence.wait(1000.0 + FRAME_SECONDS - short) == 0.0
    longer = 2 * MIN_WAIT_SECONDS
    assert cadence.wait(1000.0 + FRAME_SECONDS - longer) == pytest.approx(longer)
