"""Errors in the log pane: ``e`` / ``E`` go to the next or previous diagnostic or STDERR run.

The sixth layer of ``LogPane`` (``pane.py``). Errors are found lazily (``errors.py``): new lines
are looked through only until the log has one, so that the footer can offer ``e`` / ``E``, and
never in the way of a burst; the rest are found when a key asks for them. Whether the log has
errors is said by ``LogPane.ErrorsChanged``, posted by ``LogPane`` through a hook declared
here.
"""

from __future__ import annotations

from time import monotonic

from joblens.widgets.log.pane_search import PaneSearch

#: New lines are looked through for errors (so that the footer offers e / E) once they stop
#: arriving for this long, and at least this often while they keep arriving: never in the way
#: of a burst (a million lines take about 0.1 s to look through).
_ERRORS_QUIET = 0.25
_ERRORS_EVERY = 2.0


class PaneErrors(PaneSearch):
    """How a ``LogPane`` finds its errors and goes to them (never used on its own)."""

    # ------------------------------------------------------------------ errors

    @property
    def has_errors(self) -> bool:
        """The log has a line ``e`` goes to (a diagnostic's first line, or a STDERR line)."""
        return self._has_errors

    @property
    def error_line(self) -> int | None:
        """The line ``e`` / ``E`` went to last."""
        return None if self._error_at is None else self._error_at + self._store.origin

    def next_error(self, backwards: bool = False) -> tuple[int, bool] | None:
        """Move to the next (previous) diagnostic or STDERR run, wrapping: ``(line, wrapped)``,
        or None when the log has none.

        From the one gone to last; before any, from the top of the view, except while the view
        follows the end: then ``e`` goes to the first error and ``E`` to the last of them.
        """
        self._flush_pending()
        self._find_errors()
        store = self._store
        if self._error_at is None and self.following:
            line = self._errors.last(store) if backwards else self._errors.first_error(store)
            found = None if line is None else (line, False)
        else:
            after = self.error_line
            if after is None:
                after = self._top_line() - (0 if backwards else 1)
            found = self._errors.step(store, after, backwards)
        if found is None:
            return None
        line = found[0]
        self._error_at = line - store.origin
        self._show_line(line, 0 if self.scroll_x and not self._wrapping() else None)
        return found

    def first_error(self) -> int | None:
        """Move to the first error (of severity error, else the first diagnostic or STDERR
        run); the line, or None when the log has none."""
        self._flush_pending()
        self._find_errors()
        line = self._errors.first_error(self._store)
        if line is not None:
            self._error_at = line - self._store.origin
            self._show_line(line, 0 if self.scroll_x and not self._wrapping() else None)
        return line

    def go_to_line(self, index: int) -> bool:
        """Move to line ``index`` as ``e`` moves to an error (a third of the way down the
        view, which pauses following unless it is on the last page); ``e`` / ``E`` go on from
        there. False if the pane has no such line."""
        self._flush_pending()
        if not 0 <= index < len(self._store):
            return False
        self._error_at = index - self._store.origin
        self._show_line(index, 0 if self.scroll_x and not self._wrapping() else None)
        return True

    def _find_errors_soon(self) -> None:
        """Lines arrived: look through them for errors now if the last look is a while ago,
        else once lines stop coming (``_ERRORS_QUIET``, ``_ERRORS_EVERY``)."""
        now = self._lines_came = monotonic()
        if now - self._errors_looked >= _ERRORS_EVERY:
            self._find_errors()
        elif self._errors_timer is None:
            self._errors_timer = self.set_timer(_ERRORS_QUIET, self._errors_due)

    def _errors_due(self) -> None:
        self._errors_timer = None
        now = monotonic()
        wait = self._lines_came + _ERRORS_QUIET - now
        if wait > 0 and now - self._errors_looked < _ERRORS_EVERY:
            self._errors_timer = self.set_timer(wait, self._errors_due)  # still coming
        elif not self._has_errors:
            self._find_errors()

    def _find_errors(self) -> None:
        """Scan the lines not scanned yet for errors (``errors.py``); say when the log comes to
        have some, or no longer has."""
        self._errors_looked = monotonic()
        self._errors.catch_up(self._store)
        present = bool(self._errors)
        if present != self._has_errors:
            self._has_errors = present
            self._errors_changed(present)
            self.refresh_bindings()

    # ------------------------------------------------------------------ hooks of LogPane

    def _errors_changed(self, present: bool) -> None:
        """Say that the log now has errors (``present``), or no longer has
        (``LogPane.ErrorsChanged``)."""
        raise NotImplementedError
