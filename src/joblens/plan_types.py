"""What a plan is made of: what it does to each resource, its figures and its cost.

The plan digest's terms: :mod:`joblens.plan_metadata` reads them from the job's
``execution_metadata``, :mod:`joblens.plan_log` and :mod:`joblens.plan_log_state` from its
log, :mod:`joblens.plan_digest` ties both together (and re-exports these names: the rest of
joblens imports them from there), :mod:`joblens.plan_words` puts them in words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "ACTION_ORDER",
    "CREATE_FIRST",
    "DESTROY_FIRST",
    "DESTRUCTIVE",
    "Action",
    "PlanCost",
    "PlanCounts",
    "PlannedResource",
    "format_money",
    "module_of",
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
