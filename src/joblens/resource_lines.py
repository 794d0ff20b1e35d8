"""Reading an apply's log for its resources' steps (:mod:`joblens.resources` adds them up).

Terraform and OpenTofu print one line per step of a resource (``views/hook_ui.go``), coloured
or not (the platform's runner passes ``-no-color``; colour codes are ignored here):

- ``<address>: Creating...`` / ``Modifying... [id=...]`` / ``Destroying... [id=...]`` /
  ``Reading...`` / ``Importing... [id=...]``: the step starts;
- ``<address>: Still creating... [10s elapsed]`` (``[id=..., 10s elapsed]``): still running;
- ``Creation complete after 2s [id=...]``, ``Modifications complete ...``, ``Destruction
  complete after 3s``, ``Read complete ...``, ``Import complete``: the step is done;
  ``Creation errored after 5s``: it failed;
- ``<address> (local-exec): ...`` and ``Provisioning with ...``: the resource's own output;
- an error diagnostic about a resource (``Error: ...`` then ``with <address>,``, read by
  :class:`joblens.diagnostics.DiagnosticParser`): it failed.

A plan's resource headers (``  # <address> will be created``) and its ``Plan: ...`` line, and
``Apply complete! ...`` / ``Destroy complete! ...``, are read too. Each line read becomes an
:data:`Event`; nothing here raises on any text, and the text is only read.

Two readers give the same events (``tests/test_resources.py`` holds them to the reading as it
was first written, ``tests/support/resources_reference.py``):

- :func:`read_line` reads one line: ``_LINE`` at its start, then Python for what it found;
- :func:`read_text` reads a batch of lines with one ``findall`` of ``_QUICK``, which sorts
  every line in C: a tick as Terraform writes it comes cut into its parts, another step with
  its message only if it is one (``Refreshing state...`` is not), a run of lines that can be
  nothing to the tracker as one string, whose lines are only counted. Python reads the steps
  and plan headers it hands over, and gives ``read_line`` the few other lines that may matter
  (summaries, diagnostics' starts, lines with colour codes inside); while a diagnostic is
  open, every line goes to its parser. Colour codes are never removed from a whole batch:
  ``_QUICK_COLOURED`` takes those around a step's text (as Terraform colours it).

Per million lines (``benchmarks/resources.py``, CPU time, 2 cores, a busy machine): 1.7 s of
an apply that is all steps (3.3 s before), 1.2 s of ``benchmarks/workload.py``'s log (1.45 s
before; 0.35 s of it its diagnostics and coloured summaries, read by ``read_line``). The
``findall`` alone takes 0.6 s of either; one that only cuts the lines, 0.15 s.
"""

from __future__ import annotations

import re
from collections.abc import Hashable

from joblens.diagnostics import ERROR, Diagnostic, DiagnosticParser, uncoloured

__all__ = ["Event", "LineDiagnostics", "failures", "read_line", "read_text"]

#: An event: (line it came from, kind, address, operation, elapsed, ident, line it is about).
#: Kinds: start, tick, complete, errored, touch (the resource's own output), failure (from a
#: diagnostic), header (a plan's: pending), plan and finished (a total, in ``elapsed``).
Event = tuple[int, str, str, str, str | None, str | None, int]

_NAME = r"[A-Za-z_][\w-]*"
_KEY = r'\[(?:"(?:[^"\\\n]|\\.)*+"|[^\]"\n]*+)\]'
_ADDRESS = (
    rf"(?:module\.{_NAME}(?:{_KEY})?\.)*(?:data\.)?{_NAME}\.{_NAME}(?:{_KEY})?"
    r"(?: \(deposed object [^()\s]+\))?"
)
#: The lines :func:`read_line` reads (any other is none of the tracker's business, unless a
#: diagnostic is open), from the ``\n`` before them: a resource's step (``<address>:
#: Creating...``) or output (``<address> (local-exec): ...``); a plan's resource header; the
#: summary lines; the lines that may start a diagnostic.
_LINE = re.compile(
    rf"\n(?:(?P<address>{_ADDRESS})(?:: (?P<message>(?:Creat|Modif|Destr|Read|Still |Import"
    r"|Prepar|Provisioning with )[^\n]*+)| \((?P<provisioner>[\w-]+)\): [^\n]*+)"
    r"|(?P<header>[ \t]{0,4}+# [^\n]*+)"
    r"|(?P<summary>(?:Plan: |No changes\.|Apply complete!|Destroy complete!)[^\n]*+)"
    r"|Error: |Warning: | *+╷)"
)
_VERBS = {"creating": "create", "modifying": "update", "destroying": "destroy"}
_VERBS |= {"reading": "read", "importing": "import"}
_STARTS = {
    "Creating...": "create",
    "Modifying...": "update",
    "Destroying...": "destroy",
    "Reading...": "read",
    "Importing...": "import",
    "Preparing import...": "import",
}
_ENDS = re.compile(
    r"(Creation|Modifications?|Destruction|Read|Import) (complete|errored)(?: after (\S+))?"
)
_NOUNS = {"Creation": "create", "Modification": "update", "Modifications": "update"}
_NOUNS |= {"Destruction": "destroy", "Read": "read", "Import": "import"}
#: A plan's resource header (the apply's own plan): the resources still to come.
_HEADER = re.compile(
    r"[ \t]{0,4}# (?=[^\s(])(.*?) (will be created|will be updated in-place|will be destroyed"
    r"|(?:is tainted, so )?must be replaced|will be replaced(?:, as requested| due to changes "
    r"in replace_triggered_by)?|will be read during apply|will be imported)[ \t]*"
)
_HEADER_OPS = {
    "will be created": "create",
    "will be updated in-place": "update",
    "will be destroyed": "destroy",
    "will be read during apply": "read",
    "will be imported": "import",
}
_COUNT = re.compile(r"(\d{1,9}) (?:to )?(add|change|destroy)(?:ed|d)?\b")
#: What the words of each step's message said (``_said``), learnt as a log repeats them.
_SAID: dict[str, tuple[str, str, str | None] | None] = {}
#: Entries a cache may hold before it is emptied (and learns again what the log repeats).
_CACHE_SIZE = 4096
_TOUCHES = ("Provisioning with ", "Import prepared!")
#: How the words of an end (``_ENDS``) begin; they hold 3 spaces at most.
_END_NOUNS = tuple(f"{noun} " for noun in _NOUNS)


def _said(words: str) -> tuple[str, str, str | None] | None:
    """What a step's words (its message before any ``" ["``) say: ``(kind, operation,
    after)``, the kind start, tick, complete or errored, ``after`` an end's ``after 2s``."""
    if words in _SAID:
        return _SAID[words]
    found: tuple[str, str, str | None] | None = None
    if words in _STARTS:
        found = ("start", _STARTS[words], None)
    elif words.startswith("Still ") and words.endswith("...") and words[6:-3] in _VERBS:
        found = ("tick", _VERBS[words[6:-3]], None)
    else:
        ended = _ENDS.fullmatch(words)
        if ended is not None:
            kind = "complete" if ended[2] == "complete" else "errored"
            found = (kind, _NOUNS[ended[1]], ended[3])
    if len(_SAID) >= _CACHE_SIZE:
        _SAID.clear()
    _SAID[words] = found
    return found


def _inside(inside: str) -> tuple[str | None, str | None]:
    """``(elapsed, ident)`` from what a step's trailing brackets hold: ``id=..., 10s elapsed``."""
    part, _, last = inside.rpartition(", ")
    elapsed = None
    if last.endswith(" elapsed"):
        elapsed, inside = last[: -len(" elapsed")] or None, part
    return elapsed, inside[3:] if inside.startswith("id=") else None


def _step(index: int, address: str, message: str) -> Event | None:
    """The event of a resource's step (``message``: what follows ``<address>: ``)."""
    if message.startswith(_TOUCHES):
        return (index, "touch", address, "", None, None, index)
    bracket = message.find(" [") if message.endswith("]") else -1
    said = _said(message if bracket < 0 else message[:bracket])
    if said is None:
        return None
    elapsed, ident = (None, None) if bracket < 0 else _inside(message[bracket + 2 : -1])
    kind, operation, after = said
    return (index, kind, address, operation, elapsed if kind == "tick" else after, ident, index)


def _summary(index: int, text: str) -> Event | None:
    """``Plan: ...``, ``No changes.``, ``Apply complete! ...``, ``Destroy complete! ...``."""
    if text.startswith("No changes."):
        return (index, "plan", "", "", "0", None, index)
    counts = {what: int(n) for n, what in _COUNT.findall(text)}
    if not counts:
        return None
    total = str(sum(counts.values()))  # (carried in the event's ``elapsed``)
    return (index, "plan" if text.startswith("Plan: ") else "finished", "", "", total, None, index)


def _header(index: int, text: str) -> Event | None:
    found = _HEADER.fullmatch(text)
    if found is None:
        return None
    operation = _HEADER_OPS.get(found[2], "replace")
    return (index, "header", found[1], operation, None, None, index)


def _event(index: int, found: re.Match[str]) -> Event | None:
    """The event of a line ``_LINE`` found (a diagnostic's start has none of its own)."""
    address = found["address"]
    if address is not None:
        message = found["message"]
        if message is None:  # the resource's own output: "<address> (local-exec): ..."
            return (index, "touch", address, "", None, None, index)
        return _step(index, address, message)
    if found["header"] is not None:
        return _header(index, found["header"])
    if found["summary"] is not None:
        return _summary(index, found["summary"])
    return None


class LineDiagnostics:
    """The diagnostic parser, fed only the lines that can matter to it: any line while a block
    is open (or a ``╷`` waits for its next line), else the lines that may start one."""

    def __init__(self) -> None:
        self.parser = DiagnosticParser()
        self.tops: set[Hashable] = set()
        self.busy = False

    def feed(self, index: int, line: str, text: str, stream: Hashable) -> list[Diagnostic]:
        if not self.busy and not (
            text.startswith(("Error: ", "Warning: ")) or text.strip(" ") == "╷"
        ):
            return []  # the parser would do nothing with it
        self.parser.index = index
        found = self.parser.feed(line, stream)
        if text.strip(" ") == "╷":
            self.tops.add(stream)
        else:
            self.tops.discard(stream)
        self.busy = bool(self.tops or self.parser.open_starts)
        return found


def failures(found: list[Diagnostic], at: int) -> list[Event]:
    """The failures the diagnostics completed at line ``at`` name (errors about a resource)."""
    return [
        (at, "failure", d.address, "", None, None, d.first)
        for d in found
        if d.severity == ERROR and d.address
    ]


def read_line(index: int, line: str, stream: Hashable, diagnostics: LineDiagnostics) -> list[Event]:
    """The events of one line (with or without colour codes)."""
    text = uncoloured(line)
    events = failures(diagnostics.feed(index, line, text, stream), index)
    found = _LINE.match("\n" + text)
    if found is not None:
        event = _event(index, found)
        if event is not None:
            events.append(event)
    return events


# -- a batch at once ---------------------------------------------------------------------------

#: Most of ``_ADDRESS`` (ASCII names; keys without ``\`` or an escape, nor ``]`` in quotes),
#: without the backtracking that cannot find another address: a name or a key is never
#: followed by what could go on with it, and fewer modules leave a name before a "." (only
#: ``data.`` may be a type's name instead: ``data.x``). Where this is followed by ``": "``,
#: ``_LINE``'s address is the same; a line with another address is left to ``read_line``.
_NAME_ONCE = r"[A-Za-z_][A-Za-z0-9_-]*+"
_KEY_ONCE = r'\[(?:[^\]"\n\x1b]*+|"[^"\\\n\x1b]*+")\]'
_ADDRESS_ONCE = (
    rf"(?:module\.{_NAME_ONCE}(?:{_KEY_ONCE})?+\.)*+(?:data\.)?{_NAME_ONCE}\.{_NAME_ONCE}"
    rf"(?:{_KEY_ONCE})?+(?: \(deposed object [^()\s\x1b]++\))?+"
)
#: The messages ``_step`` makes a start, tick or end of (``_said``): words with no " [" in
#: them, then nothing or `` [...]`` to the end of the line.
_EVENT_MESSAGE = (
    r"(?:(?:Creating|Modifying|Destroying|Reading|Importing|Preparing import)\.\.\."
    r"|Still (?:creating|modifying|destroying|reading|importing)\.\.\."
    r"|(?:Creation|Modifications?|Destruction|Read|Import) (?:complete|errored)"
    r"(?: after [^\s\x1b\[][^\s\x1b]*+)?)(?: \[[^\n\x1b]*+(?<=\]))?"
)
#: A line ``_LINE`` cannot read (when no diagnostic is open):
#:
#: - indented (colour codes between the blanks), not by a header's ``#`` or a frame's ``╷``;
#:   or by more than a header's 4 blanks before a ``#``;
#: - after anything but a letter, ``_``, space, tab, ``#`` or ``╷`` (or an escape); blank;
#: - an address's line whose message ``_step`` makes nothing of (no escape in it);
#: - a line with no ``": "`` (nor an escape), not a summary;
#: - ``<word>: ...`` and ``<words with a space>: ...`` (no ``[``, ``(`` or ``:`` before the
#:   ``": "``: no address ends there), not a summary nor a diagnostic's start.
#:
#: Runs of them cost Python nothing but a count.
_IGNORED = (
    r"[ \t]++(?:\x1b\[[0-9;:]*+m[ \t]*+)*+[^ \t#╷\x1b\n][^\n]*+\n"
    r"|[ \t]{5}[ \t]*+#[^\n]*+\n"
    r"|[^A-Za-z_ \t#╷\x1b\n][^\n]*+\n"
    r"|[ \t]*+\n"
    rf"|{_ADDRESS_ONCE}: (?!(?:{_EVENT_MESSAGE})\n|Provisioning with |Import prepared!)"
    r"[^\n\x1b]*+\n"
    r"|(?!No changes\.|Apply complete!|Destroy complete!|Plan: |Error: |Warning: )"
    r"[A-Za-z_](?:[^:\n\x1b]*+(?::(?! )[^:\n\x1b]*+)*+|[\w-]*+: [^\n]*+"
    r"|[^:\n\x1b\[( ]*+ [^:\n\x1b\[(]*+: [^\n]*+)\n"
)


def _quick(sgr: str) -> re.Pattern[str]:
    """Each line of a batch as one of these (``sgr``: the colour codes allowed before and
    after a step's text), in the groups ``findall`` gives, in this order (few: each costs):

    1. ``address`` and ``": "``, then 2-4, a tick as Terraform writes it (``verb``: its first
       letter, ``tick_id``: ``id=..., `` or nothing, ``elapsed``), or 5, another ``message``
       ``_step`` makes a start, tick or end of;
    6. ``ignored``: lines ``_IGNORED``, as many as follow one another;
    7. ``header``: what may be a plan's resource header (``_header`` reads it);
    8. ``other``: any other line (a summary, a diagnostic's start, a line with an escape
       inside, an address ``_ADDRESS_ONCE`` does not take, provisioning...), for
       ``read_line``.
    """
    return re.compile(
        rf"{sgr}({_ADDRESS_ONCE}): (?:Still ([cmdri])(?:(?<=c)reating|(?<=m)odifying"
        r"|(?<=d)estroying|(?<=r)eading|(?<=i)mporting)\.\.\. \[(id=[^\n,\[\]\x1b]*+, )?(\w++) "
        rf"elapsed\]|({_EVENT_MESSAGE})){sgr}\n"
        rf"|((?:{_IGNORED})++)"
        r"|([ \t]{0,4}+# [^\n\x1b]*+)\n"
        r"|([^\n]*+)\n"
    )


_QUICK = _quick("")
#: For a batch with colour codes: those joblens.sanitize.strip_sgr removes.
_QUICK_COLOURED = _quick(r"(?:\x1b\[[0-9;:]*+m)*+")
_TICK_OPS = {"c": "create", "m": "update", "d": "destroy", "r": "read", "i": "import"}
_TICK_WORDS = {"c": "creating", "m": "modifying", "d": "destroying", "r": "reading"}
_TICK_WORDS["i"] = "importing"


def read_text(
    text: str, stream: Hashable, index: int, diagnostics: LineDiagnostics, events: list[Event]
) -> int:
    """The events of a batch of lines (``\\n`` ends each, the last one's may be missing),
    added to ``events`` as :func:`read_line` gives them line by line; the index after its last
    line."""
    if not text:
        return index
    if text[-1] != "\n":
        text += "\n"
    quick = _QUICK_COLOURED if "\x1b" in text else _QUICK
    add, said_by, busy = events.append, _SAID, diagnostics.busy
    for found in quick.findall(text):
        address, verb, tick_id, elapsed, message, ignored, header, other = found
        if busy:
            busy, index = _read_busy(found, stream, index, diagnostics, events)
            continue
        if verb:  # a tick as Terraform writes it: most lines of a long apply
            ident = tick_id[3:-2] if tick_id else None
            add((index, "tick", address, _TICK_OPS[verb], elapsed, ident, index))
        elif address:  # another step (as _step reads it, the words learnt)
            bracket = message.find(" [") if message[-1] == "]" else -1
            words = message if bracket < 0 else message[:bracket]
            # (_EVENT_MESSAGE holds only the words _said makes something of)
            kind, operation, after = said_by[words] if words in said_by else _said(words)  # type: ignore[misc]
            ident = None
            if bracket >= 0:
                got, ident = _inside(message[bracket + 2 : -1])
                after = got if kind == "tick" else after
            elif kind == "tick":
                after = None
            add((index, kind, address, operation, after, ident, index))
        elif ignored:
            index += ignored.count("\n")
            continue
        elif header:
            event = _header(index, header)
            if event is not None:
                add(event)
        else:
            events += read_line(index, other, stream, diagnostics)
            busy = diagnostics.busy
        index += 1
    return index


def _read_busy(
    found: tuple[str, ...],
    stream: Hashable,
    index: int,
    diagnostics: LineDiagnostics,
    events: list[Event],
) -> tuple[bool, int]:
    """What ``findall`` found of a line (or of a run of lines), read while a diagnostic is
    open: each line as :func:`read_line` reads it, until none is open (the rest are then
    nothing to the tracker). Whether one is still open, and the index after them."""
    address, verb, tick_id, elapsed, message, ignored, header, other = found
    if ignored:
        lines = ignored[:-1].split("\n")
    elif verb:
        lines = [f"{address}: Still {_TICK_WORDS[verb]}... [{tick_id}{elapsed} elapsed]"]
    else:
        lines = [f"{address}: {message}" if address else header or other]
    for number, line in enumerate(lines):
        events += read_line(index + number, line, stream, diagnostics)
        if not diagnostics.busy:
            return False, index + len(lines)
    return True, index + len(lines)
