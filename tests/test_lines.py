"""Chunks become lines: any cutting of each stream's text, any interleaving of the streams,
read oldest first or newest page first, gives the lines of the uncut text, each once."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.feed import LogFeed
from joblens.lines import LineAssembler, resolved_from
from joblens.models import LogChunk
from joblens.sanitize import split_chunk
from support.oracle import assert_same_lines, reference_lines
from support.scripted import JOB, STREAMS, CutBackend, Step, cut_streams


def per_stream(lines: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for stream, line in lines:
        out.setdefault(stream, []).append(line)
    return out


@settings(max_examples=300)
@given(chunks=cut_streams())
def test_any_cutting_and_interleaving_gives_the_uncut_lines(chunks: list[tuple[str, str]]) -> None:
    assembler = LineAssembler()
    got: list[tuple[str, str]] = []
    for n, (stream, text) in enumerate(chunks):
        done = assembler.add(LogChunk(n, JOB, text, stream))
        if done is not None:
            assert done.text.endswith("\n")
            got += [(stream, line) for line in done.text[:-1].split("\n")]
    got += [(str(c.stream), c.text[:-1]) for c in assembler.close()]
    assert got == reference_lines(chunks)
    # Each stream's lines are its uncut text's lines, whatever the cutting.
    for stream, lines in per_stream(got).items():
        text = "".join(t for s, t in chunks if s == stream)
        assert lines == split_chunk(text)


def test_a_line_is_placed_where_it_completes() -> None:
    assembler = LineAssembler()
    rows = [
        ("STDOUT", "Plan: 1 to"),
        ("STDERR", "Warning: x\n"),
        ("STDOUT", " add.\nApply"),
        ("STDOUT", " complete!\n"),
    ]
    done = assembler.add_all(LogChunk(n, JOB, t, s) for n, (s, t) in enumerate(rows))
    assert [(c.id, c.text) for c in done] == [
        (1, "Warning: x\n"),
        (2, "Plan: 1 to add.\n"),
        (3, "Apply complete!\n"),
    ]


def test_resolved_from_waits_for_every_streams_first_newline() -> None:
    rows = [
        LogChunk(n, JOB, t, s)
        for n, (s, t) in enumerate(
            [
                ("STDOUT", "tail of a line\nnext"),
                ("STDERR", "cut"),
                ("STDERR", " off\n"),
                ("STDOUT", "x\n"),
            ]
        )
    ]
    assert resolved_from(rows) == 3
    assert resolved_from(rows[:2]) == 1  # all of STDERR's text so far ends one line
    assert resolved_from([]) == 0


no_late_steps = st.lists(
    st.one_of(
        st.tuples(st.just("commit"), st.integers(1, 6)),
        st.tuples(st.just("deliver"), st.integers(1, 8)),
        st.tuples(st.just("drop")),
        st.tuples(st.just("resub"), st.integers(0, 4)),
    ),
    max_size=20,
)


async def shown_by_feed(backend: CutBackend, tail_first: bool, page: int) -> tuple[list[str], int]:
    """The lines a pane would hold, then its unfinished lines, once the job ended."""
    shown: list[str] = []
    open_lines: list[str] = []

    def append(chunks: list[LogChunk]) -> None:
        shown.extend(line for c in chunks for line in split_chunk(c.text))

    def prepend(chunks: list[LogChunk]) -> None:
        shown[:0] = [line for c in chunks for line in split_chunk(c.text)]

    def show_open(chunks: list[LogChunk]) -> None:
        open_lines[:] = [c.text for c in chunks]

    feed = LogFeed(
        backend,
        JOB,
        append,
        older_sink=prepend if tail_first else None,
        page_size=page,
        on_open=show_open,
    )
    await feed.run()
    await asyncio.wait_for(feed.history_loaded.wait(), 5)
    assert len(open_lines) <= len(STREAMS)
    feed.close_open_lines()
    assert open_lines == []
    return shown, feed.split_lines


@settings(max_examples=300)
@given(
    chunks=cut_streams(),
    script=no_late_steps,
    backlog=st.integers(0, 30),
    tail_first=st.booleans(),
    page=st.integers(1, 7),
)
def test_the_feed_shows_the_uncut_lines_whatever_the_delivery(
    chunks: list[tuple[str, str]], script: list[Step], backlog: int, tail_first: bool, page: int
) -> None:
    plain = [(s, t) for s, t in chunks if "\x1b" not in t and "\r" not in t]
    backend = CutBackend(script, backlog, pieces=list(plain))
    shown, split = asyncio.run(shown_by_feed(backend, tail_first, page))
    committed = [(str(c.stream), c.text) for c in backend.db]
    expected = [line for _, line in reference_lines(committed)]
    assert tail_first or not split  # only a page read newest first can split a line
    assert_same_lines(shown, expected, split)


def test_a_megabyte_line_in_a_hundred_rows_is_one_line_kept_whole() -> None:
    assembler = LineAssembler()
    piece = "x" * 10_240
    for n in range(100):
        assert assembler.add(LogChunk(n, JOB, piece, "STDOUT")) is None
    [(_, open_text)] = assembler.open_lines()
    assert len(open_text) == 1_024_000
    done = assembler.add(LogChunk(100, JOB, "end\n", "STDOUT"))
    assert done is not None and done.text == piece * 100 + "end\n"
