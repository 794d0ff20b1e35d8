"""Copying to the clipboard: the system clipboard first, then the terminal (OSC 52)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class _CanCopy(Protocol):
    def copy_to_clipboard(self, text: str) -> None: ...


def _pyperclip_copy(text: str) -> None:
    import pyperclip

    pyperclip.copy(text)


def copy_text(
    app: _CanCopy, text: str, system_copy: Callable[[str], None] = _pyperclip_copy
) -> str:
    """Copy ``text``; return where it went, for the toast ("clipboard" or "terminal clipboard").

    pyperclip raises when the machine has no clipboard tool (xclip, xsel, wl-copy), as over SSH;
    then Textual's OSC 52 copy asks the terminal to do it.
    """
    try:
        system_copy(text)
    except Exception:  # pyperclip.PyperclipException is a RuntimeError; any failure falls back
        app.copy_to_clipboard(text)
        return "terminal clipboard (OSC 52)"
    return "clipboard"
