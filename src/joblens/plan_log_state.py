"""What a PLAN's log says, added up (:class:`_LogState`): each resource by the kind of its
header, the ``Plan:`` line that counts, Infracost's figures.

:mod:`joblens.plan_log` reads each batch of lines into what it says (:data:`_Event`); the
state takes those in, in order, when :mod:`joblens.plan_digest` asks for a summary. A header's
kind is its verb, and for a replacement the ``-/+`` or ``+/-`` under it, as one letter where
it can be (:data:`_CODES`): no object per resource until one is asked for
(:func:`_log_resource`, in the terms of :mod:`joblens.plan_types`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple

from joblens.plan_types import CREATE_FIRST, DESTROY_FIRST, Action, PlannedResource

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
    """The action of a header's verb (one of :data:`joblens.plan_log._VERB`'s)."""
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
#: each as last seen) with the replacement left waiting at its end, a line of
#: :data:`joblens.plan_log._OTHER` (or a project's ``Amount:``), or the symbol of the
#: replacement left waiting before it.
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
