"""Which log lines to show: regular expressions, their inverse, and streams.

One rule for every reader of a log (plain mode's ``--grep/--invert/--stream`` now, the view's
filter later): a line is shown when its stream is among those chosen (all, if none are) and
any pattern matches it, or with ``invert`` none does. Patterns are Python regular expressions
with *smart case*, as ``rg -S`` has it: a pattern with no capital letter of its own (escapes
such as ``\\S`` and group names do not count) ignores case. They are matched against the line
as shown, without its colour codes (a line from the feed is sanitised: no other escapes).

Pure (no Textual) and cheap: the patterns are joined into one compiled expression where they
can be, a line without an escape is matched as it is, and with no patterns only the stream
is looked at. :meth:`LineFilter.matches` never raises on any text; a bad pattern is reported
once, when the filter is made (:class:`PatternError`, naming it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from joblens.sanitize import strip_sgr

__all__ = ["STREAMS", "LineFilter", "PatternError", "compile_pattern", "ignores_case"]

#: The streams a log has (a row with an unknown stream name is a stream of its own).
STREAMS = ("STDOUT", "STDERR", "SYSTEM")


class PatternError(ValueError):
    """A pattern that is not a regular expression: ``pattern`` and why (one line)."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"{pattern!r} is not a valid regular expression: {reason}")
        self.pattern = pattern
        self.reason = reason


def ignores_case(pattern: str) -> bool:
    """Smart case: True when ``pattern`` has no capital letter of its own.

    A letter after a backslash is an escape (``\\S``, ``\\W``, ``\\N{...}``'s name), and a
    group's name (``(?P<Name>``, ``(?P=Name)``) is not text to match: neither counts.
    """
    i, size = 0, len(pattern)
    while i < size:
        char = pattern[i]
        if char == "\\":
            if pattern.startswith("N{", i + 1):  # a named character: its name is not text
                end = pattern.find("}", i)
                i = size if end < 0 else end + 1
                continue
            i += 2
            continue
        if pattern.startswith(("(?P<", "(?P="), i):
            end = pattern.find(">" if pattern[i + 3] == "<" else ")", i + 4)
            i = size if end < 0 else end + 1
            continue
        if char.isupper():
            return False
        i += 1
    return True


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with smart case; PatternError (one line) if it is not valid."""
    flags = re.IGNORECASE if ignores_case(pattern) else 0
    try:
        return re.compile(pattern, flags)
    except (re.error, OverflowError, RecursionError, ValueError) as error:
        reason = error.msg if isinstance(error, re.error) else str(error)
        raise PatternError(pattern, " ".join(str(reason).split())) from None


def _joined(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """The patterns as one expression (one ``search`` a line, in C), each keeping its own
    case rule; None when they cannot be joined (one sets flags for the whole expression)."""
    parts = [f"(?{'i' if ignores_case(p) else ''}:{p})" for p in patterns]
    try:
        return re.compile("|".join(parts))
    except (re.error, OverflowError, RecursionError, ValueError):
        return None


class LineFilter:
    """Which lines to show: ``matches(text, stream)``.

    ``patterns``: regular expressions, a line matching any of them is selected (none: every
    line is). ``invert``: select the lines that match none instead (within the chosen
    streams: the exact complement there; without patterns it changes nothing). ``streams``:
    stream names, any case (none: all).
    """

    __slots__ = ("_compiled", "_search", "_streams", "invert", "patterns", "streams")

    def __init__(
        self, patterns: Iterable[str] = (), invert: bool = False, streams: Iterable[str] = ()
    ) -> None:
        self.patterns = tuple(patterns)
        self.invert = invert
        self._compiled = tuple(map(compile_pattern, self.patterns))  # PatternError: which one
        self._search: re.Pattern[str] | None = None
        if len(self._compiled) == 1:
            self._search = self._compiled[0]
        elif self._compiled and not any(p.groups for p in self._compiled[1:]):
            # Joined, a later pattern's groups would be renumbered (its ``\\1`` would refer to
            # another pattern's group): only patterns after the first without groups are joined.
            self._search = _joined(self.patterns)
        chosen = frozenset(str(stream).upper() for stream in streams)
        self.streams = tuple(sorted(chosen))
        self._streams = chosen or None

    def __repr__(self) -> str:
        return f"LineFilter({self.patterns!r}, invert={self.invert}, streams={self.streams!r})"

    @property
    def active(self) -> bool:
        """Whether any line can be left out (patterns, or a choice of streams)."""
        return bool(self._compiled) or self._streams is not None

    def stream_shown(self, stream: object) -> bool:
        """Whether lines of ``stream`` (a StreamType or an unknown name) may be shown."""
        return self._streams is None or str(stream).upper() in self._streams

    def text_matches(self, text: str) -> bool:
        """Whether the line ``text`` (colour codes or not) is selected by the patterns,
        ``invert`` applied; its stream is not looked at."""
        if not self._compiled:
            return True
        return self._found(text) != self.invert

    def matches(self, text: str, stream: object) -> bool:
        """Whether the line ``text`` of ``stream`` is shown."""
        return self.stream_shown(stream) and self.text_matches(text)

    def matches_block(self, lines: Iterable[str], stream: object) -> bool:
        """Whether a block of lines (a diagnostic) of ``stream`` is shown: any of its lines
        matches the patterns (with ``invert``: none does)."""
        if not self.stream_shown(stream):
            return False
        if not self._compiled:
            return True
        return any(map(self._found, lines)) != self.invert

    def _found(self, text: str) -> bool:
        """Whether any pattern matches ``text`` without its colour codes."""
        if "\x1b" in text:
            text = strip_sgr(text)
        search = self._search
        if search is not None:
            return search.search(text) is not None
        return any(pattern.search(text) is not None for pattern in self._compiled)
