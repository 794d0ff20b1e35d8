"""JSON kept as its text and read one container at a time, at any depth and size.

Why: every recursive reader stops short of what PostgreSQL stores. supabase-py's single-row
validation (pydantic) fails from about 250 levels ("the server refused the request: OK
(200)"), its ``json.loads`` at about 990 (RecursionError), and the view's old path
(``mask_secrets``, ``json.dumps(indent=2)``, ``==`` on nested dicts) between 450 and 900.
Size: a Python object
tree of 10 MB of JSON takes several times the text. So the Supabase backend selects the JSON
columns as text (``config_snapshot::text``) and the model keeps a large or deep document as a
:class:`JsonDoc`: its UTF-8 bytes, parsed only where it is shown. Listing a container's direct
children skips each child container by scanning to its matching bracket (one regex step per
bracket: strings and plain text between brackets go by in C); the ends of big containers are
remembered, so looking again is a jump. Nothing here recurses.

Small, shallow documents stay plain Python values (:func:`json_field`): whatever compares,
copies or writes them back (``joblens.actions``, the tests) keeps working as before. So do large
values that arrived parsed (the demo); the panel turns them into a document, off the event
loop, when it is opened.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from joblens.json_codec import SEPARATORS, dumps_iteratively, parse_iteratively

#: A JSON value whose compact text is longer than this is kept as a JsonDoc in the model.
INLINE_MAX_BYTES = 256 * 1024
#: ... and so is one nested deeper than this (far below any recursive reader's limit).
INLINE_MAX_DEPTH = 64
#: Containers at least this long have their end remembered once found (bounded index: at most
#: one entry per this many bytes at each level).
REMEMBER_SPAN = 512


class JsonError(ValueError):
    """Malformed JSON text, with the byte offset where reading stopped."""

    def __init__(self, what: str, offset: int) -> None:
        super().__init__(f"{what} at byte {offset:,}")
        self.offset = offset


class Kind(StrEnum):
    OBJECT = "object"
    ARRAY = "array"
    STRING = "string"
    NUMBER = "number"
    TRUE = "true"
    FALSE = "false"
    NULL = "null"


CONTAINERS = frozenset({Kind.OBJECT, Kind.ARRAY})

#: Called now and then by a long scan, from the scanning thread: a reader in a worker thread
#: passes one that lets the event loop run first (the GIL is shared; see widgets/json_tree).
Pause = Callable[[], None]

_WS = re.compile(rb"[ \t\n\r]*")
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
# What lies between two brackets that matter: plain text and whole strings (which may hold
# brackets). Possessive, so a 10 MB string is one linear match.
_BETWEEN_BRACKETS = re.compile(rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)
_KIND_OF_BYTE: dict[int, Kind] = {
    ord("{"): Kind.OBJECT,
    ord("["): Kind.ARRAY,
    ord('"'): Kind.STRING,
    ord("t"): Kind.TRUE,
    ord("f"): Kind.FALSE,
    ord("n"): Kind.NULL,
    ord("-"): Kind.NUMBER,
    **{ord(d): Kind.NUMBER for d in "0123456789"},
}
_LITERALS = {Kind.TRUE: b"true", Kind.FALSE: b"false", Kind.NULL: b"null"}
_OPEN_OBJECT, _OPEN_ARRAY, _CLOSE_OBJECT, _CLOSE_ARRAY = b"{[}]"
_COMMA, _COLON = ord(","), ord(":")


class JsonSource(Protocol):
    """What a lazy reader needs of a document: :class:`JsonDoc` (JSON text) or
    :class:`joblens.json_values.ValueDoc` (parsed values already in memory).

    A node is an ``int`` (``start``): a byte offset in a JsonDoc, a number in a ValueDoc.
    """

    @property
    def root(self) -> int: ...

    def kind_at(self, start: int) -> Kind: ...

    def end_of(self, start: int, pause: Pause | None = None) -> int: ...

    def members(
        self, start: int, after: int | None = None, index: int = 0, pause: Pause | None = None
    ) -> Iterator[Member]: ...

    def scalar(self, start: int) -> Any: ...

    def value(self, start: int | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class Member:
    """One direct child of a container: its key (objects) or None (arrays), and where it is."""

    key: str | None
    index: int
    start: int  # offset of the value's first byte
    kind: Kind


#: Documents in use, by the hash of their text (see JsonDoc.from_text).
_LIVE: weakref.WeakValueDictionary[int, JsonDoc] = weakref.WeakValueDictionary()


class JsonDoc:
    """A JSON document as UTF-8 text, read lazily. Immutable; safe to read from any thread.

    Two documents are equal when their texts are; a document equals a plain value when its
    parsed value does (parsing it whole: meant for tests and small documents).
    """

    __slots__ = ("__weakref__", "_ends", "_raw")

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        # Container start -> offset after its closing bracket, for spans >= REMEMBER_SPAN.
        # Written by whichever thread scans first; dict updates are atomic under the GIL.
        self._ends: dict[int, int] = {}

    @classmethod
    def from_text(cls, text: str | bytes) -> JsonDoc:
        """The document whose JSON text this is (not checked until read).

        A document with the same text still in use is returned instead of a new one: the
        view reads the whole job again when its link comes back, and a 10 MB document would
        otherwise be held twice (by the panel and by the newer row), its index built twice.
        """
        raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
        key = hash(raw)  # cached by the bytes object
        live = _LIVE.get(key)
        if live is not None and live._raw == raw:
            return live
        doc = cls(raw)
        _LIVE[key] = doc
        return doc

    @classmethod
    def from_value(cls, value: Any) -> JsonDoc:
        """A plain Python value's document, at any depth (``json.dumps`` first, for speed)."""
        try:
            text = json.dumps(value, ensure_ascii=False, separators=SEPARATORS, default=str)
        except RecursionError:
            text = dumps_iteratively(value)
        return cls.from_text(text)

    @property
    def raw(self) -> bytes:
        return self._raw

    @property
    def size(self) -> int:
        """The text's size in bytes."""
        return len(self._raw)

    @property
    def root(self) -> int:
        """The offset of the document's value."""
        start = _WS.match(self._raw, 0).end()  # type: ignore[union-attr]
        if start >= len(self._raw):
            raise JsonError("no JSON value", start)
        return start

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JsonDoc):
            return self._raw == other._raw
        if other is None or isinstance(other, dict | list | str | int | float):
            try:
                return bool(self.value() == other)
            except (RecursionError, ValueError):
                return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:  # never the content: it may hold secrets
        return f"JsonDoc({len(self._raw):,} bytes)"

    # -- reading ---------------------------------------------------------------------------

    def kind_at(self, start: int) -> Kind:
        """The kind of the value starting at ``start``."""
        if start >= len(self._raw):
            raise JsonError("a value expected", start)
        kind = _KIND_OF_BYTE.get(self._raw[start])
        if kind is None:
            raise JsonError("a value expected", start)
        return kind

    def end_of(self, start: int, pause: Pause | None = None) -> int:
        """The offset just after the value starting at ``start``.

        ``pause`` is called now and then while a container is scanned (see :data:`Pause`).
        """
        kind = self.kind_at(start)
        if kind in CONTAINERS:
            return self._close(start, pause)
        if kind is Kind.STRING:
            match = _STRING.match(self._raw, start)
        elif kind is Kind.NUMBER:
            match = _NUMBER.match(self._raw, start)
        else:
            literal = _LITERALS[kind]
            if self._raw.startswith(literal, start):
                return start + len(literal)
            match = None
        if match is None:
            raise JsonError(f"malformed {kind}", start)
        return match.end()

    def _close(self, start: int, pause: Pause | None) -> int:
        """The end of the container at ``start``: one regex step per bracket inside it."""
        known = self._ends.get(start)
        if known is not None:
            return known
        raw, ends, between = self._raw, self._ends, _BETWEEN_BRACKETS.match
        opens = [start]
        pos, size, steps = start + 1, len(raw), 0
        while True:
            steps += 1
            if pause is not None and not steps & 255:
                pause()
            pos = between(raw, pos).end()  # type: ignore[union-attr]
            if pos >= size:
                raise JsonError("unterminated container", opens[-1])
            byte = raw[pos]
            if byte in (_OPEN_OBJECT, _OPEN_ARRAY):
                jump = ends.get(pos)
                if jump is not None:
                    pos = jump
                else:
                    opens.append(pos)
                    pos += 1
            elif byte in (_CLOSE_OBJECT, _CLOSE_ARRAY):
                begin = opens.pop()
                if byte != raw[begin] + 2:  # "{" + 2 is "}", "[" + 2 is "]"
                    raise JsonError("mismatched bracket", pos)
                pos += 1
                if pos - begin >= REMEMBER_SPAN:
                    ends[begin] = pos
                if not opens:
                    return pos
            else:  # a quote that no closing quote matches
                raise JsonError("unterminated string", pos)

    def members(
        self, start: int, after: int | None = None, index: int = 0, pause: Pause | None = None
    ) -> Iterator[Member]:
        """The direct children of the container at ``start``, in order.

        Each member is yielded before its value is skipped, so a caller sees the first members
        of a container even while a big one is being scanned past. To go on from a member
        (paging), pass ``after=end_of(member.start)`` and ``index=member.index + 1``.
        """
        raw, size = self._raw, len(self._raw)
        kind = self.kind_at(start)
        if kind not in CONTAINERS:
            raise ValueError(f"a {kind} has no members")
        close = raw[start] + 2
        first = after is None
        pos = _skip_ws(raw, start + 1 if after is None else after)
        while True:
            if pos >= size:
                raise JsonError("unterminated container", start)
            if raw[pos] == close:
                if pos + 1 - start >= REMEMBER_SPAN:
                    self._ends[start] = pos + 1  # listed to its end: skipping it is a jump
                return
            if not first:
                if raw[pos] != _COMMA:
                    raise JsonError("',' expected", pos)
                pos = _skip_ws(raw, pos + 1)
            first = False
            key: str | None = None
            if kind is Kind.OBJECT:
                match = _STRING.match(raw, pos)
                if match is None:
                    raise JsonError("a key expected", pos)
                key = json.loads(raw[pos : match.end()])
                pos = _skip_ws(raw, match.end())
                if pos >= size or raw[pos] != _COLON:
                    raise JsonError("':' expected", pos)
                pos = _skip_ws(raw, pos + 1)
            yield Member(key, index, pos, self.kind_at(pos))
            index += 1
            if pause is not None:
                pause()
            pos = _skip_ws(raw, self.end_of(pos, pause))

    def scalar(self, start: int) -> Any:
        """The string, number, boolean or null starting at ``start``."""
        if self.kind_at(start) in CONTAINERS:
            raise ValueError("a container is not a scalar")
        return json.loads(self._raw[start : self.end_of(start)])

    def text_of(self, start: int) -> bytes:
        """The JSON text of the value starting at ``start``, as stored."""
        return self._raw[start : self.end_of(start)]

    def value(self, start: int | None = None) -> Any:
        """The parsed value at ``start`` (the whole document by default), at any depth."""
        begin = self.root if start is None else start
        chunk = self._raw if start is None else self.text_of(begin)
        try:
            return json.loads(chunk)
        except RecursionError:
            return parse_iteratively(chunk)


def _skip_ws(raw: bytes, pos: int) -> int:
    return _WS.match(raw, pos).end()  # type: ignore[union-attr]


_CONTAINER_TYPES = (dict, list)  # a tuple: isinstance is faster with it than with a union


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers more than ``limit`` deep (no recursion).

    One pass over the containers' children: ~80 ms for 10 MB of parsed JSON.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, _CONTAINER_TYPES):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def json_field(value: object, default: Any = None) -> Any:
    """The form the model keeps a JSON column in.

    None becomes ``default``. Text the Supabase backend selected (a :class:`JsonDoc`) stays
    a document when larger than INLINE_MAX_BYTES or deeper than INLINE_MAX_DEPTH, and is
    otherwise parsed into plain values, as small documents always were. A value that arrived
    parsed (the demo, realtime, an insert's answer) is already in memory: it stays as it is,
    unless it is deeper than INLINE_MAX_DEPTH, when it becomes a document (``==`` on it, as
    the view does on every change of the row, would recurse). The walk that decides is one
    pass over the value's containers, with its own stack.
    """
    if value is None:
        return default
    if isinstance(value, JsonDoc):
        if value.size > INLINE_MAX_BYTES:
            return value
        try:
            parsed = json.loads(value.raw)
        except (RecursionError, ValueError):
            return value  # too deep for json.loads, or malformed: the view reads it lazily
        if isinstance(parsed, dict | list) and _deeper_than(parsed, INLINE_MAX_DEPTH):
            return value
        return parsed
    if isinstance(value, dict | list) and _deeper_than(value, INLINE_MAX_DEPTH):
        return JsonDoc.from_value(value)
    return value
