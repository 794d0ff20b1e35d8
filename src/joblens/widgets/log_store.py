"""Packed storage for a log's lines: a few bytes of overhead per line, not a Python object.

A Python ``str`` per line costs about 50 bytes on top of its text, which is 1.5x the text for
Terraform-sized lines. Here lines live in segments: one UTF-8 buffer of ``\\n``-terminated
lines, an ``array('I')`` of line starts, an ``array('H')`` of display widths and a
``bytearray`` of stream codes; 7 bytes per line plus the text. A line becomes a ``str`` only
when it is rendered.

Appending costs time proportional to the chunk: the hot path is C-level (encode, split,
``map``, ``accumulate``); only chunks containing escapes, tabs or non-ASCII text look at each
line in Python to measure its width.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate, repeat
from operator import add

from rich.cells import cell_len

from joblens.models import StreamType
from joblens.sanitize import strip_sgr

#: Stream codes stored per line (one byte each).
STDOUT, STDERR, SYSTEM = 0, 1, 2
_STREAM_CODES: dict[str, int] = {
    StreamType.STDOUT.value: STDOUT,
    StreamType.STDERR.value: STDERR,
    StreamType.SYSTEM.value: SYSTEM,
}

#: Widths saturate here (they are stored as unsigned 16-bit numbers).
MAX_STORED_WIDTH = 0xFFFF
#: Lines longer than this (in bytes) are not measured: they are wider than anything displayed.
_MEASURE_LIMIT = 64 * 1024
#: A segment stops taking appends past either size; its buffer is then frozen to ``bytes``.
_SEGMENT_LINES = 1 << 16
_SEGMENT_BYTES = 8 << 20
#: Prepended pages merge into a small first segment instead of adding segments.
_MERGE_LINES = 4096
_MERGE_BYTES = 1 << 20


def stream_code(stream: StreamType | str) -> int:
    """The stored code of a chunk's stream; unknown streams show as STDOUT."""
    return _STREAM_CODES.get(str(stream), STDOUT)


def display_width(raw: bytes) -> int:
    """Terminal cells the line takes once colour codes are parsed and tabs expanded."""
    if len(raw) > _MEASURE_LIMIT:
        return MAX_STORED_WIDTH
    text = raw.decode("utf-8", "replace")
    if "\x1b" in text:
        text = strip_sgr(text)
    if "\t" in text:
        text = text.expandtabs(8)
    width = len(text) if text.isascii() else cell_len(text)
    return min(width, MAX_STORED_WIDTH)


def _plain_width(raw: bytes) -> int:
    if raw.isascii() and b"\x1b" not in raw and b"\t" not in raw:
        return len(raw)
    return display_width(raw)


class Segment:
    """A run of consecutive lines packed into one buffer."""

    __slots__ = (
        "data",
        "max_width",
        "starts",
        "streams",
        "widths",
        "wrap_counted",
        "wrap_prefix",
        "wrap_width",
    )

    def __init__(self) -> None:
        self.data: bytearray | bytes = bytearray()
        self.starts = array("I")
        self.widths = array("H")
        self.streams = bytearray()
        self.max_width = 0
        # Wrapped-row bookkeeping, owned by WrapIndex (log_wrap.py).
        self.wrap_width = 0
        self.wrap_counted = 0
        self.wrap_prefix: array[int] | None = None

    def __len__(self) -> int:
        return len(self.starts)

    def add(self, text: str, code: int) -> int:
        """Append one chunk's lines (``split_chunk`` semantics); returns how many."""
        if not text:
            return 0
        data = text.encode("utf-8", "replace")
        if not data.endswith(b"\n"):
            data += b"\n"
        parts = data.split(b"\n")
        parts.pop()  # the empty piece after the final newline
        lengths = list(map(len, parts))
        base = len(self.data)
        starts = accumulate(map(add, lengths, repeat(1)), initial=base)
        self.starts.extend(starts)
        self.starts.pop()  # the start of the line after the last one
        if text.isascii() and "\x1b" not in text and "\t" not in text:
            widths: Iterable[int] = lengths
            widest = max(lengths)
        else:
            widths = list(map(_plain_width, parts))
            widest = max(widths)
        if widest > MAX_STORED_WIDTH:
            widths = map(min, widths, repeat(MAX_STORED_WIDTH))
            widest = MAX_STORED_WIDTH
        self.widths.extend(widths)
        self.streams.extend(bytes((code,)) * len(lengths))
        assert isinstance(self.data, bytearray)
        self.data += data
        self.max_width = max(self.max_width, widest)
        return len(lengths)

    def freeze(self) -> None:
        """Drop the growth slack of the buffer once no more lines will be appended."""
        if isinstance(self.data, bytearray):
            self.data = bytes(self.data)

    def line(self, i: int) -> bytes:
        """The UTF-8 text of line ``i`` of this segment, without its newline."""
        start = self.starts[i]
        end = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.data) - 1
        return bytes(self.data[start:end])

    def full(self) -> bool:
        return len(self.starts) >= _SEGMENT_LINES or len(self.data) >= _SEGMENT_BYTES

    def nbytes(self) -> int:
        """Bytes held, buffers and arrays included (for measurements)."""
        return (
            len(self.data)
            + self.starts.itemsize * len(self.starts)
            + self.widths.itemsize * len(self.widths)
            + len(self.streams)
        )


def _merged(front: Segment, back: Segment) -> Segment:
    merged = Segment()
    shift = len(front.data)
    # The open (last) segment keeps a growable buffer.
    joined = bytes(front.data) + bytes(back.data)
    merged.data = bytearray(joined) if isinstance(back.data, bytearray) else joined
    merged.starts = front.starts + array("I", map(add, back.starts, repeat(shift)))
    merged.widths = front.widths + back.widths
    merged.streams = front.streams + back.streams
    merged.max_width = max(front.max_width, back.max_width)
    return merged


class LineStore:
    """All lines of one log, in order, with their streams and display widths."""

    def __init__(self) -> None:
        self.segments: list[Segment] = [Segment()]
        self.firsts: list[int] = [0]  # index of each segment's first line
        self._count = 0
        #: Lines prepended so far: ``index - origin`` names a line stably across prepends.
        self.origin = 0
        self.max_width = 0

    def __len__(self) -> int:
        return self._count

    def append(self, text: str, code: int = STDOUT) -> int:
        """Append a chunk's lines at the end; returns how many."""
        segment = self.segments[-1]
        if segment.full():
            segment.freeze()
            segment = Segment()
            self.segments.append(segment)
            self.firsts.append(self._count)
        added = segment.add(text, code)
        self._count += added
        self.max_width = max(self.max_width, segment.max_width)
        return added

    def prepend(self, chunks: Iterable[tuple[str, int]]) -> int:
        """Insert older chunks (in their order) before every line; returns how many lines."""
        segment = Segment()
        for text, code in chunks:
            segment.add(text, code)
        added = len(segment)
        if not added:
            return 0
        segment.freeze()
        first = self.segments[0]
        if not len(first):
            self.segments[0] = segment
            segment.data = bytearray(segment.data)  # still the open segment
        elif len(first) < _MERGE_LINES and len(first.data) < _MERGE_BYTES:
            self.segments[0] = _merged(segment, first)
        else:
            self.segments.insert(0, segment)
        self._count += added
        self.origin += added
        self.max_width = max(self.max_width, segment.max_width)
        self.firsts = list(accumulate((len(s) for s in self.segments[:-1]), initial=0))
        return added

    def locate(self, index: int) -> tuple[Segment, int]:
        """The segment holding line ``index`` and the line's position in it."""
        k = bisect_right(self.firsts, index) - 1
        return self.segments[k], index - self.firsts[k]

    def line(self, index: int) -> bytes:
        """The UTF-8 text of a line."""
        segment, i = self.locate(index)
        return segment.line(i)

    def stream(self, index: int) -> int:
        segment, i = self.locate(index)
        return segment.streams[i]

    def width(self, index: int) -> int:
        segment, i = self.locate(index)
        return segment.widths[i]

    def text_bytes(self) -> int:
        """Bytes of text stored, newlines included."""
        return sum(len(s.data) for s in self.segments)

    def nbytes(self) -> int:
        """Bytes held by the buffers and arrays."""
        return sum(s.nbytes() for s in self.segments)
