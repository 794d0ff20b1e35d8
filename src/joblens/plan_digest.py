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
feed took lines back to put a late row in its place). A header cut from its ``-/+`` line, or
a project's cost from its ``Amount:``, by the end of a batch is joined up with the next one.

Cost: reading a batch is one regular expression pass in C (``findall``: it tries only line
starts, and its tuples are what is kept: one per header read, never the lines); a batch of
headers alone is taken in with ``dict.update``, in C; Python looks only at the few other
lines. About 0.2 s per million lines of a dense plan, 0.17 s per million lines of other
output (``benchmarks/plan_digest.py``). Once the metadata holds the plan and its costs the
log is not read at all (:attr:`PlanDigest.needs_log`).

Nothing here raises on any text or any metadata, and the text fed is only read. Log text
arrives sanitised (``joblens.feed``), possibly with SGR colour (removed here before reading);
metadata text is made safe here (``sanitize.display_text``), as every server text is before
it is shown.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property
from operator import itemgetter
from typing import Any, NamedTuple, cast

from joblens.json_doc import CONTAINERS, JsonDoc, Kind
from joblens.sanitize import display_text, strip_sgr

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


class Action(StrEnum):
    """What a plan does to one resource instance."""

    DELETE = "delete"
    REPLACE = "replace"
    UPDATE = "update"
    CREATE = "create"
    IMPORT = "import"
    FORGET = "forget"


#: The order a plan's resources are listed in: what destroys first.
ACTION_ORDER = (
    Action.DELETE,
    Action.REPLACE,
    Action.UPDATE,
    Action.CREATE,
    Action.IMPORT,
    Action.FORGET,
)
#: Actions that destroy an existing object.
DESTRUCTIVE = frozenset({Action.DELETE, Action.REPLACE})

#: How a replacement goes: ``-/+`` destroys first (Terraform's default), ``+/-`` creates the
#: new object first (``create_before_destroy``).
DESTROY_FIRST = "destroy first"
CREATE_FIRST = "create first"


class PlannedResource(NamedTuple):
    """One resource instance the plan changes. ``address`` is as Terraform prints it (a deposed
    object with `` (deposed object ID)``); ``module_address`` the module path as the plan's
    JSON gives it (None: read from the address, when asked: see :attr:`module`)."""

    address: str
    action: Action
    module_address: str | None = None
    replace_order: str | None = None  # DESTROY_FIRST or CREATE_FIRST, for a REPLACE if known

    @property
    def module(self) -> str:
        """The module path ("" for the root module)."""
        if self.module_address is not None:
            return self.module_address
        return module_of(self.address.split(" (deposed object ", 1)[0])

    @property
    def name(self) -> str:
        """The address within its module (what a list grouped by module shows)."""
        module = self.module
        if module and self.address.startswith(module + "."):
            return self.address[len(module) + 1 :]
        return self.address


@dataclass(frozen=True, slots=True)
class PlanCounts:
    """The plan's figures, counted as Terraform's ``Plan:`` line counts them."""

    add: int = 0
    change: int = 0
    destroy: int = 0
    replace: int = 0  # included in add and destroy too
    imported: int = 0
    forget: int = 0

    @property
    def changes_nothing(self) -> bool:
        return not (self.add or self.change or self.destroy or self.imported or self.forget)


@dataclass(frozen=True, slots=True)
class PlanCost:
    """The monthly cost after the plan and its change, where known (Infracost)."""

    currency: str  # a symbol ("$") or a code and a space ("CHF ")
    monthly: Decimal | None = None
    change: Decimal | None = None


@dataclass(frozen=True)
class PlanSummary:
    """Everything known of a plan at one moment; ``counts`` None while nothing is.

    The resources are made only when asked for (the header needs the counts alone): from
    ``found``, the plan's own :class:`PlannedResource` (metadata) or the log's header items.
    """

    counts: PlanCounts | None = None
    cost: PlanCost | None = None
    #: Where the counts and resources came from: "metadata", "log" or "" (nothing yet).
    source: str = ""
    found: tuple[Any, ...] = field(default=(), repr=False)

    @property
    def known(self) -> bool:
        return self.counts is not None or self.cost is not None

    @cached_property
    def resources(self) -> tuple[PlannedResource, ...]:
        """Every resource the plan changes, in plan order (a resource seen again keeps its
        first place, as last seen)."""
        return tuple(map(_planned, self.found))

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


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥"}


def format_money(amount: Decimal, currency: str = "$", *, signed: bool = False) -> str:
    """``$1,234.56``; with ``signed``, ``+$12.00`` / ``-$3.50`` (and ``±$0.00`` for none)."""
    sign = ""
    if signed:
        sign = "+" if amount > 0 else "-" if amount < 0 else "±"
    elif amount < 0:
        sign = "-"
    return f"{sign}{currency}{abs(amount):,.2f}"


# -- reading addresses -----------------------------------------------------------------------

_MODULE_PATH = re.compile(r'(?:module\.[^.\[\s]+(?:\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?\.)+')


def module_of(address: str) -> str:
    """The module path of a resource address (``module.a["x"].module.b``), "" for the root."""
    match = _MODULE_PATH.match(address)
    return match.group(0)[:-1] if match else ""


# -- the log ---------------------------------------------------------------------------------

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


# -- the metadata ----------------------------------------------------------------------------


def _member(doc: JsonDoc, start: int, key: str) -> int | None:
    for member in doc.members(start):
        if member.key == key:
            return member.start
    return None


def _small_value(doc: JsonDoc, start: int) -> Any:
    """A scalar, or a container's value (the keys read here hold small ones)."""
    return doc.value(start) if doc.kind_at(start) in CONTAINERS else doc.scalar(start)


def _lookup(data: Any, *path: str) -> Any:
    """The value at ``path`` in plain values or a JsonDoc (containers of a JsonDoc stay as
    ``(doc, offset)``); None where anything along it is missing or of another kind."""
    if isinstance(data, JsonDoc):
        start: int | None = data.root
        for key in path:
            if start is None or data.kind_at(start) is not Kind.OBJECT:
                return None
            start = _member(data, start, key)
        if start is None:
            return None
        return (data, start) if data.kind_at(start) in CONTAINERS else data.scalar(start)
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _entries(found: Any) -> Iterator[Mapping[str, Any]]:
    """The entries of ``resource_changes``: only the keys read, for a JsonDoc's (whose
    ``change.before``/``after`` may be megabytes)."""
    if isinstance(found, list):
        yield from (entry for entry in found if isinstance(entry, Mapping))
        return
    if not (isinstance(found, tuple) and len(found) == 2):
        return
    doc, start = found
    if doc.kind_at(start) is not Kind.ARRAY:
        return
    for member in doc.members(start):
        if member.kind is not Kind.OBJECT:
            continue
        entry: dict[str, Any] = {}
        for part in doc.members(member.start):
            if part.key in ("address", "module_address", "mode", "deposed"):
                entry[part.key] = _small_value(doc, part.start)
            elif part.key == "change" and part.kind is Kind.OBJECT:
                change: dict[str, Any] = {}
                for inner in doc.members(part.start):
                    if inner.key == "actions":
                        change["actions"] = _small_value(doc, inner.start)
                    elif inner.key == "importing":
                        change["importing"] = inner.kind is not Kind.NULL
                entry["change"] = change
        yield entry


_REPLACE_ACTIONS: dict[tuple[str, ...], str] = {
    ("delete", "create"): DESTROY_FIRST,
    ("create", "delete"): CREATE_FIRST,
}


def _metadata_resources(found: Any) -> list[PlannedResource] | None:
    """The planned resources of ``plan_result.resource_changes``, None if there is none."""
    if found is None or not isinstance(found, list | tuple):
        return None
    resources: list[PlannedResource] = []
    for entry in _entries(found):
        change = entry.get("change")
        actions = change.get("actions") if isinstance(change, Mapping) else None
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            continue
        importing = bool(isinstance(change, Mapping) and change.get("importing"))
        key: tuple[str, ...] = tuple(actions)
        mode = entry.get("mode")
        order = _REPLACE_ACTIONS.get(key)
        if order is not None:
            action = Action.REPLACE
        elif key == ("create",) or key == ("create", "forget"):
            action = Action.CREATE
        elif key == ("update",):
            action = Action.UPDATE
        elif key == ("delete",):
            if mode == "data":
                continue  # Terraform shows nothing for a data source that goes away
            action = Action.DELETE
        elif key == ("forget",):
            action = Action.FORGET
        elif importing:
            action = Action.IMPORT
        else:
            continue  # no-op, read
        address = display_text(str(entry.get("address") or "(no address)"))
        deposed = entry.get("deposed")
        if deposed:
            address = f"{address} (deposed object {display_text(str(deposed))})"
        module = entry.get("module_address")
        base = address.split(" (deposed object ", 1)[0]
        resources.append(
            PlannedResource(
                address,
                action,
                display_text(module) if isinstance(module, str) else module_of(base),
                order,
            )
        )
    return resources


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return None
        return amount if amount.is_finite() else None
    return None


def _currency(code: Any) -> str:
    if not isinstance(code, str) or not code.strip():
        return "$"
    code = display_text(code.strip())[:8]
    return _SYMBOLS.get(code.upper(), f"{code} ")


def _metadata_cost(metadata: Any) -> PlanCost | None:
    """Infracost's totals, from ``cost_breakdown`` (its own JSON) or ``cost_summary``."""
    currency = _currency(_lookup(metadata, "cost_breakdown", "currency"))
    monthly = _decimal(_lookup(metadata, "cost_breakdown", "totalMonthlyCost"))
    change = _decimal(_lookup(metadata, "cost_breakdown", "diffTotalMonthlyCost"))
    if monthly is None:
        monthly = _decimal(_lookup(metadata, "cost_summary", "total_monthly"))
    if change is None:
        change = _decimal(_lookup(metadata, "cost_summary", "diff_monthly"))
    if monthly is None and change is None:
        return None
    return PlanCost(currency, monthly, change)


def _plan_result(metadata: Any) -> Any:
    """``plan_result.resource_changes`` as found (a list, or a JsonDoc's ``(doc, offset)``);
    a ``plan_result`` stored as JSON text is read too."""
    result = _lookup(metadata, "plan_result")
    if isinstance(result, str):
        try:
            return _lookup(JsonDoc.from_text(result), "resource_changes")
        except ValueError:
            return None
    return _lookup(metadata, "plan_result", "resource_changes")


@dataclass(frozen=True, slots=True)
class MetadataPlan:
    """What ``execution_metadata`` says of the plan: ``resources`` and ``counts`` None where
    it has no ``plan_result``, ``cost`` None where it has no costs."""

    key: Any
    resources: tuple[PlannedResource, ...] | None = None
    counts: PlanCounts | None = None
    cost: PlanCost | None = None


def read_metadata(metadata: Any, unless: Any = None) -> MetadataPlan | None:
    """The plan and costs in ``execution_metadata`` (plain values, a JsonDoc, or anything
    else: nothing), or None when they are those read before under the key ``unless``.

    Pure, and safe in a thread: a 16 MB JsonDoc takes about half a second, and 0.2 s to find
    out its plan is the one read before (a document is new with every merge into the
    metadata, its plan usually the same: it is compared by a digest of its text).
    """
    try:
        found = _plan_result(metadata)
        cost = _metadata_cost(metadata)
        if isinstance(found, tuple) and isinstance(found[0], JsonDoc):
            text = found[0].text_of(found[1])
            key: Any = (len(text), hashlib.blake2b(text, digest_size=16).digest(), cost)
        else:
            key = (found, cost)
        if key == unless:
            return None
        resources = _metadata_resources(found)
    except (ValueError, TypeError, RecursionError):  # malformed: the log's word stands
        return MetadataPlan(object())
    if resources is None:
        return MetadataPlan(key, None, None, cost)
    counts = _plan_counts(Counter(r.action for r in resources), None)
    return MetadataPlan(key, tuple(resources), counts, cost)


# -- the digest ------------------------------------------------------------------------------


class PlanDigest:
    """A plan's figures and resources, kept up to date from its log and metadata."""

    def __init__(self) -> None:
        # What the log said, a list of items per batch, as (at, seq, items), sorted: by
        # position, then in the order fed (seq).
        self._batches: list[tuple[int, int, list[Item]]] = []
        self._seq = 0
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
        where = bisect.bisect_left(self._batches, (mark,))
        if where == len(self._batches):
            return False
        del self._batches[where:]
        self._high, self._open = min(self._high, mark), _NOTHING_OPEN
        self._rebuild()
        self._summary = None
        return True

    def clear(self) -> None:
        """Forget the log (the metadata stays)."""
        self._batches.clear()
        self._high, self._open = -(1 << 62), _NOTHING_OPEN
        self._state = _LogState()
        self._summary = None

    def _rebuild(self) -> None:
        state = _LogState()
        for _at, _seq, items in self._batches:
            state.apply(items)
        self._state = state

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
        state = self._state
        cost = self._meta_cost or self._log_cost()
        if self._meta_resources is not None:
            return PlanSummary(self._meta_counts, cost, "metadata", self._meta_resources)
        found = tuple(state.headers.values())
        counts: PlanCounts | None = None
        if found or state.plan is not None or state.no_changes:
            if state.no_changes and not found:
                counts = PlanCounts()
            else:
                counts = _plan_counts(state.counts(), state.plan)
        return PlanSummary(counts, cost, "log" if counts is not None else "", found)

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
