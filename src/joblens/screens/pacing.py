"""Showing a digest at a steady pace while the lines it is read from stream in.

The plan's figures and the resources change with nearly every chunk; showing them each time
would repaint the header and panels dozens of times a second. ``Paced`` shows at once when the
last showing is long enough ago, else once when it is due.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import Any

from textual.screen import Screen

#: A digest is shown again at most this often as lines stream.
SHOW_EVERY_SECONDS = 0.25


class Paced:
    """Calls ``show`` for ``screen`` at most every ``every`` seconds (``request``)."""

    def __init__(
        self, screen: Screen[Any], show: Callable[[], None], every: float = SHOW_EVERY_SECONDS
    ) -> None:
        self._screen = screen
        self._show = show
        self._every = every
        self._timer: Any = None
        self._shown_at = float("-inf")

    def request(self) -> None:
        """Show now, or (if shown less than ``every`` seconds ago) when that is due."""
        if self._timer is not None or not self._screen.is_attached:
            return
        wait = self._shown_at + self._every - monotonic()
        if wait <= 0:
            self._run()
        else:
            self._timer = self._screen.set_timer(wait, self._run)

    def _run(self) -> None:
        self._timer = None
        self._shown_at = monotonic()
        self._show()
