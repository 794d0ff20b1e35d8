"""Parsed JSON values behind the same reading interface as :class:`joblens.json_doc.JsonDoc`.

Why: a large value that arrived parsed (the demo backend, a realtime record) is already in
memory as Python objects. Printing it to text for the lazy tree would cost a copy of it and
one long ``json.dumps`` call, which holds the GIL for its whole run (about 150 ms for 10 MB,
during which the event loop cannot answer a key). Walking the objects costs neither.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from joblens.json_doc import Kind, Member, Pause


def kind_of(value: Any) -> Kind:
    """The JSON kind of a parsed value (anything unknown is shown as a string)."""
    if isinstance(value, dict):
        return Kind.OBJECT
    if isinstance(value, list | tuple):
        return Kind.ARRAY
    if value is None:
        return Kind.NULL
    if value is True:
        return Kind.TRUE
    if value is False:
        return Kind.FALSE
    if isinstance(value, int | float):
        return Kind.NUMBER
    return Kind.STRING


class ValueDoc:
    """A parsed JSON value read like a :class:`JsonDoc`. A node is the ``id`` of its object.

    The objects listed so far are kept by id (an object's id is unique while it is held), so
    listing a container again finds the same nodes and the table never grows past the nodes
    shown. Paging goes on by member index (``after`` is ignored). Read-only.
    """

    __slots__ = ("_nodes", "_root")

    def __init__(self, value: Any) -> None:
        self._root = id(value)
        self._nodes: dict[int, Any] = {self._root: value}

    def __repr__(self) -> str:  # never the content: it may hold secrets
        return "ValueDoc()"

    @property
    def root(self) -> int:
        return self._root

    def kind_at(self, start: int) -> Kind:
        return kind_of(self._nodes[start])

    def end_of(self, start: int, pause: Pause | None = None) -> int:
        return start  # paging in a ValueDoc goes by index

    def members(
        self, start: int, after: int | None = None, index: int = 0, pause: Pause | None = None
    ) -> Iterator[Member]:
        """The direct children of the container node ``start``, from member ``index`` on."""
        container = self._nodes[start]
        if isinstance(container, dict):
            pairs: Iterator[tuple[Any, Any]] = islice(container.items(), index, None)
        elif isinstance(container, list | tuple):
            pairs = ((None, item) for item in islice(container, index, None))
        else:
            raise ValueError(f"a {kind_of(container)} has no members")
        nodes = self._nodes
        for position, (key, child) in enumerate(pairs, start=index):
            if pause is not None:
                pause()
            node = id(child)
            nodes[node] = child
            yield Member(None if key is None else str(key), position, node, kind_of(child))

    def scalar(self, start: int) -> Any:
        return self._nodes[start]

    def value(self, start: int | None = None) -> Any:
        return self._nodes[self._root if start is None else start]


def too_big_to_print(value: Any, members: int, characters: int) -> bool:
    """Whether ``value`` holds more than ``members`` members in all, or strings (keys and
    values) of more than ``characters`` characters: a bounded walk, stopped as soon as it
    knows, with its own stack. The cheap test of whether a value is small enough to print."""
    count = chars = 0
    stack = [value]
    while stack:
        item = stack.pop()
        count += len(item)
        if count > members:
            return True
        if isinstance(item, dict):
            chars += sum(len(k) for k in item if isinstance(k, str))
            children: Any = item.values()
        else:
            children = item
        for child in children:
            if isinstance(child, dict | list):
                stack.append(child)
            elif isinstance(child, str):
                chars += len(child)
        if chars > characters:
            return True
    return False
