"""The log pane's vertical scrollbar, repainted only when what it shows changes.

Textual repaints a ``ScrollBar`` whenever its position or sizes change. While lines stream in,
that is every flush, and re-rendering the bar's rows cost about a third of the CPU of
streaming 1,000 lines/s into a 200x50 pane (``benchmarks/log_pane.py``), although the thumb
of a long log is one cell high and, pinned to the bottom, does not move at all. Here the new
values are set without a repaint, and the bar is refreshed only when the bar Textual would draw
for them differs from the one last painted.
"""

from __future__ import annotations

from math import ceil

from rich.segment import Segment
from textual.scrollbar import ScrollBar

#: What a bar looks like: its cells, without colours (they do not change while it moves).
BarLook = tuple[Segment, ...]


def bar_look(bar: ScrollBar) -> BarLook:
    """The bar Textual would draw for the bar's current values, as ``ScrollBar`` computes it."""
    height, thickness = bar.size.height, bar.size.width
    virtual, window = bar.window_virtual_size, bar.window_size
    drawn = bar.renderer.render_bar(
        size=height,
        virtual_size=ceil(virtual),
        window_size=ceil(window if window < virtual else 0),
        position=bar.position,
        thickness=thickness,
        vertical=True,
    )
    return tuple(drawn.segments)


class QuietBar:
    """Sets a vertical bar's values without a repaint, and repaints it only when it looks new.

    Set every value first (``set``), then ``paint``: the bar is compared with the one last
    painted, so the in-between state of a flush (the log longer, the view not yet moved to its
    end, the thumb an eighth of a cell up) is never drawn.
    """

    def __init__(self) -> None:
        self._shown: BarLook | None = None

    def set(
        self,
        bar: ScrollBar,
        *,
        virtual_size: int | None = None,
        window_size: int | None = None,
        position: float | None = None,
    ) -> None:
        """New values for the bar, shown at the next ``paint`` if they change how it looks."""
        if virtual_size is not None:
            bar.set_reactive(ScrollBar.window_virtual_size, virtual_size)
        if window_size is not None:
            bar.set_reactive(ScrollBar.window_size, window_size)
        if position is not None:
            bar.set_reactive(ScrollBar.position, bar.validate_position(position))

    def paint(self, bar: ScrollBar) -> None:
        """Repaint the bar if it would look different from the last time it was painted."""
        look = bar_look(bar)
        if look != self._shown:
            self._shown = look
            bar.refresh()
