"""What the log pane's filter keeps: a text or regular expression (or its inverse), and streams.

A value, set whole on the pane (``LogPane.set_filter``); the pane's scan
(``search.MatchScan``) does the matching, with the same smart case as search. joblens's own
notes (where a requeued job's next attempt begins) pass any stream choice, as they say where
the lines around them come from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from joblens.widgets.log.search import LogQuery
from joblens.widgets.log.store import STDERR, STDOUT, SYSTEM

#: The streams a filter can keep, by name, as the footer and help name them.
STREAM_CODES: dict[str, int] = {"STDOUT": STDOUT, "STDERR": STDERR, "SYSTEM": SYSTEM}
ALL_STREAMS = frozenset(STREAM_CODES)


@dataclass(frozen=True)
class LogFilter:
    """Lines to keep: those that match ``text`` (all, when it is empty; with ``invert``, those
    that do not match), of the ``streams`` named."""

    text: str = ""
    regex: bool = False
    invert: bool = False
    streams: frozenset[str] = ALL_STREAMS

    @property
    def passes_all(self) -> bool:
        """Keeps every line: no filter at all."""
        return not self.text and self.streams >= ALL_STREAMS

    @property
    def stream_codes(self) -> frozenset[int] | None:
        """The stored stream codes kept (None: all of them)."""
        if self.streams >= ALL_STREAMS:
            return None
        return frozenset(STREAM_CODES[name] for name in self.streams if name in STREAM_CODES)

    def query(self) -> LogQuery | None:
        """What lines are matched against (None: only streams are chosen); raises
        ``search.BadPattern`` for a regular expression that does not compile."""
        return LogQuery.parse(self.text, regex=self.regex) if self.text else None

    def with_stream(self, name: str, kept: bool) -> LogFilter:
        """The same filter keeping (or no longer keeping) stream ``name``."""
        streams = self.streams | {name} if kept else self.streams - {name}
        return replace(self, streams=frozenset(streams))

    def describe(self) -> str:
        """One line for the indicator: ``!/Still .*/ · STDERR, SYSTEM``."""
        parts = []
        if self.text:
            shown = f"/{self.text}/" if self.regex else repr(self.text)
            parts.append(("not " if self.invert else "") + shown)
        if self.streams < ALL_STREAMS:
            names = [name for name in STREAM_CODES if name in self.streams]
            parts.append(", ".join(names) + " only" if names else "no streams")
        return " · ".join(parts)
