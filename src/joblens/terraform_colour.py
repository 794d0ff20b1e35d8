"""Colour for colourless Terraform/OpenTofu output, as tofu's own colour mode would show it.

Why: the platform's runner drives OpenTofu through terraform-exec with ``-no-color``, so real
job logs carry no ANSI colour at all, and a 400-line plan is a grey wall. This module finds,
in one line of that output, the pieces tofu would have coloured, so the log pane (and plain
mode) can show them the way ``tofu`` in a terminal would have.

What is coloured (tofu's choices, read from its ``colorstring`` markup):

- plan symbols at the start of a line, after the indentation: ``+`` create (green), ``-``
  destroy (red), ``~`` update (yellow), ``<=`` read (cyan), ``-/+`` and ``+/-`` replace (one
  colour per symbol); in resource headers, attribute lines and the legend; `` # forces
  replacement`` in red, `` -> null`` (also after ``}``) and ``# (N unchanged ... hidden)`` dimmed;
- ``# <address>`` in bold in ``  # <address> will be created`` (updated, destroyed, replaced,
  read, moved, ...);
- ``Plan:`` in bold with its non-zero counts coloured, ``Planning failed.`` (red), ``Note:``
  (cyan), ``Changes to Outputs:``, ``No changes.``, ``Apply complete!``, ``Destroy
  complete!``, ``Outputs:``, ``Success!``,
  ``... has been successfully initialized!``, ``Initializing ...`` lines, and (plain green)
  ``Successfully configured the backend``;
- resource progress lines (``aws_instance.web: Creating...``, ``Still creating...``,
  ``Creation complete after 2s``, modifying, destroying, reading, importing...) in bold,
  ``<address>: Refreshing state...`` dimmed, and the provisioner prefix ``<address> (local-exec):``;
- diagnostics: ``Error:`` bold red and ``Warning:`` bold yellow with a bold summary, bare or
  inside the ``╷ │ ╵`` frame, whose gutter is red for an error and yellow for a warning;
- init and lock chatter dimmed: ``- Finding ...``, ``- Installing ...``, ``- Installed ...``,
  ``- Using ...``, ``- Reusing ...``, ``Acquiring state lock...``, ``Releasing state lock...``.

Spans change style only, never text. A line is looked at on its own (``spans``), except the
gutter of a diagnostic frame: its severity is on the line after ``╷``, so ``frame_severity``
looks a bounded number of lines back (or one ahead, for ``╷``) through a callable. Nothing
here runs at ingest: the pane calls it only for the lines it paints, and caches the result.
Most lines match nothing, and cost one look at their first non-blank character.

Deliberate differences from tofu: tofu prints ``Refreshing state...`` in bold; here it is
dimmed, as it is noise next to the changes. Text that merely looks like a plan line (a heredoc
line starting ``- `` inside a plan) is coloured too: one line alone cannot tell them apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

__all__ = [
    "LOOKBACK",
    "SGR",
    "SGR_ATTRIBUTES",
    "Nearby",
    "Spans",
    "colour_line",
    "colour_lines",
    "frame_severity",
    "line_spans",
    "spans",
]

#: ``(start, end, style name)``, sorted, non-overlapping, never empty, in character offsets.
Spans = tuple[tuple[int, int, str], ...]
#: The text of the line at a relative offset (-1: the line before, 1: the line after), or
#: None past either end of what is known.
Nearby = Callable[[int], str | None]

#: Lines looked back from a frame line for its ``╷`` (tofu's diagnostics are rarely longer).
LOOKBACK = 64

#: The SGR parameters tofu's colour mode writes for each style name (plain ANSI colours).
SGR: dict[str, str] = {
    "create": "32",
    "destroy": "31",
    "update": "33",
    "read": "36",
    "bold": "1",
    "dim": "2",
    "error": "1;31",
    "warning": "1;33",
    "error-frame": "31",
    "warning-frame": "33",
    "success": "1;32",
    "note": "1;36",
}
#: The same with the colour left out: for a line its stream already colours (STDERR red).
SGR_ATTRIBUTES: dict[str, str] = {
    name: ";".join(p for p in params.split(";") if p in ("1", "2")) for name, params in SGR.items()
}

_RESET = "\x1b[0m"
_SYMBOLS = {"+": "create", "-": "destroy", "~": "update"}
_FORCES = " # forces replacement"
_TO_NULL = " -> null"
# "  # <address> will be created", "... must be replaced", "... has moved to ...", and so on
# (jsonformat/plan.go's resourceChangeComment); "  # (because ...)" notes are left plain.
_HEADER = re.compile(
    r"# ([^\s(].*?) (?:will be |must be |will no longer |has (?:moved|been|changed)|is tainted)"
)
_COUNT = re.compile(r"([1-9]\d*) to (add|change|destroy)\b")
_COUNT_STYLES = {"add": "create", "change": "update", "destroy": "destroy"}
# After "<address>: ", tofu's UI hook prints these in bold (views/hook_ui.go).
_PROGRESS = (
    "Creating...",
    "Creation complete after ",
    "Modifying...",
    "Modifications complete after ",
    "Destroying...",
    "Destruction complete after ",
    "Reading...",
    "Read complete after ",
    "Still ",
    "Provisioning with ",
    "Importing",
    "Import complete",
    "Preparing import...",
    "Opening...",
    "Open complete after ",
    "Renewing...",
    "Renew complete after ",
    "Closing...",
    "Close complete after ",
    "Deferred due to ",
)
_CHATTER = (
    "- Finding ",
    "- Installing ",
    "- Installed ",
    "- Using ",
    "- Reusing ",
    "- Downloading ",
)
_SUCCESS = (
    "Apply complete!",
    "Destroy complete!",
    "OpenTofu has been successfully initialized!",
    "Terraform has been successfully initialized!",
)
_LOCK = ("Acquiring state lock.", "Releasing state lock.")
_BACKEND = ("Successfully configured the backend ", "Successfully unset the backend ")
# The second line of "Successfully configured the backend", which tofu prints green as well.
_BACKEND_MORE = "use this backend unless the backend configuration changes."
_FRAMES = frozenset("╷│╵")


def _whole(line: str, name: str) -> Spans:
    return ((0, len(line), name),)


def _label(line: str, at: int, label: str, name: str) -> Spans:
    """``label`` (with its trailing space) in ``name``, the rest of the line in bold."""
    end = at + len(label)
    return ((at, end, name), (end, len(line), "bold")) if end < len(line) else ((at, end, name),)


def _symbol(line: str, at: int) -> Spans:
    """A plan line (``  + ami = ...``), or at the left margin init chatter (``- Finding``)."""
    rest = line[at:]
    if rest.startswith(("-/+ ", "+/- ")):  # replace: the only symbols tofu puts at column 0
        first, second = ("destroy", "create") if rest[0] == "-" else ("create", "destroy")
        found: list[tuple[int, int, str]] = [(at, at + 1, first), (at + 2, at + 3, second)]
    elif at == 0:
        return _whole(line, "dim") if rest.startswith(_CHATTER) else ()
    elif rest[:2] in ("+ ", "- ", "~ "):
        found = [(at, at + 1, _SYMBOLS[rest[0]])]
    elif rest.startswith("<= "):
        found = [(at, at + 2, "read")]
    else:
        return ()
    # The suffix starts with a space, so it can never reach back into the symbol.
    if line.endswith(_FORCES):
        found.append((len(line) - len(_FORCES) + 1, len(line), "destroy"))
    elif line.endswith(_TO_NULL):
        found.append((len(line) - len(_TO_NULL) + 1, len(line), "dim"))
    return tuple(found)


def _closer(line: str, at: int) -> Spans:
    """``} -> null``: the end of a destroyed block or list."""
    if line.endswith(_TO_NULL):
        return ((len(line) - len(_TO_NULL) + 1, len(line), "dim"),)
    return ()


def _comment(line: str, at: int) -> Spans:
    """``  # aws_instance.web will be created``: the address in bold; hidden counts dimmed."""
    if line.endswith(" hidden)") and line.startswith("# (", at) and "unchanged" in line:
        return ((at, len(line), "dim"),)
    match = _HEADER.match(line, at)
    return ((at, match.end(1), "bold"),) if match else ()


def _plan_line(line: str, at: int) -> Spans:
    if at:
        return ()
    if line.startswith("Plan: "):
        found = [(0, 5, "bold")]
        found += [(m.start(), m.end(), _COUNT_STYLES[m[2]]) for m in _COUNT.finditer(line, 6)]
        return tuple(found)
    if line.startswith("Planning failed."):
        return _label(line, 0, "Planning failed.", "error")
    return ()


def _notice(line: str, at: int) -> Spans:
    """Summary lines at the left margin, told apart by their first words."""
    if at:
        return ()
    if line.startswith(_SUCCESS):
        return _whole(line, "success")
    if line.startswith(_LOCK):
        return _whole(line, "dim")
    if line.startswith("No changes."):
        return _label(line, 0, "No changes.", "success")
    if line.startswith("Note: "):
        return _label(line, 0, "Note: ", "note")
    if line.startswith("Success! "):
        return _label(line, 0, "Success! ", "success")
    if line.startswith(_BACKEND):
        return _whole(line, "create")  # tofu's plain green, not the bold of a result
    if line.startswith("Initializing "):
        return _whole(line, "bold")
    if line.startswith("Error: "):
        return _label(line, 0, "Error: ", "error")
    if line.startswith("Warning: "):
        return _label(line, 0, "Warning: ", "warning")
    stripped = line.rstrip()
    if stripped == "Outputs:":
        return ((0, len(stripped), "success"),)
    if stripped in ("Changes to Outputs:", "Warnings:"):
        return ((0, len(stripped), "warning" if stripped[0] == "W" else "bold"),)
    return ()


def _frame(line: str, at: int) -> Spans:
    """``│ Error: summary``: what one frame line says of itself (the rest needs its block)."""
    if line.startswith("│ Error: ", at):
        return ((at, at + 1, "error-frame"), *_label(line, at + 2, "Error: ", "error"))
    if line.startswith("│ Warning: ", at):
        return ((at, at + 1, "warning-frame"), *_label(line, at + 2, "Warning: ", "warning"))
    return ()


def _progress(line: str) -> Spans:
    """``aws_instance.web: Creating...`` and the other lines tofu's UI hook prints."""
    colon = line.find(": ")
    if colon <= 0:
        return _whole(line, "create") if line.startswith(_BACKEND_MORE) else ()
    after = colon + 2
    if line.startswith(_PROGRESS, after):
        return _whole(line, "bold")
    if line.startswith("Refreshing state...", after):
        return _whole(line, "dim")
    if line.startswith("Import prepared!", after):
        return _whole(line, "success")
    if line[colon - 1] == ")":  # provisioner output: "aws_instance.web (remote-exec): ..."
        opened = line.find(" (")
        if 0 < opened < colon and " " not in line[:opened]:
            return ((0, colon + 1, "bold"),)
    return ()


_BY_FIRST: dict[str, Callable[[str, int], Spans]] = {
    "+": _symbol,
    "-": _symbol,
    "~": _symbol,
    "<": _symbol,
    "#": _comment,
    "}": _closer,
    "]": _closer,
    "P": _plan_line,
    **dict.fromkeys("ACDENORSTIW", _notice),
    "│": _frame,
}


def spans(line: str) -> Spans:
    """The styled pieces of one line of colourless tofu output (no SGR codes in it).

    Style names are keys of ``SGR``. Never raises, and never needs another line: the gutter
    of a frame line other than ``│ Error:``/``│ Warning:`` is left to ``frame_severity``.
    """
    if not line:
        return ()
    first = line[0]
    at = 0
    if first == " ":
        at = len(line) - len(line.lstrip(" "))
        if at == len(line):
            return ()
        first = line[at]
    handler = _BY_FIRST.get(first)
    if handler is not None:
        return handler(line, at)
    if at == 0 and "a" <= first <= "z":  # resource addresses start with a type or module./data.
        return _progress(line)
    return ()


def _severity(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.lstrip(" ")
    if text.startswith("│ Error:"):
        return "error"
    if text.startswith("│ Warning:"):
        return "warning"
    return None


def frame_severity(line: str, nearby: Nearby, limit: int = LOOKBACK) -> str | None:
    """``"error"`` or ``"warning"`` for a line of a diagnostic frame, else None.

    The severity is on the line after the block's ``╷``: for ``╷`` that is the next line;
    for ``│`` and ``╵`` the lines before are walked back (at most ``limit``) to the ``╷``.
    """
    body = line.lstrip(" ")
    if body.startswith("╷"):
        return _severity(nearby(1))
    if not body.startswith(("│", "╵")):
        return None
    below = body
    for offset in range(1, limit + 1):
        above = nearby(-offset)
        if above is None:
            return None
        above = above.lstrip(" ")
        if above.startswith("╷"):
            return _severity(below)
        if not above.startswith("│"):
            return None
        below = above
    return None


def line_spans(line: str, nearby: Nearby | None = None) -> Spans:
    """``spans(line)``, plus the gutter colour of a frame line when ``nearby`` is given."""
    found = spans(line)
    if found or nearby is None or not line:
        return found
    at = len(line) - len(line.lstrip(" ")) if line[0] == " " else 0
    if at < len(line) and line[at] in _FRAMES:
        severity = frame_severity(line, nearby)
        if severity is not None:
            return ((at, at + 1, f"{severity}-frame"),)
    return ()


def colour_line(line: str, nearby: Nearby | None = None, tint: str = "") -> str:
    """The line with SGR codes for its spans (plain mode's ``--color always``).

    ``tint`` is the SGR sequence of the line's stream (``"\\x1b[31m"`` for STDERR), or "":
    a tinted line keeps its tint and its spans add only bold and dim, as in the log pane.
    A line that has its own SGR codes is returned as it is, with a reset at the end.
    """
    if "\x1b" in line:
        return line + _RESET
    found = line_spans(line, nearby)
    if not found:
        return f"{tint}{line}{_RESET}" if tint else line
    codes = SGR_ATTRIBUTES if tint else SGR
    out = [tint]
    done = 0
    for start, end, name in found:
        out.append(line[done:start])
        params = codes[name]
        out.append(f"\x1b[{params}m{line[start:end]}{_RESET}{tint}" if params else line[start:end])
        done = end
    rest = line[done:]
    if rest or tint:  # else the last span's reset already ends the line
        out += [rest, _RESET]
    return "".join(out)


def colour_lines(lines: Sequence[str], before: Sequence[str] = (), tint: str = "") -> list[str]:
    """``colour_line`` for a run of lines; ``before`` holds the lines printed before them.

    The next line is known within ``lines`` only: a frame's ``╷`` that ends a batch stays
    uncoloured (tofu writes a diagnostic in one piece, so this is rare).
    """
    out: list[str] = []
    for index, line in enumerate(lines):

        def nearby(offset: int, index: int = index) -> str | None:
            at = index + offset
            if 0 <= at < len(lines):
                return lines[at]
            if at < 0 and -at <= len(before):
                return before[at]
            return None

        out.append(colour_line(line, nearby, tint))
    return out
