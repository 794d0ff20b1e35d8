"""One stored log line to one ``Strip``: colour codes parsed, tabs expanded, huge lines cut.

This runs only for lines about to be painted (the pane caches the result). Text reaches the
terminal only as Rich segments built here, and is passed through ``sanitize`` once more on the
way (a no-op scan for clean text), so nothing but SGR styling could ever reach the screen even
if an unsanitised chunk slipped in.

Each line is parsed on its own, with no state from the line before: rendering line 900,000
must not mean parsing the 899,999 before it. A colour left on at the end of a line is carried
into the next lines of its chunk once, at ingest (``sanitize.carry_colour``), so lines look as
they would in a terminal; it does not bleed from one chunk into the rest of the log.

Lines with no colour codes at all (the runner passes ``-no-color`` to tofu) are coloured here
as tofu's colour mode would have (``terraform_colour``), at this same render time: ingest pays
nothing for it, and a line that matches nothing keeps the one-segment fast path.

With timestamps shown, a row is its time gutter and then its cells of the line
(``gutter_row``); the stored time becomes a clock reading (``clock``) only here.
"""

from __future__ import annotations

import time
from functools import lru_cache

from rich.ansi import AnsiDecoder
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from joblens.sanitize import for_rich, sanitize, strip_sgr
from joblens.terraform_colour import Nearby, Spans, line_spans
from joblens.widgets.log.store import NO_TIME, expand_tabs

#: The most cells of one line that are displayed; the rest is summarised by a marker.
LINE_CELL_CAP = 10_000
#: Room kept for the marker when sizing the view (``" … (1,234,567,890 more characters)"``).
MARKER_CELLS = 40
#: The most cells a rendered line can take.
RENDERED_CELL_CAP = LINE_CELL_CAP + MARKER_CELLS
#: Cells of the time gutter before each row when timestamps are shown: ``HH:MM:SS`` and a space.
TIME_GUTTER = 9
# Bytes decoded for a huge line: enough for LINE_CELL_CAP cells of text with colour codes.
_RAW_LIMIT = LINE_CELL_CAP * 8

_decoder = AnsiDecoder()

# terraform_colour's style names as the ANSI colours tofu would have written: the terminal's
# (here Textual's ANSI theme's) green, not a colour of joblens's own theme.
_TOFU_STYLES: dict[str, Style] = {
    "create": Style(color="green"),
    "destroy": Style(color="red"),
    "update": Style(color="yellow"),
    "read": Style(color="cyan"),
    "bold": Style(bold=True),
    "dim": Style(dim=True),
    "error": Style(color="red", bold=True),
    "warning": Style(color="yellow", bold=True),
    "error-frame": Style(color="red"),
    "warning-frame": Style(color="yellow"),
    "success": Style(color="green", bold=True),
    "note": Style(color="cyan", bold=True),
}


@lru_cache(maxsize=128)
def _tofu_style(stream_style: Style, name: str, tinted: bool) -> Style:
    """A span's style on top of its line's stream style (a handful of pairs, so cached).

    A tinted line (STDERR red, SYSTEM blue) keeps its stream's colour: only bold and dim are
    added, so an error stays one red and a blue system line never turns half green.
    """
    style = _TOFU_STYLES[name]
    if tinted:
        style = Style(bold=style.bold, dim=style.dim)
    return stream_style + style


def _tofu_segments(text: str, found: Spans, style: Style, tinted: bool) -> list[Segment]:
    """The line cut at its spans; neighbours of one style are one segment (as ``simplify``)."""
    segments: list[Segment] = []
    done = 0
    for start, end, name in found:
        if start > done:
            segments.append(Segment(text[done:start], style))
        segments.append(Segment(text[start:end], _tofu_style(style, name, tinted)))
        done = end
    if done < len(text):
        segments.append(Segment(text[done:], style))
    return list(Segment.simplify(segments))


def _parse_sgr(text: str) -> Text:
    _decoder.style = Style.null()  # no carry-over from the previous line (see module doc)
    return _decoder.decode_line(for_rich(text))


def line_segments(
    raw: bytes,
    style: Style,
    marker_style: Style,
    console: Console,
    nearby: Nearby | None = None,
    *,
    tinted: bool = False,
) -> tuple[list[Segment], int]:
    """The styled segments of one whole line and their width in cells.

    ``style`` is the line's stream style; ``tinted`` says it colours the line (STDERR,
    SYSTEM), so Terraform highlighting adds only bold and dim to it. ``nearby`` gives the
    text of the lines around (by relative offset, None past the ends), for the gutter of a
    diagnostic frame (``terraform_colour.frame_severity``); without it frames stay plain.
    Segments, not a ``Strip``: a Strip carries seven caches, and keeping thousands of them
    alive made the garbage collector's full passes long.
    """
    cut = len(raw) > _RAW_LIMIT
    text = raw[:_RAW_LIMIT].decode("utf-8", "ignore") if cut else raw.decode("utf-8", "replace")
    text = sanitize(text)
    if "\x1b" not in text:
        if "\t" in text:
            text = expand_tabs(text)
        found = line_spans(text, nearby)
        if not cut:
            width = len(text) if text.isascii() else cell_len(text)
            if width <= LINE_CELL_CAP:
                if not found:
                    return [Segment(text, style)], width
                return _tofu_segments(text, found, style, tinted), width
        rich_text = Text(text)
        for start, end, name in found:
            rich_text.stylize(_tofu_style(Style.null(), name, tinted), start, end)
    else:
        rich_text = _parse_sgr(text)
        if "\t" in rich_text.plain:
            rich_text.expand_tabs(8)
    marker: Segment | None = None
    if cut or rich_text.cell_len > LINE_CELL_CAP:
        shown = len(rich_text.plain)
        if rich_text.cell_len > LINE_CELL_CAP:
            rich_text.truncate(LINE_CELL_CAP)
            shown = len(rich_text.plain)
        total = len(strip_sgr(raw.decode("utf-8", "replace")))
        marker = Segment(f" … ({max(0, total - shown):,} more characters)", marker_style)
    segments = list(Segment.simplify(Segment.apply_style(rich_text.render(console), style)))
    if marker is not None:
        segments.append(marker)
    return segments, Segment.get_line_length(segments)


def row_strip(
    segments: list[Segment], length: int, start: int, width: int, pad_style: Style
) -> Strip:
    """Cells ``start`` to ``start + width`` of a line, padded to ``width``: one new Strip."""
    return Strip(row_segments(segments, length, start, width, pad_style), width)


def row_segments(
    segments: list[Segment], length: int, start: int, width: int, pad_style: Style
) -> list[Segment]:
    """The segments of ``row_strip``, without making the Strip."""
    end = start + width
    if start == 0 and length <= end:
        row = segments
    elif start >= length:
        row = []
    else:
        row = list(Segment.divide(segments, [start, min(end, length)]))[1]
    shown = min(length, end) - start if start < length else 0
    if shown < width:
        padding = " " * (width - shown)
        if row and row[-1].style == pad_style and not row[-1].control:
            # One segment, not two: selection offsets (one per segment) would keep them apart.
            row = [*row[:-1], Segment(row[-1].text + padding, pad_style)]
        else:
            row = [*row, Segment(padding, pad_style)]
    return row


def highlight(
    segments: list[Segment], length: int, span: tuple[int, int], style: Style
) -> list[Segment]:
    """The line with cells ``span`` (an end of -1: to the end of the line) in ``style``."""
    start, end = span
    end = length if end == -1 else min(end, length)
    if start >= end:
        return segments
    before, middle, after = Segment.divide(segments, [start, end, length])
    return [*before, *Segment.apply_style(middle, post_style=style), *after]


def clock(stamp: int) -> str:
    """A stored time (epoch seconds) as the local ``HH:MM:SS``."""
    return time.strftime("%H:%M:%S", time.localtime(stamp))


def gutter_cells(number: int | None, digits: int, stamp: int | None) -> str:
    """The gutter of a row: its line number right-aligned in ``digits`` cells and a space (when
    ``number`` is given), then its time ``HH:MM:SS`` and a space (when ``stamp`` is given; blank
    for ``NO_TIME``). Blank numbers (``number`` 0) and times keep the width."""
    text = ""
    if number is not None:
        text = f"{number:>{digits}} " if number else " " * (digits + 1)
    if stamp is not None:
        text += f"{clock(stamp)} " if stamp != NO_TIME else " " * TIME_GUTTER
    return text


def gutter_row(
    gutter: str,
    gutter_style: Style,
    blank_style: Style,
    row: list[Segment],
    width: int,
    offset: tuple[int, int] | None,
) -> Strip:
    """A row's text (``row_segments``, ``width`` cells) after its gutter (``gutter_cells``,
    in ``gutter_style``): one Strip.

    With an ``offset`` (x, y), the row gets the selection offsets ``Strip.apply_offsets(x, y)``
    would give the text alone (the ``offset`` meta Textual's compositor reads), and every gutter
    cell is a segment of its own at (x, y): a click or drag in the gutter selects from the start
    of the row's text, and the gutter is never part of a selection. Done here, not with
    ``apply_offsets``, to make one Strip a row, not three (a Strip is costly to make).
    """
    cells_wide = len(gutter)
    if offset is None:
        return Strip([Segment(gutter, gutter_style), *row], cells_wide + width)
    x, y = offset
    meta = Style.from_meta({"offset": offset})
    shown = gutter_style + meta
    blank = blank_style + meta
    cells = [Segment(c, shown if c != " " else blank) for c in gutter]
    for text, style, _ in row:
        offset_style = Style.from_meta({"offset": (x, y)})
        cells.append(Segment(text, style + offset_style if style else offset_style))
        x += len(text)
    return Strip(cells, cells_wide + width)
