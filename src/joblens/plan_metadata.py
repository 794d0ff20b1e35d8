"""The plan and its costs as the job's ``execution_metadata`` holds them, once the runner has
merged its plan into it (docs/PLATFORM.md, "execution_metadata").

Read: ``plan_result.resource_changes`` (``terraform show -json``: ``address``,
``module_address``, ``mode``, ``change.actions``, ``change.importing``, ``deposed``) and the
costs (``cost_breakdown``: Infracost's JSON, amounts as strings; ``cost_summary``: numbers),
from plain values or a :class:`~joblens.json_doc.JsonDoc`. What it says wins over the log's
word (:mod:`joblens.plan_log`); :mod:`joblens.plan_digest` ties both together, in the terms of
:mod:`joblens.plan_types`.

Nothing here raises on any metadata. Its text is made safe here (``sanitize.display_text``),
as every server text is before it is shown.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from joblens.json_doc import CONTAINERS, JsonDoc, Kind
from joblens.plan_types import (
    CREATE_FIRST,
    DESTROY_FIRST,
    Action,
    PlanCost,
    PlanCounts,
    PlannedResource,
    _plan_counts,
    module_of,
)
from joblens.sanitize import display_text

__all__ = ["MetadataPlan", "read_metadata"]


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥"}


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
