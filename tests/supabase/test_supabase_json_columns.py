"""JSON columns of any depth and size through the unmodified supabase-py client (issue 9).

supabase-py parses a response's JSON recursively: a ``config_snapshot`` 253 levels deep made
the job's single-row read fail pydantic's validation ("the server refused the request: OK
(200)"), about 990 made ``json.loads`` raise RecursionError. joblens selects the two JSON
columns as text and reads them itself (``joblens.json_doc``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from devstack.testing import StackInfo

from joblens.json_doc import JsonDoc
from joblens.secrets import MASK
from support.backends import backend_for
from support.documents import SECRETS, big_metadata, deep_config
from support.users import User, new_user
from support.views import make_app, open_row, open_tree, shown_text
from support.waiting import wait_for

#: How often the view polls the job's row (joblens: every 3 s).
POLL_SECONDS = 0.2


@pytest.fixture
def stack(stack_deployed: StackInfo) -> StackInfo:
    """One schema: the JSON columns are the same in both, and these documents are big."""
    return stack_deployed


@pytest.fixture
async def user(stack: StackInfo) -> User:
    return await new_user(stack)


async def insert_job(stack: StackInfo, user: User, **json_columns: Any) -> str:
    """A finished job with JSON columns written as text (asyncpg would recurse to encode them)."""
    names = list(json_columns)
    casts = ", ".join(f"${i + 2}::jsonb" for i in range(len(names)))
    rows = await stack.asql(
        f"insert into provision_jobs (user_id, job_type, status, {', '.join(names)}) "
        f"values ($1, 'PLAN', 'SUCCESS', {casts}) returning id::text",
        user.id,
        *(json_columns[name] for name in names),
    )
    return str(rows[0]["id"])


def deep_text(depth: int) -> str:
    """``deep_config(depth)`` as JSON text, written without recursion."""
    inner = json.dumps(deep_config(0))
    return '{"level": 0, "child": ' * depth + inner + "}" * depth


@pytest.mark.parametrize("depth", [253, 1_000, 5_000])
async def test_a_deep_config_snapshot_is_read_whole(
    stack: StackInfo, user: User, depth: int
) -> None:
    job_id = await insert_job(stack, user, config_snapshot=deep_text(depth))
    backend = backend_for(stack, user.token)
    await backend.connect()
    try:
        job = await backend.get_job(job_id)
    finally:
        await backend.close()
    doc = job.config_snapshot
    assert isinstance(doc, JsonDoc)
    node = doc.root
    for _ in range(depth):
        node = next(m.start for m in doc.members(node) if m.key == "child")
    assert doc.value(node) == deep_config(0)
    assert "hunter2" not in repr(job)


async def test_10_mb_of_metadata_is_read_as_text_not_as_objects(
    stack: StackInfo, user: User
) -> None:
    text = json.dumps(big_metadata())
    job_id = await insert_job(stack, user, execution_metadata=text)
    backend = backend_for(stack, user.token)
    await backend.connect()
    try:
        job = await backend.get_job(job_id)
    finally:
        await backend.close()
    doc = job.execution_metadata
    assert isinstance(doc, JsonDoc) and doc.size >= len(text)
    assert [m.key for m in doc.members(doc.root)] == ["phase", "outputs", "plan_result"]
    assert job.config_snapshot == {}  # the column's default, small: a plain value


async def test_the_view_opens_both_and_keeps_the_secrets_masked(
    stack: StackInfo, user: User
) -> None:
    job_id = await insert_job(
        stack,
        user,
        config_snapshot=deep_text(5_000),
        execution_metadata=json.dumps(big_metadata()),
    )
    app = make_app(backend_for(stack, user.token), job_id, poll_seconds=POLL_SECONDS)
    async with app.run_test(size=(120, 40)) as pilot:
        tree = await open_tree(pilot, "s", "config-snapshot")
        await open_row(pilot, tree, "child", "asterisk")
        deepest = {row.label: row.text for row in tree.rows if row.depth == 5_000}
        assert deepest["db_password"] == MASK and deepest["visible"] == '"still-visible"'
        metadata = await open_tree(pilot, "m", "execution-metadata")
        await wait_for(pilot, lambda: not metadata.busy, timeout=30)
        await open_row(pilot, metadata, "outputs")
        await open_row(pilot, metadata, "plan_result")
        await open_row(pilot, metadata, "resource_changes")
        await open_row(pilot, metadata, "[0]", "asterisk")
        text = shown_text(tree.rows) + shown_text(metadata.rows)
        assert not any(secret in text for secret in SECRETS)
        assert {r.label: r.text for r in metadata.rows if r.depth == 1}["db_admin_password"] == MASK
        await pilot.press("q")
