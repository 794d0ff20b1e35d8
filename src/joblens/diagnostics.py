"""Terraform/OpenTofu diagnostics (errors and warnings) found in a log's lines, as they stream.

Two forms, as OpenTofu and Terraform write them (``command/format/diagnostic.go``):

- boxed (a terminal, with or without colour; Terraform and OpenTofu since 0.15)::

      ╷
      │ Error: creating EC2 Instance: InvalidAMIID.NotFound
      │
      │   with aws_instance.web,
      │   on main.tf line 12, in resource "aws_instance" "web":
      │   12: resource "aws_instance" "web" {
      │
      │ The image id does not exist.
      ╵

- plain (``-no-color``, as the platform's runner runs tofu, and every version before 0.15):
  a blank line, ``Error: <summary>`` at the left margin, a blank line, the source lines
  (``  with <address>,``, ``  on <file> line <n>, in <block>:``, the snippet), a blank line,
  the detail. Terraform 0.11 and older wrote ``Error: ...`` with free text after it.

A diagnostic is parsed into its severity, summary, resource address, file and line, and detail
lines; it keeps the lines it was made of exactly as they were given (colour codes included: they
are ignored for parsing only), and the index of its first line in the log.

Where a plain diagnostic ends is not written down: its detail may run over several paragraphs.
It ends at a second blank line in a row (OpenTofu ends each diagnostic with one, and begins the
next with another), at the next diagnostic, at a line of the frame or a rule (``─``), at a line
of the platform's runner (``▸ ...``), or at a line of Terraform's own output at the left margin
(``Plan: ...``, ``Apply complete!``, ``No changes.``, resource progress: what
``joblens.terraform_colour`` recognises). Before the blank line that follows its summary, any
line Terraform's output would have (indented too), or a ninth line, ends it: an ``Error: ...``
line among other output is a diagnostic of that line alone. A boxed one ends at ``╵``, or at a
line that is not part of the frame. The end of the input (``close``) ends any block still open.

Lines may come from several streams (STDOUT, STDERR, SYSTEM): give each line's stream and each
stream is followed apart, so a line of another stream written in the middle of a diagnostic
neither ends nor joins it (OpenTofu writes errors to STDERR and warnings to STDOUT; the runner
writes its own lines to SYSTEM).

Pure (no Textual) and incremental: :class:`DiagnosticParser` takes lines as they complete and
returns each diagnostic once it is complete. It never raises on any text and never changes it.
:func:`start_severity` says from one line (and the next) whether a diagnostic starts there: the
log pane uses it to find where to jump without parsing every line.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from joblens.sanitize import strip_sgr
from joblens.terraform_colour import spans

__all__ = [
    "ERROR",
    "WARNING",
    "Diagnostic",
    "DiagnosticParser",
    "parse_lines",
    "start_severity",
    "uncoloured",
]

ERROR = "error"
WARNING = "warning"
_LABELS = (("Error: ", ERROR), ("Warning: ", WARNING))

#: Lines of the platform's runner (``▸ Running tofu apply``), and rules tofu draws.
_RUNNER = "▸ "
_RULE = "─"
#: The first character of any line a diagnostic can start at (colour codes may come first).
_MAY_START = frozenset("EW╷ \x1b")
#: Lines a plain diagnostic's summary may run on for before its blank line (a Go error's text);
#: more, and the ``Error:`` line was not a diagnostic's.
_MAX_SUMMARY_LINES = 8


def uncoloured(line: str) -> str:
    """A line as parsed: without its colour codes."""
    return strip_sgr(line) if "\x1b" in line else line


def _labelled(text: str) -> tuple[str, str] | None:
    """``(severity, summary)`` of ``Error: summary`` / ``Warning: summary``, else None."""
    for label, severity in _LABELS:
        if text.startswith(label) and text[len(label) :].strip():
            return severity, text[len(label) :].strip()
    return None


def _frame(text: str) -> str | None:
    """The frame character a line starts with (leading spaces allowed), else None."""
    body = text.lstrip(" ")
    return body[0] if body and body[0] in "╷│╵" else None


def _boxed_content(text: str) -> str:
    """What a ``│ ...`` line says inside the frame."""
    body = text.lstrip(" ")[1:]
    return body[1:] if body.startswith(" ") else body


def start_severity(line: str, next_line: str | None = None) -> str | None:
    """``"error"`` or ``"warning"`` if a diagnostic starts at ``line``, else None.

    Both lines without colour codes (``uncoloured``). A plain diagnostic starts at its
    ``Error: ...`` line; a boxed one at its ``╷``, which needs the line after it (``│ Error:
    ...``): without it (None), a ``╷`` is not (yet) a start.
    """
    found = _labelled(line)
    if found is not None:
        return found[0]
    if next_line is not None and line.strip(" ") == "╷" and _frame(next_line) == "│":
        found = _labelled(_boxed_content(next_line))
        if found is not None:
            return found[0]
    return None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One diagnostic block as it appeared in the log."""

    severity: str
    """``"error"`` or ``"warning"``."""
    summary: str
    """The text after ``Error:`` / ``Warning:`` on its first line."""
    first: int
    """The index of its first line (``╷`` or ``Error: ...``) among the lines fed."""
    lines: tuple[str, ...]
    """Its lines exactly as given (colour codes included), from the first to the last."""
    stream: Hashable = None
    """The stream its lines came from (as given to ``feed``)."""
    last: int = -1
    """The index of its last line (its lines are consecutive among those of its stream)."""
    address: str | None = None
    """The resource it is about (``with aws_instance.web,``)."""
    file: str | None = None
    """The configuration file (``on main.tf line 12, ...``)."""
    line: int | None = None
    """The line in ``file``."""
    block: str | None = None
    """The configuration block (``in resource "aws_instance" "web"``)."""
    detail: tuple[str, ...] = ()
    """The lines after the summary that are not about the source: the summary's own
    continuation, then the detail's paragraphs (blank lines between them kept)."""
    boxed: bool = False
    """Written inside the ``╷ │ ╵`` frame."""


@dataclass(slots=True)
class _Block:
    """A diagnostic being read."""

    severity: str
    summary: str
    first: int
    boxed: bool
    lines: list[str] = field(default_factory=list)
    last: int = 0
    #: Where the next content line goes: "summary" (right after it), "gap" (after a blank
    #: line), "source" (the with/on/snippet lines) or "detail".
    state: str = "summary"
    #: Blank lines read since the last line kept: a plain block keeps them only if more follows.
    blanks: list[tuple[int, str]] = field(default_factory=list)
    seen_source: bool = False
    address: str | None = None
    file: str | None = None
    line: int | None = None
    where: str | None = None
    more: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)

    def keep(self, index: int, line: str) -> None:
        if self.blanks:
            self.lines += [text for _, text in self.blanks]
            self.blanks.clear()
        self.lines.append(line)
        self.last = index

    def content(self, text: str) -> None:
        """One line of what the diagnostic says (inside the frame, the text after ``│``)."""
        if not text.strip():
            if self.state != "gap":
                self.state = "gap"
                if self.detail:
                    self.detail.append("")
            return
        if self.state == "summary":  # the summary went on past its line (a Go error's text)
            self.more.append(text)
            return
        if self.state == "source" or (
            self.state == "gap"
            and not self.seen_source
            and not self.detail
            and text.startswith("  ")
        ):
            self.state = "source"
            self.seen_source = True
            self._source(text)
            return
        self.state = "detail"
        self.detail.append(text)

    def _source(self, text: str) -> None:
        """``with <address>,`` and ``on <file> line <n>[, in <block>]:`` (string operations
        only: linear in the line, whatever it holds)."""
        text = text.strip()
        if self.address is None and text.startswith("with "):
            self.address = text[5:].removesuffix(",").strip() or None
        elif self.file is None and text.startswith("on "):
            file, found, tail = text[3:].partition(" line ")
            digits = tail[: len(tail) - len(tail.lstrip("0123456789"))]
            rest = tail[len(digits) :]
            block = rest[5:].removesuffix(":") if rest.startswith(", in ") else None
            if file and found and 0 < len(digits) <= 9 and (rest in ("", ":") or block):
                self.file, self.line, self.where = file, int(digits), block

    def done(self, stream: Hashable) -> Diagnostic:
        detail = list(self.detail)
        while detail and detail[-1] == "":
            detail.pop()
        if self.more:
            detail = [*self.more, *([""] if detail else []), *detail]
        return Diagnostic(
            severity=self.severity,
            summary=self.summary,
            first=self.first,
            lines=tuple(self.lines),
            stream=stream,
            last=self.last,
            address=self.address,
            file=self.file,
            line=self.line,
            block=self.where,
            detail=tuple(detail),
            boxed=self.boxed,
        )


@dataclass(slots=True)
class _Stream:
    """One stream's state: the block being read, or a ``╷`` waiting for its next line."""

    block: _Block | None = None
    top: tuple[int, str] | None = None  # (index, line) of a ``╷`` not yet known to start


class DiagnosticParser:
    """Finds diagnostics in lines fed one at a time (each stream followed on its own).

    ``feed`` returns the diagnostics that the line completed (usually none); ``close`` those
    still open at the end of the input. Indexes count every line fed, from ``first_index``.
    """

    def __init__(self, first_index: int = 0) -> None:
        self.index = first_index
        """The index the next line fed will have."""
        self._streams: dict[Hashable, _Stream] = {}

    def feed(self, line: str, stream: Hashable = None) -> list[Diagnostic]:
        """Read the next line of the log (from ``stream``); the diagnostics it completed."""
        index = self.index
        self.index += 1
        state = self._streams.get(stream)
        if state is None:
            if line[:1] not in _MAY_START:  # the common case: nothing open, nothing starts
                return []
            state = self._streams[stream] = _Stream()
        elif state.block is None and state.top is None and line[:1] not in _MAY_START:
            return []
        done: list[Diagnostic] = []
        self._read(state, stream, index, line, uncoloured(line), done)
        return done

    def feed_lines(self, lines: Iterable[str], stream: Hashable = None) -> list[Diagnostic]:
        """``feed`` for each line, in order."""
        done: list[Diagnostic] = []
        for line in lines:
            done += self.feed(line, stream)
        return done

    def close(self) -> list[Diagnostic]:
        """The input ended (or an attempt did): every block still open, in order of first line.

        The parser can go on being fed afterwards, as if from a fresh start.
        """
        done = [
            state.block.done(stream)
            for stream, state in self._streams.items()
            if state.block is not None
        ]
        self._streams.clear()
        return sorted(done, key=lambda diagnostic: diagnostic.first)

    @property
    def open_starts(self) -> list[int]:
        """The first lines of the blocks being read (complete ones are returned by ``feed``)."""
        return sorted(s.block.first for s in self._streams.values() if s.block is not None)

    # -- reading ---------------------------------------------------------------------------

    def _read(
        self,
        state: _Stream,
        stream: Hashable,
        index: int,
        line: str,
        text: str,
        done: list[Diagnostic],
    ) -> None:
        if state.top is not None:
            top_index, top_line = state.top
            state.top = None
            found = _labelled(_boxed_content(text)) if _frame(text) == "│" else None
            if found is not None:
                boxed = _Block(found[0], found[1], top_index, boxed=True)
                boxed.keep(top_index, top_line)
                boxed.keep(index, line)
                state.block = boxed
                return
        block = state.block
        if block is not None:
            if block.boxed:
                if self._read_boxed(block, index, line, text):
                    if _frame(text) == "╵":
                        state.block = None
                        done.append(block.done(stream))
                    return
            elif self._read_plain(block, index, line, text):
                return
            state.block = None
            done.append(block.done(stream))
        self._start(state, index, line, text)

    @staticmethod
    def _read_boxed(block: _Block, index: int, line: str, text: str) -> bool:
        """Take a line of a boxed block; False when it is not part of the frame."""
        frame = _frame(text)
        if frame == "╵":
            block.keep(index, line)
            return True
        if frame != "│":
            return False
        block.keep(index, line)
        block.content(_boxed_content(text))
        return True

    @staticmethod
    def _read_plain(block: _Block, index: int, line: str, text: str) -> bool:
        """Take a line of a plain block; False when the block ended before it."""
        if not text.strip():
            if block.state == "gap":  # a second blank line in a row
                return False
            block.blanks.append((index, line))
            block.content(text)
            return True
        summary = block.state == "summary"  # no blank line yet after the summary
        if (
            _labelled(text) is not None
            or text.startswith(("╷", "│", "╵", _RULE, _RUNNER))  # a frame at the margin
            or (block.state != "source" and not text.startswith(" ") and spans(text))
            or (summary and (len(block.more) >= _MAX_SUMMARY_LINES or spans(text)))
        ):
            return False
        block.keep(index, line)
        block.content(text)
        return True

    @staticmethod
    def _start(state: _Stream, index: int, line: str, text: str) -> None:
        found = _labelled(text)
        if found is not None:
            block = _Block(found[0], found[1], index, boxed=False)
            block.keep(index, line)
            state.block = block
        elif text.strip(" ") == "╷":
            state.top = (index, line)


def parse_lines(lines: Iterable[str], first_index: int = 0) -> list[Diagnostic]:
    """Every diagnostic in ``lines`` (one stream), complete or not, in order."""
    parser = DiagnosticParser(first_index)
    found = parser.feed_lines(lines)
    return sorted(found + parser.close(), key=lambda diagnostic: diagnostic.first)
