"""Lines into the log pane: written, buffered, shown at a cadence, the view following them.

The second layer of ``LogPane`` (``pane.py``), on its rows (``pane_rows.py``). Writes are
buffered and shown at a cadence (``cadence``): at once after a pause, every frame during a
burst, and during a long stream as often as keeps its paints to a small share of a core (10 to
25 times a second); nothing runs while the job is quiet. Each flush sets off the search's
count and the filter's scan among the new lines, and the look for errors, through hooks
declared here and filled in by the layers above (``pane_search.py``, ``pane_errors.py``).

Each stream's unfinished line (a chunk that ended mid-line, see ``joblens.lines``) is shown
after the stored lines and replaced by the stored line once it completes; it is never stored
twice or split.

Following: the view is pinned to the bottom while lines arrive. Any scroll away from the bottom
(keys, wheel, scrollbar) pauses it and counts the lines that arrive; any scroll back to the
bottom pins it again (``watch_scroll_y`` decides, whatever moved the view).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from time import monotonic

from textual.geometry import Offset
from textual.selection import Selection

from joblens.models import LogChunk
from joblens.widgets.log.pane_rows import PaneRows
from joblens.widgets.log.store import NOTE, display_width, epoch_seconds, stream_code


class PaneLines(PaneRows):
    """The lines of a ``LogPane``: written, read back, and shown at a cadence (never used on
    its own)."""

    # ------------------------------------------------------------------ the lines (public API)

    @property
    def line_count(self) -> int:
        """Lines held (including any not yet painted)."""
        return len(self._store)

    def line_text(self, index: int) -> str:
        """The sanitised text of line ``index``, colour codes included."""
        return self._store.line(index).decode("utf-8", "replace")

    def line_time(self, index: int) -> int:
        """When line ``index`` was written, in epoch seconds (``store.NO_TIME``: unknown).

        The time of the chunk that completed the line (``joblens.lines``), whatever row the
        line began in.
        """
        return self._store.time(index)

    def read_blocks(self, start: int, stop: int) -> Iterator[tuple[bytes, Sequence[int], bytes]]:
        """Lines ``start:stop`` a block at a time, undecoded: ``(data, starts, streams)``.

        Line ``j``'s UTF-8 text, colour codes included, is ``data[starts[j] : end - 1]``, where
        ``end`` is ``starts[j + 1]``, or ``len(data)`` for the last; ``data`` may begin with
        lines before them. For readers of the whole log (the error digest), which look at few
        lines: nothing is decoded, and nothing copied per line. Read each before the pane
        takes more lines."""
        store = self._store
        stop = min(stop, len(store))
        while start < stop:
            block, i = store.locate(start)
            end = min(len(block), i + stop - start)
            last = block.starts[end] if end < len(block) else block.used
            data = bytes(memoryview(block.data)[:last])  # one copy (a slice would be two)
            yield data, block.starts[i:end], bytes(block.streams[i:end])
            start += end - i

    def write_chunks(self, chunks: Sequence[LogChunk]) -> None:
        """Append sanitised chunks; each becomes its lines, in its stream's colour, at its
        time (``created_at``)."""
        added = 0
        append = self._store.append
        for chunk in chunks:
            added += append(chunk.text, stream_code(chunk.stream), epoch_seconds(chunk.created_at))
        if added:
            self._pending_append += added
            self._schedule_flush()

    def write_note(self, text: str) -> None:
        """Append one line of joblens's own (not the job's output), styled apart, with no
        time."""
        if self._store.append(text.replace("\n", " ") + "\n", NOTE):
            self._pending_append += 1
            self._schedule_flush()

    def show_open_lines(self, chunks: Sequence[LogChunk]) -> None:
        """Show each stream's unfinished line (sanitised, no newline) after the stored lines.

        Called with the current set every time it changes: a line that completed is in the
        store by then (``write_chunks`` first), so it is never shown twice. Each shows the time
        of its chunk (the newest row that added to it), as it will once stored.
        """
        lines = []
        for chunk in chunks:
            if chunk.text:
                raw = chunk.text.encode("utf-8", "replace")
                code, stamp = stream_code(chunk.stream), epoch_seconds(chunk.created_at)
                lines.append((raw, code, display_width(raw), stamp))
        if lines == self._open:
            return
        self._open = lines
        self._open_changed = True
        self._schedule_flush()

    @property
    def open_lines(self) -> list[str]:
        """The unfinished lines shown after the stored ones."""
        return [raw.decode("utf-8", "replace") for raw, _, _, _ in self._open]

    def append_mark(self) -> int:
        """Where the lines appended next begin: a mark ``rewind`` takes (stable across
        prepends)."""
        return len(self._store) - self._store.origin

    def start_mark(self) -> int:
        """The mark before every line, the oldest prepended ones included."""
        return -self._store.origin

    def prepend_chunks(self, chunks: Sequence[LogChunk]) -> None:
        """Insert older chunks before every line, keeping the view on the same lines."""
        added = self._store.prepend(
            (c.text, stream_code(c.stream), epoch_seconds(c.created_at)) for c in chunks
        )
        if added:
            self._pending_prepend += added
            if self._ready:
                # At once: rows shift under the viewport, so rendering must not see it half done.
                self._flush()

    def follow(self) -> None:
        """Scroll to the newest line and stay there as lines arrive."""
        self._flush_pending()
        self.scroll_to(y=self.max_scroll_y, animate=False)
        self.following = True
        self.unseen = 0

    # ------------------------------------------------------------------ flushing

    @property
    def _flush_queued(self) -> bool:
        return self._flush_timer is not None

    def _flush_pending(self) -> None:
        if self._pending_append or self._pending_prepend or self._open_changed:
            self._flush()

    def _schedule_flush(self) -> None:
        if not self._ready or self._flush_queued:
            return
        wait = self._cadence.wait(monotonic())
        if wait <= 0:
            self._flush()
            return
        self._flush_timer = self.set_timer(wait, self._flush)

    def _flush(self) -> None:
        """Show buffered lines: resize the virtual area, then pin or count what arrived."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        self._cadence.flushed(monotonic())
        appended, prepended = self._pending_append, self._pending_prepend
        self._pending_append = self._pending_prepend = 0
        if not (appended or prepended or self._open_changed):
            return
        self._open_changed = False
        old_y = self.scroll_y
        old_rows = self.virtual_size.height
        # Decide before the area grows: at the end (or scrolling to it) and not dragging.
        pin = not self.is_vertical_scrollbar_grabbed and (
            self.following or round(self.scroll_target_y) >= self.max_scroll_y
        )
        # With folds (or a filter) rows are entries, not lines: the line at the top is kept in
        # view by its index, taken now (entries name lines by stable ids: prepended lines are
        # counted in already). Rows that are lines move down by the lines prepended.
        projected = self._lens.shown is not None
        top_line = None if pin else self._top_line()
        if prepended:
            self._rows.clear()  # every line's index moved
            if self._lens.shown is None:
                self._shift_selection(prepended)
            else:
                self._drop_selection()  # entries are made anew
            self._lens.prepended(prepended)
        if appended or prepended:
            self._count_soon()  # the search's matches among the new lines
            self._scan_soon()  # the filter's
            if self._lens.appended():
                self._rows.clear()  # rows near the end may show other entries now
                projected = True
        if self.line_numbers and len(str(len(self._store))) > self._digits:
            self._regutter()  # the line numbers grew a digit
        relaid = self._update_virtual_size()
        if pin:
            self.scroll_to(y=self.max_scroll_y, animate=False)
            self.following = True
            self.unseen = 0
            if relaid:
                # A horizontal scrollbar came or went: the view's height changes only once the
                # layout is done, and the newest line must not end up under the bar.
                self.call_after_refresh(self._keep_pinned)
        else:
            if top_line is not None and projected:
                self.scroll_to(y=self._row_of_line(top_line), animate=False)
            elif prepended:
                shift = self._row_of_line(prepended)
                self.scroll_to(y=old_y + shift, animate=False)
            self.unseen += appended
        self._paint_bar()
        if pin or prepended or old_rows < old_y + self.scrollable_content_region.height:
            self.refresh()
        if (appended or prepended) and not self._has_errors:
            self._find_errors_soon()  # until the first is found (for the footer); then on e

    def _shift_selection(self, lines: int) -> None:
        """Keep a selection on the same lines when ``lines`` older ones arrive above it."""
        selection = self.text_selection
        if selection is None:
            return
        start, end = (None if o is None else Offset(o.x, o.y + lines) for o in selection)
        self.screen.selections = {**self.screen.selections, self: Selection(start, end)}

    def _keep_pinned(self) -> None:
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False)

    # ------------------------------------------------------------------ hooks of the layers above

    def _count_soon(self) -> None:
        """Count the search's matches among the lines just flushed, in a moment
        (``pane_search.py``)."""
        raise NotImplementedError

    def _scan_soon(self) -> None:
        """Have the filter look at the lines just flushed, in a moment (``pane_search.py``)."""
        raise NotImplementedError

    def _find_errors_soon(self) -> None:
        """Look through the lines just flushed for errors, now or soon (``pane_errors.py``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ events and watchers

    def on_mount(self) -> None:
        self._ready = True
        self._flush_pending()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # ScrollView's watcher, but the bar repaints only when its thumb moves on screen.
        if self.show_vertical_scrollbar:
            self._bar.set(self.vertical_scrollbar, position=new_value)
            self._bar.paint(self.vertical_scrollbar)
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)
        if not self.app.animator.is_being_animated(self, "scroll_y"):
            # Keep the target honest when scroll_y is set directly.
            self.scroll_target_y = new_value
        if round(new_value) >= self.max_scroll_y:
            self.following = True
            self.unseen = 0
        else:
            self.following = False
