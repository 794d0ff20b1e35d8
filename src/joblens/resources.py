"""Resource progress during an apply (or a destroy): each resource's state, from the log.

:mod:`joblens.resource_lines` reads the log into *events*: a resource's step starts, ticks
(``Still creating... [10s elapsed]``), completes or errors; its own output; an error
diagnostic about it (it failed); a plan's header (it is still to come); a total. The state is
what the events add up to, so older lines (history read newest first) or lines taken back
(:meth:`ResourceTracker.rewind`) rebuild it from the events, never from the log.

The plan that ``apply`` prints first (``  # <address> will be created`` and so on) lists the
resources still to come (pending), and its ``Plan: N to add, M to change, K to destroy.`` line
gives the total; ``Apply complete! Resources: ...`` and ``Destroy complete! ...`` give it at
the end when no plan was printed (a saved plan's apply), and :meth:`ResourceTracker.expect`
can give it from elsewhere (the PLAN job's own metadata). A replacement is one resource
(operation ``replace``) whose destroy and create (in either order: ``create_before_destroy``
destroys a ``(deposed object ...)``) count two, as the ``Plan:`` line counts them.

Cost (``benchmarks/resources.py``, CPU time per million lines fed as the job screen feeds
them): see :mod:`joblens.resource_lines` for the reading; applying an event is a dictionary
look-up and a few stores, a tick of a resource already seen (most lines of a long apply)
inline. Nothing here raises on any text, and the text fed is only read.

A diagnostic ends when a later line of its stream ends it; the last one of a failed apply is
often ended only by the end of the log: :meth:`ResourceTracker.close` says the log ended.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from joblens.plan_digest import Action, PlannedResource
from joblens.resource_lines import Event, LineDiagnostics, failures, read_line, read_text

__all__ = [
    "OPERATIONS",
    "Resource",
    "ResourceState",
    "ResourceTracker",
    "planned_operations",
    "track_lines",
]

#: What an apply does to a resource, in Terraform's words for the plan.
OPERATIONS = ("create", "update", "destroy", "replace", "read", "import")
#: How many each operation counts for in the ``Plan:`` line's total.
_WEIGHT = {"create": 1, "update": 1, "destroy": 1, "replace": 2}
#: The operation of each action of a plan (joblens.plan_digest); a forget is none.
_OF_ACTION = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.DELETE: "destroy",
    Action.REPLACE: "replace",
    Action.IMPORT: "import",
}
#: The steps a resource completed, as bits (their count is what it adds to ``done``).
_BIT = {"create": 1, "update": 2, "destroy": 4}
_CREATED = _BIT["create"]
#: The events of a resource's steps.
_STEPS = frozenset(("start", "tick", "complete", "errored"))
#: Events ``ResourceTracker.work_out`` applies in one slice: about 50 ms (2 CPUs).
WORK_OUT_EVENTS = 100_000


class ResourceState(StrEnum):
    """Where a resource stands in the apply."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource of the apply, as the log shows it so far."""

    address: str
    operation: str
    """One of :data:`OPERATIONS`."""
    state: ResourceState
    elapsed: str | None
    """Terraform's own words (``2s``, ``1m10s``): the latest ``[10s elapsed]`` while running,
    the ``after 2s`` of its end once done or failed."""
    ident: str | None
    """The object's id (``[id=i-123]``), once printed."""
    first_line: int
    """The index of the first line about it (a plan header or its first step); -1 while only
    the expected plan names it (:meth:`ResourceTracker.expect`)."""
    last_line: int
    """The index of the latest line about it (its own output included)."""


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


class ResourceTracker:
    """The resources of an apply, from its log as it is fed (in order, or in batches with a
    position: see :meth:`feed_chunks`). Line indexes count every line fed, from
    ``first_index``."""

    def __init__(self, first_index: int = 0) -> None:
        self.index = first_index
        """The index the next line fed will have."""
        self._diagnostics = LineDiagnostics()
        self._events: list[Event] = []  # in the order of the lines they came from
        self._expected: list[tuple[str, str]] = []
        self._expected_total: int | None = None
        # Older lines fed, lines taken back or a plan expected: the state is to be worked out
        # again from the events, once, when next read (a log read newest page first puts ten
        # pages before the first; working it out for each would cost ten passes), or a slice
        # at a time (work_out): ``_replayed`` events of that pass are applied so far.
        self._stale = False
        self._replayed = 0
        self._counted: tuple[int, int] | None = None
        self._frozen: list[Resource] | None = None
        self._version = 0
        self._reset()

    def _reset(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._plan_total: int | None = None
        self._finished_total: int | None = None
        self._dirty()
        for address, operation in self._expected:
            self._pending(address, operation, -1)

    # -- feeding ---------------------------------------------------------------------------

    def feed(self, line: str, stream: Hashable = None) -> bool:
        """Read the next line of the log (from ``stream``); True when what it shows changed."""
        index = self.index
        self.index += 1
        return self._take(read_line(index, line, stream, self._diagnostics))

    def feed_lines(self, lines: Iterable[str], stream: Hashable = None) -> bool:
        """``feed`` for each line, in order."""
        changed = False
        for line in lines:
            changed = self.feed(line, stream) or changed
        return changed

    def feed_text(self, text: str, stream: Hashable = None) -> bool:
        """The lines of a chunk of whole lines (``feed_lines(split_chunk(text))``, read at
        once: :func:`joblens.resource_lines.read_text`)."""
        events: list[Event] = []
        self.index = read_text(text, stream, self.index, self._diagnostics, events)
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
        diagnostics, index = LineDiagnostics(), at
        events: list[Event] = []
        for text, stream in chunks:
            index = read_text(text, stream, index, diagnostics, events)
        events += failures(diagnostics.parser.close(), max(at, index - 1))
        if not events:
            return False
        self._events[:0] = events
        self._restale()
        return True

    def rewind(self, mark: int) -> bool:
        """Forget the lines from index ``mark`` on (they will be fed again)."""
        if mark >= self.index:
            return False
        self.index = mark
        self._diagnostics = LineDiagnostics()  # a block open across the mark is not seen again
        kept = [event for event in self._events if event[0] < mark]
        if len(kept) == len(self._events):
            return False
        self._events = kept
        self._restale()
        return True

    def close(self) -> bool:
        """The log ended (or an attempt did): a diagnostic still open is complete."""
        found = self._diagnostics.parser.close()
        self._diagnostics = LineDiagnostics()
        return self._take(failures(found, self.index - 1))

    def expect(self, planned: Iterable[tuple[str, str]]) -> bool:
        """The plan being applied, from elsewhere (``(address, operation)``): its resources
        are pending until the log says more, and its total counts when the log prints none."""
        self._expected = [(a, o) for a, o in planned if o in OPERATIONS]
        self._expected_total = sum(_WEIGHT.get(o, 0) for _a, o in self._expected)
        self._restale()
        return True

    # -- reading ---------------------------------------------------------------------------

    @property
    def resources(self) -> list[Resource]:
        """Every resource seen, in the order first seen (made on demand: for the panel)."""
        self._worked_out()
        if self._frozen is None:
            self._frozen = [e.frozen() for e in self._entries.values()]
        return self._frozen

    @property
    def done(self) -> int:
        """Steps completed, counted as the total counts them (a replacement's two)."""
        return self._counts()[0]

    @property
    def failed(self) -> int:
        """Resources whose step failed."""
        return self._counts()[1]

    @property
    def version(self) -> int:
        """Changes every time what the resources show changes (for a panel to compare)."""
        self._worked_out()
        return self._version

    @property
    def total(self) -> int | None:
        """The ``Plan:`` line's add + change + destroy (else the end's tally, else the
        expected plan's); None while none is known."""
        self._worked_out()
        if self._plan_total is not None:
            return self._plan_total
        if self._finished_total is not None:
            return self._finished_total
        return self._expected_total

    def progress_text(self) -> str | None:
        """``3/12 resources`` (``3/? resources`` while the total is unknown), and ``, 1 failed``;
        None before any resource is seen."""
        self._worked_out()
        if not self._entries:
            return None
        total = self.total
        text = f"{self.done}/{'?' if total is None else total} resources"
        return f"{text}, {self.failed} failed" if self.failed else text

    # -- the state -------------------------------------------------------------------------

    def _counts(self) -> tuple[int, int]:
        """(done, failed), without making every resource's record (the header's figures)."""
        self._worked_out()
        if self._counted is None:
            entries = self._entries.values()
            failed_state = ResourceState.FAILED
            done = sum(bin(e.steps).count("1") for e in entries if e.state is not failed_state)
            failed = sum(1 for e in entries if e.state is failed_state)
            self._counted = (done, failed)
        return self._counted

    def _dirty(self) -> None:
        """What is shown changed: figures and records are made again when next read."""
        self._counted = None
        self._frozen = None
        self._version += 1

    def work_out(self, budget: int = WORK_OUT_EVENTS) -> bool:
        """Work the state out again from up to ``budget`` more events, if what was fed since
        needs it (older lines, lines taken back, a plan expected); True once it is whole.

        For a caller that must not hold the event loop long (the job view: a million-line
        apply's events take about half a second): read the figures only once this is True,
        as each of them works out whatever is left first.
        """
        if not self._stale:
            return True
        if self._replayed == 0:
            self._reset()
        done = self._replayed + max(1, budget)
        self._run(self._events[self._replayed : done])
        self._replayed = min(done, len(self._events))
        if self._replayed < len(self._events):
            return False
        self._stale, self._replayed = False, 0
        return True

    def _restale(self) -> None:
        """The state is to be worked out again, from the first event."""
        self._stale, self._replayed = True, 0

    def _worked_out(self) -> None:
        """The state from every event, if what was fed since needs it worked out again."""
        if self._stale:
            self.work_out(len(self._events) - self._replayed)

    def _take(self, events: list[Event]) -> bool:
        self._events += events
        if self._stale:
            return bool(events)  # (applied when the state is worked out again)
        return self._run(events)

    def _run(self, events: list[Event]) -> bool:
        """Apply ``events``; True when what is shown changed. A step of a resource already seen
        (most lines of a long apply) is applied here; a tick, the most common, inline."""
        changed = False
        get, running = self._entries.get, ResourceState.RUNNING
        for event in events:
            _at, kind, address, operation, elapsed, ident, about = event
            if kind == "tick" and (entry := get(address)) is not None:  # (as _stepped)
                if entry.operation != operation:
                    entry.operation = _combined(entry.operation, operation)
                if entry.first < 0:
                    entry.first = about
                if about > entry.last:
                    entry.last = about
                if ident and not (operation == "destroy" and entry.steps & _CREATED):
                    entry.ident = ident
                entry.state = running
                if elapsed:
                    entry.elapsed = elapsed
                changed = True
            elif kind in _STEPS and (entry := get(address)) is not None:
                _stepped(entry, event)
                changed = True
            else:
                changed = self._apply(event) or changed
        if changed:
            self._dirty()
        return changed

    def _pending(self, address: str, operation: str, index: int) -> bool:
        entry = self._entries.get(address)
        if entry is None:
            self._entries[address] = _Entry(address, operation, ResourceState.PENDING, index, index)
        elif entry.state is ResourceState.PENDING and entry.operation != operation:
            entry.operation = operation
        else:
            return False
        self._dirty()
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
        _at, kind, address, operation, elapsed, _ident, about = event
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
            self._dirty()
            return True
        _stepped(self._entry(address, operation, about), event)
        self._dirty()
        return True


def _stepped(entry: _Entry, event: Event) -> None:
    """A step (start, tick, complete, errored) of the resource ``entry``."""
    _at, kind, _address, operation, elapsed, ident, about = event
    if entry.operation != operation:  # (what _combined gives when they are the same)
        entry.operation = _combined(entry.operation, operation)
    if entry.first < 0:
        entry.first = about
    if about > entry.last:
        entry.last = about
    if ident and not (operation == "destroy" and entry.steps & _CREATED):
        entry.ident = ident  # (a replacement keeps its new object's id)
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


def track_lines(lines: Iterable[str], first_index: int = 0) -> ResourceTracker:
    """The resources of a whole log (one stream), its end closing any open diagnostic."""
    tracker = ResourceTracker(first_index)
    tracker.feed_lines(lines)
    tracker.close()
    return tracker


def planned_operations(resources: Iterable[PlannedResource]) -> list[tuple[str, str]]:
    """A plan's resources (``joblens.plan_digest``) as :meth:`ResourceTracker.expect` takes
    them: ``(address, operation)``."""
    return [(r.address, _OF_ACTION[r.action]) for r in resources if r.action in _OF_ACTION]
