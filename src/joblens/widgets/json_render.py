"""How one row of a JSON tree is drawn: indentation, marker, key, value, and what is cut.

Kept apart from the widget (``json_tree``) so that what a row looks like is one function of
the row, its styles and the width.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style

from joblens.json_doc import CONTAINERS
from joblens.widgets.json_rows import PAGE, Role, Row, Tone

#: Levels of indentation shown; deeper rows are drawn at this indent with their depth.
MAX_INDENT = 16
#: The component class of each tone (the tree's CSS colours them).
TONE_CLASSES = {tone: f"json-tree--{tone}" for tone in Tone}


def row_segments(row: Row, styles: dict[str, Style], width: int) -> list[Segment]:
    """The segments of ``row`` for a view ``width`` cells wide (``styles``: by class name).

    A string too long for the row is cut to fit, and always says how much is not shown.
    """
    muted = styles["json-tree--note"]
    depth = row.depth
    indent = "  " * depth if depth <= MAX_INDENT else f"{depth:,} │ ".rjust(2 * MAX_INDENT)
    marker = ("▼ " if row.expanded else "▶ ") if row.expandable else "  "
    segments = [Segment(indent, muted), Segment(marker, muted)]
    if row.role is Role.MORE:
        segments.append(Segment(_more_text(row), muted))
        return segments
    if row.label:
        segments += [Segment(row.label, styles["json-tree--key"]), Segment(": ")]
    text, hidden = row.text, row.more_chars
    if row.tone is Tone.STRING:
        room = width - sum(cell_len(segment.text) for segment in segments)
        text, hidden = _fit_string(text, hidden, room)
    segments.append(Segment(text, styles[TONE_CLASSES[row.tone]]))
    if hidden:
        segments.append(Segment(f" … ({hidden:,} more characters)", muted))
    return segments


def _fit_string(quoted: str, hidden: int, room: int) -> tuple[str, int]:
    """A string's quoted preview cut to ``room`` cells with its "… (N more characters)" note
    (the note always shows: a cut string must say it is cut)."""
    if not hidden and cell_len(quoted) <= room:
        return quoted, 0
    inner = quoted[1:-1]
    note = len(f" … ({hidden + len(inner):,} more characters)")  # the longest it can be
    keep = max(room - note - 2, 8)
    if cell_len(inner) <= keep:
        return quoted, hidden
    cut = set_cell_size(inner, keep).rstrip()
    return f'"{cut}"', hidden + len(inner) - len(cut)


def _more_text(row: Row) -> str:
    """What a MORE row says: how many are left, once counted, and what Enter does."""
    parent = row.parent
    if parent is not None and parent.kind not in CONTAINERS:
        return f"… {row.remaining or 0:,} more characters (Enter to show more)"
    if row.remaining is None:
        return f"… more (Enter to show {PAGE:,} more)"
    return f"… {row.remaining:,} more (Enter to show {min(row.remaining, PAGE):,})"
