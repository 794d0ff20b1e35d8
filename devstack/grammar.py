"""Parsing PostgREST's query grammar: select lists, filters, logic trees and order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class PgrstError(Exception):
    """An error answered as PostgREST answers it: status plus {code,message,details,hint}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.hint = hint
        self.headers: dict[str, str] = {}  # sent with the error (e.g. a 416's Content-Range)

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        return {
            "code": self.code,
            "details": self.details,
            "hint": self.hint,
            "message": self.message,
        }


def parse_error(what: str, text: str, details: str = "") -> PgrstError:
    """PostgREST's PGRST100 for a request it cannot parse."""
    return PgrstError(
        400,
        "PGRST100",
        f'"failed to parse {what} ({text})" (line 1, column 1)',
        details or f"unexpected {text!r}",
    )


@dataclass
class ColumnItem:
    """`[alias:]column[::cast]` in a select list."""

    name: str
    alias: str | None = None
    cast: str | None = None


@dataclass
class EmbedItem:
    """`[alias:]relation[!hint][!inner](items)` in a select list."""

    relation: str
    alias: str | None
    hint: str | None
    inner: bool
    items: list[ColumnItem | EmbedItem | str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The JSON key (and filter path) of this embed."""
        return self.alias or self.relation


SelectItem = ColumnItem | EmbedItem | str  # a str is "*"


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside parentheses and double quotes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    buf: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quoted and i + 1 < len(text):
            buf.append(text[i : i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth < 0:
                raise parse_error("select", text)
        if ch == sep and depth == 0 and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if depth != 0 or quoted:
        raise parse_error("parameter", text, "unbalanced parentheses or quotes")
    parts.append("".join(buf))
    return parts


def parse_select(text: str) -> list[SelectItem]:
    """Parse a `select=` value."""
    text = "".join(text.split()) if '"' not in text else text.strip()
    if not text:
        return ["*"]
    items: list[SelectItem] = []
    for raw in split_top(text):
        if not raw:
            raise parse_error("select", text)
        items.append(_parse_item(raw))
    return items


def _parse_item(raw: str) -> SelectItem:
    if raw == "*":
        return "*"
    alias: str | None = None
    body = raw
    paren = raw.find("(")
    head = raw if paren < 0 else raw[:paren]
    colon = _alias_colon(head)
    if colon >= 0:
        alias, body = raw[:colon], raw[colon + 1 :]
        paren = body.find("(")
    if paren >= 0:
        if not body.endswith(")"):
            raise parse_error("select", raw)
        target, inner_text = body[:paren], body[paren + 1 : -1]
        parts = target.split("!")
        relation, hints = parts[0], parts[1:]
        inner = "inner" in hints
        hints = [h for h in hints if h not in ("inner", "left")]
        if len(hints) > 1 or not relation:
            raise parse_error("select", raw)
        items = parse_select(inner_text) if inner_text else []
        return EmbedItem(relation, alias, hints[0] if hints else None, inner, items)
    cast: str | None = None
    if "::" in body:
        body, cast = body.split("::", 1)
    name = body.strip('"')
    if not name:
        raise parse_error("select", raw)
    return ColumnItem(name, alias, cast)


def _alias_colon(head: str) -> int:
    """Index of the alias colon (not part of a `::` cast), or -1."""
    i = head.find(":")
    while i >= 0:
        if head[i : i + 2] == "::":
            i = head.find(":", i + 2)
            continue
        return i
    return -1


@dataclass
class Condition:
    """`column.[not.]op.value` (or a query parameter `column=[not.]op.value`)."""

    column: str
    op: str
    value: str
    negate: bool = False


@dataclass
class Logic:
    """`[not.]or(...)` / `[not.]and(...)`."""

    op: str  # "and" | "or"
    items: list[Condition | Logic]
    negate: bool = False


OPERATORS = {
    "eq",
    "neq",
    "gt",
    "gte",
    "lt",
    "lte",
    "like",
    "ilike",
    "match",
    "imatch",
    "is",
    "isdistinct",
    "in",
    "cs",
    "cd",
    "ov",
    "sl",
    "sr",
    "nxl",
    "nxr",
    "adj",
}


def parse_operation(column: str, text: str) -> Condition:
    """Parse `[not.]op.value` for a column."""
    negate = False
    if text.startswith("not."):
        negate, text = True, text[4:]
    op, dot, value = text.partition(".")
    if not dot or op not in OPERATORS:
        raise parse_error("filter", text)
    return Condition(column, op, value, negate)


def parse_logic(key: str, value: str) -> Logic:
    """Parse a query parameter `or=(...)`, `and=(...)`, `not.or=(...)` or `not.and=(...)`."""
    negate = key.startswith("not.")
    op = key[4:] if negate else key
    if not (value.startswith("(") and value.endswith(")")):
        raise parse_error("logic tree", value)
    return Logic(op, _logic_items(value[1:-1]), negate)


def _logic_items(text: str) -> list[Condition | Logic]:
    items: list[Condition | Logic] = []
    for raw in split_top(text):
        raw = raw.strip()
        negate = False
        body = raw
        if body.startswith("not.") and (body[4:].startswith("or(") or body[4:].startswith("and(")):
            negate, body = True, body[4:]
        if (body.startswith("or(") or body.startswith("and(")) and body.endswith(")"):
            op = "or" if body.startswith("or(") else "and"
            items.append(Logic(op, _logic_items(body[len(op) + 1 : -1]), negate))
            continue
        column, dot, rest = raw.partition(".")
        if not dot or not column:
            raise parse_error("logic tree", raw)
        items.append(parse_operation(column, rest))
    return items


def unquote(value: str) -> str:
    """A value inside a logic tree or list may be double-quoted."""
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def parse_list(value: str) -> list[str]:
    """`(a,b,"c,d")` as used by `in`."""
    if not (value.startswith("(") and value.endswith(")")):
        raise parse_error("filter", value)
    inner = value[1:-1]
    if not inner:
        return []
    return [unquote(v) for v in split_top(inner)]


@dataclass
class OrderTerm:
    """One `column[.asc|.desc][.nullsfirst|.nullslast]`."""

    column: str
    descending: bool = False
    nulls: str | None = None  # "first" | "last"


def parse_order(text: str) -> list[OrderTerm]:
    """Parse an `order=` value."""
    terms: list[OrderTerm] = []
    for raw in split_top(text):
        parts = raw.split(".")
        term = OrderTerm(parts[0])
        for mod in parts[1:]:
            if mod == "desc":
                term.descending = True
            elif mod == "asc":
                term.descending = False
            elif mod in ("nullsfirst", "nullslast"):
                term.nulls = mod[5:]
            else:
                raise parse_error("order", raw)
        if not term.column or "(" in term.column:
            raise parse_error("order", raw)
        terms.append(term)
    return terms
