"""Display preferences: how the job view looks when it opens (a config file may set them)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.theme import BUILTIN_THEMES


@dataclass(frozen=True)
class ViewPrefs:
    """How the job view starts out; the keys still change wrap and timestamps while it runs.

    ``theme`` is the name of one of Textual's themes (``theme_names``), or None for Textual's
    default. ``wrap`` starts the log pane soft-wrapped (``w`` toggles it); ``timestamps``
    starts it with each line's time (local ``HH:MM:SS``) before the line (``t`` toggles it).
    When a job ends while it is shown, ``bell`` rings the terminal's bell and
    ``desktop_notify`` asks the desktop for a notification (:mod:`joblens.end_notice`).
    """

    theme: str | None = None
    wrap: bool = False
    timestamps: bool = False
    bell: bool = True
    desktop_notify: bool = True


def theme_names() -> tuple[str, ...]:
    """The names of the themes ``JoblensApp`` can be given, in Textual's order.

    joblens registers no themes of its own, so these are Textual's built-in ones: every
    ``App`` registers each of ``textual.theme.BUILTIN_THEMES`` as it is made. Read from there,
    so checking a setting starts no app.
    """
    return tuple(BUILTIN_THEMES)
