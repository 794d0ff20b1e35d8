"""Chunks become lines: a stream's chunk continues the line its previous chunk left open.

The platform's runner pipes each stream (STDOUT, STDERR, SYSTEM) into a byte buffer and
writes the buffer as one row when a timer fires or it passes 10 KB (docs/PLATFORM.md, "How
a row is made"). A row therefore ends wherever the flush fell, often mid-line, and the
streams' rows interleave. Here the rows of each stream are joined and cut at newlines again:

- a line takes its place in the log when its newline arrives (the row that completes it), so
  every reader (the view, plain mode) puts the lines in one order;
- the text after a stream's last newline is that stream's *open* line: shown as it grows,
  never stored as a line until it completes (or the attempt or the job ends);
- text is sanitised only once it is whole, so an escape sequence cut between two rows is
  judged as one sequence, and a lone CR is resolved over the whole line.

:class:`LineAssembler` does this for rows read oldest first. A job's history may also be read
newest first (the view shows a long job's end at once), where a page's first row of each
stream may continue a line begun in an older page: :func:`resolved_from` tells how much of
such a page must wait for the older page before its lines are known.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from joblens.models import LogChunk


def stream_key(chunk: LogChunk) -> str:
    """The stream a chunk continues (unknown stream names are streams of their own)."""
    return str(chunk.stream)


class LineAssembler:
    """Joins each stream's chunks and hands out whole lines, in the order they complete."""

    __slots__ = ("_began", "_completed", "_open", "_samples")

    def __init__(self) -> None:
        # Per stream, the raw pieces of its unfinished line (joined only when it completes:
        # a 1 MB line written in 100 rows is copied once, not 100 times).
        self._open: dict[str, list[str]] = {}
        # Per stream, the newest chunk that added to its open line (its id, stream and time
        # label the line when the job ends with the line still open).
        self._samples: dict[str, LogChunk] = {}
        # Per stream, how many of its lines have completed (which open line is which).
        self._completed: dict[str, int] = {}
        # Per stream, the chunk its open line began in: open lines end in that order.
        self._began: dict[str, LogChunk] = {}

    def add(self, chunk: LogChunk) -> LogChunk | None:
        """The lines ``chunk`` completes, as one chunk of whole lines (ending in ``\\n``).

        ``None`` when it completes none (all of it continues its stream's open line). The
        result keeps ``chunk``'s id, stream and time: it is placed where it completed.
        """
        text = chunk.text
        if not text:
            return None
        key = stream_key(chunk)
        cut = text.rfind("\n")
        if cut < 0:
            if key not in self._open:
                self._open[key] = []
                self._began[key] = chunk
            self._open[key].append(text)
            self._samples[key] = chunk
            return None
        pieces = self._open.pop(key, None)
        self._completed[key] = self._completed.get(key, 0) + 1
        done = text[: cut + 1]
        if pieces:
            pieces.append(done)
            done = "".join(pieces)
        rest = text[cut + 1 :]
        if rest:
            self._open[key] = [rest]
            self._samples[key] = chunk
            self._began[key] = chunk
        else:
            self._samples.pop(key, None)
            self._began.pop(key, None)
        return chunk if done is text else replace(chunk, text=done)

    def add_all(self, chunks: Iterable[LogChunk]) -> list[LogChunk]:
        """``add`` for each chunk, in order; the chunks of whole lines they complete."""
        done = []
        for chunk in chunks:
            lines = self.add(chunk)
            if lines is not None:
                done.append(lines)
        return done

    def open_lines(self) -> list[tuple[LogChunk, str]]:
        """Each stream's unfinished line (raw text), with the chunk that last added to it;
        the line begun first comes first."""
        keys = sorted(self._open, key=lambda key: self._began[key].order_key)
        return [(self._samples[key], "".join(self._open[key])) for key in keys]

    def began(self, stream: str) -> LogChunk:
        """The chunk the open line of ``stream`` began in."""
        return self._began[stream]

    def completed(self, stream: str) -> int:
        """How many lines of ``stream`` have completed: names its open line."""
        return self._completed.get(stream, 0)

    def adopt(self, sample: LogChunk, text: str, began: LogChunk) -> bool:
        """Take ``text``, from ``began`` on, as the beginning of ``sample``'s stream's line.

        For a line found open in older rows, read after this assembler started: this
        stream's first line here continues it, unless that line has completed already
        (False then: it was handed out without this beginning).
        """
        key = stream_key(sample)
        if self._completed.get(key):
            return False
        if not self.prepend_open(key, text, began):
            self._open[key] = [text]
            self._samples[key] = sample
            self._began[key] = began
        return True

    def prepend_open(self, stream: str, text: str, began: LogChunk) -> bool:
        """Put ``text``, from ``began`` on, before the open line of ``stream`` (its beginning,
        read later). False when ``stream`` has no open line."""
        pieces = self._open.get(stream)
        if pieces is None:
            return False
        pieces.insert(0, text)
        self._began[stream] = began
        return True

    def close(self) -> list[LogChunk]:
        """End every open line as it is (the job or the attempt ended without a newline)."""
        closed = [replace(sample, text=text + "\n") for sample, text in self.open_lines()]
        self._open.clear()
        self._samples.clear()
        self._began.clear()
        return closed

    def drop(self, streams: Iterable[str]) -> None:
        """Forget the open lines of ``streams`` (their text is already somewhere else)."""
        for key in streams:
            self._open.pop(key, None)
            self._samples.pop(key, None)
            self._began.pop(key, None)

    def copy(self) -> LineAssembler:
        """An assembler in this one's state, apart from it (a checkpoint to go back to)."""
        twin = LineAssembler()
        twin._open = {key: list(pieces) for key, pieces in self._open.items()}
        twin._samples = dict(self._samples)
        twin._completed = dict(self._completed)
        twin._began = dict(self._began)
        return twin

    @classmethod
    def after(cls, chunks: Iterable[LogChunk]) -> LineAssembler:
        """An assembler in the state reading ``chunks`` leaves (their lines thrown away)."""
        assembler = cls()
        for chunk in chunks:
            assembler.add(chunk)
        return assembler


def resolved_from(chunks: Sequence[LogChunk]) -> int:
    """Where the lines of a page read without its past become known: an index into ``chunks``.

    Before a stream's first newline in the page, its text may continue a line begun in an
    older page; and a line that completes there cannot be placed before its beginning is
    read. Lines completing after every stream's first newline are whole and placeable. The
    chunks before the index returned must be read again together with the older page.
    Streams with no newline in the page do not count: all their text is the end of one line
    (see :func:`without_newline`).
    """
    first_newline: dict[str, int] = {}
    for index, chunk in enumerate(chunks):
        if "\n" in chunk.text:
            first_newline.setdefault(stream_key(chunk), index)
    return max(first_newline.values(), default=-1) + 1


def without_newline(chunks: Iterable[LogChunk]) -> dict[str, str]:
    """The text of each stream that has text but no newline in ``chunks``."""
    texts: dict[str, list[str]] = {}
    broken: set[str] = set()
    for chunk in chunks:
        if chunk.text:
            key = stream_key(chunk)
            texts.setdefault(key, []).append(chunk.text)
            if "\n" in chunk.text:
                broken.add(key)
    return {key: "".join(parts) for key, parts in texts.items() if key not in broken}
