"""A collapsible panel whose body is made only while it is open.

The Plan, Resources and Errors panels change with the log as it streams, and most of the time
they are closed: a change marks the body stale (``changed``), and it is made again when the
panel is open, at once, or when it is next opened.
"""

from __future__ import annotations

from textual.widgets import Collapsible


class LazyPanel(Collapsible):
    """A ``Collapsible`` that paints its body (``paint``) only while open, once per change."""

    _stale = True

    def changed(self) -> None:
        """What the body shows changed: paint it now if open, else when next opened."""
        self._stale = True
        if not self.collapsed:
            self._paint_now()

    def watch_collapsed(self, collapsed: bool) -> None:
        if not collapsed and self._stale:
            self._paint_now()

    def _paint_now(self) -> None:
        self._stale = False
        self.paint()

    def paint(self) -> None:
        """Make the body from what the panel holds now."""
        raise NotImplementedError
