"""A JSON document as a tree read as it is opened: any depth, any size, keys always answered.

Why not Textual's ``Tree``: it rebuilds all lines of every open node after each change with a
recursive walk (RecursionError past ~900 open levels), keeps each line's whole path (memory
quadratic in depth), and wants its nodes made up front. Here a row exists only once its parent
is opened, a page of members at a time, made in a worker thread (:mod:`json_rows`: scanning a
10 MB document never runs on the event loop), and only the rows in view are rendered (Textual's
line API). Indentation stops growing after ``MAX_INDENT`` levels; deeper rows show their depth.

Keys: ↑ ↓ PgUp PgDn Home End move; Enter (or a click) opens or closes a container, a long
string, or a "… more" row; → opens, ← closes or goes to the parent; ``*`` opens everything
below (up to 20,000 rows); ``Y`` copies the value under the cursor, secrets masked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from joblens.clipboard import copy_text
from joblens.json_doc import CONTAINERS, JsonSource, Pause
from joblens.widgets.json_render import MAX_INDENT, TONE_CLASSES, row_segments
from joblens.widgets.json_rows import (
    Role,
    Row,
    Tone,
    body_rows,
    count_rest,
    full_string,
    list_rows,
    loop_pacer,
    masked_json,
    note,
    root_row,
    scalar_root_row,
)

#: Seconds a worker's scan runs between letting the event loop go first (see loop_pacer).
PACE = 0.002


class JsonTree(ScrollView, can_focus=True):
    """A lazily read, masked, sanitised view of a JSON document (text or parsed values)."""

    DEFAULT_CSS = """
    JsonTree {
        height: 24;
        overflow-x: hidden;
        overflow-y: scroll;
        background: $surface;
        &:focus { background-tint: $foreground 5%; }
    }
    JsonTree > .json-tree--key { color: $text-primary; text-style: bold; }
    JsonTree > .json-tree--string { color: $text-success; }
    JsonTree > .json-tree--number { color: $text-accent; }
    JsonTree > .json-tree--literal { color: $text-warning; text-style: italic; }
    JsonTree > .json-tree--null { color: $text-muted; text-style: italic; }
    JsonTree > .json-tree--masked { color: $text-error; }
    JsonTree > .json-tree--summary { color: $text-muted; }
    JsonTree > .json-tree--note { color: $text-muted; text-style: italic; }
    JsonTree > .json-tree--body { color: $text-success; }
    JsonTree > .json-tree--cursor { background: $boost; }
    JsonTree:focus > .json-tree--cursor { background: $accent 40%; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "json-tree--key",
        "json-tree--cursor",
        *TONE_CLASSES.values(),
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "move(-1_000_000_000)", "Top", show=False),
        Binding("end,G", "move(1_000_000_000)", "Bottom", show=False),
        Binding("enter,space", "toggle_row", "Open/close"),
        Binding("right,l", "open", "Open", show=False),
        Binding("left,h", "close", "Close", show=False),
        Binding("asterisk", "open_all", "Open all", show=False),
        Binding("Y", "copy", "Copy value"),
    ]

    class _Rows(Message):
        """Rows made by a worker for ``parent``, to go before ``placeholder``."""

        def __init__(
            self, parent: Row, placeholder: Row, load: int, rows: list[Row], done: bool
        ) -> None:
            super().__init__()
            self.parent, self.placeholder, self.load = parent, placeholder, load
            self.rows, self.done = rows, done

    class _Counted(Message):
        def __init__(self, more: Row, remaining: int) -> None:
            super().__init__()
            self.more, self.remaining = more, remaining

    class _Copied(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, doc: JsonSource, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.doc = doc
        self._rows: list[Row] = []
        self._cursor = 0
        self._styles: dict[str, Style] = {}

    @property
    def rows(self) -> list[Row]:
        """The rows as shown, top to bottom (read-only use: tests and benchmarks)."""
        return self._rows

    @property
    def cursor_row(self) -> Row | None:
        return self._rows[self._cursor] if self._rows else None

    @property
    def busy(self) -> bool:
        """Whether rows are still being made (a "loading…" row is shown)."""
        return any(row.role is Role.NOTE and row.text == "loading…" for row in self._rows)

    def on_mount(self) -> None:
        try:
            root = root_row(self.doc)
        except ValueError as error:
            self._set_rows([note(f"(could not read this JSON: {error})", 0)])
            return
        placeholder = note("loading…", 0, root)
        self._set_rows([placeholder])
        # After the first paint: the panel's own layout and paint then run at full speed,
        # not sharing the interpreter with a scan of the document.
        if root.kind in CONTAINERS:
            self.call_after_refresh(self._list, root, placeholder)
        else:
            scalar = scalar_root_row
            self._work(lambda emit: emit([scalar(self.doc, root.start)]), root, placeholder)

    # -- workers ---------------------------------------------------------------------------

    def _pacer(self) -> Pause:
        return loop_pacer(self.app._loop, PACE)

    def _work(
        self, make: Callable[[Callable[[list[Row]], None]], None], parent: Row, placeholder: Row
    ) -> None:
        """Run ``make(emit)`` in a thread; its rows go before ``placeholder``, which then goes."""
        load = parent.load

        def run() -> None:
            made = 0

            def emit(rows: list[Row]) -> None:
                nonlocal made
                made += len(rows)
                if rows:
                    self.post_message(self._Rows(parent, placeholder, load, rows, False))

            try:
                make(emit)
                if not made:
                    emit([note("(empty)", parent.depth + 1, parent)])
            except Exception as error:  # a malformed document is shown as a note, never raised
                emit([note(f"(could not read this JSON: {error})", parent.depth + 1, parent)])
            self.post_message(self._Rows(parent, placeholder, load, [], True))

        self.run_worker(run, thread=True, exit_on_error=False, group="json-tree")

    def _list(
        self, parent: Row, placeholder: Row, after: int | None = None, index: int = 0
    ) -> None:
        def make(emit: Callable[[list[Row]], None]) -> None:
            pause = self._pacer()
            cut = list_rows(self.doc, parent, emit, after=after, index=index, pause=pause)
            if cut is not None:
                more, rest = cut
                self.post_message(self._Counted(more, count_rest(rest)))

        self._work(make, parent, placeholder)

    def _list_all(self, parent: Row, placeholder: Row) -> None:
        def make(emit: Callable[[list[Row]], None]) -> None:
            list_rows(self.doc, parent, emit, deep=True, pause=self._pacer())

        self._work(make, parent, placeholder)

    def _open_string(self, row: Row, placeholder: Row, offset: int) -> None:
        width = max(self.scrollable_content_region.width - 2 * min(row.depth + 2, MAX_INDENT), 20)

        def make(emit: Callable[[list[Row]], None]) -> None:
            if row.body is None:
                row.body = full_string(self.doc, row)  # read only by this row's workers
            emit(body_rows(row, offset, width))

        self._work(make, row, placeholder)

    def _on_json_tree__rows(self, message: _Rows) -> None:
        parent = message.parent
        if parent.load != message.load or not parent.expanded:
            return  # closed (or closed and opened again) since
        try:
            at = self._rows.index(message.placeholder)
        except ValueError:
            return
        rows = message.rows
        self._rows[at:at] = rows
        if self._cursor > at:
            self._cursor += len(rows)
        if message.done:
            del self._rows[at + len(rows)]
            if self._cursor > at + len(rows):
                self._cursor -= 1
        self._rows_changed()

    def _on_json_tree__counted(self, message: _Counted) -> None:
        message.more.remaining = message.remaining
        self.refresh()

    def _on_json_tree__copied(self, message: _Copied) -> None:
        where = copy_text(self.app, message.text)
        self.notify(f"Copied {len(message.text):,} characters to the {where}.", markup=False)

    # -- changing the rows (event loop only) -------------------------------------------

    def _set_rows(self, rows: list[Row]) -> None:
        self._rows = rows
        self._cursor = 0
        self._rows_changed()

    def _rows_changed(self) -> None:
        """Size the scrollable area to the rows without laying the screen out.

        The view's height is fixed and its scrollbar always shown, so rows coming and going
        never change the layout: a layout repaints the whole screen, and one per batch of
        rows took most of the event loop's time while a big document loaded (keys waited
        60-110 ms). Only the scrollbar and the rows in view are repainted.
        """
        self._cursor = max(0, min(self._cursor, len(self._rows) - 1))
        size = Size(0, len(self._rows))
        if not self.is_mounted:
            self.virtual_size = size
            return
        self.set_reactive(JsonTree.virtual_size, size)
        self.vertical_scrollbar.window_virtual_size = size.height
        self.scroll_y = self.validate_scroll_y(self.scroll_y)
        self.refresh()

    def _open(self, at: int, *, deep: bool = False) -> None:
        row = self._rows[at]
        if row.role is Role.MORE:
            parent = row.parent
            if parent is None:
                return
            row.role, row.text, row.tone = Role.NOTE, "loading…", Tone.NOTE
            if parent.kind in CONTAINERS:
                self._list(parent, row, after=row.after, index=row.next_index)
            else:
                self._open_string(parent, row, row.after or 0)
            self.refresh()
            return
        if not row.expandable:
            return
        if row.expanded:
            if not deep:
                return
            self._close(at)
        row.expanded = True
        placeholder = note("loading…", row.depth + 1, row)
        self._rows.insert(at + 1, placeholder)
        if self._cursor > at:
            self._cursor += 1
        self._rows_changed()
        if row.kind not in CONTAINERS:
            self._open_string(row, placeholder, 0)
        elif deep:
            self._list_all(row, placeholder)
        else:
            self._list(row, placeholder)

    def _close(self, at: int) -> None:
        row = self._rows[at]
        end = at + 1
        while end < len(self._rows) and self._rows[end].depth > row.depth:
            end += 1
        del self._rows[at + 1 : end]
        row.expanded, row.body = False, None
        row.load += 1
        if self._cursor >= end:
            self._cursor -= end - at - 1
        elif self._cursor > at:
            self._cursor = at
        self._rows_changed()

    # -- keys and mouse ----------------------------------------------------------------

    def move_cursor(self, index: int) -> None:
        """Put the cursor on row ``index`` (clamped) and scroll it into view."""
        if not self._rows:
            return
        self._cursor = max(0, min(index, len(self._rows) - 1))
        height = max(self.scrollable_content_region.height, 1)
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False)
        self.refresh()

    def action_move(self, delta: int) -> None:
        self.move_cursor(self._cursor + delta)

    def action_page(self, pages: int) -> None:
        self.move_cursor(self._cursor + pages * max(self.scrollable_content_region.height - 1, 1))

    def action_toggle_row(self) -> None:
        row = self.cursor_row
        if row is not None and row.expanded:
            self._close(self._cursor)
        elif row is not None:
            self._open(self._cursor)

    def action_open(self) -> None:
        row = self.cursor_row
        if row is not None and row.expanded:
            self.move_cursor(self._cursor + 1)
        elif row is not None:
            self._open(self._cursor)

    def action_close(self) -> None:
        row = self.cursor_row
        if row is None:
            return
        if row.expanded:
            self._close(self._cursor)
        elif row.parent is not None and row.parent in self._rows:
            self.move_cursor(self._rows.index(row.parent))

    def action_open_all(self) -> None:
        row = self.cursor_row
        if row is not None and row.kind in CONTAINERS:
            self._open(self._cursor, deep=True)

    def action_copy(self) -> None:
        row = self.cursor_row
        if row is None or row.role is Role.NOTE or row.role is Role.MORE:
            return
        source = row.parent if row.role is Role.BODY else row
        if source is None or source.start < 0:
            return

        def run() -> None:
            try:
                kind = source.kind
                pause = self._pacer()
                text = masked_json(self.doc, source, pause) if kind in CONTAINERS else None
                if text is None:
                    text = full_string(self.doc, source)
            except Exception as error:  # shown, never raised
                self.post_message(self._Copied(f"(could not read this JSON: {error})"))
                return
            self.post_message(self._Copied(text))

        self.run_worker(run, thread=True, exit_on_error=False, group="json-tree-copy")

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        at = self.scroll_offset.y + offset.y
        if at < len(self._rows):
            self.move_cursor(at)
            row = self._rows[at]
            if row.expandable or row.role is Role.MORE:
                self.action_toggle_row()

    # -- rendering ---------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        get = self.get_component_rich_style
        self._styles = {name: get(name, partial=True) for name in self.COMPONENT_CLASSES}
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        at = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if at >= len(self._rows):
            return Strip.blank(width, base)
        segments = row_segments(self._rows[at], self._styles, width)
        strip = Strip(segments).crop_extend(0, width, base)
        if at == self._cursor:
            strip = strip.apply_style(self._styles["json-tree--cursor"])
        return strip
