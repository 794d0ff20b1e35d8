"""The rows of a JSON tree: made a page at a time, secrets masked, every text made safe.

Runs in worker threads, never on the event loop: reading a 10 MB document's root can scan all
of it. Rows are made only for what is expanded: a container's members a page at a time, a long
string's text only when the user opens it. Each node's secrecy is decided as it is shown, with
:func:`joblens.secrets.child_sensitivity` handed down from parent to child (a secret key's whole
subtree, a sensitive Terraform output's ``value``, what Terraform's ``*_sensitive`` mirrors
mark) and :func:`joblens.secrets.mask_leaf` per leaf, so the tree masks exactly what
``mask_secrets`` masks in the small panels. Every key and value shown passes
:func:`joblens.sanitize.display_text`.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from time import perf_counter
from typing import Any

from joblens.json_doc import CONTAINERS, JsonSource, Kind, Member, Pause
from joblens.sanitize import display_text
from joblens.secrets import MASK, child_sensitivity, mask_leaf

#: Members listed per expand, and per press of a "more" row.
PAGE = 500
#: Rows one "expand all" makes at most.
EXPAND_ALL_ROWS = 20_000
#: Characters of a string shown on its row; the rest is counted, and shown when it is opened.
PREVIEW_CHARS = 160
#: Characters of a key shown.
KEY_CHARS = 120
#: Rows of an opened string per page.
BODY_PAGE = 1_000
#: A worker hands over the rows it has made this often (seconds), the first ones at once.
BATCH_SECONDS = 0.05
#: Trips round the event loop a worker's scan waits for, each time it pauses (see loop_pacer).
LOOP_TRIPS = 4
#: Where a line break was, in one-line display text.
NEWLINE_MARK = "⏎"

# json.dumps escapes C0 controls but not C1 (U+0080-U+009F) or DEL; a terminal may act on those.
UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def escape_unsafe(text: str) -> str:
    """JSON text with the characters a terminal could act on written as ``\\uXXXX``."""
    return UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


class Role(StrEnum):
    VALUE = "value"  # a member (or the root scalar)
    MORE = "more"  # "… N more": lists the next page when opened
    BODY = "body"  # a piece of an opened string
    NOTE = "note"  # "loading…", "(empty)", an error


class Tone(StrEnum):
    """How a row's text is coloured (the tree maps each to a component class)."""

    STRING = "string"
    NUMBER = "number"
    LITERAL = "literal"
    NULL = "null"
    MASKED = "masked"
    SUMMARY = "summary"
    NOTE = "note"
    BODY = "body"


@dataclass(eq=False, slots=True)
class Row:
    """One line of the tree. Compared by identity; changed only on the event loop once shown."""

    role: Role
    depth: int
    text: str = ""  # the value as shown (made safe), or the note's text
    tone: Tone = Tone.NOTE
    label: str = ""  # the key as shown, or "[i]"
    key: str | int | None = None  # the member's key, or index in an array
    start: int = -1  # the value's offset in the document
    kind: Kind | None = None
    mark: Any = None  # child_sensitivity's answer for this node
    more_chars: int = 0  # characters of a string not on the row
    expandable: bool = False
    expanded: bool = False
    parent: Row | None = None
    after: int | None = None  # MORE: where listing goes on (byte offset, or character offset)
    next_index: int = 0  # MORE: the index of the first member not yet listed
    remaining: int | None = None  # MORE: how many are left, once counted
    body: str | None = None  # an opened string: its whole (masked) text
    load: int = 0  # bumped on collapse, so rows still being made for it are dropped


def loop_pacer(loop: asyncio.AbstractEventLoop | None, pace: float) -> Pause:
    """A pause for a worker's scan that lets the event loop go first.

    A thread scanning a document shares the GIL with the event loop, which then gets half
    the interpreter at best and waits up to 5 ms for it after every wait for input; a key
    crosses several message queues, each a trip round the loop, and took over 100 ms while a
    scan ran. So every ``pace`` seconds of work the scan waits until the loop has gone round
    LOOP_TRIPS times, running what was queued (at most 0.25 s: a closing app never hangs it).
    """
    due = perf_counter() + pace

    def pause() -> None:
        nonlocal due
        if perf_counter() < due or loop is None:
            return
        ran = threading.Event()
        trips = LOOP_TRIPS

        def trip() -> None:
            nonlocal trips
            trips -= 1
            if trips:
                loop.call_soon(trip)  # the next trip round the loop
            else:
                ran.set()

        try:
            loop.call_soon_threadsafe(trip)
        except RuntimeError:  # the loop has closed
            return
        ran.wait(0.25)
        due = perf_counter() + pace

    return pause


def shown(text: str, limit: int | None = None) -> str:
    """Server text as one safe line, cut to ``limit`` characters first."""
    return display_text(text if limit is None else text[:limit], NEWLINE_MARK)


def root_row(doc: JsonSource) -> Row:
    """The hidden row above a document's members (depth -1)."""
    start = doc.root
    return Row(Role.VALUE, -1, start=start, kind=doc.kind_at(start), expanded=True)


class _ObjectView(Mapping[str, Any]):
    """An object of the document as the Mapping ``child_sensitivity`` reads.

    It asks only about a few members (``sensitive``, ``value``, Terraform's mirrors, a secret
    key's value): their keys are indexed on first use and their values parsed when asked for.
    """

    def __init__(self, doc: JsonSource, start: int, pause: Pause | None) -> None:
        self._doc, self._start, self._pause = doc, start, pause
        self._index: dict[str, int] | None = None
        self._values: dict[str, Any] = {}

    def _members(self) -> dict[str, int]:
        if self._index is None:
            self._index = {
                str(m.key): m.start
                for m in self._doc.members(self._start, pause=self._pause)
                if m.key is not None
            }
        return self._index

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            self._values[key] = self._doc.value(self._members()[key])
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._members()

    def __iter__(self) -> Iterator[str]:
        return iter(self._members())

    def __len__(self) -> int:
        return len(self._members())


def scalar_text(value: Any) -> tuple[str, Tone, int]:
    """A masked scalar as shown: (text, tone, characters not shown)."""
    if isinstance(value, str):
        if value == MASK:
            return MASK, Tone.MASKED, 0
        cut = value[:PREVIEW_CHARS]
        return f'"{shown(cut)}"', Tone.STRING, len(value) - len(cut)
    if value is None:
        return "null", Tone.NULL, 0
    if isinstance(value, bool):
        return ("true" if value else "false"), Tone.LITERAL, 0
    if isinstance(value, int | float):
        return json.dumps(value), Tone.NUMBER, 0
    return shown(str(value), PREVIEW_CHARS), Tone.STRING, 0


def member_row(doc: JsonSource, member: Member, parent: Row, view: Any) -> Row:
    """The row of one member of ``parent`` (``view``: what ``child_sensitivity`` reads)."""
    key: str | int = member.key if member.key is not None else member.index
    label = shown(member.key, KEY_CHARS) if member.key is not None else f"[{member.index}]"
    mark = child_sensitivity(view, key, parent.mark)
    row = Row(
        Role.VALUE, parent.depth + 1, label=label, key=key, start=member.start, kind=member.kind
    )
    row.parent, row.mark = parent, mark
    if member.kind in CONTAINERS:
        row.text, row.tone, row.expandable = (
            ("{…}" if member.kind is Kind.OBJECT else "[…]"),
            Tone.SUMMARY,
            True,
        )
        return row
    value = mask_leaf(member.key, doc.scalar(member.start), sensitive_output=mark is True)
    row.text, row.tone, row.more_chars = scalar_text(value)
    row.expandable = row.more_chars > 0 or (isinstance(value, str) and "\n" in value)
    return row


def scalar_root_row(doc: JsonSource, start: int) -> Row:
    """The one row of a document that is a single string, number, boolean or null."""
    value = mask_leaf(None, doc.scalar(start))
    row = Row(Role.VALUE, 0, start=start, kind=doc.kind_at(start))
    row.text, row.tone, row.more_chars = scalar_text(value)
    row.expandable = row.more_chars > 0 or (isinstance(value, str) and "\n" in value)
    return row


def note(text: str, depth: int, parent: Row | None = None) -> Row:
    row = Row(Role.NOTE, depth, text=text)
    row.parent = parent
    return row


@dataclass(slots=True)
class _Frame:
    """A container being listed: its row, its members, and how far its page has got."""

    row: Row
    members: Iterator[Member]
    view: Any
    after: int | None
    listed: int = 0
    last: Member | None = field(default=None)


def _frame(doc: JsonSource, row: Row, after: int | None, index: int, pause: Pause | None) -> _Frame:
    view: Any = _ObjectView(doc, row.start, pause) if row.kind is Kind.OBJECT else ()
    return _Frame(row, doc.members(row.start, after, index, pause), view, after)


def list_rows(
    doc: JsonSource,
    parent: Row,
    emit: Callable[[list[Row]], None],
    *,
    after: int | None = None,
    index: int = 0,
    deep: bool = False,
    pause: Pause | None = None,
) -> tuple[Row, Iterator[Member]] | None:
    """Make the rows under ``parent`` in display order and hand them to ``emit`` in batches.

    One page of ``parent``'s members (from ``after``/``index`` when going on), or with
    ``deep`` every container below opened too, up to EXPAND_ALL_ROWS rows. A container cut
    short gets a MORE row that goes on from where it stopped. When ``parent``'s own listing
    was cut, returns its MORE row and the members not listed (the first one already read), for
    :func:`count_rest`.
    """
    budget = EXPAND_ALL_ROWS if deep else PAGE
    frames = [_frame(doc, parent, after, index, pause)]
    rows: list[Row] = []
    cut: tuple[Row, Iterator[Member]] | None = None
    flushed, sent = perf_counter(), False
    while frames:
        frame = frames[-1]
        last = frame.last
        # Going on past a container may mean scanning all of it: the first rows go first.
        if rows and (
            perf_counter() - flushed >= BATCH_SECONDS
            or (not sent and last is not None and last.kind in CONTAINERS)
        ):
            emit(rows)
            rows, flushed, sent = [], perf_counter(), True
        member = next(frame.members, None)
        if member is None:
            frames.pop()
            continue
        if budget <= 0 or frame.listed >= PAGE:
            frames.pop()
            more = Row(Role.MORE, frame.row.depth + 1, text="…", next_index=member.index)
            more.parent = frame.row
            more.after = doc.end_of(last.start, pause) if last is not None else frame.after
            rows.append(more)
            if frame.row is parent:
                cut = (more, _chain(member, frame.members))
            continue
        row = member_row(doc, member, frame.row, frame.view)
        rows.append(row)
        frame.listed += 1
        frame.last = member
        budget -= 1
        if deep and row.kind in CONTAINERS and budget > 0:
            row.expanded = True
            frames.append(_frame(doc, row, None, 0, pause))
    emit(rows)
    return cut


def _chain(first: Member, rest: Iterator[Member]) -> Iterator[Member]:
    yield first
    yield from rest


def count_rest(members: Iterator[Member]) -> int:
    """How many members are left (skipping each one: a pass over the rest of the container)."""
    return sum(1 for _ in members)


def body_rows(parent: Row, offset: int, width: int) -> list[Row]:
    """A page of rows of an opened string (``parent.body``) from character ``offset``.

    Each line of the text is cut into pieces of ``width`` characters; a MORE row goes on.
    """
    text = parent.body or ""
    width = max(width, 8)
    rows: list[Row] = []
    pos = offset
    while pos < len(text) and len(rows) < BODY_PAGE:
        newline = text.find("\n", pos, pos + width + 1)
        if newline >= 0:
            piece, pos = text[pos:newline], newline + 1
        else:
            piece, pos = text[pos : pos + width], pos + width
        row = Row(Role.BODY, parent.depth + 1, text=shown(piece), tone=Tone.BODY)
        row.parent = parent
        rows.append(row)
    if pos < len(text):
        more = Row(Role.MORE, parent.depth + 1, text="…", after=pos, remaining=len(text) - pos)
        more.parent = parent
        rows.append(more)
    return rows


def full_string(doc: JsonSource, row: Row) -> str:
    """The whole text of a string row, masked as its row is (for opening it, or copying)."""
    key = row.key if isinstance(row.key, str) else None
    value = mask_leaf(key, doc.scalar(row.start), sensitive_output=row.mark is True)
    return value if isinstance(value, str) else json.dumps(value)


def masked_json(doc: JsonSource, row: Row, pause: Pause | None = None) -> str:
    """The JSON text of a row's value with every secret masked, as the tree would show it.

    Walks the document with its own stack (any depth), masking each node as ``member_row``
    does; the text is escaped for terminals (for copying).
    """
    if row.kind not in CONTAINERS:
        key = row.key if isinstance(row.key, str) else None
        value = mask_leaf(key, doc.scalar(row.start), sensitive_output=row.mark is True)
        return escape_unsafe(json.dumps(value, ensure_ascii=False, default=str))
    parts: list[str] = []
    stack: list[tuple[_Frame, bool]] = []

    def open_(node: Row) -> None:
        parts.append("{" if node.kind is Kind.OBJECT else "[")
        stack.append((_frame(doc, node, None, 0, pause), True))

    open_(row)
    while stack:
        frame, first = stack[-1]
        member = next(frame.members, None)
        if member is None:
            parts.append("}" if frame.row.kind is Kind.OBJECT else "]")
            stack.pop()
            continue
        if not first:
            parts.append(", ")
        stack[-1] = (frame, False)
        if member.key is not None:
            parts.append(json.dumps(member.key, ensure_ascii=False) + ": ")
        name: str | int = member.key if member.key is not None else member.index
        mark = child_sensitivity(frame.view, name, frame.row.mark)
        if member.kind in CONTAINERS:
            child = Row(Role.VALUE, 0, start=member.start, kind=member.kind, mark=mark)
            open_(child)
        else:
            value = mask_leaf(member.key, doc.scalar(member.start), sensitive_output=mark is True)
            parts.append(json.dumps(value, ensure_ascii=False, default=str))
    return escape_unsafe("".join(parts))
