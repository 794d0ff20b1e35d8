"""The footer: Textual's, showing only the keys that fit whole.

Textual's ``Footer`` lays its keys out in a row that scrolls sideways and docks the palette's
key on the right over it: on a narrow terminal the last keys were cut mid-word ("q Qu" at 70
columns) and a letter of a key under the palette showed after it ("^p palettei" at 60). This
one hides, from the last, the keys that do not fit whole left of the palette's key; they come
back when the terminal widens. Every key still works, and ``?`` lists them all.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Footer


class FittingFooter(Footer):
    """A ``Footer`` that shows the keys that fit whole, in order, and hides the rest."""

    async def recompose(self) -> None:
        await super().recompose()  # (the keys are made anew whenever the bindings change)
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        items = [child for child in self.children if not child.has_class("-command-palette")]
        palette = [child for child in self.children if child.has_class("-command-palette")]
        room = self.size.width - sum(self._width(child) for child in palette)
        used = 0
        fits = True
        for item in items:
            used += self._width(item)
            fits = fits and used <= room
            item.display = fits

    def _width(self, widget: Widget) -> int:
        """The cells ``widget`` takes in the row, its margins included (whether shown now or
        not: the width it would take)."""
        styles = widget.styles
        viewport = self.app.size
        content = widget.get_content_width(Size(self.size.width, 1), viewport)
        return content + styles.gutter.width + styles.margin.width
