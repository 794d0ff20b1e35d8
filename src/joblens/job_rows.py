"""How a job reads as one row of the jobs list: its cells, and which columns fit a width.

Pure (no Textual): the list's widget (``widgets/job_table.py``) paints these cells and
``joblens list``'s plain table (``list_output.py``) prints them. Every text comes from a
:class:`~joblens.models.Job`, already made safe by ``from_row``. A row is one line: a column
that does not fit is dropped (the least needed first), never wrapped; a name longer than its
column is cut at a word's end (``-``, ``_``, ``.``, space) with an ellipsis, not mid-word.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rich.cells import cell_len

from joblens.display import duration_phase, format_duration, status_icon, type_label
from joblens.models import Job

#: Spaces between two columns; one where two would cost a column.
GAP = 2
NARROW_GAP = 1
ELLIPSIS = "…"
_BREAKS = frozenset("-_. /")


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its key, title, width (``flex``: at least ``width``, sharing what is left)
    and when it goes (the highest ``drop_rank`` is dropped first as the width shrinks)."""

    key: str
    title: str
    width: int
    drop_rank: int
    flex: bool = False
    right: bool = False


#: Left to right. Kept longest: the status and id (what a row is), then the type. A name's
#: column is at least 13 wide ("acme-platform"): narrower, it would show little but "…".
COLUMNS = (
    Column("status", "STATUS", 12, 0),
    Column("id", "ID", 8, 1),
    Column("type", "TYPE", 15, 2),
    Column("tendril", "TENDRIL", 13, 5, flex=True),
    Column("vine", "VINE", 13, 6, flex=True),
    Column("created", "CREATED", 7, 4, right=True),
    Column("duration", "DURATION", 8, 3, right=True),
)


def age(moment: datetime | None, now: datetime) -> str:
    """How long ago, in its largest unit: ``12s ago``, ``5m ago``, ``3h ago``, ``2d ago``."""
    if moment is None:
        return "—"
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def duration(job: Job, now: datetime) -> str:
    """How long it ran (or has waited, or has been running): ``3m 07s``; ``—`` if unknown."""
    phase = duration_phase(job, now)
    return "—" if phase is None else format_duration(phase[1])


def tendril(job: Job) -> str:
    """The Tendril that ran it, else the one asked for, else ``any``."""
    return job.worker_name or job.assigned_worker_name or ("—" if job.worker_id else "any")


def cells(job: Job, now: datetime | None = None) -> dict[str, str]:
    """Every column's text for ``job`` (``now``: for its age and a running duration)."""
    now = now or datetime.now(UTC)
    return {
        "status": f"{status_icon(job.status)} {job.status}",
        "id": job.short_id,
        "type": type_label(job.job_type),
        "tendril": tendril(job),
        "vine": job.vine_name or "—",
        "created": age(job.created_at, now),
        "duration": duration(job, now),
    }


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns shown, each with its width, and the spaces between them."""

    columns: tuple[tuple[Column, int], ...]
    gap: int = GAP


def fit_columns(width: int) -> Layout:
    """The columns that fit ``width`` cells, in order, each with its width; the flexible ones
    share what is left (the first gets the odd cell). Two spaces between them, or one if
    that keeps a column two would drop."""
    wide, narrow = _fit(width, GAP), _fit(width, NARROW_GAP)
    return narrow if len(narrow.columns) > len(wide.columns) else wide


def _fit(width: int, gap: int) -> Layout:
    shown = list(COLUMNS)
    while len(shown) > 1 and _needed(shown, gap) > width:
        shown.remove(max(shown, key=lambda column: column.drop_rank))
    spare = max(0, width - _needed(shown, gap))
    flexible = [column for column in shown if column.flex]
    widths = {column.key: column.width for column in shown}
    for index, column in enumerate(flexible):
        share = spare // len(flexible) + (1 if index < spare % len(flexible) else 0)
        widths[column.key] += share
    return Layout(tuple((column, widths[column.key]) for column in shown), gap)


def _needed(columns: list[Column], gap: int) -> int:
    return sum(column.width for column in columns) + gap * (len(columns) - 1)


def fit_text(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells (wide characters count two): whole, or cut after a
    word with ``…``."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    room, used = "", 0
    for char in text:
        used += cell_len(char)
        if used > width - 1:
            break
        room += char
    cut = max((i for i, char in enumerate(room) if char in _BREAKS), default=-1)
    if cut > 0:  # at a word's end; one word alone is cut where the room ends
        room = room[:cut]
    return room.rstrip("-_. /") + ELLIPSIS


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - cell_len(text))
    return space + text if right else text + space


def row_line(values: dict[str, str], layout: Layout) -> list[tuple[str, str]]:
    """(column key, padded text) of each column in ``layout``; the gap before a column is
    its own part, keyed ``""``."""
    parts: list[tuple[str, str]] = []
    for index, (column, width) in enumerate(layout.columns):
        if index:
            parts.append(("", " " * layout.gap))
        parts.append(
            (column.key, _pad(fit_text(values.get(column.key, ""), width), width, column.right))
        )
    return parts


def title_line(layout: Layout) -> str:
    """The column titles, laid out as the rows are."""
    titles = {column.key: column.title for column, _ in layout.columns}
    return "".join(text for _, text in row_line(titles, layout)).rstrip()
