"""The table is the truth: whatever the live stream drops or delivers late, the feed ends up
holding the table's lines, in the table's order, each once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.backends.base import ChunksArrived, FollowEvent, LiveStarted
from joblens.feed import LogFeed
from joblens.log_output import HeldOutput, PaneOutput
from joblens.models import LogChunk
from joblens.sanitize import split_chunk
from support.oracle import assert_same_lines, reference_lines
from support.scripted import JOB, CutBackend, cut_streams

# Steps: ("commit", n) commits n rows (delivered live, in commit order); ("lose", n) lets the
# server drop the next n live changes silently (socket up, no error); ("late", n) takes n ids
# now and commits them at the next step, after later ids (a transaction that committed late);
# ("deliver", k) delivers k queued changes; ("wait",) lets the feed's checks run.
Step = tuple[str, int] | tuple[str]

lossy_steps = st.lists(
    st.one_of(
        st.tuples(st.just("commit"), st.integers(1, 5)),
        st.tuples(st.just("lose"), st.integers(1, 4)),
        st.tuples(st.just("late"), st.integers(1, 2)),
        st.tuples(st.just("deliver"), st.integers(1, 8)),
        st.tuples(st.just("wait")),
    ),
    max_size=25,
)


@dataclass
class LossyBackend(CutBackend):
    """The scripted table, with a live stream that loses changes and a table that counts."""

    lose_next: int = 0
    queue: list[LogChunk] = field(default_factory=list)

    async def count_logs(
        self, job_id: str, *, after: LogChunk | None = None, upto: LogChunk | None = None
    ) -> int | None:
        await asyncio.sleep(0)
        low = None if after is None else after.order_key
        high = None if upto is None else upto.order_key
        return sum(
            1
            for c in self.db
            if (low is None or c.order_key > low) and (high is None or c.order_key <= high)
        )

    def _queue(self, made: list[LogChunk]) -> None:
        for chunk in made:
            if self.lose_next:
                self.lose_next -= 1  # dropped by the server: never delivered, never said
            else:
                self.queue.append(chunk)

    async def follow_logs(self, job_id: str) -> AsyncGenerator[FollowEvent, None]:
        self.commit(self.backlog)
        yield LiveStarted()
        held: list[LogChunk] = []
        for step in self.script:
            if held:
                self.db.extend(held)
                self.db.sort(key=lambda c: int(c.id))
                self._queue(held)
                held = []
            kind = step[0]
            if kind == "commit":
                self._queue(self.commit(step[1]))  # type: ignore[misc]
            elif kind == "lose":
                self.lose_next += step[1]  # type: ignore[misc]
            elif kind == "late":
                held = self.make(step[1])  # type: ignore[misc]
                self._queue(self.commit(1))
            elif kind == "deliver" and self.queue:
                count = step[1]  # type: ignore[misc]
                out, self.queue = self.queue[:count], self.queue[count:]
                yield ChunksArrived(tuple(out))
            elif kind == "wait":
                await asyncio.sleep(0.002)
        if held:
            self.db.extend(held)
            self.db.sort(key=lambda c: int(c.id))
            self._queue(held)
        if self.queue:
            yield ChunksArrived(tuple(self.queue))
            self.queue = []


class PaneModel:
    """Lines as the log pane holds them: appended, prepended, and taken back after a mark."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.origin = 0  # lines prepended

    def append(self, chunks: list[LogChunk]) -> None:
        self.lines += [line for c in chunks for line in split_chunk(c.text)]

    def prepend(self, chunks: list[LogChunk]) -> None:
        older = [line for c in chunks for line in split_chunk(c.text)]
        self.lines[:0] = older
        self.origin += len(older)

    def note(self, text: str) -> None:
        self.lines.append(f"NOTE {text}")

    def mark(self) -> int:
        return len(self.lines) - self.origin

    def rewind(self, mark: int) -> None:
        del self.lines[mark + self.origin :]


async def follow(
    backend: LossyBackend, tail_first: bool, page: int, held: bool
) -> tuple[list[str], int]:
    pane = PaneModel()
    printed: list[str] = []
    if held:
        output: PaneOutput | HeldOutput = HeldOutput(
            lambda chunks: printed.extend(line for c in chunks for line in split_chunk(c.text)),
            lambda text: printed.append(f"NOTE {text}"),
        )
    else:
        output = PaneOutput(
            pane.append, pane.note, pane.mark, pane.rewind, start=lambda: -pane.origin
        )
    feed = LogFeed(
        backend,
        JOB,
        output,
        older_sink=pane.prepend if tail_first else None,
        page_size=page,
        verify_every=0.001,
        settle_seconds=0.0,
    )
    await feed.run()
    await asyncio.wait_for(feed.history_loaded.wait(), 5)
    for _ in range(5):  # what plain mode does before it reports the job's end
        await feed.backfill()
        await feed.verify()
    feed.close_open_lines()
    feed.release()
    return (printed if held else pane.lines), feed.split_lines


@settings(max_examples=300)
@given(
    chunks=cut_streams(),
    script=lossy_steps,
    backlog=st.integers(0, 20),
    tail_first=st.booleans(),
    page=st.integers(1, 7),
    held=st.booleans(),
)
def test_lost_and_late_rows_end_in_their_place(
    chunks: list[tuple[str, str]],
    script: list[Step],
    backlog: int,
    tail_first: bool,
    page: int,
    held: bool,
) -> None:
    plain = [(s, t) for s, t in chunks if "\x1b" not in t and "\r" not in t]
    backend = LossyBackend(script, backlog, pieces=list(plain))
    shown, split = asyncio.run(follow(backend, tail_first and not held, page, held))
    committed = [(str(c.stream), c.text) for c in backend.db]
    expected = [line for _, line in reference_lines(committed)]
    assert_same_lines(shown, expected, split)


def test_a_dropped_row_is_found_by_the_count_and_put_back_in_its_place() -> None:
    backend = LossyBackend(
        [("commit", 2), ("lose", 1), ("commit", 3), ("deliver", 10), ("wait",)],
        0,
        pieces=[("STDOUT", f"line {n}\n") for n in range(5)],
    )
    shown, _ = asyncio.run(follow(backend, False, 10, False))
    assert shown == [f"line {n}" for n in range(5)]


def test_a_line_split_by_the_newest_page_is_whole_again_after_a_replay_from_the_start() -> None:
    """The newest page holds the end of a line, a late row completes it live before its
    beginning is read (so it is shown in two parts), and then the table disagrees with every
    checkpoint: the whole log is passed on again, the line whole, and the feed no longer
    counts it as split (found by Hypothesis)."""
    backend = LossyBackend([("late", 1)], 5, pieces=[("STDOUT", "1")] * 6 + [("STDOUT", "\n")])
    shown, split = asyncio.run(follow(backend, True, 1, False))
    assert shown == ["111111"]
    assert split == 0
