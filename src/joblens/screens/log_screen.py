"""A screen around a log pane: the log's keys work wherever the focus is, and a mouse drag
selects the rows under the pointer.

Two things Textual does not do for a screen whose main widget is a log:

- A key binding belongs to the focused widget and its ancestors. After a click on a panel
  title (which takes the focus), ``w``, ``G`` or ``k`` found no binding and did nothing. The
  screen declares the pane's keys again (``log_bindings``, hidden: the pane's own are the
  ones the footer, the help and the keys panel show) and hands them to the pane. The focused
  widget still has the first say: a key a tree or a list binds stays theirs.
- While text is dragged, Textual scrolls a container when the pointer is in its first or
  last three rows (``App.SELECT_AUTO_SCROLL_LINES``), whichever way the pointer moves. A drag
  that started in the log's first rows scrolled the log at once and selected lines that were
  never under the pointer. Here a drag scrolls only toward the edge it moves to, past the row
  where it began: a drag from row 1 down selects rows 1 to N; a drag up to the top row still
  scrolls to select more (``docs/PINS.md``: this overrides two private methods of
  ``textual.screen.Screen``).
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar, Literal

from textual.actions import SkipAction, parse
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget

from joblens.widgets.log import LogPane, LogView

#: The pane's keys that are not handed on from elsewhere: Enter and Esc mean something to the
#: widget with the focus (open a panel, close a field) and to the screen (go back).
_PANE_ONLY_KEYS = frozenset({"enter", "escape"})


def log_bindings() -> list[Binding]:
    """The log pane's and log view's keys, bound on the screen to ``log`` (hidden)."""
    bindings: list[Binding] = []
    declared = [*LogPane.BINDINGS, *LogView.BINDINGS]
    for binding in (b for b in declared if isinstance(b, Binding)):
        keys = [k for k in binding.key.split(",") if k.strip() not in _PANE_ONLY_KEYS]
        if not keys:
            continue
        _, name, parameters = parse(binding.action)
        arguments = ", ".join(repr(a) for a in (name, *parameters))
        bindings.append(Binding(",".join(keys), f"log({arguments})", show=False, system=True))
    return bindings


class LogScreen(Screen[None]):
    """A screen whose log pane (``log_pane``) answers its keys from any focus."""

    BINDINGS: ClassVar[list[BindingType]] = [*log_bindings()]

    #: The pointer's row during a drag (screen rows), as last seen.
    _drag_y = 0

    @property
    def log_pane(self) -> LogPane:
        """The pane the log's keys act on."""
        return self.query_one(LogView).pane

    def remember_looks(self) -> None:
        """Tell the app when ``w`` or ``t`` changes the log's looks, for it to keep them for the
        next job and the next run (``JoblensApp.remember``; called once the pane is mounted)."""
        for name in ("wrap", "timestamps"):
            self.watch(self.log_pane, name, partial(self._looks_changed, name), init=False)

    def _looks_changed(self, name: str, value: bool) -> None:
        remember = getattr(self.app, "remember", None)
        if remember is not None:
            remember(name, value)

    async def action_log(self, name: str, *parameters: object) -> None:
        """A log key pressed where the focus is not in the log: the pane (or its view) does
        it, as if it had the focus. A key that does nothing there passes on."""
        pane = self.log_pane
        if pane.has_focus:
            raise SkipAction()  # the pane's own binding declined it: so does this one
        view = pane.parent
        target: Widget = pane if hasattr(pane, f"action_{name}") else view  # type: ignore[assignment]
        if target is pane and pane.check_action(name, parameters) is False:
            raise SkipAction()
        action = f"{name}({', '.join(repr(p) for p in parameters)})"
        if not await self.app.run_action(action, target):
            raise SkipAction()

    # -- dragging: scroll toward the edge the pointer moved to, never back ------------------

    def _check_auto_scroll(
        self, select_widget: Widget, mouse_coordinate: tuple[float, float], delta_y: float
    ) -> None:
        self._drag_y = int(mouse_coordinate[1])
        super()._check_auto_scroll(select_widget, mouse_coordinate, delta_y)

    def _start_auto_scroll(
        self, widget: Widget, direction: Literal[+1, -1], speed: float = 1.0
    ) -> None:
        start = self._mouse_down_offset
        if start is not None and (self._drag_y - start.y) * direction <= 0:
            self._stop_auto_scroll()  # still at or behind where the drag began
            return
        super()._start_auto_scroll(widget, direction, speed)
