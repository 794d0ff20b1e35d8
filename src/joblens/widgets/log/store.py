"""Packed storage for a log's lines: a few bytes of overhead per line, not a Python object.

A Python ``str`` per line costs about 50 bytes on top of its text, which is 1.5x the text for
Terraform-sized lines (and a ``datetime`` per line another 48). Here lines live in blocks: one
UTF-8 buffer of ``\\n``-terminated lines, an ``array('I')`` of line starts, an ``array('H')``
of display widths, a ``bytearray`` of stream codes and an ``array('I')`` of times (whole epoch
seconds: the pane shows ``HH:MM:SS``); 11 bytes per line plus the text. A line becomes a
``str``, and its time a clock reading, only when it is rendered.

Appending costs time proportional to the chunk: the hot path is C-level (encode, split,
``map``, ``accumulate``); only chunks containing escapes, tabs or non-ASCII text look at each
line in Python to measure its width.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime
from itertools import accumulate, repeat
from operator import add

from rich.cells import cell_len

from joblens.models import StreamType
from joblens.sanitize import strip_sgr

#: Stream codes stored per line (one byte each). NOTE is joblens's own line in the log (such
#: as where a requeued job's next attempt begins), not the job's output.
STDOUT, STDERR, SYSTEM, NOTE = 0, 1, 2, 3
_STREAM_CODES: dict[str, int] = {
    StreamType.STDOUT.value: STDOUT,
    StreamType.STDERR.value: STDERR,
    StreamType.SYSTEM.value: SYSTEM,
}

#: Widths saturate here (they are stored as unsigned 16-bit numbers).
MAX_STORED_WIDTH = 0xFFFF
#: The stored time of a line that has none (joblens's own NOTE lines, rows without a
#: ``created_at``); times are unsigned 32-bit epoch seconds, so 1970 to 2106.
NO_TIME = 0
_MAX_TIME = 0xFFFFFFFF
#: Lines longer than this (in bytes) are not measured: they are wider than anything displayed.
_MEASURE_LIMIT = 64 * 1024
#: Capacity of a block's buffer. Buffers are allocated once, at this fixed size, and filled
#: in place: no growth slack, no copy when a block fills up, and freed buffers (``clear``)
#: fit the next ones exactly, so the process does not fragment.
_BLOCK_BYTES = 1 << 20
#: Prepended pages merge into a small first block instead of adding blocks.
_MERGE_LINES = 4096
_MERGE_BYTES = 1 << 20


def stream_code(stream: StreamType | str) -> int:
    """The stored code of a chunk's stream; unknown streams show as STDOUT."""
    return _STREAM_CODES.get(str(stream), STDOUT)


def epoch_seconds(moment: datetime | None) -> int:
    """The stored time of a chunk written at ``moment``: whole seconds since the epoch, or
    ``NO_TIME`` for none (or one a 32-bit count cannot hold)."""
    if moment is None:
        return NO_TIME
    seconds = int(moment.timestamp())
    return seconds if 0 < seconds <= _MAX_TIME else NO_TIME


def expand_tabs(text: str, tab_size: int = 8) -> str:
    """Tabs to spaces by terminal cell columns (``str.expandtabs`` counts characters)."""
    if text.isascii():
        return text.expandtabs(tab_size)
    out: list[str] = []
    column = 0
    for i, piece in enumerate(text.split("\t")):
        if i:
            pad = tab_size - column % tab_size
            out.append(" " * pad)
            column += pad
        out.append(piece)
        column += cell_len(piece)
    return "".join(out)


def display_width(raw: bytes) -> int:
    """Terminal cells the line takes once colour codes are parsed and tabs expanded."""
    if len(raw) > _MEASURE_LIMIT:
        return MAX_STORED_WIDTH
    text = raw.decode("utf-8", "replace")
    if "\x1b" in text:
        text = strip_sgr(text)
    if "\t" in text:
        text = expand_tabs(text)
    width = len(text) if text.isascii() else cell_len(text)
    return min(width, MAX_STORED_WIDTH)


def _plain_width(raw: bytes) -> int:
    if raw.isascii() and b"\x1b" not in raw and b"\t" not in raw:
        return len(raw)
    return display_width(raw)


class LineBlock:
    """A run of consecutive lines packed into one fixed-size buffer."""

    __slots__ = (
        "data",
        "max_width",
        "starts",
        "streams",
        "times",
        "used",
        "widths",
        "wrap_counted",
        "wrap_prefix",
        "wrap_width",
    )

    def __init__(self, capacity: int = 0) -> None:
        self.data = bytearray(capacity)
        self.used = 0  # bytes of ``data`` holding lines
        self.starts = array("I")
        self.widths = array("H")
        self.streams = bytearray()
        self.times = array("I")
        self.max_width = 0
        # Wrapped-row bookkeeping, owned by WrapIndex (wrap.py).
        self.wrap_width = 0
        self.wrap_counted = 0
        self.wrap_prefix: array[int] | None = None

    def __len__(self) -> int:
        return len(self.starts)

    def room(self) -> int:
        return len(self.data) - self.used

    def add(self, data: bytes, simple: bool, code: int, stamp: int = NO_TIME) -> int:
        """Append whole ``\n``-terminated lines that fit in the room left; returns how many.

        ``simple`` says the text is ASCII without escapes or tabs: widths are byte lengths.
        Every line gets stream ``code`` and time ``stamp`` (``epoch_seconds``).
        """
        parts = data.split(b"\n")
        parts.pop()  # the empty piece after the final newline
        lengths = list(map(len, parts))
        starts = accumulate(map(add, lengths, repeat(1)), initial=self.used)
        self.starts.extend(starts)
        self.starts.pop()  # the start of the line after the last one
        if simple:
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
        self.times.extend(array("I", (stamp,)) * len(lengths))
        self.data[self.used : self.used + len(data)] = data
        self.used += len(data)
        self.max_width = max(self.max_width, widest)
        return len(lengths)

    def line(self, i: int) -> bytes:
        """The UTF-8 text of line ``i`` of this block, without its newline."""
        start = self.starts[i]
        end = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else self.used - 1
        return bytes(self.data[start:end])


def _encode(text: str) -> tuple[bytes, bool]:
    """A chunk's UTF-8 bytes, ending in a newline, and whether it is simple (see ``add``)."""
    data = text.encode("utf-8", "replace")
    if not data.endswith(b"\n"):
        data += b"\n"
    simple = text.isascii() and "\x1b" not in text and "\t" not in text
    return data, simple


def _merged(front: LineBlock, back: LineBlock) -> LineBlock:
    merged = LineBlock(front.used + back.used)
    merged.data[: front.used] = front.data[: front.used]
    merged.data[front.used :] = back.data[: back.used]
    merged.used = front.used + back.used
    merged.starts = front.starts + array("I", map(add, back.starts, repeat(front.used)))
    merged.widths = front.widths + back.widths
    merged.streams = front.streams + back.streams
    merged.times = front.times + back.times
    merged.max_width = max(front.max_width, back.max_width)
    return merged


class LineStore:
    """All lines of one log, in order, with their streams, display widths and times.

    A line's time is that of the chunk that stored it: the feed hands over a line in the chunk
    (row) that completed it (``joblens.lines``), so a line assembled from several rows takes
    the time of the row that completed it, not of the one it began in.
    """

    def __init__(self) -> None:
        self.blocks: list[LineBlock] = [LineBlock(_BLOCK_BYTES)]
        self.firsts: list[int] = [0]  # index of each block's first line
        self._count = 0
        #: Lines prepended so far: ``index - origin`` names a line stably across prepends.
        self.origin = 0
        self.max_width = 0

    def __len__(self) -> int:
        return self._count

    def append(self, text: str, code: int = STDOUT, stamp: int = NO_TIME) -> int:
        """Append a chunk's lines at the end, each with stream ``code`` and time ``stamp``
        (``epoch_seconds`` of the chunk's ``created_at``); returns how many."""
        if not text:
            return 0
        data, simple = _encode(text)
        added = 0
        while data:
            block = self.blocks[-1]
            room = block.room()
            if len(data) <= room:
                piece, data = data, b""
            else:
                # Fill this block with the whole lines that fit; the rest go to a new one.
                cut = data.rfind(b"\n", 0, room) + 1
                piece, data = data[:cut], data[cut:]
            if piece:
                added += block.add(piece, simple, code, stamp)
                self.max_width = max(self.max_width, block.max_width)
            if data:
                first_line = data.find(b"\n") + 1
                capacity = max(_BLOCK_BYTES, first_line)
                if len(block):
                    self.blocks.append(LineBlock(capacity))
                    self.firsts.append(self._count + added)
                else:
                    self.blocks[-1] = LineBlock(capacity)
        self._count += added
        return added

    def truncate(self, count: int) -> int:
        """Keep the first ``count`` lines and drop the rest (they are read again); how many
        were dropped. The cut block keeps its buffer, so the next lines fill it again."""
        removed = self._count - count
        if removed <= 0:
            return 0
        k, i = self.block_of(count)
        del self.blocks[k + 1 :]
        del self.firsts[k + 1 :]
        block = self.blocks[k]
        if i < len(block.starts):
            block.used = block.starts[i]
            del block.starts[i:]
            del block.widths[i:]
            del block.streams[i:]
            del block.times[i:]
        block.max_width = max(block.widths, default=0)
        block.wrap_width = block.wrap_counted = 0  # rows are counted again
        block.wrap_prefix = None
        self._count = count
        self.max_width = max(s.max_width for s in self.blocks)
        return removed

    def prepend(self, chunks: Iterable[tuple[str, int, int]]) -> int:
        """Insert older chunks ``(text, code, stamp)``, in their order, before every line;
        returns how many lines."""
        encoded = [(*_encode(text), code, stamp) for text, code, stamp in chunks if text]
        block = LineBlock(sum(len(data) for data, _, _, _ in encoded))
        for data, simple, code, stamp in encoded:
            block.add(data, simple, code, stamp)
        added = len(block)
        if not added:
            return 0
        first = self.blocks[0]
        if len(self.blocks) > 1 and len(first) < _MERGE_LINES and first.used < _MERGE_BYTES:
            self.blocks[0] = _merged(block, first)
        else:
            self.blocks.insert(0, block)  # the open (last) block stays last
        self._count += added
        self.origin += added
        self.max_width = max(self.max_width, block.max_width)
        self.firsts = list(accumulate((len(s) for s in self.blocks[:-1]), initial=0))
        return added

    def block_of(self, index: int) -> tuple[int, int]:
        """The number of the block holding line ``index``, and the line's position in it."""
        k = bisect_right(self.firsts, index) - 1
        return k, index - self.firsts[k]

    def locate(self, index: int) -> tuple[LineBlock, int]:
        """The block holding line ``index`` and the line's position in it."""
        k, i = self.block_of(index)
        return self.blocks[k], i

    def line(self, index: int) -> bytes:
        """The UTF-8 text of a line."""
        block, i = self.locate(index)
        return block.line(i)

    def stream(self, index: int) -> int:
        block, i = self.locate(index)
        return block.streams[i]

    def width(self, index: int) -> int:
        block, i = self.locate(index)
        return block.widths[i]

    def time(self, index: int) -> int:
        """The line's time (``epoch_seconds``), ``NO_TIME`` if it has none."""
        block, i = self.locate(index)
        return block.times[i]
