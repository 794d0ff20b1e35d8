"""The view's looks as the user last left them: theme, wrap and timestamps, kept between runs.

Changed in the view (the palette's theme, ``w``, ``t``), they are written to ``view.json`` in
the user's state directory (``$XDG_STATE_HOME/joblens`` on Linux), owner-only, and read by
:func:`joblens.settings.resolve` as the last source before the defaults: a flag, the
environment and a profile's explicit setting still win (``joblens config show`` says
"remembered" for a value that came from here). Keeping them is a convenience, never a reason
to fail: a file that cannot be read is ignored, one that cannot be written is left as it was.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path

from platformdirs import user_state_path

from joblens.private_files import write_private

#: The settings a view remembers (names as in joblens.settings.KEYS), with their types.
REMEMBERED: dict[str, type] = {"theme": str, "wrap": bool, "timestamps": bool}


def memory_path() -> Path:
    """``view.json`` in the user's state directory."""
    return user_state_path("joblens") / "view.json"


class ViewMemory:
    """The remembered settings in one file (``path``)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else memory_path()

    def read(self) -> dict[str, str | bool]:
        """What was remembered; nothing if the file is missing, unreadable or not ours."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, Mapping):
            return {}
        kept: dict[str, str | bool] = {}
        for name, value in data.items():
            if isinstance(value, str | bool) and type(value) is REMEMBERED.get(name):
                kept[name] = value
        return kept

    def remember(self, name: str, value: str | bool) -> None:
        """Keep ``name`` = ``value`` for the next run (the others as they were)."""
        if name not in REMEMBERED or type(value) is not REMEMBERED[name]:
            raise ValueError(f"not a remembered setting: {name}={value!r}")
        data = self.read()
        if data.get(name) == value:
            return
        data[name] = value
        with contextlib.suppress(OSError):  # (a read-only home: the view only forgets)
            write_private(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")
