"""The plan digest: what a PLAN will do, in figures and by resource, as soon as it is known.

Two sources (docs/PLATFORM.md, "execution_metadata"):

- the job's ``execution_metadata``, when the runner has merged its plan into it:
  ``plan_result.resource_changes`` (``terraform show -json``: ``address``, ``module_address``,
  ``mode``, ``change.actions``, ``change.importing``, ``deposed``) and the costs
  (``cost_breakdown``: Infracost's JSON, amounts as strings; ``cost_summary``: numbers);
- else the log, as its lines complete: the resource headers Terraform and OpenTofu print
  (``  # module.vpc.aws_subnet.a[0] will be created`` / ``will be updated in-place`` / ``will
  be destroyed`` / ``must be replaced`` / ``is tainted, so must be replaced`` / ``will be
  imported`` / ``will no longer be managed by Terraform`` / ``will be removed from the
  OpenTofu state...``), the ``-/+`` (destroy first) or ``+/-`` (create first) line under a
  replacement, the ``Plan: N to add, M to change, K to destroy.`` line (with ``to import`` and
  ``to forget`` where there are any), ``No changes.``, and Infracost's totals (``OVERALL
  TOTAL`` of ``infracost breakdown``; ``Monthly cost change for ...`` / ``Amount: +$X ($A →
  $B)`` and ``Monthly cost will increase by $X`` of ``infracost diff``).

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

Cost: a batch is first looked at with ``str.__contains__`` (``memchr``, ~0.3 µs for 10 KB).
With no ``#`` and none of the capitals of the lines read once per plan (P, N, O, M), it says
nothing; with ``#`` alone (the bulk of a plan), its headers are found by their ``# `` (the
regex engine's tight loop for a literal, not an attempt at every line), and most are read
by a quick pattern as (address, one-letter kind) pairs, which ``dict`` takes in C; with the
capitals, every line start is tried (~40 ns a line). Colour is removed only from the lines of
a batch from the first that may be read. What the batches say is added up when a summary is
asked for (a few times a second), many batches at once: the dict of resources then stays in
the CPU's caches. Reading a million lines (``benchmarks/plan_digest.py``, CPU time, and as
read before issue 13's work): a dense plan (a header every 7 lines) 70 ms and 20 ms to sum up
its 120,000 resources (was 200 and 17), a plan of attribute lines 37 ms (43), coloured
85 ms (235), the generic workload 90-125 ms (125-175). Once the metadata holds the plan and
its costs the log is not read at all (:attr:`PlanDigest.needs_log`).

Nothing here raises on any text or any metadata, and the text fed is only read. Log text
arrives sanitised (``joblens.feed``), possibly with SGR colour (removed here before reading);
metadata text is made safe here (``sanitize.display_text``), as every server text is before
it is shown.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from joblens.plan_metadata import MetadataPlan, read_metadata
from joblens.plan_types import (
    ACTION_ORDER,
    CREATE_FIRST,
    DESTROY_FIRST,
    Action,
    PlanCost,
    PlanCounts,
    PlannedResource,
    _plan_counts,
    format_money,
    module_of,
)
from joblens.plan_types import DESTRUCTIVE as DESTRUCTIVE
from joblens.sanitize import strip_sgr

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


# -- the log ---------------------------------------------------------------------------------

#: What a resource header says happens (Terraform's ``resourceChangeComment``, OpenTofu's words
#: for a forget), at the end of its line: will be created / updated in-place / destroyed /
#: imported / replaced[, as requested | due to changes in replace_triggered_by] / removed from
#: the X state, but will not be destroyed; will no longer be managed by X[, but will not be
#: destroyed]; [is tainted, so] must be replaced; must be replaced, but the existing object
#: will not be destroyed. Written as a tree of shared words, so that the engine, trying it at
#: each space of a line from its end, drops a wrong place at its first letter.
_VERB = (
    r"will (?:be (?:created|updated in-place|destroyed|imported"
    r"|replaced(?:, as requested| due to changes in replace_triggered_by)?"
    r"|removed from (?:the )?\w+ state,? but will not be destroyed)"
    r"|no longer be managed by \w+(?:, but will not be destroyed)?)"
    r"|must be replaced(?:, but the existing object will not be destroyed)?"
    r"|is tainted, so must be replaced"
)
#: The lines read once per plan: Terraform's ``Plan: ...`` and ``No changes.``, Infracost's
#: ``OVERALL TOTAL``, ``Monthly cost change for ...`` (with its ``Amount:``) and ``Monthly cost
#: will ...``. Not indented, but for ``OVERALL TOTAL`` (Infracost's table).
_OTHER = (
    r"(?<![ \t])Plan: [^\n]*+"
    r"|(?<![ \t])No changes\."
    r"|OVERALL TOTAL[^\n]*+"
    r"|(?<![ \t])Monthly cost change for [^\n]*+(?:\n[ \t]*+Amount:[^\n]*+)?"
    r"|(?<![ \t])(?:Infracost estimate: |\U0001F4B0 ?)?Monthly cost will [^\n]*+"
)
#: A line the digest may read: at most 4 blanks, then a header's ``#`` or one of those lines.
_LINE_START = r"[ \t]{0,4}+(?=[#PNOMI\U0001F4B0])"
#: A resource header after its ``# ``: the whole line (the address may hold spaces,
#: ``["a key"]``, so the verb is matched at the end of the line, greedily: "is tainted, so"
#: belongs to the verb; the space before the verb comes right after the address, so that the
#: engine goes back from the end of the line space by space), its notes (``  # (because
#: ...)``) and, for a replacement, the symbol opening its body (``-/+`` destroys first,
#: ``+/-`` creates first). Groups: address, verb, symbol.
_HEADER = (
    rf"([^\n]*) (?<!, so )({_VERB})[ \t]*+$"
    r"(?:\n[ \t]*+#[ \t]*+\([^\n]*+)*+(?:\n {0,2}+(-/\+|\+/-) (?=resource |data ))?"
)
#: What the digest reads on a line of its own: a header or a line of :data:`_OTHER`. Groups:
#: address, verb, symbol, and the other line. This is the reading that defines the digest;
#: the quicker patterns below read the same.
_LINE_BODY = rf"{_LINE_START}(?:# (?=[^\s(]){_HEADER}|({_OTHER}))"
#: Such a line at the start of a batch (:data:`_READ_LINES` and :data:`_HEADERS` find the
#: others by the newline before them).
_FIRST_LINE = re.compile(_LINE_BODY, re.MULTILINE)

#: The headers most plans are made of, read without trying the verbs from the end of the line:
#: an address of printable ASCII without spaces, then one of a few verbs, as one letter, its
#: kind (:data:`_CODES`): ``c``reated, ``u``pdated in-place, ``d``estroyed, ``i``mported, and a
#: replacement by the symbol right under it (``-``/+ or ``+``/-), or ``r`` when the text ends
#: first. A one-letter string costs nothing to make (Python keeps them) and little to count.
#: Where it reads a header, it reads what :data:`_HEADER` reads (the address has no space, so
#: only one split of the line can end in a verb). Groups: address, kind.
_QUICK = (
    r"([!-~]++) (?:will be (?=(?:created|updated in-place|destroyed|imported)$)"
    r"|must be replaced\n(?=(?:-/\+|\+/-) (?:resource|data) )"
    r"|must be (?=replaced\n?\Z))([cudi+r-])"
)
#: ``# `` at a line start after at most 4 blanks: the literal first, so that the engine looks
#: for ``# `` alone (a tight loop in C) and checks the line start only there, instead of
#: trying every line.
_HASH = (
    r"# (?:(?<=\n  # )|(?<=\n# )|(?<=\n[ \t]# )|(?<=\n[ \t]{2}# )|(?<=\n[ \t]{3}# )"
    r"|(?<=\n[ \t]{4}# ))(?=[^\s(])"
)
#: The headers of a batch with no line of :data:`_OTHER`: (address, kind) pairs, for
#: ``dict`` to take in C; ("", "") for a header line :data:`_QUICK` cannot read, which sends
#: the batch to :data:`_HEADERS`.
_QUICK_HEADERS = re.compile(rf"{_HASH}(?:{_QUICK}|)", re.MULTILINE)
#: ... every header: groups quick address, kind, address, verb, symbol, and an empty one
#: (the place of the other line, in :data:`_READ_LINES`' items).
_HEADERS = re.compile(rf"{_HASH}(?:{_QUICK}|{_HEADER})()", re.MULTILINE)
#: Every line start of a batch that may hold lines of :data:`_OTHER` (it has their capitals),
#: read as :data:`_LINE_BODY` reads it, :data:`_QUICK` first (the engine tries each line start,
#: ~40-60 ns); the same groups.
_READ_LINES = re.compile(
    rf"\n{_LINE_START}(?:# (?=[^\s(])(?:{_QUICK}|{_HEADER})|({_OTHER}))", re.MULTILINE
)
#: ... and with no header (no ``#``): the other lines alone, or when ``OVERALL TOTAL`` cannot
#: be there (one of its letters is missing), those at the start of a line (~30 ns a line).
_OTHER_LINES = re.compile(rf"\n{_LINE_START}({_OTHER})", re.MULTILINE)
_UNINDENTED_OTHER_LINES = re.compile(rf"\n(?=[PNMI\U0001F4B0])({_OTHER})", re.MULTILINE)
#: A coloured line that may be read once its colours are removed: blanks and colours, then a
#: ``#`` or the capital of a line of :data:`_OTHER` (colour is removed only from such batches).
_COLOURED_BODY = r"[ \t]*+(?:\x1b\[[0-9;:]*m[ \t]*+)*+[#PNOMI\U0001F4B0]"
_COLOURED_LINE, _COLOURED_FIRST_LINE = re.compile("\n" + _COLOURED_BODY), re.compile(_COLOURED_BODY)

#: How a line that may leave something open for the next batch starts (:func:`_open_end`).
_MAY_BE_OPEN = re.compile(r"[ \t]*+#|Monthly cost change for ")
#: A header's note: ``  # (because aws_instance.old is not in configuration)``.
_NOTE = re.compile(r"[ \t]*+#[ \t]*+\([^\n]*+")
#: What a batch may begin with that belongs to the end of the batch before (see
#: :func:`_open_end`): the symbol of a replacement (after its notes), a project's ``Amount:``
#: (as :data:`_OTHER` reads them within a batch).
_CONTINUED_SYMBOL = re.compile(
    r"(?:[ \t]*+#[ \t]*+\([^\n]*+\n)*+ {0,2}+(-/\+|\+/-) (?:resource|data) "
)
_CONTINUED_AMOUNT = re.compile(r"[ \t]*+Amount:[^\n]*+")
#: What the end of a batch leaves open for the next one.
_NOTHING_OPEN, _OPEN_REPLACEMENT, _OPEN_PROJECT = range(3)
_ACTION_OF_VERB: dict[str, Action] = {
    "will be created": Action.CREATE,
    "will be updated in-place": Action.UPDATE,
    "will be destroyed": Action.DELETE,
    "must be replaced": Action.REPLACE,
    "will be imported": Action.IMPORT,
}
_ORDER_OF_SYMBOL = {"-/+": DESTROY_FIRST, "+/-": CREATE_FIRST, "": None}
#: The kinds read as one letter, and what they stand for: the verb, and for a replacement the
#: symbol under it, after a newline (the form every other kind takes).
_CODES = {
    "c": "will be created",
    "u": "will be updated in-place",
    "d": "will be destroyed",
    "i": "will be imported",
    "-": "must be replaced\n-/+",
    "+": "must be replaced\n+/-",
    "r": "must be replaced",
}
_CODE_OF = {text: code for code, text in _CODES.items()}
_PLAN_COUNT = re.compile(r"(\d{1,9}) to (\w+)")
_COST_SENTENCE = re.compile(r"Monthly cost will (?:(increase|decrease) by ([^\n]*)|not change)")
_MONEY = re.compile(r"([+-]?)([^\d\s+\-()→>]{0,3}?)(\d[\d,]{0,20}(?:\.\d{1,12})?)")


def _money(text: str) -> tuple[str, Decimal] | None:
    """(currency symbol, signed amount) of the first amount in ``text``: ``+$1,303.28``."""
    match = _MONEY.search(text)
    if match is None:
        return None
    sign, currency, digits = match.groups()
    try:
        amount = Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return None
    return currency.strip() or "$", -amount if sign == "-" else amount


def _header_action(verb: str) -> Action:
    """The action of a header's verb (one of :data:`_VERB`'s)."""
    action = _ACTION_OF_VERB.get(verb)
    if action is not None:
        return action
    if "managed by" in verb or "removed from" in verb:
        return Action.FORGET
    if "not be destroyed" in verb:  # "must be replaced, but the existing object will not ..."
        return Action.CREATE
    return Action.REPLACE  # "is tainted, so must be replaced", "will be replaced, as ..."


def _kind(verb: str, symbol: str) -> str:
    """A header's kind: its verb, with a replacement's symbol after a newline (what other
    headers have under them changes nothing), as one letter where :data:`_CODES` has it."""
    text = f"{verb}\n{symbol}" if symbol and _header_action(verb) is Action.REPLACE else verb
    return _CODE_OF.get(text, text)


@lru_cache(maxsize=256)
def _meaning(kind: str) -> tuple[Action, str | None, bool]:
    """A kind's action, its replacement order if known, and whether it is a replacement still
    waiting for its symbol (in the next batch)."""
    verb, _, symbol = _CODES.get(kind, kind).partition("\n")
    action = _header_action(verb)
    if action is not Action.REPLACE:
        return action, None, False
    return action, _ORDER_OF_SYMBOL.get(symbol), not symbol


def _log_resource(address: str, kind: str) -> PlannedResource:
    """A resource of the log, from its address and the kind of its header."""
    action, order, _open = _meaning(kind)
    return PlannedResource(address, action, None, order)


def _open_address(address: str, kind: str) -> str | None:
    """The address of a replacement header still waiting for its ``-/+`` line, else None."""
    return address if _meaning(kind)[2] else None


class _Continued(NamedTuple):
    """A batch's first lines finishing the replacement the batch before ended with."""

    symbol: str


#: What a batch says, in order: a run of headers (address → kind, in the order first seen,
#: each as last seen) with the replacement left waiting at its end, a line of :data:`_OTHER`
#: (or a project's ``Amount:``), or the symbol of the replacement left waiting before it.
_Event = tuple[dict[str, str], str | None] | str | _Continued


@dataclass(slots=True)
class _LogState:
    """What the log's batches add up to (rebuilt from them after a rewind or a prepend)."""

    #: Each resource's kind of header, as last seen (in the place it was first seen).
    headers: dict[str, str] = field(default_factory=dict)
    pending: str | None = None  # a replacement whose -/+ line has not been seen yet
    plan: dict[str, int] | None = None  # the newest Plan: line's counts (once settled)
    no_changes: bool = False
    #: The ``Plan:`` and ``No changes.`` lines taken in since :meth:`settle`: only the newest
    #: with figures counts, so they are read newest first when a summary is asked for (a log
    #: that plans again and again has hundreds, each some microseconds to read).
    plan_lines: list[str] = field(default_factory=list)
    total: tuple[str, Decimal] | None = None
    project: str = ""
    projects: dict[str, tuple[str, Decimal, Decimal | None]] = field(default_factory=dict)
    sentence: tuple[str, Decimal] | None = None

    def take(self, said: Any, waiting: str | None) -> None:
        """Take in what a batch said: a run of headers alone (the bulk of a plan: one
        ``dict.update``, in C) with the replacement left ``waiting`` at its end, or a list of
        :data:`_Event`, in order."""
        if type(said) is dict:
            self.headers.update(said)
            self.pending = waiting
            return
        for event in said:
            if type(event) is tuple:
                self.headers.update(event[0])
                self.pending = event[1]
            elif type(event) is _Continued:
                self._continue(event.symbol)
            else:
                self._read(event)

    def _continue(self, symbol: str) -> None:
        """The symbol under the replacement the batch before ended with."""
        address, self.pending = self.pending, None
        held = self.headers.get(address) if address is not None else None
        if address is not None and held is not None:
            verb = _CODES.get(held, held).partition("\n")[0]
            self.headers[address] = _kind(verb, symbol)

    def counts(self, kinds: tuple[str, ...]) -> dict[Action, int]:
        """How many resources each action has, from their ``kinds``: counted in C, by kind
        (when every kind is one letter, as usual, by ``str.count`` over their join)."""
        letters = "".join(kinds)
        by_kind = (
            {code: letters.count(code) for code in _CODES}
            if len(letters) == len(kinds)
            else Counter(kinds)
        )
        counts = dict.fromkeys(Action, 0)
        for kind, n in by_kind.items():
            counts[_meaning(kind)[0]] += n
        return counts

    def settle(self) -> None:
        """Read the ``Plan:`` and ``No changes.`` lines taken in, newest first, up to the one
        that counts."""
        for line in reversed(self.plan_lines):
            if line.startswith("No changes."):
                self.plan, self.no_changes = None, True
                break
            counts = {what: int(n) for n, what in _PLAN_COUNT.findall(line)}
            if counts:
                self.plan, self.no_changes = counts, False
                break
        self.plan_lines.clear()

    def _read(self, line: str) -> None:
        """A line read once per plan (``Plan:``, ``No changes.``, Infracost's)."""
        if line.startswith(("Plan: ", "No changes.")):
            self.plan_lines.append(line)
        elif line.startswith("OVERALL TOTAL"):
            self.total = _money(line[len("OVERALL TOTAL") :]) or self.total
        elif line.startswith("Monthly cost change for "):
            name, _, amount = line[len("Monthly cost change for ") :].partition("\n")
            self.project = name.strip()
            if amount:
                self._read(amount.strip())
        elif line.startswith("Amount:"):
            project = _amount_line(line[len("Amount:") :])
            if project is not None:
                self.projects[self.project] = project
        elif (sentence := _COST_SENTENCE.search(line)) is not None:
            if sentence.group(1) is None:  # "will not change"
                self.sentence = ("", Decimal(0))
            elif (money := _money(sentence.group(2))) is not None:
                up = sentence.group(1) == "increase"
                self.sentence = (money[0], abs(money[1]) if up else -abs(money[1]))


def _open_end(text: str, before: int) -> int:
    """What the last lines of a batch (whole lines) leave for the next batch to finish: a
    replacement's header, with perhaps its notes (its ``-/+`` line comes next), or a
    project's ``Monthly cost change for`` (its ``Amount:`` comes next). ``before``: what the
    batch before left open, still open after a batch of a replacement's notes alone. Looks at
    the last line only, unless it starts with a ``#`` or that phrase; then line by line, up."""
    end = len(text) - 1 if text.endswith("\n") else len(text)
    start = text.rfind("\n", 0, end) + 1
    if _MAY_BE_OPEN.match(text, start, end) is None:
        return _NOTHING_OPEN
    last = True
    while _NOTE.fullmatch(text, start, end):  # a header's notes: the header is above them
        if start == 0:
            return _OPEN_REPLACEMENT if before == _OPEN_REPLACEMENT else _NOTHING_OPEN
        end, last = start - 1, False
        start = text.rfind("\n", 0, end) + 1
    found = _FIRST_LINE.fullmatch(text[start:end])
    if found is None:
        return _NOTHING_OPEN
    _address, verb, symbol, other = found.groups()
    if verb and not symbol and _header_action(verb) is Action.REPLACE:
        return _OPEN_REPLACEMENT
    if last and other and other.startswith("Monthly cost change for "):
        return _OPEN_PROJECT
    return _NOTHING_OPEN


#: What :data:`_HEADERS` and :data:`_READ_LINES` find: (quick address, kind, address, verb,
#: symbol, other line), one of the three filled.
_Found = tuple[str, str, str, str, str, str]


def _first_line(text: str) -> _Found | None:
    """The batch's first line, if the digest reads it (no newline before it to look for)."""
    found = _FIRST_LINE.match(text)
    if found is None:
        return None
    address, verb, symbol, other = found.groups("")
    return ("", "", address, verb, symbol, other)


def _events(found: list[_Found]) -> list[_Event]:
    """What was found, in order, as events: the headers between two other lines as one run."""
    events: list[_Event] = []
    run: dict[str, str] = {}
    last = ("", "")
    for quick, code, address, verb, symbol, other in found:
        if quick:
            run[quick] = code
            last = (quick, code)
        elif address:
            last = (address, _kind(verb, symbol))
            run[address] = last[1]
        elif other:
            if run:
                events.append((run, _open_address(*last)))
                run = {}
            events.append(other)
    if run:
        events.append((run, _open_address(*last)))
    return events


def _read_headers(text: str) -> tuple[dict[str, str], str | None] | list[_Event]:
    """A batch with no line of :data:`_OTHER`: its headers as one run (one pass of
    :data:`_QUICK_HEADERS`, its pairs made a dict in C), or, where that pattern cannot read a
    header line, their events by :data:`_HEADERS` (a second pass, for that batch only)."""
    pairs: list[tuple[str, str]] = _QUICK_HEADERS.findall(text)
    first = _first_line(text)
    if first is not None and first[2]:
        pairs.insert(0, (first[2], _kind(first[3], first[4])))
    run = dict(pairs)
    if "" in run or (first is not None and not first[2]):
        found: list[_Found] = _HEADERS.findall(text)
        return _events([first, *found] if first is not None else found)
    return (run, _open_address(*pairs[-1])) if pairs else []


def _read_lines(text: str, headers: bool) -> list[_Event]:
    """A batch that may hold lines of :data:`_OTHER` (it has their capitals): one pass over
    its line starts, with the headers if it has any ``#``."""
    found: list[_Found]
    if headers:
        found = _READ_LINES.findall(text)
    else:
        anywhere = "V" in text and "E" in text and "R" in text and "L" in text and "T" in text
        others = (_OTHER_LINES if anywhere else _UNINDENTED_OTHER_LINES).findall(text)
        found = [("", "", "", "", "", other) for other in others]
    first = _first_line(text)
    if first is not None:
        found.insert(0, first)
    return _events(found) if found else []


def _read(text: str, open_end: int) -> tuple[Any, str | None, int]:
    """What a batch (whole lines) says, and what it leaves open (:func:`_open_end`). ``open_end``:
    what the batch before left open, which the first lines of this one may finish.

    Returns (what it said, the replacement left waiting, what it leaves open); what it said is
    None, a run of headers alone (a dict, with the replacement waiting at its end: the bulk of
    a plan) or a list of :data:`_Event`. A batch is read by what ``str.__contains__`` finds in
    it first (``memchr``, ~0.3 µs for 10 KB): without ``#`` or the capitals of :data:`_OTHER`,
    it says nothing; with ``#`` alone, its headers are read (:func:`_read_headers`); with the
    capitals, every line start (:func:`_read_lines`).
    """
    if "\x1b" in text:
        text = _colourless(text, open_end)
        if not text:
            return None, None, _NOTHING_OPEN
    capitals = "P" in text or "N" in text or "O" in text or "M" in text
    hashes = "#" in text
    if not (capitals or hashes or open_end):
        return None, None, _NOTHING_OPEN
    continued: list[_Event] = []  # what finishes what the batch before left open
    if open_end == _OPEN_REPLACEMENT:
        symbol = _CONTINUED_SYMBOL.match(text)
        if symbol is not None:
            continued = [_Continued(symbol.group(1))]
    elif open_end == _OPEN_PROJECT:
        amount = _CONTINUED_AMOUNT.match(text)
        if amount is not None:
            continued = [amount.group(0).strip()]
    left_open = _open_end(text, open_end) if capitals or hashes else _NOTHING_OPEN
    if capitals:
        events = continued + _read_lines(text, hashes)
    elif hashes:
        read = _read_headers(text)
        if isinstance(read, list):
            events = continued + read
        elif not continued:
            return read[0], read[1], left_open  # the bulk of a plan: a run of headers alone
        else:
            events = [*continued, read]
    else:
        events = continued
    return (events or None), None, left_open


def _colourless(text: str, open_end: int) -> str:
    """A coloured batch without its colours, from its first line that may be read on (the lines
    before it say nothing, and need no copy); "" when it has none. Whole when the batch
    before left something open (its first lines may finish it)."""
    if open_end:
        return strip_sgr(text)
    if _COLOURED_FIRST_LINE.match(text) is not None:
        return strip_sgr(text)
    found = _COLOURED_LINE.search(text)
    return "" if found is None else strip_sgr(text[found.start() + 1 :])


def _amount_line(text: str) -> tuple[str, Decimal, Decimal | None] | None:
    """``+$743 ($0.00 → $743)``: (currency, change, cost after)."""
    head, _, rest = text.partition("(")
    change = _money(head)
    if change is None:
        return None
    after = None
    for arrow in ("→", "->"):
        if arrow in rest:
            money = _money(rest.split(arrow, 1)[1])
            after = money[1] if money else None
            break
    return change[0], change[1], after


# -- the digest ------------------------------------------------------------------------------


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
