"""The error digest: every Terraform/OpenTofu diagnostic in the log, in the Errors panel (``x``).

:class:`DigestReader` reads the log pane's lines into diagnostics (``joblens.diagnostics``) a
slice at a time, in step with the pane's indexes; :class:`ErrorsPanel` lists them under the log,
its title counting them even while it is closed. Enter (or a click) on an entry moves the log
to the diagnostic's first line; ``c`` (or ``y``) copies its lines without colour codes.

Summaries, addresses, files and details are the log's text (untrusted): each is made one safe
line (:func:`joblens.sanitize.display_text`) and put in ``rich.text.Text`` as plain text, never
read as markup.
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar, Protocol

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from joblens.clipboard import copy_text
from joblens.diagnostics import ERROR, WARNING, Diagnostic, DiagnosticParser, uncoloured
from joblens.sanitize import display_text, strip_sgr
from joblens.widgets.lazy_panel import LazyPanel
from joblens.widgets.log.store import NOTE

#: Lines read in one slice: about 20 ms (0.17 s for a million 80-character Terraform lines
#: with 500 diagnostics, where storing them took 0.2 s; 2 CPUs). A larger log is read over
#: several slices, at the screen's refresh cadence, so keys are never kept waiting long.
READ_LINES_PER_SLICE = 100_000
#: At most this many entries are listed (the title counts them all).
PANEL_MAX_ENTRIES = 1000
#: A line where a diagnostic may start, as ``DiagnosticParser`` decides while nothing is open:
#: after any colour codes and spaces, ``E`` (``Error:``), ``W`` (``Warning:``) or ``╷`` (a
#: frame). The parser starts a diagnostic only where the line, its colour codes gone, begins
#: with ``Error: `` or ``Warning: ``, or is a frame's ``╷`` (``diagnostics._start``), so such a
#: line begins with ``Error`` or ``Warning``, or holds an escape or a ``╷``: ``_Candidates``
#: finds those with ``bytes.find`` (long needles, or one byte: no work per line), then this
#: decides as it always did.
_CANDIDATE_AT = re.compile(rb"(?:\x1b\[[0-9;:]*m| )*(?:E|W|\xe2\x95\xb7)")
#: What a candidate line begins with (after the newline before it: the line is the next), or
#: holds anywhere (the line is the one it is in).
_BEGINS = (b"\nError", b"\nWarning")
_HOLDS = (b"\x1b", "╷".encode())
_SEVERITY_STYLE = {ERROR: "bold red", WARNING: "bold yellow"}
_SEVERITY_MARK = {ERROR: "✖ error", WARNING: "▲ warning"}
#: Characters of a summary quoted in the copy's toast.
_TOAST_SUMMARY = 60


class LogLines(Protocol):
    """What the reader needs of the log pane (``LogPane``)."""

    @property
    def line_count(self) -> int: ...

    def start_mark(self) -> int: ...

    def read_blocks(
        self, start: int, stop: int
    ) -> Iterable[tuple[bytes, Sequence[int], bytes]]: ...


class DigestReader:
    """The diagnostics among a log pane's lines, read incrementally.

    Indexes (``Diagnostic.first`` and ``last``) are the pane's marks, stable across prepends:
    the pane's line index is ``mark - pane.start_mark()``. Lines put before the first one
    (older pages) or taken back (``rewind``) make it read the log again from its first line;
    until that pass has read as far as the last one had, ``diagnostics`` stays what it was
    (less what was taken back), so the panel does not flicker while history loads.
    """

    def __init__(self) -> None:
        self._parser = DiagnosticParser()
        self._done: list[Diagnostic] = []  # complete, in the order they completed
        self._tops: set[int] = set()  # streams whose last line read was a bare ``╷``
        self._stream_of: dict[int, int] = {}  # the stream of each open block, by first line
        self._start: int | None = None  # the mark the pass began at; None: begin a new one
        self._next = 0  # the mark of the next line to read
        self._current: tuple[Diagnostic, ...] | None = ()  # None: to be worked out again
        self._previous: tuple[Diagnostic, ...] | None = None  # shown while a new pass is behind
        self._until = 0  # ... until it has read up to this mark

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Every diagnostic read so far, complete or still open, in order of first line."""
        if self._previous is not None:
            return self._previous
        if self._current is None:
            found = self._done
            if self._parser.open_starts:  # still being written: shown as read so far
                found = found + copy.deepcopy(self._parser).close()
            self._current = tuple(sorted(found, key=lambda diagnostic: diagnostic.first))
        return self._current

    def rewind(self, mark: int) -> None:
        """The pane forgot the lines from ``mark`` on (``LogPane.rewind``)."""
        if self._previous is not None:
            self._previous = tuple(d for d in self._previous if d.last < mark)
            self._until = min(self._until, mark)
        if self._start is not None and mark < self._next:
            self._begin_again(until=mark, keep=lambda d: d.last < mark)

    def read(self, pane: LogLines, limit: int = READ_LINES_PER_SLICE) -> bool:
        """Read up to ``limit`` more lines of ``pane``; True once every line has been read."""
        origin = pane.start_mark()
        if self._start is not None and origin != self._start:  # older lines were put first
            self._begin_again(until=self._next)
        if self._start is None:
            self._start = self._next = origin
            self._parser = DiagnosticParser(origin)
            self._done, self._tops, self._stream_of = [], set(), {}
            self._current = None
        first = self._next - origin
        stop = min(pane.line_count, first + limit)
        if stop > first:
            for data, starts, streams in pane.read_blocks(first, stop):
                self._read_block(data, starts, streams)
            self._next = self._parser.index
            self._current = None
        if self._previous is not None and self._next >= self._until:
            self._previous = None
        return stop >= pane.line_count

    def _begin_again(self, until: int, keep: Callable[[Diagnostic], bool] | None = None) -> None:
        """Read from the first line at the next ``read``; meanwhile show what is shown now."""
        if self._previous is None:
            shown = self.diagnostics
            self._previous = shown if keep is None else tuple(filter(keep, shown))
            self._until = until
        self._start = None

    def _read_block(self, data: bytes, starts: Sequence[int], streams: bytes) -> None:
        """Consecutive lines (``LogPane.read_blocks``): only those that matter are decoded.

        While no stream has a diagnostic open, only a line that may start one is fed (found
        by one regular expression over the bytes). While some do, the lines of those streams
        (and joblens's notes, which end them) are fed too, found by their stream codes.
        """
        count = len(starts)
        j = 0
        candidates = _Candidates(data, starts)
        candidate = -1  # the next line that may start a diagnostic (-1: look again)
        while j < count:
            if candidate < j:
                candidate = candidates.next(j)
            busy = self._busy()
            upcoming = candidate
            for code in busy:
                at = streams.find(code, j, upcoming)
                if at >= 0:
                    upcoming = at
            self._parser.index += upcoming - j  # lines that change nothing
            if upcoming >= count:
                return
            end = starts[upcoming + 1] - 1 if upcoming + 1 < count else len(data) - 1
            text = data[starts[upcoming] : end].decode("utf-8", "replace")
            self._feed(text, streams[upcoming])
            j = upcoming + 1

    def _busy(self) -> list[bytes]:
        """The stream codes (as bytes to find) whose lines the parser must see now: those with a
        diagnostic open or a ``╷`` waiting for its next line, and joblens's notes (which end
        them); none while nothing is open."""
        opened = self._parser.open_starts
        if not opened and not self._tops:
            self._stream_of.clear()
            return []
        codes = {self._stream_of[first] for first in opened} | self._tops | {NOTE}
        return [bytes((code,)) for code in codes]

    def _feed(self, text: str, stream: int) -> None:
        parser = self._parser
        if stream == NOTE:  # joblens's own line (an attempt ended): it ends every open block
            self._done += parser.close()
            self._tops.clear()
            parser.index += 1
            return
        self._tops.discard(stream)  # the line after a ``╷`` decides it
        self._done += parser.feed(text, stream)
        for first in parser.open_starts:  # a block it began (at it, or at the ``╷`` before)
            self._stream_of.setdefault(first, stream)
        if "╷" in text and uncoloured(text).strip(" ") == "╷":
            self._tops.add(stream)


class _Candidates:
    """The lines of one block that may start a diagnostic (``_CANDIDATE_AT``), found with
    ``bytes.find`` for what such a line begins with or holds; each kind's next place is kept,
    so the block is passed over once per kind, however many lines are looked at."""

    def __init__(self, data: bytes, starts: Sequence[int]) -> None:
        self._data = data
        self._starts = starts
        self._found = [-1] * (len(_BEGINS) + len(_HOLDS))  # each kind's next place

    def next(self, j: int) -> int:
        """The first line from ``j`` on that may start a diagnostic; ``len(starts)`` if none."""
        data, starts, found = self._data, self._starts, self._found
        count, size = len(starts), len(data)
        holds = len(_BEGINS)  # (kinds from here on: a line that holds it)
        while j < count:
            begin = starts[j]
            if begin == 0 and _CANDIDATE_AT.match(data, 0):
                return j  # (the block's first line has no newline before it)
            line = count
            for kind, pattern in enumerate((*_BEGINS, *_HOLDS)):
                # A newline's line is the one after it (from the newline ending line j - 1 on;
                # line j's own start was looked at above when it is the first); an escape's or
                # a frame's, the line it is in.
                low = begin if kind >= holds else max(begin - 1, 0)
                at = found[kind]
                if at < low:
                    at = data.find(pattern, low)
                    at = found[kind] = size if at < 0 else at
                if at < size:
                    place = at if kind >= holds else at + 1
                    line = min(line, bisect_right(starts, place, j) - 1)
            if line >= count or _CANDIDATE_AT.match(data, starts[line]):
                return line
            j = line + 1
        return count


# -- what the panel shows ---------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def digest_title(diagnostics: tuple[Diagnostic, ...]) -> str:
    """``Errors (0)``, or ``Errors: 2 errors, 1 warning``."""
    errors = sum(1 for d in diagnostics if d.severity == ERROR)
    warnings = len(diagnostics) - errors
    parts = [_plural(n, word) for n, word in ((errors, "error"), (warnings, "warning")) if n]
    return f"Errors: {', '.join(parts)}" if parts else "Errors (0)"


def first_detail(diagnostic: Diagnostic) -> str | None:
    """The first line of the detail that says something."""
    return next((line.strip() for line in diagnostic.detail if line.strip()), None)


def entry_text(diagnostic: Diagnostic) -> Text:
    """One entry: severity and summary; resource address and ``file:line``; the detail's first
    line. Every part of the log's text as one safe line, plain (never markup)."""
    style = _SEVERITY_STYLE.get(diagnostic.severity, "bold")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(_SEVERITY_MARK.get(diagnostic.severity, diagnostic.severity), style=style)
    text.append("  ")
    text.append(display_text(diagnostic.summary), style="bold")
    where = Text("  ")
    if diagnostic.address:
        where.append(display_text(diagnostic.address), style="cyan")
    if diagnostic.file:
        if diagnostic.address:
            where.append("  ")
        place = display_text(diagnostic.file)
        where.append(f"{place}:{diagnostic.line}" if diagnostic.line else place, style="dim")
    if diagnostic.address or diagnostic.file:
        text.append("\n")
        text.append_text(where)
    detail = first_detail(diagnostic)
    if detail:
        text.append("\n  ")
        text.append(display_text(detail), style="italic")
    return text


def diagnostic_text(diagnostic: Diagnostic) -> str:
    """What ``c`` copies: the diagnostic's lines as the log has them, without colour codes."""
    return "\n".join(strip_sgr(line) for line in diagnostic.lines)


def _option_id(diagnostic: Diagnostic) -> str:
    return f"at-{diagnostic.first}"  # no two diagnostics start on the same line


class DiagnosticList(OptionList):
    """The entries: Enter (or a click) goes to one in the log, ``c`` / ``y`` copies it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Go to"),
        Binding("c,y", "copy_diagnostic", "Copy"),
    ]

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(markup=False, name=name, id=id, classes=classes, disabled=disabled)
        self.diagnostics: dict[str, Diagnostic] = {}
        """The diagnostic of each option, by option id."""

    @property
    def highlighted_diagnostic(self) -> Diagnostic | None:
        option = self.highlighted_option
        return None if option is None or option.id is None else self.diagnostics.get(option.id)

    def show(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        """List these, the highlight kept on the same diagnostic."""
        kept = self.highlighted_option.id if self.highlighted_option is not None else None
        shown = diagnostics[:PANEL_MAX_ENTRIES]
        self.diagnostics = {_option_id(d): d for d in shown}
        options = [Option(entry_text(d), id=_option_id(d)) for d in shown]
        if len(diagnostics) > len(shown):
            more = f"… and {len(diagnostics) - len(shown)} more (e / E go to every one)"
            options.append(Option(Text(more, style="dim"), disabled=True))
        self.set_options(options)
        if kept in self.diagnostics:
            self.highlighted = self.get_option_index(kept)
        elif shown:
            self.highlighted = 0  # Enter and c act at once on the first

    def action_copy_diagnostic(self) -> None:
        diagnostic = self.highlighted_diagnostic
        if diagnostic is None:
            return
        copied = diagnostic_text(diagnostic)
        where = copy_text(self.app, copied)
        summary = display_text(diagnostic.summary)
        if len(summary) > _TOAST_SUMMARY:
            summary = summary[: _TOAST_SUMMARY - 1] + "…"
        lines = _plural(len(diagnostic.lines), "line")
        self.notify(
            f"Copied the {diagnostic.severity} “{summary}” ({lines}) to the {where}.",
            title="Copied",
            markup=False,
        )


class ErrorsPanel(LazyPanel):
    """The Errors panel: its title counts the diagnostics; its list is built while it is open."""

    DEFAULT_CSS = """
    ErrorsPanel .errors-list {
        max-height: 16;
        border: none;
        &:focus {
            border: none;
        }
    }
    ErrorsPanel .errors-empty {
        padding: 0 1;
    }
    """

    class DiagnosticSelected(Message):
        """Enter or a click on an entry: the log should show ``diagnostic``."""

        def __init__(self, panel: ErrorsPanel, diagnostic: Diagnostic) -> None:
            super().__init__()
            self.panel = panel
            self.diagnostic = diagnostic

        @property
        def control(self) -> ErrorsPanel:
            return self.panel

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        self._list = DiagnosticList(id="errors-list", classes="errors-list")
        self._list.display = False  # until there is something to list
        self._empty = Static(
            Text("No errors or warnings so far", style="dim"),
            id="errors-empty",
            classes="errors-empty",
        )
        self.diagnostics: tuple[Diagnostic, ...] = ()
        """What the panel shows (or will, once opened)."""
        super().__init__(
            self._list,
            self._empty,
            title=digest_title(()),
            collapsed=True,
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )

    @property
    def entries(self) -> DiagnosticList:
        """The list of entries (focus it to choose one with the keys)."""
        return self._list

    def show(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        """Show these (the list is made only while the panel is open)."""
        if diagnostics == self.diagnostics:
            return
        self.diagnostics = diagnostics
        self.title = digest_title(diagnostics)
        self.changed()

    def paint(self) -> None:
        self._list.display = bool(self.diagnostics)
        self._empty.display = not self.diagnostics
        self._list.show(self.diagnostics)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        diagnostic = self._list.diagnostics.get(event.option_id or "")
        if diagnostic is not None:
            self.post_message(self.DiagnosticSelected(self, diagnostic))
