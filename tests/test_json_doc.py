"""JSON kept as text and read a container at a time (``joblens.json_doc``), and the
explicit-stack parser and printer behind it (``joblens.json_codec``): any depth, no recursion."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joblens.json_codec import dumps_iteratively, parse_iteratively
from joblens.json_doc import (
    INLINE_MAX_BYTES,
    INLINE_MAX_DEPTH,
    JsonDoc,
    JsonError,
    Kind,
    json_field,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": ["x", 1.5, None, True]}
    for level in range(depth):
        value = {"level": level, "child": value}
    return value


def walk(doc: JsonDoc, start: int) -> Any:
    """The value at ``start`` rebuilt from ``members`` and ``scalar`` alone."""
    kind = doc.kind_at(start)
    if kind is Kind.OBJECT:
        return {m.key: walk(doc, m.start) for m in doc.members(start)}
    if kind is Kind.ARRAY:
        return [walk(doc, m.start) for m in doc.members(start)]
    return doc.scalar(start)


@given(json_values)
def test_members_and_scalars_read_back_any_text_of_a_value(value: Any) -> None:
    for text in (
        json.dumps(value),
        json.dumps(value, indent=2),
        json.dumps(value, ensure_ascii=False, separators=(",", ":")),
    ):
        doc = JsonDoc.from_text(text)
        assert walk(doc, doc.root) == value
        assert doc.end_of(doc.root) == len(text.encode())
        assert doc.value() == value
        assert parse_iteratively(text.encode()) == value
        assert json.loads(dumps_iteratively(value)) == value


def test_5000_levels_parse_print_and_list_without_recursion() -> None:
    value = nested(5_000)
    text = dumps_iteratively(value)
    with pytest.raises(RecursionError):
        json.loads(text)
    doc = JsonDoc.from_text(text)
    assert doc == JsonDoc.from_value(value)  # the same text, however it was made
    node = doc.root
    for level in reversed(range(5_000)):
        first, child = doc.members(node)
        assert (first.key, doc.scalar(first.start)) == ("level", level)
        node = child.start
    assert doc.value(node) == {"leaf": ["x", 1.5, None, True]}
    assert dumps_iteratively(doc.value()) == text


def test_listing_goes_on_from_where_a_page_stopped_and_remembers_big_containers() -> None:
    doc = JsonDoc.from_value({"big": [{"n": n, "pad": "x" * 40} for n in range(100)], "end": 1})
    root = list(doc.members(doc.root))
    assert [m.key for m in root] == ["big", "end"]
    big = root[0]
    assert big.start in doc._ends  # skipped once: its end is remembered
    first = list(doc.members(big.start))[:10]
    rest = doc.members(big.start, after=doc.end_of(first[-1].start), index=10)
    assert [m.index for m in rest] == list(range(10, 100))


def test_malformed_text_is_an_error_with_its_offset_never_a_hang() -> None:
    for text, where in (('{"a": [1, 2}', 11), ('{"a": "open', 6), ("", 0), ('{"a" 1}', 5)):
        doc = JsonDoc.from_text(text)
        with pytest.raises(JsonError) as caught:
            list(doc.members(doc.root))
        assert caught.value.offset == where, text
    with pytest.raises(ValueError):
        parse_iteratively(b"[1, 2")


def test_the_model_keeps_small_shallow_json_as_values_and_the_rest_as_documents() -> None:
    assert json_field(None, default={}) == {}
    assert json_field(JsonDoc.from_text('{"a": [1, 2]}')) == {"a": [1, 2]}
    big = JsonDoc.from_text(json.dumps({"s": "x" * INLINE_MAX_BYTES}))
    assert json_field(big) is big
    deep = nested(INLINE_MAX_DEPTH + 1)
    assert isinstance(json_field(JsonDoc.from_value(deep)), JsonDoc)
    assert isinstance(json_field(deep), JsonDoc)  # parsed values deeper than the limit too
    assert json_field(nested(INLINE_MAX_DEPTH - 2)) == nested(INLINE_MAX_DEPTH - 2)
    large_value = {"s": "x" * INLINE_MAX_BYTES}
    assert json_field(large_value) is large_value  # already in memory: the panel converts it
    assert json_field("text") == "text" and json_field(3) == 3


def test_a_document_never_shows_its_content_in_a_repr() -> None:
    doc = JsonDoc.from_value({"password": "hunter2"})
    assert "hunter2" not in repr(doc) and "bytes" in repr(doc)
    assert doc == {"password": "hunter2"} and doc != {"password": "other"}
    assert hash(doc) == hash(JsonDoc.from_value({"password": "hunter2"}))


def test_the_same_text_read_again_is_the_same_document_while_it_is_in_use() -> None:
    text = json.dumps({"resources": list(range(1_000))})
    first = JsonDoc.from_text(text)
    list(first.members(first.root))  # its index is built once...
    again = JsonDoc.from_text(text.encode())
    assert again is first and again._ends  # ...and shared with the job read again
    assert JsonDoc.from_text(text + " ") is not first


def test_rerun_and_apply_insert_a_large_or_deep_snapshot_as_its_values() -> None:
    import json

    from joblens.actions import deploy_row, rerun_row
    from joblens.backends.supabase.jobs import job_row
    from joblens.models import Job

    deep: dict[str, object] = {"leaf": 1}
    for _ in range(100):
        deep = {"x": deep}
    for config in (deep, {"k": "v" * 300_000}):
        row = {
            "id": "00000000-0000-4000-8000-000000000001",
            "job_type": "PLAN",
            "status": "SUCCESS",
            "config_snapshot": json.dumps(config),
        }
        plan = Job.from_row(job_row(row))
        assert not isinstance(plan.config_snapshot, dict)  # held lazily
        assert rerun_row(plan)["config_snapshot"] == config
        assert deploy_row(plan, None)["config_snapshot"] == config
