"""The plan digest: what a PLAN will do, in figures and by resource, as soon as it is known.

Two sources (docs/PLATFORM.md, "execution_metadata"):

- the job's ``execution_metadata``, when the runner has merged its plan into it: its
  ``plan_result.resource_changes`` and Infracost's costs (:mod:`joblens.plan_metadata`);
- else the log, as its lines complete: the resource headers Terraform and OpenTofu print, the
  ``-/+`` or ``+/-`` line under a replacement, the ``Plan:`` and ``No changes.`` lines and
  Infracost's totals (read batch by batch by :mod:`joblens.plan_log`, added up by
  :mod:`joblens.plan_log_state`).

The metadata wins wherever it says something; the log fills in the rest (and is all there is
while the plan is still being written). Counts are Terraform's: a replacement is one to add
and one to destroy, as the ``Plan:`` line counts it, and is also counted apart (``replace``).
A resource seen twice (a requeued job prints its plan again) counts once, as last seen, in
the place it was first seen.

The log is fed as it arrives, in batches of whole lines, each with a position (``at``) that
rises with each batch appended; a batch of older lines (history read newest first) comes with
a lower one, and :meth:`PlanDigest.rewind` forgets everything fed at or after a position (the
feed took lines back to put a late row in its place). A header cut from its ``-/+`` line (even
by a batch of its notes alone), or a project's cost from its ``Amount:``, by the end of a batch
is joined up with the next one: however the lines are batched, the digest reads what it reads
in the whole log at once (``tests/test_plan_digest_reference.py``).

Cost: a batch that holds no line the digest reads costs a few ``memchr`` calls, and most
headers are read by a quick pattern, in C (how: :mod:`joblens.plan_log`). What the batches say
is added up when a summary is asked for (a few times a second), many batches at once: the dict
of resources then stays in the CPU's caches. Reading a million lines
(``benchmarks/plan_digest.py``, CPU time, and as read before issue 13's work): a dense plan (a
header every 7 lines) 70 ms and 20 ms to sum up its 120,000 resources (was 200 and 17), a plan
of attribute lines 37 ms (43), coloured 85 ms (235), the generic workload 90-125 ms (125-175).
Once the metadata holds the plan and its costs the log is not read at all
(:attr:`PlanDigest.needs_log`).

Nothing here raises on any text or any metadata, and the text fed is only read. Log text
arrives sanitised (``joblens.feed``), possibly with SGR colour (removed before reading, by
:mod:`joblens.plan_log`); metadata text is made safe (``sanitize.display_text``, by
:mod:`joblens.plan_metadata`), as every server text is before it is shown.

This module holds :class:`PlanDigest` and the :class:`PlanSummary` it gives, and re-exports the
plan's types (:mod:`joblens.plan_types`) and :func:`read_metadata`: the rest of joblens imports
every name from here. How a summary reads in words: :mod:`joblens.plan_words`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from joblens.plan_log import _NOTHING_OPEN, _read
from joblens.plan_log_state import _log_resource, _LogState
from joblens.plan_metadata import MetadataPlan, read_metadata
from joblens.plan_types import (
    ACTION_ORDER,
    Action,
    PlanCost,
    PlanCounts,
    PlannedResource,
    _plan_counts,
    format_money,
    module_of,
)

# The plan's types, re-exported: the rest of joblens imports them from here.
from joblens.plan_types import CREATE_FIRST as CREATE_FIRST
from joblens.plan_types import DESTROY_FIRST as DESTROY_FIRST
from joblens.plan_types import DESTRUCTIVE as DESTRUCTIVE

__all__ = [
    "Action",
    "MetadataPlan",
    "PlanCost",
    "PlanCounts",
    "PlanDigest",
    "PlanSummary",
    "PlannedResource",
    "format_money",
    "module_of",
    "read_metadata",
]


@dataclass(frozen=True)
class PlanSummary:
    """Everything known of a plan at one moment; ``counts`` None while nothing is.

    The resources are made only when asked for (the header needs the counts alone): from
    ``found``, the plan's own :class:`PlannedResource` (metadata), or the log's addresses and
    the ``kinds`` of their headers (two flat tuples: no object per resource until asked).
    """

    counts: PlanCounts | None = None
    cost: PlanCost | None = None
    #: Where the counts and resources came from: "metadata", "log" or "" (nothing yet).
    source: str = ""
    found: tuple[Any, ...] = field(default=(), repr=False)
    kinds: tuple[str, ...] = field(default=(), repr=False)

    @property
    def known(self) -> bool:
        return self.counts is not None or self.cost is not None

    @cached_property
    def resources(self) -> tuple[PlannedResource, ...]:
        """Every resource the plan changes, in plan order (a resource seen again keeps its
        first place, as last seen)."""
        if self.kinds:
            return tuple(map(_log_resource, self.found, self.kinds))
        return tuple(self.found)

    @property
    def destructive(self) -> tuple[PlannedResource, ...]:
        """What the plan destroys or replaces, destroys first, in plan order."""
        deletes = [r for r in self.resources if r.action is Action.DELETE]
        return (*deletes, *(r for r in self.resources if r.action is Action.REPLACE))

    def by_action(self) -> list[tuple[Action, list[tuple[str, list[PlannedResource]]]]]:
        """The resources by action (destroys first), then by module (the root first, then
        modules by name), each in plan order."""
        return self._groups

    @cached_property
    def _groups(self) -> list[tuple[Action, list[tuple[str, list[PlannedResource]]]]]:
        by_action: dict[Action, dict[str, list[PlannedResource]]] = {}
        for resource in self.resources:
            modules = by_action.setdefault(resource.action, {})
            modules.setdefault(resource.module, []).append(resource)
        return [
            (action, sorted(by_action[action].items(), key=lambda item: item[0]))
            for action in ACTION_ORDER
            if action in by_action
        ]


class PlanDigest:
    """A plan's figures and resources, kept up to date from its log and metadata."""

    def __init__(self) -> None:
        # What the log said, batch by batch, in order (by position, then as fed): each batch's
        # position, what it said (see _read) and the replacement left waiting at the end of a
        # run of headers. Parallel lists: no object per batch but what it said.
        self._ats: list[int] = []
        self._said: list[Any] = []
        self._waiting: list[str | None] = []
        # How many of those the state has taken in, in order (-1: it is made again). It takes
        # them in when a summary is asked for (at most a few times a second): a run of batches
        # at once, while the dict of headers stays in the CPU's caches (taken in batch by
        # batch, between the log pane's own work, its lookups cost three times as much).
        self._taken = 0
        self._high = -(1 << 62)  # the highest position fed
        self._open = _NOTHING_OPEN  # what the newest batch left open (_open_end)
        self._state = _LogState()
        self._metadata_key: Any = object()
        self._meta_resources: tuple[PlannedResource, ...] | None = None
        self._meta_counts: PlanCounts | None = None
        self._meta_cost: PlanCost | None = None
        self._summary: PlanSummary | None = PlanSummary()

    # the log

    def feed(self, text: str, at: int = 0) -> bool:
        """Read a batch of whole lines (``\\n``-separated) fed at position ``at``; True when
        the digest may have changed. Text that is not a plan costs a few ``memchr`` calls."""
        if not isinstance(text, str) or not text:
            return False
        open_end = _NOTHING_OPEN
        newest = at >= self._high  # the newest lines yet: they may finish what the last began
        if newest:
            open_end, self._high = self._open, at
        said, waiting, left_open = _read(text, open_end)
        if newest:
            self._open = left_open
        if said is None:
            return False
        ats = self._ats
        if not ats or at >= ats[-1]:
            ats.append(at)
            self._said.append(said)
            self._waiting.append(waiting)
        else:  # older lines: before everything fed at a higher position
            where = bisect.bisect_right(ats, at)
            ats.insert(where, at)
            self._said.insert(where, said)
            self._waiting.insert(where, waiting)
            if where < self._taken:
                self._taken = -1
        self._summary = None
        return True

    def feed_lines(self, lines: Iterable[str], at: int = 0) -> bool:
        """Read lines (with or without their ``\\n``) fed together at position ``at``."""
        return self.feed("\n".join(line.rstrip("\n") for line in lines) + "\n", at)

    def feed_texts(self, texts: Iterable[str], at: int = 0) -> bool:
        """Read several texts of whole lines (chunks), in order, as one batch at ``at``."""
        return self.feed("".join(t if t.endswith("\n") else t + "\n" for t in texts if t), at)

    def rewind(self, mark: int) -> bool:
        """Forget everything fed at positions from ``mark`` on; True if anything was."""
        where = bisect.bisect_left(self._ats, mark)
        if where == len(self._ats):
            return False
        del self._ats[where:], self._said[where:], self._waiting[where:]
        if where < self._taken:
            self._taken = -1
        self._high, self._open = min(self._high, mark), _NOTHING_OPEN
        self._summary = None
        return True

    def clear(self) -> None:
        """Forget the log (the metadata stays)."""
        self._ats.clear()
        self._said.clear()
        self._waiting.clear()
        self._high, self._open = -(1 << 62), _NOTHING_OPEN
        self._state, self._taken = _LogState(), 0
        self._summary = None

    def _log_state(self) -> _LogState:
        """The state, having taken in every batch."""
        if self._taken < 0:
            self._state, self._taken = _LogState(), 0
        state, taken, headers = self._state, self._taken, self._state.headers
        for said, waiting in zip(self._said[taken:], self._waiting[taken:], strict=True):
            if type(said) is dict:  # (take's first case, inline: the bulk of a plan)
                headers.update(said)
                state.pending = waiting
            else:
                state.take(said, waiting)
        self._taken = len(self._said)
        state.settle()
        return state

    # the metadata

    @property
    def needs_log(self) -> bool:
        """Whether the log can still add anything: not once the metadata has both the plan's
        resources and its costs (which win over the log's). A finished plan opened later
        usually has them: its log need not be read at all."""
        return self._meta_resources is None or self._meta_cost is None

    @property
    def metadata_key(self) -> Any:
        """What identifies the plan and costs last read from the metadata (for
        :func:`read_metadata`)."""
        return self._metadata_key

    def set_metadata(self, metadata: Any) -> bool:
        """Read a (newer) ``execution_metadata``: plain values, a JsonDoc or None. True when
        what the digest takes from it changed. (A large JsonDoc takes a while to read: the
        view reads it with :func:`read_metadata` in a thread, then calls :meth:`use`.)"""
        read = read_metadata(metadata, self._metadata_key)
        return read is not None and self.use(read)

    def use(self, read: MetadataPlan) -> bool:
        """Take what :func:`read_metadata` read; True when it changed anything."""
        if read.key == self._metadata_key:
            return False
        self._metadata_key = read.key
        self._meta_resources, self._meta_counts, self._meta_cost = (
            read.resources,
            read.counts,
            read.cost,
        )
        self._summary = None
        return True

    # what is known

    def summary(self) -> PlanSummary:
        """What is known now (the same object until something changes)."""
        if self._summary is None:
            self._summary = self._summarise()
        return self._summary

    def _summarise(self) -> PlanSummary:
        if self._meta_resources is not None and self._meta_cost is not None:
            return PlanSummary(self._meta_counts, self._meta_cost, "metadata", self._meta_resources)
        state = self._log_state()
        cost = self._meta_cost or _log_cost(state)
        if self._meta_resources is not None:
            return PlanSummary(self._meta_counts, cost, "metadata", self._meta_resources)
        found, kinds = tuple(state.headers), tuple(state.headers.values())
        counts: PlanCounts | None = None
        if found or state.plan is not None or state.no_changes:
            if state.no_changes and not found:
                counts = PlanCounts()
            else:
                counts = _plan_counts(state.counts(kinds), state.plan)
        return PlanSummary(counts, cost, "log" if counts is not None else "", found, kinds)


def _log_cost(state: _LogState) -> PlanCost | None:
    """The costs Infracost's lines give: its total, its projects' changes, its sentence."""
    currency = None
    monthly = change = None
    if state.total is not None:
        currency, monthly = state.total
    if state.projects:
        values = list(state.projects.values())
        currency = currency or values[0][0]
        change = sum((v[1] for v in values), Decimal(0))
        if monthly is None and all(v[2] is not None for v in values):
            monthly = sum((v[2] for v in values if v[2] is not None), Decimal(0))
    if state.sentence is not None:
        symbol, change = state.sentence
        currency = currency or symbol or None
    if monthly is None and change is None:
        return None
    return PlanCost(currency or "$", monthly, change)
