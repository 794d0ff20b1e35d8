"""Finding text in a log: literal or a regular expression, smart-case, in the text the pane
shows (colour codes ignored), one line at a time: a match never runs over a line's end.

Everything reads the packed store a block at a time: one decode, one colour-code strip, one
``str.lower`` (smart case) and one C-level search per megabyte, never a ``str`` per line; a
line number is worked out only for a line that matches, by counting newlines up to it. Smart
case runs case-sensitive code over lowered text: a case-insensitive regex (``re.IGNORECASE``)
scanned a million lines in 0.85 s here, the same pattern over lowered text in 0.08 s.

``find_line`` and ``next_line`` find one match for ``n``/``N``; ``match_scan.MatchScan`` walks
the whole store in slices with the same queries (for the filter and the ``3/45`` count). On a
million Terraform lines (``benchmarks/log_search.py``): a full count in 0.07 to 0.39 s (2.4 s
for a regex without a literal in it, ``re``'s own cost), the first 50 lines kept within 81 ms,
``find_line`` to the first match 3 ms.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import contains

from rich.cells import cell_len
from rich.segment import Segment

from joblens.line_filter import ignores_case
from joblens.sanitize import strip_sgr
from joblens.widgets.log.store import LineBlock, LineStore

# A backslash escape's extra characters (\x41, \u00e9, \U0001f600).
_ESCAPE_ARGS = {"x": 2, "u": 4, "U": 8}
_OCTAL = frozenset("01234567")
# Inline flags turned off for part of a pattern, as in (?-m:...) or (?i-s:...).
_FLAGS_OFF = re.compile(r"[aiLmsux]*-")


def _is_octal(digits: str) -> bool:
    """Whether an escape's digits name a character (\\101), not a group (\\1, \\12)."""
    return len(digits) == 3 and _OCTAL.issuperset(digits)


class BadPattern(ValueError):
    """A regular expression that does not compile; its message is one line for the user,
    such as ``unbalanced parenthesis at position 3``."""


def _compile(source: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(source, flags)
    except re.error as error:
        where = "" if error.pos is None else f" at position {error.pos}"
        raise BadPattern(f"{error.msg}{where}".replace("\n", " ")) from None
    except OverflowError:
        raise BadPattern("a repeat count is too large") from None
    except RecursionError:
        raise BadPattern("the pattern nests too deeply") from None


@dataclass(frozen=True)
class _Traits:
    """What a regular expression's source says about how it may be run."""

    capital: bool  # a capital letter outside escapes and group names: smart case matches exactly
    named_char: bool  # an escape naming a character (\x41, \N{...}, \101): it may be a capital
    context: bool  # it looks past a line's ends (lookaround, \A, \Z, flags turned off)


def _traits(source: str) -> _Traits:
    # Smart case is decided as plain mode's --grep decides it (one rule: ``ignores_case``).
    capital = not ignores_case(source)
    named_char = context = False
    i, size = 0, len(source)
    while i < size:
        c = source[i]
        if c == "\\":
            e = source[i + 1 : i + 2]
            if e in ("A", "Z"):
                context = True
            elif e in ("x", "u", "U", "N", "0") or _is_octal(source[i + 1 : i + 4]):
                named_char = True
            if e == "N" and source.startswith("{", i + 2):
                close = source.find("}", i)
                i = size if close < 0 else close + 1
            else:
                i += 2 + _ESCAPE_ARGS.get(e, 0)
            continue
        if source.startswith("(?", i):
            rest = source[i + 2 : i + 4]
            if rest.startswith(("=", "!", "<=", "<!")) or _FLAGS_OFF.match(source, i + 2):
                context = True
            elif rest in ("P<", "P="):  # a group's name is not looked at
                close = source.find(">" if rest == "P<" else ")", i)
                i = size if close < 0 else close
                continue
        i += 1
    return _Traits(capital, named_char, context)


@dataclass(frozen=True)
class LogQuery:
    """What the user searches for: literal text, or a regular expression (``regex``).

    Smart case, as in ``less -i`` and ``rg -S``: a query without capitals matches any case (it
    is looked for in the lowered text, ``str.lower``); one with a capital matches exactly. In a
    regex, escapes (``\\S``, ``\\W``, ``\\x41``) and group names do not count as capitals.
    A regex sees one line at a time: ``^`` and ``$`` are a line's ends and ``\\n`` never
    matches. A pattern that matches only an empty string on a line (``^``, ``x*``) matches
    that line, as with grep; highlighted and counted are the non-empty matches, and a line
    with none counts as one match.
    """

    text: str
    exact: bool
    regex: bool = False
    needle: str = field(init=False)
    pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    whole: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Compiles a regex; raises ``BadPattern`` if it does not compile."""
        object.__setattr__(self, "needle", self.text if self.exact else self.text.lower())
        pattern = None
        traits = _traits(self.text) if self.regex else _Traits(False, False, False)
        if self.regex:
            # Over lowered text a named character may be a capital no line holds any more.
            insensitive = not self.exact and traits.named_char
            pattern = _compile(self.text, re.MULTILINE | (re.IGNORECASE if insensitive else 0))
        object.__setattr__(self, "pattern", pattern)
        # Whether the pattern can run over many lines at once and give what each line alone
        # gives: not when it looks past a match (lookaround), or at the text's ends (\A, \Z).
        object.__setattr__(self, "whole", not traits.context)

    @classmethod
    def parse(cls, text: str, regex: bool = False) -> LogQuery | None:
        """The query for ``text``; None when there is nothing to search for.

        Raises ``BadPattern`` for a ``regex`` that does not compile.
        """
        if not text:
            return None
        if regex:
            return cls(text, exact=_traits(text).capital, regex=True)
        return cls(text, exact=any(c.isupper() for c in text))

    def fold(self, text: str) -> str:
        """``text`` as the query is looked for in it."""
        return text if self.exact else text.lower()

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of every (non-empty) match in ``text``, one line."""
        folded = self.fold(text)
        if self.pattern is None and len(folded) == len(text):
            spans = []
            at = folded.find(self.needle)
            while at >= 0:
                spans.append((at, at + len(self.needle)))
                at = folded.find(self.needle, at + len(self.needle))
            return spans
        pattern = self.pattern
        if len(folded) != len(text):  # a rare character changed length when lowered
            source = self.text if self.regex else re.escape(self.text)
            pattern, folded = re.compile(source, re.IGNORECASE | re.MULTILINE), text
        assert pattern is not None
        return [m.span() for m in pattern.finditer(folded) if m.end() > m.start()]

    def lines_in(self, text: str) -> tuple[list[int], list[int]]:
        """The lines of ``text`` (whole shown lines, each ending in ``\\n``) that match,
        numbered from 0, and how many matches each holds."""
        folded = self.fold(text)
        if self.pattern is None:
            return _literal_lines(self.needle, folded)
        found = list(self._regex_lines(folded))
        return [line for line, _ in found], [count for _, count in found]

    def first_in(self, text: str) -> int | None:
        """The first line of ``text`` (as for ``lines_in``) that matches."""
        folded = self.fold(text)
        if self.pattern is None:
            at = -1 if "\n" in self.needle else folded.find(self.needle)
            return None if at < 0 else folded.count("\n", 0, at)
        return next((line for line, _ in self._regex_lines(folded)), None)

    def last_in(self, text: str) -> int | None:
        """The last line of ``text`` (as for ``lines_in``) that matches."""
        folded = self.fold(text)
        if self.pattern is None:
            at = -1 if "\n" in self.needle else folded.rfind(self.needle)
            return None if at < 0 else folded.count("\n", 0, at)
        last = deque(self._regex_lines(folded), maxlen=1)
        return last[0][0] if last else None

    def _regex_lines(self, folded: str) -> Iterator[tuple[int, int]]:
        assert self.pattern is not None
        if self.whole:
            return _whole_text_lines(self.pattern, folded)
        return _each_line(self.pattern, folded)


def _literal_lines(needle: str, folded: str) -> tuple[list[int], list[int]]:
    """``lines_in`` for a literal: a ``find`` per match where matches are rare, else one C-level
    pass over the split lines (per match, Python costs 0.5 µs; per line, C costs 0.15 µs)."""
    total = 0 if "\n" in needle else folded.count(needle)
    if not total:
        return [], []
    if total * 400 < len(folded):  # fewer than one line in four holds a match
        lines, counts = [], []
        line = pos = 0
        at = folded.find(needle)
        while at >= 0:
            line += folded.count("\n", pos, at)
            end = folded.find("\n", at)
            lines.append(line)
            counts.append(folded.count(needle, at, end))
            pos, at = at, folded.find(needle, end)
        return lines, counts
    parts = folded.split("\n")
    parts.pop()  # after the last newline
    lines = list(compress(range(len(parts)), map(contains, parts, repeat(needle))))
    return lines, list(map(str.count, map(parts.__getitem__, lines), repeat(needle)))


def _whole_text_lines(pattern: re.Pattern[str], text: str) -> Iterator[tuple[int, int]]:
    """Each line of ``text`` the pattern matches with its count of non-empty matches (at
    least 1), from one run of the pattern over the whole text.

    A match running over a line's end is not that line's: the rest of the line is searched
    alone (ending the text at its end), then the run goes on from the next line. Without
    lookaround or ``\\A``/``\\Z`` (``LogQuery.whole``), this gives what each line alone gives:
    every match inside a line is one the line alone has, found in the same order.
    """
    end = len(text) - 1  # the last line's newline: no match starts after it
    pos = line = at = 0  # ``at`` is a position on line ``line``
    line_end = current = -1  # the end of the line of the last match; the line counted
    hits = 0
    while pos <= end:
        for match in pattern.finditer(text, pos, end):
            start, stop = match.span()
            if start > line_end:  # the first match on its line
                if current >= 0:
                    yield current, max(hits, 1)
                line += text.count("\n", at, start)
                at, line_end, current, hits = start, text.find("\n", start), -1, 0
            if stop > line_end:  # over the line's end
                for rest in pattern.finditer(text, start, line_end):
                    current, hits = line, hits + (rest.end() > rest.start())
                pos = line_end + 1
                break
            current, hits = line, hits + (stop > start)
        else:
            break
    if current >= 0:
        yield current, max(hits, 1)


def _each_line(pattern: re.Pattern[str], text: str) -> Iterator[tuple[int, int]]:
    """As ``_whole_text_lines``, a line at a time, for patterns that look past a match."""
    parts = text.split("\n")
    parts.pop()
    for line in compress(range(len(parts)), map(pattern.search, parts)):
        found = sum(m.end() > m.start() for m in pattern.finditer(parts[line]))
        yield line, max(found, 1)


def no_match_message(text: str) -> str:
    """What the user is told when nothing matches ``text``."""
    return f"No line matches {text!r}"


def shown_text(block: LineBlock, begin: int, end: int) -> str:
    """Bytes ``begin:end`` of a block (whole lines) as shown: decoded, colour codes removed."""
    text = block.data[begin:end].decode("utf-8", "replace")
    return strip_sgr(text) if "\x1b" in text else text


def line_start(block: LineBlock, i: int) -> int:
    return block.starts[i] if i < len(block) else block.used


def find_line(store: LineStore, query: LogQuery, start: int, backwards: bool = False) -> int | None:
    """The first line with a match at or after ``start`` (or at or before it, ``backwards``)."""
    if not 0 <= start < len(store):
        return None
    k, i = store.block_of(start)
    if backwards:
        end = line_start(store.blocks[k], i + 1)  # line ``start`` included
        while k >= 0:
            found = query.last_in(shown_text(store.blocks[k], 0, end))
            if found is not None:
                return store.firsts[k] + found
            k -= 1
            end = store.blocks[k].used if k >= 0 else 0
        return None
    while k < len(store.blocks):
        block = store.blocks[k]
        found = query.first_in(shown_text(block, line_start(block, i), block.used))
        if found is not None:
            return store.firsts[k] + i + found
        k, i = k + 1, 0
    return None


def next_line(store: LineStore, query: LogQuery, after: int, backwards: bool = False) -> int | None:
    """The next line with a match after line ``after`` (before it, ``backwards``), wrapping
    around the ends of the log; ``after`` itself comes last."""
    count = len(store)
    if not count:
        return None
    step = -1 if backwards else 1
    start = (after + step) % count
    found = find_line(store, query, start, backwards)
    if found is None:
        found = find_line(store, query, count - 1 if backwards else 0, backwards)
    return found


def match_cells(segments: list[Segment], query: LogQuery) -> list[tuple[int, int]]:
    """The cell spans of every match in a rendered line (its segments' text)."""
    text = "".join(segment.text for segment in segments)
    if text.isascii():
        return query.spans(text)
    return [(cell_len(text[:start]), cell_len(text[:end])) for start, end in query.spans(text)]


class Finder:
    """A pane's search: the query, and the line it last moved to (kept across prepends)."""

    def __init__(self) -> None:
        self.query: LogQuery | None = None
        self._match: int | None = None  # a stable id: line index - store.origin

    def match_line(self, store: LineStore) -> int | None:
        return None if self._match is None else self._match + store.origin

    def start(self, store: LineStore, text: str, top: int, regex: bool = False) -> int | None:
        """A new search from line ``top`` down, wrapping: the line found, or None.

        An empty ``text`` ends the search; one found nowhere leaves the current one as it is.
        Raises ``BadPattern`` for a ``regex`` that does not compile (the search is unchanged).
        """
        query = LogQuery.parse(text, regex)
        if query is None:
            self.clear()
            return None
        found = next_line(store, query, top - 1)  # line ``top`` first
        if found is not None:
            self.query, self._match = query, found - store.origin
        return found

    def step(self, store: LineStore, top: int, backwards: bool = False) -> int | None:
        """The next (previous) line with a match after the last one found, or after ``top``."""
        if self.query is None:
            return None
        after = self.match_line(store)
        if after is None:
            after = top - (0 if backwards else 1)
        found = next_line(store, self.query, after, backwards)
        if found is not None:
            self._match = found - store.origin
        return found

    def clear(self) -> None:
        self.query = self._match = None

    def highlights(
        self, store: LineStore, line: int, segments: list[Segment]
    ) -> list[tuple[tuple[int, int], bool]]:
        """Cell spans to highlight in a rendered line, each with whether it is the current line."""
        if self.query is None:
            return []
        current = line - store.origin == self._match
        return [(span, current) for span in match_cells(segments, self.query)]
