"""The reference for what a log's lines are, written as plainly as possible.

Each stream's chunks are joined and cut at newlines; a line is placed after the lines of the
chunk that completes it; what is left of each stream at the end is a line too (the one begun
first ends first). The feed's :class:`joblens.lines.LineAssembler` must agree with this on
any cutting and interleaving (tests/test_lines.py), and every reader of a job (plain mode,
the pane) must show exactly these lines.
"""

from __future__ import annotations

from collections.abc import Iterable

from joblens.sanitize import sanitize, strip_sgr


def reference_lines(chunks: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(stream, line) for chunks given as (stream, text), oldest first; raw text."""
    pending: dict[str, str] = {}
    lines: list[tuple[str, str]] = []
    for stream, text in chunks:
        if stream in pending and "\n" not in text:
            pending[stream] += text  # the same line goes on: it keeps its place
            continue
        buffer = pending.pop(stream, "") + text
        *done, rest = buffer.split("\n")
        lines.extend((stream, line) for line in done)
        if rest:
            pending[stream] = rest
    lines.extend(pending.items())
    return lines


def shown_lines(chunks: Iterable[tuple[str, str]]) -> list[str]:
    """The lines as plain mode prints them without colour: sanitised, no SGR."""
    return [strip_sgr(sanitize(line)) for _, line in reference_lines(chunks)]


def assert_same_lines(shown: list[str], expected: list[str], split: int) -> None:
    """``shown`` is ``expected``; or, when the feed had to show ``split`` lines in two parts
    (a page read newest first: a stream absent from it finished a line live before its
    beginning was read, ``LogFeed.split_lines``), the same text, nothing lost or doubled."""
    if not split:
        assert shown == expected
        return
    assert sorted("".join(shown)) == sorted("".join(expected))
    assert len(shown) == len(expected) + split
