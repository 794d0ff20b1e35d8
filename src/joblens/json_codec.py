"""JSON to and from Python values with an explicit stack: no recursion limit.

``json.loads`` and ``json.dumps`` stop at about 990 levels (RecursionError); PostgreSQL stores
jsonb several thousand levels deep. These are the fallbacks :mod:`joblens.json_doc` uses when
the C functions give up, so they favour being simple over being fast: documents that deep are
small (PostgreSQL's own parser stops between 5,000 and 20,000 levels).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

#: The separators PostgreSQL prints ``jsonb::text`` with, so a document made from a parsed
#: value usually has the same text as the one the server sends.
SEPARATORS = (", ", ": ")

_TOKEN = re.compile(
    rb"[ \t\n\r]*(?:"
    rb"(?P<open>[\[{])|(?P<close>[\]}])|(?P<punct>[,:])"
    rb'|(?P<string>"(?:[^"\\]++|\\.)*+")'
    rb"|(?P<atom>-?[0-9][0-9.eE+-]*|true|false|null))",
    re.DOTALL,
)
_TRAILING_WS = re.compile(rb"[ \t\n\r]*\Z")
_NOTHING = object()


def parse_iteratively(raw: bytes) -> Any:
    """The value of a JSON text, however deep.

    Punctuation is trusted rather than checked (the text comes from PostgreSQL or from
    ``json.dumps``); unbalanced brackets, a missing value or trailing text raise ValueError.
    """
    stack: list[Any] = []  # open containers, innermost last
    keys: list[str | None] = []  # per open container: an object's key awaiting its value
    result: Any = _NOTHING
    pos = 0
    while True:
        match = _TOKEN.match(raw, pos)
        if match is None:
            break
        pos = match.end()
        kind = match.lastgroup
        token = match.group(kind or 0)
        if kind == "punct":
            continue
        if kind == "close":
            if not stack:
                raise ValueError(f"unbalanced {token!r} at byte {match.start()}")
            stack.pop()
            keys.pop()
            continue
        value: Any = ({} if token == b"{" else []) if kind == "open" else json.loads(token)
        if not stack:
            if result is not _NOTHING:
                raise ValueError(f"extra data at byte {match.start()}")
            result = value
        elif isinstance(stack[-1], list):
            stack[-1].append(value)
        elif keys[-1] is None:
            if not isinstance(value, str) or kind == "open":
                raise ValueError(f"a key expected at byte {match.start()}")
            keys[-1] = value
            continue
        else:
            stack[-1][keys[-1]] = value
            keys[-1] = None
        if kind == "open":
            stack.append(value)
            keys.append(None)
    if stack or result is _NOTHING or _TRAILING_WS.match(raw, pos) is None:
        raise ValueError(f"malformed JSON at byte {pos}")
    return result


def _leaf(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _key(key: Any) -> str:
    return _leaf(key if isinstance(key, str) else _leaf(key).strip('"'))


def dumps_iteratively(value: Any) -> str:
    """Compact JSON text (``SEPARATORS``) of a value, however deep."""
    parts: list[str] = []
    # Per open container: its remaining items, whether it is an object, and its closing text.
    stack: list[tuple[Iterator[Any], bool, str]] = []
    first: list[bool] = []
    item, have_item = value, True
    while True:
        if have_item:
            if isinstance(item, dict):
                parts.append("{")
                stack.append((iter(item.items()), True, "}"))
                first.append(True)
            elif isinstance(item, list | tuple):
                parts.append("[")
                stack.append((iter(item), False, "]"))
                first.append(True)
            else:
                parts.append(_leaf(item))
            have_item = False
        if not stack:
            return "".join(parts)
        items, is_object, closing = stack[-1]
        nxt: Any = next(items, _NOTHING)
        if nxt is _NOTHING:
            parts.append(closing)
            stack.pop()
            first.pop()
            continue
        if not first[-1]:
            parts.append(SEPARATORS[0])
        first[-1] = False
        if is_object:
            key, item = nxt
            parts.append(_key(key) + SEPARATORS[1])
        else:
            item = nxt
        have_item = True
