"""When buffered lines are shown: at once after a pause, each frame in a burst, and in a stream
that goes on, as often as the pane's paints allow within their share of a core."""

from __future__ import annotations

import pytest

from joblens.widgets.log.cadence import (
    FASTEST_STREAM_SECONDS,
    FRAME_SECONDS,
    MIN_WAIT_SECONDS,
    PAINT_SHARE,
    PAINTS_KEPT,
    SLOWEST_STREAM_SECONDS,
    STREAM_SECONDS,
    FlushCadence,
)

FLUSH_SECONDS = FASTEST_STREAM_SECONDS  # nothing painted yet: the fastest a stream is shown


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


def stream_wait(cadence: FlushCadence) -> float:
    """The wait of a stream's next lines, a moment after a flush in a long-running stream."""
    now = 1000.0
    while now < 1000.0 + 2 * STREAM_SECONDS:  # lines every 10 ms, each shown
        cadence.flushed(now)
        now += 0.01
    cadence.flushed(now)
    return cadence.wait(now + 0.002) + 0.002


@pytest.mark.parametrize(
    ("paint", "interval"),
    [
        (0.0005, FASTEST_STREAM_SECONDS),  # a small terminal: as often as allowed
        (0.003, 0.003 / PAINT_SHARE),  # a big pane: the interval its paints allow
        (0.050, SLOWEST_STREAM_SECONDS),  # a very slow machine: still shown 10 times a second
    ],
)
def test_a_stream_is_shown_as_often_as_its_paints_allow(paint: float, interval: float) -> None:
    cadence = FlushCadence()
    cadence.flushed(999.0)
    cadence.painted(paint)
    assert cadence.stream_seconds == pytest.approx(interval)
    assert stream_wait(cadence) == pytest.approx(interval)


def test_only_the_paint_after_a_flush_counts_and_a_slow_one_now_and_then_does_not() -> None:
    cadence = FlushCadence()
    cadence.painted(0.5)  # nothing flushed yet (the first frame, a resize): not a stream's paint
    assert cadence.paint_seconds == 0.0
    cadence.flushed(1.0)
    cadence.painted(0.002)
    cadence.painted(0.5)  # a partial repaint before the next flush: not counted
    assert cadence.paint_seconds == pytest.approx(0.002)
    now = 1.0
    for step in range(1, 4 * PAINTS_KEPT):
        now += 0.05
        cadence.flushed(now)
        # Every fifth paint is slow (a garbage collection, another process on the core).
        cadence.painted(0.030 if step % 5 == 0 else 0.002)
        assert cadence.paint_seconds == pytest.approx(0.002)
    for _ in range(PAINTS_KEPT):  # the pane got bigger: every paint costs more now
        now += 0.05
        cadence.flushed(now)
        cadence.painted(0.004)
    assert cadence.paint_seconds == pytest.approx(0.004)
