"""What plain mode prints before a line on demand: its number in the log, and when it was written.

- the number (``-n``) is the line's place in the whole log, from 1, counted before any filter
  as ``grep -n`` counts, so it names the same line as the view: every line of every stream,
  and the notes joblens writes into the log (a requeue's separator: plain mode writes it to
  stderr, the view shows it as a line); followed by ``:``;
- the time (``-t``) is its chunk's ``created_at``: the time of the row that completed the line
  (:mod:`joblens.lines`), as the view's timestamps are; ISO 8601 to the second with the offset,
  in the local zone (``2026-11-30T21:48:46+01:00``) or in UTC; a line without one (its row had
  none) gets as many spaces, so the text stays in its column. Dim when colour is on.

Pure: a :class:`Gutter` makes the prefix of one line from its number and time.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["STAMP_WIDTH", "Gutter", "iso_stamp"]

#: ``2026-11-30T21:48:46+00:00``: every stamp has this width.
STAMP_WIDTH = 25
_DIM = "\x1b[2m"
_GREEN = "\x1b[32m"  # grep's colour for line numbers
_RESET = "\x1b[0m"


def iso_stamp(moment: datetime, utc: bool = False) -> str:
    """``moment`` as ``YYYY-MM-DDTHH:MM:SS±HH:MM``, in the local zone (UTC if ``utc``).

    Always :data:`STAMP_WIDTH` characters: an offset with seconds (some zones before 1900)
    is written to the minute; a naive time is taken as UTC, as the models parse it.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        local = moment.astimezone(UTC if utc else None)
    except (OverflowError, ValueError, OSError):  # beyond what the platform's clock knows
        local = moment.astimezone(UTC)
    offset = local.utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}T"
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}{sign}{hours:02d}:{minutes:02d}"
    )


class Gutter:
    """The prefix of each line: ``N:`` with ``numbers``, the time and a space with ``times``."""

    __slots__ = ("_cached", "colour", "numbers", "times", "utc")

    def __init__(
        self, *, numbers: bool = False, times: bool = False, utc: bool = False, colour: bool = False
    ) -> None:
        self.numbers = numbers
        self.times = times
        self.utc = utc
        self.colour = colour
        # The last time made into a stamp: every line of a chunk has its chunk's time.
        self._cached: tuple[datetime | None, str] = (None, self._blank())

    @property
    def active(self) -> bool:
        """Whether lines get a prefix at all."""
        return self.numbers or self.times

    def stamp(self, moment: datetime | None) -> str:
        """The time part of the prefix (with its space), or "" without ``times``."""
        if not self.times:
            return ""
        cached_for, text = self._cached
        if moment is cached_for or (moment is not None and moment == cached_for):
            return text
        text = self._blank() if moment is None else self._dim(iso_stamp(moment, self.utc)) + " "
        self._cached = (moment, text)
        return text

    def number(self, number: int) -> str:
        """The number part of the prefix (with its ``:``), or "" without ``numbers``."""
        if not self.numbers:
            return ""
        if self.colour:
            return f"{_GREEN}{number}{_RESET}:"
        return f"{number}:"

    def _blank(self) -> str:
        return " " * (STAMP_WIDTH + 1)

    def _dim(self, text: str) -> str:
        return f"{_DIM}{text}{_RESET}" if self.colour else text
