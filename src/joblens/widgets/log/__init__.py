"""The log view: a job's output, live, with following, search and its indicator.

``LogView`` is the one widget a screen composes; ``LogPane`` is the lines themselves (what the
feed writes to), built in layers, each a ``pane_*`` module (``pane.py`` lists them). The other
modules are the pane's parts: ``store`` (packed lines), ``wrap`` (soft-wrapped rows),
``render`` (a line to a ``Strip``), ``cadence`` (how often to repaint), ``scrollbar`` (a bar
repainted only when it moves), ``search`` (finding text), ``search_bar`` and ``follow`` (the
field and the indicator under the pane).
"""

from joblens.widgets.log.pane import LogPane
from joblens.widgets.log.view import LogView

__all__ = ["LogPane", "LogView"]
