"""The resource tracker as it was before it was made cheap (joblens before issue 13's
"resources" work): the reference the tests hold ``joblens.resources`` to.

Verbatim but for names: one regular expression search per batch that tries every line start,
Python for every line found (a step, a header, a summary, a diagnostic's start), an event per
line read; the state is what the events add up to.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from joblens.diagnostics import ERROR, Diagnostic, DiagnosticParser, uncoloured
from joblens.resources import Resource, ResourceState
from joblens.sanitize import strip_sgr

__all__ = ["ReferenceTracker", "Resource", "ResourceState"]

OPERATIONS = ("create", "update", "destroy", "replace", "read", "import")
#: How many each operation counts for in the ``Plan:`` line's total.
_WEIGHT = {"create": 1, "update": 1, "destroy": 1, "replace": 2}
#: The steps a resource completed, as bits (their count is what it adds to ``done``).
_BIT = {"create": 1, "update": 2, "destroy": 4}


# -- reading lines ---------------------------------------------------------------------------

_NAME = r"[A-Za-z_][\w-]*"
_KEY = r'\[(?:"(?:[^"\\\n]|\\.)*+"|[^\]"\n]*+)\]'
_ADDRESS = (
    rf"(?:module\.{_NAME}(?:{_KEY})?\.)*(?:data\.)?{_NAME}\.{_NAME}(?:{_KEY})?"
    r"(?: \(deposed object [^()\s]+\))?"
)
#: The lines Python reads (any other is skipped, unless a diagnostic is open), from the ``\n``
#: before them, so that a batch needs one search that tries only line starts: a resource's
#: step (``<address>: Creating...``) or output (``<address> (local-exec): ...``); a plan's
#: resource header; the summary lines; the lines that may start a diagnostic. Each pattern
#: stops at the line's end, so a line matches alone exactly as it does in its batch.
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

#: An event: (line it came from, kind, address, operation, elapsed, ident, line it is about).
Event = tuple[int, str, str, str, str | None, str | None, int]


def _step(index: int, address: str, message: str) -> Event | None:
    """The event of a resource's step (``message``: what follows ``<address>: ``)."""
    if message.startswith(("Provisioning with ", "Import prepared!")):
        return (index, "touch", address, "", None, None, index)
    # The words, then what is in the trailing brackets: ``[id=..., 10s elapsed]``.
    bracket = message.find(" [") if message.endswith("]") else -1
    words, inside = (
        (message, None) if bracket < 0 else (message[:bracket], message[bracket + 2 : -1])
    )
    ident = elapsed = None
    if inside is not None:
        part, _, last = inside.rpartition(", ")
        if last.endswith(" elapsed"):
            elapsed, inside = last[: -len(" elapsed")] or None, part
        ident = inside[3:] if inside.startswith("id=") else None
    if words in _STARTS:
        return (index, "start", address, _STARTS[words], None, ident, index)
    if words.startswith("Still ") and words.endswith("...") and words[6:-3] in _VERBS:
        return (index, "tick", address, _VERBS[words[6:-3]], elapsed, ident, index)
    ended = _ENDS.fullmatch(words)
    if ended is None:
        return None
    kind = "complete" if ended[2] == "complete" else "errored"
    return (index, kind, address, _NOUNS[ended[1]], ended[3], ident, index)


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


class _Diagnostics:
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


def _failures(found: list[Diagnostic], at: int) -> list[Event]:
    """The failures the diagnostics completed at line ``at`` name (errors about a resource)."""
    return [
        (at, "failure", d.address, "", None, None, d.first)
        for d in found
        if d.severity == ERROR and d.address
    ]


def _read_line(
    index: int,
    line: str,
    text: str,
    stream: Hashable,
    diagnostics: _Diagnostics,
    found: re.Match[str] | None,
) -> list[Event]:
    """The events of one line (``text``: without its colour codes; ``found``: what ``_LINE``
    found at its start)."""
    events = _failures(diagnostics.feed(index, line, text, stream), index)
    if found is not None:
        event = _event(index, found)
        if event is not None:
            events.append(event)
    return events


def _read_text(
    text: str, stream: Hashable, index: int, diagnostics: _Diagnostics, events: list[Event]
) -> int:
    """The events of a batch of lines (``\\n`` ends each), added to ``events``; the index
    after its last line. The lines the search skips are lines ``_read_line`` ignores."""
    plain = strip_sgr(text) if "\x1b" in text else text
    originals = text.split("\n") if plain is not text else None
    haystack = "\n" + plain  # position p in it is the newline before plain[p]
    search, match = _LINE.search, _LINE.match
    count = text.count("\n") + (0 if not text or text.endswith("\n") else 1)
    pos = number = 0
    while number < count:
        if diagnostics.busy:  # every line, while a diagnostic is open
            found = match(haystack, pos)
        else:
            found = search(haystack, pos)
            if found is None:
                break
            number += plain.count("\n", pos, found.start())
            pos = found.start()
            if found.lastgroup is not None:  # not a diagnostic's start: the line is all read
                event = _event(index + number, found)
                if event is not None:
                    events.append(event)
                pos, number = found.end(), number + 1
                continue
        end = plain.find("\n", pos)
        end = len(plain) if end < 0 else end
        line = originals[number] if originals is not None else plain[pos:end]
        events += _read_line(index + number, line, plain[pos:end], stream, diagnostics, found)
        pos, number = end + 1, number + 1
    return index + count


# -- what the events add up to ---------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    address: str
    operation: str
    state: ResourceState
    first: int
    last: int
    elapsed: str | None = None
    ident: str | None = None
    steps: int = 0  # the bits of _BIT it completed

    def frozen(self) -> Resource:
        return Resource(
            self.address,
            self.operation,
            self.state,
            self.elapsed,
            self.ident,
            self.first,
            self.last,
        )


def _combined(current: str, operation: str) -> str:
    """A step's operation, given what the resource was doing: a destroy and a create of one
    address make a replacement; what the log does wins over what the plan said."""
    if {current, operation} == {"create", "destroy"}:
        return "replace"
    if current == "replace" and operation in ("create", "destroy"):
        return "replace"
    return operation


class ReferenceTracker:
    """The resources of an apply, from its log as it is fed (in order, or in batches with a
    position: see :meth:`feed_chunks`). Line indexes count every line fed, from
    ``first_index``."""

    def __init__(self, first_index: int = 0) -> None:
        self.index = first_index
        """The index the next line fed will have."""
        self._diagnostics = _Diagnostics()
        self._events: list[Event] = []  # in the order of the lines they came from
        self._expected: list[tuple[str, str]] = []
        self._expected_total: int | None = None
        self._reset()

    def _reset(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._plan_total: int | None = None
        self._finished_total: int | None = None
        self._shown: tuple[list[Resource], int, int] | None = None
        for address, operation in self._expected:
            self._pending(address, operation, -1)

    # -- feeding ---------------------------------------------------------------------------

    def feed(self, line: str, stream: Hashable = None) -> bool:
        """Read the next line of the log (from ``stream``); True when what it shows changed."""
        index = self.index
        self.index += 1
        text = uncoloured(line)
        found = _LINE.match("\n" + text)
        return self._take(_read_line(index, line, text, stream, self._diagnostics, found))

    def feed_lines(self, lines: Iterable[str], stream: Hashable = None) -> bool:
        """``feed`` for each line, in order."""
        changed = False
        for line in lines:
            changed = self.feed(line, stream) or changed
        return changed

    def feed_text(self, text: str, stream: Hashable = None) -> bool:
        """The lines of a chunk of whole lines (``feed_lines(split_chunk(text))``, faster)."""
        events: list[Event] = []
        self.index = _read_text(text, stream, self.index, self._diagnostics, events)
        return self._take(events)

    def feed_chunks(self, chunks: Iterable[tuple[str, Hashable]], at: int | None = None) -> bool:
        """Chunks of whole lines ``(text, stream)`` whose first line has index ``at`` (None:
        the next). Below the lines fed so far, they are older lines (history read newest
        first): read on their own, and the state rebuilt with them first."""
        if at is None or at >= self.index:
            self.index = self.index if at is None else at
            changed = False
            for text, stream in chunks:
                changed = self.feed_text(text, stream) or changed
            return changed
        diagnostics, index = _Diagnostics(), at
        events: list[Event] = []
        for text, stream in chunks:
            index = _read_text(text, stream, index, diagnostics, events)
        events += _failures(diagnostics.parser.close(), max(at, index - 1))
        if not events:
            return False
        self._events[:0] = events
        self._replay()
        return True

    def rewind(self, mark: int) -> bool:
        """Forget the lines from index ``mark`` on (they will be fed again)."""
        if mark >= self.index:
            return False
        self.index = mark
        self._diagnostics = _Diagnostics()  # a block open across the mark is not seen again
        kept = [event for event in self._events if event[0] < mark]
        if len(kept) == len(self._events):
            return False
        self._events = kept
        self._replay()
        return True

    def close(self) -> bool:
        """The log ended (or an attempt did): a diagnostic still open is complete."""
        found = self._diagnostics.parser.close()
        self._diagnostics = _Diagnostics()
        return self._take(_failures(found, self.index - 1))

    def expect(self, planned: Iterable[tuple[str, str]]) -> bool:
        """The plan being applied, from elsewhere (``(address, operation)``): its resources
        are pending until the log says more, and its total counts when the log prints none."""
        self._expected = [(a, o) for a, o in planned if o in OPERATIONS]
        self._expected_total = sum(_WEIGHT.get(o, 0) for _a, o in self._expected)
        self._replay()
        return True

    # -- reading ---------------------------------------------------------------------------

    @property
    def resources(self) -> list[Resource]:
        """Every resource seen, in the order first seen."""
        return self._summarised()[0]

    @property
    def done(self) -> int:
        """Steps completed, counted as the total counts them (a replacement's two)."""
        return self._summarised()[1]

    @property
    def failed(self) -> int:
        """Resources whose step failed."""
        return self._summarised()[2]

    @property
    def total(self) -> int | None:
        """The ``Plan:`` line's add + change + destroy (else the end's tally, else the
        expected plan's); None while none is known."""
        if self._plan_total is not None:
            return self._plan_total
        if self._finished_total is not None:
            return self._finished_total
        return self._expected_total

    def progress_text(self) -> str | None:
        """``3/12 resources`` (``3/? resources`` while the total is unknown), and ``, 1 failed``;
        None before any resource is seen."""
        if not self._entries:
            return None
        total = self.total
        text = f"{self.done}/{'?' if total is None else total} resources"
        return f"{text}, {self.failed} failed" if self.failed else text

    # -- the state -------------------------------------------------------------------------

    def _summarised(self) -> tuple[list[Resource], int, int]:
        if self._shown is None:
            entries = self._entries.values()
            done = sum(
                bin(e.steps).count("1") for e in entries if e.state is not ResourceState.FAILED
            )
            failed = sum(1 for e in entries if e.state is ResourceState.FAILED)
            self._shown = ([e.frozen() for e in entries], done, failed)
        return self._shown

    def _replay(self) -> None:
        self._reset()
        for event in self._events:
            self._apply(event)

    def _take(self, events: list[Event]) -> bool:
        changed = False
        for event in events:
            self._events.append(event)
            changed = self._apply(event) or changed
        return changed

    def _pending(self, address: str, operation: str, index: int) -> bool:
        entry = self._entries.get(address)
        if entry is None:
            self._entries[address] = _Entry(address, operation, ResourceState.PENDING, index, index)
        elif entry.state is ResourceState.PENDING and entry.operation != operation:
            entry.operation = operation
        else:
            return False
        self._shown = None
        return True

    def _entry(self, address: str, operation: str, index: int) -> _Entry:
        """The resource a step is about; a deposed object's destroy after its address's create
        is the second half of a replacement (``create_before_destroy``)."""
        entry = self._entries.get(address)
        if entry is None and operation == "destroy" and " (deposed object " in address:
            base = self._entries.get(address.split(" (deposed object ", 1)[0])
            if base is not None and base.operation in ("create", "replace"):
                return base
        if entry is None:
            entry = self._entries[address] = _Entry(
                address, operation, ResourceState.RUNNING, index, index
            )
        return entry

    def _apply(self, event: Event) -> bool:
        _at, kind, address, operation, elapsed, ident, about = event
        if kind == "header":
            return self._pending(address, operation, about)
        if kind in ("plan", "finished"):
            total = int(elapsed or 0)
            if kind == "plan":
                self._plan_total = total
            else:
                self._finished_total = total
            return True
        if kind in ("touch", "failure"):
            entry = self._entries.get(address)
            if entry is None:
                return False  # output or an error about what this apply does not touch
            entry.first = about if entry.first < 0 else entry.first
            entry.last = max(entry.last, about)
            if kind == "failure":
                entry.state = ResourceState.FAILED
            self._shown = None
            return True
        entry = self._entry(address, operation, about)
        entry.operation = _combined(entry.operation, operation)
        entry.first = about if entry.first < 0 else entry.first
        entry.last = max(entry.last, about)
        if not (operation == "destroy" and entry.steps & _BIT["create"]):
            entry.ident = ident or entry.ident  # (a replacement keeps its new object's id)
        if kind == "start":
            entry.state, entry.elapsed = ResourceState.RUNNING, None
        elif kind == "tick":
            entry.state, entry.elapsed = ResourceState.RUNNING, elapsed or entry.elapsed
        elif kind == "errored":
            entry.state, entry.elapsed = ResourceState.FAILED, elapsed
        else:  # complete
            entry.steps |= _BIT.get(operation, 0)
            entry.elapsed = elapsed
            whole = entry.operation != "replace" or entry.steps & 5 == 5
            entry.state = ResourceState.DONE if whole else ResourceState.RUNNING
        self._shown = None
        return True
