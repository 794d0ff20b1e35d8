"""How plain mode writes a job's lines: colour, the chosen lines, each line's number and time.

:class:`LineWriter` writes whole lines to a text stream (stdout), coloured or not
(:mod:`joblens.terraform_colour` gives colourless Terraform output tofu's colours), only those a
:class:`joblens.line_filter.LineFilter` shows, after a :class:`joblens.line_gutter.Gutter`'s
prefix; :class:`DiagnosticWriter` writes the diagnostics among them only (``--errors``). A
reader that closed the pipe raises :class:`ReaderGone` (plain mode ends quietly). The text
they are given is sanitised already (by the feed).
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import os
import sys
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from joblens.diagnostics import Diagnostic, DiagnosticParser
from joblens.line_filter import LineFilter
from joblens.line_gutter import Gutter
from joblens.models import LogChunk, StreamType
from joblens.sanitize import split_chunk, strip_sgr
from joblens.terraform_colour import LOOKBACK, colour_line, colour_lines

__all__ = [
    "DiagnosticWriter",
    "LineWriter",
    "ReaderGone",
    "render_line",
    "silence_stdout",
    "use_colour",
    "write_out",
]

_RED = "\x1b[31m"
_BLUE = "\x1b[34m"
_RESET = "\x1b[0m"
_STREAM_COLOURS = {StreamType.STDERR: _RED, StreamType.SYSTEM: _BLUE}


class ReaderGone(Exception):
    """stdout's reader closed the pipe: stop printing, quietly."""


def use_colour(color: str, out: TextIO) -> bool:
    """``always``, or ``auto`` with ``out`` a terminal."""
    if color == "always":
        return True
    if color != "auto":
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def write_out(out: TextIO, text: str) -> None:
    """Write and flush ``text``; what ``out``'s encoding cannot say becomes ``?``. Raises
    ReaderGone when the reader has closed the pipe."""
    try:
        try:
            out.write(text)
        except UnicodeEncodeError:
            encoding = getattr(out, "encoding", None) or "utf-8"
            out.write(text.encode(encoding, "replace").decode(encoding))
        out.flush()
    except BrokenPipeError as error:
        raise ReaderGone from error
    except OSError as error:
        if error.errno in (32, 22):  # EPIPE; EINVAL on Windows pipes
            raise ReaderGone from error
        raise


def silence_stdout(out: TextIO) -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    if out is not sys.stdout:
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


def _tint(stream: StreamType | str) -> str:
    return _STREAM_COLOURS.get(stream, "") if isinstance(stream, StreamType) else ""


def render_line(line: str, stream: StreamType | str, colour: bool) -> str:
    """One sanitised line as printed: its own colours, or tofu's colours (Terraform output
    carries none, see :mod:`joblens.terraform_colour`) on its stream's, or plain."""
    if not colour:
        return strip_sgr(line)
    return colour_line(line, tint=_tint(stream))


class LineWriter:
    """Writes chunks' lines to ``out`` (those ``select`` shows, after ``gutter``'s prefix);
    raises ReaderGone when the pipe closes."""

    def __init__(
        self,
        out: TextIO,
        colour: bool,
        select: LineFilter | None = None,
        gutter: Gutter | None = None,
    ) -> None:
        self.out = out
        self.colour = colour
        self.select = select if select is not None and select.active else None
        self.gutter = gutter if gutter is not None and gutter.active else None
        #: Lines of the log so far (every stream, before filtering, notes included).
        self.count = 0
        # The lines printed last: a diagnostic frame's gutter takes the colour of its block.
        self._recent: deque[str] = deque(maxlen=LOOKBACK)

    def __call__(self, chunks: list[LogChunk]) -> None:
        if self.select is not None or self.gutter is not None:
            self._write_chosen(chunks)
            return
        parts: list[str] = []
        for chunk in chunks:
            lines = split_chunk(chunk.text)
            self.count += len(lines)
            if not self.colour:
                parts += map(strip_sgr, lines)
                continue
            parts += colour_lines(lines, before=self._recent, tint=_tint(chunk.stream))
            self._recent.extend(lines)
        if not parts:
            return
        self._write("\n".join(parts) + "\n")

    def note(self) -> None:
        """A note of joblens's own took a line of the log here (it goes to stderr)."""
        self.count += 1

    def _write_chosen(self, chunks: list[LogChunk]) -> None:
        """``__call__`` with a filter or a gutter: a line at a time (a chunk's lines share its
        stream and time, so those are looked at once a chunk)."""
        select, gutter = self.select, self.gutter
        parts: list[str] = []
        for chunk in chunks:
            lines = split_chunk(chunk.text)
            first = self.count + 1
            self.count += len(lines)
            chosen: Sequence[int] = range(len(lines))
            if select is not None:
                shows = select.stream_shown(chunk.stream)
                chosen = [i for i, line in enumerate(lines) if shows and select.text_matches(line)]
            shown = lines
            if self.colour:  # in context: the lines before colour a diagnostic's frame
                if chosen:
                    shown = colour_lines(lines, before=self._recent, tint=_tint(chunk.stream))
                self._recent.extend(lines)
            stamp = "" if gutter is None else gutter.stamp(chunk.created_at)
            for i in chosen:
                text = shown[i] if self.colour else strip_sgr(shown[i])
                parts.append(f"{gutter.number(first + i)}{stamp}{text}" if gutter else text)
        if parts:
            self._write("\n".join(parts) + "\n")

    def write_block(
        self,
        lines: Sequence[str],
        stream: StreamType | str,
        gap: bool,
        prefixes: Sequence[str] = (),
    ) -> None:
        """Lines of one stream on their own (a diagnostic's: its frame is coloured from within
        it), each after its prefix (if given), after a blank line if ``gap``."""
        if self.colour:
            parts = colour_lines(lines, tint=_tint(stream))
        else:
            parts = list(map(strip_sgr, lines))
        if prefixes:
            parts = [prefix + part for prefix, part in zip(prefixes, parts, strict=False)]
        self._write(("\n" if gap else "") + "".join(f"{part}\n" for part in parts))

    def _write(self, text: str) -> None:
        write_out(self.out, text)


class DiagnosticWriter:
    """``--errors``: takes the feed's lines like a ``LineWriter`` and prints only the
    diagnostics among them, through it, in the order of their first lines."""

    def __init__(self, writer: LineWriter, select: LineFilter | None = None) -> None:
        """``select``: print only the blocks it shows (``LineFilter.matches_block``). The
        writer's gutter prefixes each line of a block with its own number and time."""
        self._writer = writer
        self._select = select if select is not None and select.active else None
        self._parser = DiagnosticParser()
        self._ready: list[Diagnostic] = []  # complete, waiting for one begun before them
        self._printed = 0
        self._found = 0  # blocks complete, printed or not (the filter's)
        self._count = 0  # lines of the log so far, notes included (the parser counts lines)
        # With a gutter, per stream, (parser index, line number, time) of the lines a block
        # open or waiting may hold: a block's lines are consecutive within its stream.
        self._seen: dict[object, deque[tuple[int, int, datetime | None]]] | None = (
            {} if writer.gutter is not None else None
        )

    def __call__(self, chunks: list[LogChunk]) -> None:
        for chunk in chunks:
            lines = split_chunk(chunk.text)
            if self._seen is not None:
                start, number = self._parser.index, self._count + 1
                self._seen.setdefault(chunk.stream, deque()).extend(
                    (start + i, number + i, chunk.created_at) for i in range(len(lines))
                )
            self._count += len(lines)
            self._ready += self._parser.feed_lines(lines, chunk.stream)
        self._print()

    def note(self) -> None:
        """A note of joblens's own took a line here: an attempt ended (see ``end``)."""
        self.end()
        self._count += 1

    def end(self) -> None:
        """The log, or an attempt, ended: the blocks still open are complete as they are."""
        self._ready += self._parser.close()
        self._print()

    def _print(self) -> None:
        if self._ready:
            begun = self._parser.open_starts  # a block begun earlier, on another stream, first
            first_open = begun[0] if begun else None
            self._ready.sort(key=lambda diagnostic: diagnostic.first)
            while self._ready and (first_open is None or self._ready[0].first < first_open):
                self._print_block(self._ready.pop(0))
        self._forget_seen()

    def why_nothing(self) -> str | None:
        """Once the log has ended (``end``), why nothing was printed, for a person (stderr);
        None when something was."""
        if self._printed:
            return None
        if not self._found:
            return "the log has no errors or warnings (Terraform diagnostics)"
        blocks = f"{self._found} diagnostic{'' if self._found == 1 else 's'}"
        return f"none of the log's {blocks} matched --grep/--invert/--stream"

    def _print_block(self, block: Diagnostic) -> None:
        self._found += 1
        stream = block.stream if isinstance(block.stream, str) else ""
        if self._select is not None and not self._select.matches_block(block.lines, stream):
            return
        self._writer.write_block(
            block.lines, stream, gap=self._printed > 0, prefixes=self._prefixes(block)
        )
        self._printed += 1

    def _prefixes(self, block: Diagnostic) -> list[str]:
        """Each line's number and time, as the gutter writes them ([] without a gutter)."""
        gutter, seen = self._writer.gutter, self._seen
        if gutter is None or seen is None:
            return []
        lines = seen.get(block.stream, deque())
        where = bisect.bisect_left(lines, (block.first,))
        picked = itertools.islice(lines, where, where + len(block.lines))
        return [gutter.number(number) + gutter.stamp(time) for _, number, time in picked]

    def _forget_seen(self) -> None:
        """Keep only what a block still open or waiting may need (and each stream's last
        line: a ``╷`` waiting to be known as a frame's top)."""
        if self._seen is None:
            return
        floor = min(
            [*self._parser.open_starts, *(block.first for block in self._ready)],
            default=self._parser.index,
        )
        for lines in self._seen.values():
            while len(lines) > 1 and lines[0][0] < floor:
                lines.popleft()
