"""The plan digest's reading of the log as it was before it was made cheap (joblens before
issue 13's "plan digest" work): the reference the tests hold the quick reading to.

Verbatim but for names: one regular expression pass per batch that tries every line start, a
tuple per header. Only the log (the metadata's reading is unchanged and tested on its own).
:func:`view` gives what the digest shows of a summary, to compare both.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any, cast

from joblens.plan_digest import (
    CREATE_FIRST,
    DESTROY_FIRST,
    Action,
    PlanCost,
    PlanCounts,
    PlannedResource,
    PlanSummary,
)
from joblens.sanitize import strip_sgr

View = tuple[Any, ...]


def view(summary: PlanSummary) -> View:
    """What the digest shows of a plan: figures, costs, source, and each resource as listed."""
    return (
        summary.counts,
        summary.cost,
        summary.source,
        tuple((r.address, r.action, r.module, r.replace_order) for r in summary.resources),
    )


#: What a resource header says happens (Terraform's ``resourceChangeComment``, OpenTofu's words
#: for a forget), at the end of its line.
_VERB = (
    r"will be created"
    r"|will be updated in-place"
    r"|will be destroyed"
    r"|(?:is tainted, so )?must be replaced"
    r"|will be replaced(?:, as requested| due to changes in replace_triggered_by)?"
    r"|must be replaced, but the existing object will not be destroyed"
    r"|will be imported"
    r"|will no longer be managed by \w+(?:, but will not be destroyed)?"
    r"|will be removed from (?:the )?\w+ state,? but will not be destroyed"
)
#: What the digest reads on a line of its own, after at most 4 blanks: a resource header
#: (``  # <address> <verb>``, the whole line: the address may hold spaces, ``["a key"]``, so
#: the verb is matched at the end of the line) with its notes (``  # (because ...)``) and,
#: for a replacement, the symbol opening its body (``-/+`` destroys first, ``+/-`` creates
#: first); or one of the lines read once per plan: ``Plan: ...``, ``No changes.``, and
#: Infracost's ``OVERALL TOTAL``, ``Monthly cost change for ...`` (with its ``Amount:``) and
#: ``Monthly cost will ...``. Groups: address, verb, symbol, and the other line.
_LINE_BODY = (
    r"[ \t]{0,4}+(?=[#PNOMI\U0001F4B0])(?:"
    # Greedy, the verb being at the end; "is tainted, so" belongs to the verb.
    rf"# (?=[^\s(])([^\n]*)(?<!, so) ({_VERB})[ \t]*+$"
    r"(?:\n[ \t]*+#[ \t]*+\([^\n]*+)*+(?:\n {0,2}+(-/\+|\+/-) (?=resource |data ))?"
    r"|((?<![ \t])Plan: [^\n]*+"  # Terraform's and Infracost's own lines: not indented
    r"|(?<![ \t])No changes\."
    r"|OVERALL TOTAL[^\n]*+"  # ... but this one (Infracost's table)
    r"|(?<![ \t])Monthly cost change for [^\n]*+(?:\n[ \t]*+Amount:[^\n]*+)?"
    r"|(?<![ \t])(?:Infracost estimate: |\U0001F4B0 ?)?Monthly cost will [^\n]*+)"
    r")"
)
#: Every such line after a newline: the pattern starts with ``\n``, so the regex engine tries
#: only line starts, and one pass finds everything (``findall``: tuples, no match objects).
_LINES = re.compile(r"\n" + _LINE_BODY, re.MULTILINE)
#: The same on the batch's first line.
_FIRST_LINE = re.compile(_LINE_BODY, re.MULTILINE)
#: A header's note: ``  # (because aws_instance.old is not in configuration)``.
_NOTE = re.compile(r"[ \t]*+#[ \t]*+\([^\n]*+")
#: What a batch may begin with that belongs to the end of the batch before (see
#: :func:`_open_end`): the symbol of a replacement (after its notes), a project's ``Amount:``.
_CONTINUED_SYMBOL = re.compile(
    r"(?:[ \t]*+#[ \t]*+\([^\n]*+\n)*+ {0,2}+(-/\+|\+/-) (?:resource|data) "
)
_CONTINUED_AMOUNT = re.compile(r"[ \t]*+Amount:[ \t]+([^\n]*+)")
#: What the end of a batch leaves open for the next one.
_NOTHING_OPEN, _OPEN_REPLACEMENT, _OPEN_PROJECT = range(3)
_ACTION_OF_VERB: dict[str, Action] = {
    "will be created": Action.CREATE,
    "will be updated in-place": Action.UPDATE,
    "will be destroyed": Action.DELETE,
    "must be replaced": Action.REPLACE,
    "will be imported": Action.IMPORT,
}
_ORDER_OF_SYMBOL = {"-/+": DESTROY_FIRST, "+/-": CREATE_FIRST, "": None, None: None}
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


# What the log says: for each line read, the groups of :data:`_LINES` (address, verb, symbol,
# other line), as ``findall`` gives them. A batch's first items may finish what the batch
# before left open: a replacement's symbol, ("", "", symbol, ""); a project's cost change,
# ("", "", "", "Amount: ...").
Item = tuple[str, str, str, str]


def _action_of(verb: str) -> Action:
    return _ACTION_OF_VERB.get(verb) or _header_action(verb)


def _planned(item: Any) -> PlannedResource:
    """A resource of the plan's JSON as it is; one of the log's header items made one."""
    if isinstance(item, PlannedResource):
        return item
    address, verb, symbol, _other = item
    action = _action_of(verb)
    order = _ORDER_OF_SYMBOL[symbol] if action is Action.REPLACE else None
    return PlannedResource(address, action, None, order)


_ADDRESS, _VERB_OF = itemgetter(0), itemgetter(1)


@dataclass(slots=True)
class _LogState:
    """What the log's items add up to (rebuilt from them after a rewind or a prepend)."""

    #: Each resource's header item, as last seen (in the place it was first seen).
    headers: dict[str, Item] = field(default_factory=dict)
    pending: str | None = None  # a replacement whose -/+ line has not been seen yet
    plan: dict[str, int] | None = None  # the newest Plan: line's counts
    no_changes: bool = False
    total: tuple[str, Decimal] | None = None
    project: str = ""
    projects: dict[str, tuple[str, Decimal, Decimal | None]] = field(default_factory=dict)
    sentence: tuple[str, Decimal] | None = None

    def apply(self, items: list[Item]) -> None:
        """Take in a batch's items. A batch of headers alone (the bulk of a plan) is taken
        in C (``dict.update`` over ``zip``/``map``); Python walks the others."""
        if not items:
            return
        headers = self.headers
        if all(map(_VERB_OF, items)):
            headers.update(zip(map(_ADDRESS, items), items, strict=True))
            self.pending = _open_replacement(items[-1])
            return
        pending = self.pending
        for item in items:
            address, verb, symbol, other = item
            if verb:
                headers[address] = item
                pending = _open_replacement(item)
            elif symbol:
                held = headers.get(pending) if pending is not None else None
                if held is not None:
                    headers[held[0]] = (held[0], held[1], symbol, "")
                pending = None
            elif other:
                self._read(other)
        self.pending = pending

    def counts(self) -> dict[Action, int]:
        """How many resources each action has (counted in C, by verb)."""
        counts = dict.fromkeys(Action, 0)
        for verb, n in Counter(map(_VERB_OF, self.headers.values())).items():
            counts[_action_of(verb)] += n
        return counts

    def _read(self, line: str) -> None:
        """A line read once per plan (``Plan:``, ``No changes.``, Infracost's)."""
        if line.startswith("Plan: "):
            counts = {what: int(n) for n, what in _PLAN_COUNT.findall(line)}
            if counts:
                self.plan, self.no_changes = counts, False
        elif line.startswith("No changes."):
            self.plan, self.no_changes = None, True
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


def _open_replacement(item: Item) -> str | None:
    """The address of a replacement's header item still waiting for its ``-/+`` line."""
    address, verb, symbol, _other = item
    if verb and not symbol and _action_of(verb) is Action.REPLACE:
        return address
    return None


def _open_end(text: str) -> int:
    """What the last lines of a batch (whole lines) leave for the next batch to finish: a
    replacement's header, with perhaps its notes (its ``-/+`` line comes next), or a
    project's ``Monthly cost change for`` (its ``Amount:`` comes next). Looks at the last
    line only, unless it holds a ``#`` or that phrase."""
    end = len(text) - 1 if text.endswith("\n") else len(text)
    start = text.rfind("\n", 0, end) + 1
    last = text[start:end]
    if "#" not in last and "Monthly cost change for " not in last:
        return _NOTHING_OPEN
    lines = text[max(0, end - 8192) : end].split("\n")
    at = len(lines) - 1
    while at > 0 and _NOTE.fullmatch(lines[at]):
        at -= 1  # a header's notes: the header is above them
    found = _FIRST_LINE.fullmatch(lines[at])
    if found is None:
        return _NOTHING_OPEN
    _address, verb, symbol, other = found.groups()
    if verb and not symbol and _header_action(verb) is Action.REPLACE:
        return _OPEN_REPLACEMENT
    if at == len(lines) - 1 and other and other.startswith("Monthly cost change for "):
        return _OPEN_PROJECT
    return _NOTHING_OPEN


def _log_items(text: str, open_end: int = _NOTHING_OPEN) -> list[Item]:
    """Everything the digest reads in ``text`` (whole lines), in text order: one pass of
    :data:`_LINES`, in C, whose tuples are the items. ``open_end``: what the batch before
    left open (:func:`_open_end`), which the first lines of this one may finish."""
    items: list[Item] = _LINES.findall(text)
    first = _FIRST_LINE.match(text)
    if first is not None:
        items.insert(0, cast(Item, first.groups("")))  # "" for what did not match, as findall
    if open_end == _OPEN_REPLACEMENT:
        continued = _CONTINUED_SYMBOL.match(text)
        if continued is not None:
            items.insert(0, ("", "", continued.group(1), ""))
    elif open_end == _OPEN_PROJECT:
        amount = _CONTINUED_AMOUNT.match(text)
        if amount is not None:
            items.insert(0, ("", "", "", f"Amount: {amount.group(1)}"))
    return items


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


def _plan_counts(by_action: Mapping[Action, int], plan: dict[str, int] | None) -> PlanCounts:
    """Terraform's figures: from its Plan: line when there is one, else from the resources."""
    by_action = {action: by_action.get(action, 0) for action in Action}
    replace = by_action[Action.REPLACE]
    if plan is not None:
        return PlanCounts(
            add=plan.get("add", 0),
            change=plan.get("change", 0),
            destroy=plan.get("destroy", 0),
            replace=replace,
            imported=plan.get("import", 0),
            forget=plan.get("forget", by_action[Action.FORGET]),
        )
    return PlanCounts(
        add=by_action[Action.CREATE] + replace,
        change=by_action[Action.UPDATE],
        destroy=by_action[Action.DELETE] + replace,
        replace=replace,
        imported=by_action[Action.IMPORT],
        forget=by_action[Action.FORGET],
    )


class ReferenceDigest:
    """The log's half of :class:`joblens.plan_digest.PlanDigest`, as it was."""

    def __init__(self) -> None:
        self._batches: list[tuple[int, int, list[Item]]] = []
        self._seq = 0
        self._high = -(1 << 62)
        self._open = _NOTHING_OPEN
        self._state = _LogState()

    def feed(self, text: str, at: int = 0) -> bool:
        """Read a batch of whole lines (``\\n``-separated) fed at position ``at``."""
        if not isinstance(text, str) or not text:
            return False
        if "\x1b" in text:
            text = strip_sgr(text)
        open_end = _NOTHING_OPEN
        if at >= self._high:  # the newest lines yet: they may finish what the last ones began
            open_end, self._open = self._open, _open_end(text)
            self._high = at
        items = _log_items(text, open_end)
        if not items:
            return False
        self._seq += 1
        batch = (at, self._seq, items)
        batches = self._batches
        if not batches or at >= batches[-1][0]:
            batches.append(batch)
            self._state.apply(items)
        else:  # older lines: before everything fed at a higher position
            batches.insert(bisect.bisect_left(batches, (at + 1,)), batch)
            self._rebuild()
        return True

    def feed_lines(self, lines: Iterable[str], at: int = 0) -> bool:
        """Read lines (with or without their ``\\n``) fed together at position ``at``."""
        return self.feed("\n".join(line.rstrip("\n") for line in lines) + "\n", at)

    def feed_texts(self, texts: Iterable[str], at: int = 0) -> bool:
        """Read several texts of whole lines (chunks), in order, as one batch at ``at``."""
        return self.feed("".join(t if t.endswith("\n") else t + "\n" for t in texts if t), at)

    def rewind(self, mark: int) -> bool:
        """Forget everything fed at positions from ``mark`` on; True if anything was."""
        where = bisect.bisect_left(self._batches, (mark,))
        if where == len(self._batches):
            return False
        del self._batches[where:]
        self._high, self._open = min(self._high, mark), _NOTHING_OPEN
        self._rebuild()
        return True

    def _rebuild(self) -> None:
        state = _LogState()
        for _at, _seq, items in self._batches:
            state.apply(items)
        self._state = state

    def summary(self) -> PlanSummary:
        """What the log says now (a summary whose ``found`` holds the old items)."""
        state = self._state
        cost = self._log_cost()
        found = tuple(state.headers.values())
        counts: PlanCounts | None = None
        if found or state.plan is not None or state.no_changes:
            if state.no_changes and not found:
                counts = PlanCounts()
            else:
                counts = _plan_counts(state.counts(), state.plan)
        resources = tuple(map(_planned, found))
        return PlanSummary(counts, cost, "log" if counts is not None else "", resources)

    def _log_cost(self) -> PlanCost | None:
        state = self._state
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
