"""JSON panels of any depth and size: they open, read lazily, keep secrets masked, and never
stop the keys (issue 9). The demo backend; ``tests/supabase/test_supabase_json_columns.py``
runs the same through the local stack."""

from __future__ import annotations

import time
from typing import Any

from textual.widgets import Collapsible

from joblens.json_doc import JsonDoc
from joblens.json_values import ValueDoc
from joblens.screens.job_screen import JobScreen
from joblens.secrets import MASK, mask_secrets
from joblens.widgets.details import JsonPanel
from joblens.widgets.json_rows import PAGE, Role, Row, list_rows, root_row, scalar_text
from joblens.widgets.json_tree import JsonTree
from support.demo import StaticWorld
from support.documents import SECRETS, big_metadata, deep_config
from support.views import open_row, open_tree, shown_text
from support.waiting import wait_for


async def test_a_config_snapshot_5000_deep_opens_with_its_secrets_masked_at_the_bottom(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="SUCCESS", config_snapshot=deep_config(5000))
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        tree = await open_tree(pilot, "s", "config-snapshot")
        assert isinstance(tree.doc, JsonDoc)
        assert [(r.label, r.text) for r in tree.rows] == [("level", "4999"), ("child", "{…}")]
        await open_row(pilot, tree, "child", "asterisk")  # everything below, one press
        deepest = {row.label: row for row in tree.rows if row.depth == 5000}
        assert deepest["db_password"].text == MASK
        assert deepest["visible"].text == '"still-visible"'
        assert {r.label: r.text for r in tree.rows if r.depth == 5001} == {
            "inner": MASK,
            "list": "[…]",
            "kubeconfig": "{…}",
        }
        assert {r.label: r.text for r in tree.rows if r.depth == 5002} == {
            "[0]": MASK,  # under api_token: every leaf
            "[1]": MASK,
            "value": MASK,  # a sensitive output's value ("true" as a string)
            "sensitive": '"true"',
            "type": '"s"',
        }
        assert not any(secret in shown_text(tree.rows) for secret in SECRETS)
        await pilot.press("end")  # the bottom rows render, indented no further than 16 levels
        await pilot.pause()
        lines = [tree.render_line(y).text for y in range(tree.size.height)]
        assert any("5,000 │" in line and "visible" in line for line in lines), lines
        assert all(len(line) <= tree.size.width for line in lines)


async def test_10_mb_of_metadata_opens_lazily_and_the_keys_still_answer(
    static_world: StaticWorld,
) -> None:
    metadata = big_metadata()
    job_id = static_world.job(job_type="DEPLOY", status="SUCCESS", execution_metadata=metadata)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        tree = await open_tree(pilot, "m", "execution-metadata")
        assert isinstance(tree.doc, ValueDoc)  # the demo's parsed value, read in place
        await wait_for(pilot, lambda: not tree.busy, timeout=30)
        assert [r.label for r in tree.rows] == ["phase", "plan_result", "outputs"]
        await open_row(pilot, tree, "plan_result")
        await open_row(pilot, tree, "resource_changes")
        items = [r for r in tree.rows if r.depth == 2]
        assert len(items) == PAGE + 1 and items[-1].role is Role.MORE
        # The rest of the array is being counted in a thread: a key is answered meanwhile.
        screen = pilot.app.screen
        assert isinstance(screen, JobScreen)
        details = screen.query_one("#job-details", Collapsible)
        started = time.monotonic()
        await pilot.press("d")
        await wait_for(pilot, lambda: not details.collapsed)
        assert time.monotonic() - started < 1.0
        await wait_for(pilot, lambda: items[-1].remaining is not None, timeout=30)
        assert items[-1].remaining == 40_000 - PAGE
        tree.focus()
        tree.move_cursor(tree.rows.index(items[-1]))
        await pilot.press("enter")  # the next page
        await wait_for(pilot, lambda: not tree.busy, timeout=30)
        labels = [r.label for r in tree.rows if r.depth == 2]
        assert labels[PAGE] == f"[{PAGE}]" and len(labels) == 2 * PAGE + 1  # and a MORE row
        await open_row(pilot, tree, "[3]", "asterisk")
        after = {r.label: r.text for r in tree.rows if r.depth == 5}
        assert after["password"] == MASK and after["ami"] == '"ami-000000000003"'
        await open_row(pilot, tree, "outputs")
        assert not any(secret in shown_text(tree.rows) for secret in SECRETS)


async def test_a_long_string_is_cut_then_opened_a_page_at_a_time_and_copied_masked(
    static_world: StaticWorld, no_system_clipboard: list[str]
) -> None:
    text = "".join(f"line {n:06d} of the plan\n" for n in range(20_000))  # 440 KB
    metadata = {"plan_text": text, "admin_token": "hunter2-big", "odd\u202ekey": "x\x1b[2Jy"}
    job_id = static_world.job(status="SUCCESS", execution_metadata=metadata)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        tree = await open_tree(pilot, "m", "execution-metadata")
        await wait_for(pilot, lambda: not tree.busy)
        rows = {r.label: r for r in tree.rows}
        assert rows["admin_token"].text == MASK
        odd = rows["odd<U+202E>key"]  # a bidi override is shown, never obeyed
        assert odd.text == '"xy"'  # the escape sequence is removed
        plan = rows["plan_text"]
        assert plan.text.startswith('"line 000000 of the plan⏎line 000001')
        assert plan.more_chars == len(text) - 160
        rendered = [tree.render_line(y).text for y in range(3)]
        cut = next(line for line in rendered if "plan_text" in line)
        assert cut.rstrip().endswith(" more characters)") and len(cut) <= tree.size.width
        await open_row(pilot, tree, "plan_text")
        body = [r for r in tree.rows if r.parent is plan]
        assert [r.text for r in body[:2]] == ["line 000000 of the plan", "line 000001 of the plan"]
        assert len(body) == 1_001 and body[-1].role is Role.MORE
        await open_row(pilot, tree, "admin_token", "Y")
        await wait_for(pilot, lambda: bool(no_system_clipboard))
        assert no_system_clipboard == [MASK]


async def test_small_json_keeps_the_text_panel_and_a_deep_one_never_reaches_it(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(
        status="SUCCESS", execution_metadata={"phase": "done", "deep": deep_config(100)}
    )
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        tree = await open_tree(pilot, "m", "execution-metadata")  # 100 deep: the tree
        await wait_for(pilot, lambda: not tree.busy)
        assert [r.label for r in tree.rows] == ["phase", "deep"]
        config = pilot.app.screen.query_one("#config-snapshot", JsonPanel)
        await pilot.press("s")
        await wait_for(pilot, lambda: bool(config.query(".json-body")))
        assert not config.query(JsonTree)  # three keys: coloured text, as before


def test_the_tree_masks_exactly_what_mask_secrets_masks() -> None:
    """Node by node as the tree opens, the same secrets as the whole-structure walk."""
    data: dict[str, Any] = {
        "resource_changes": [
            {
                "change": {
                    "after": {"user_data": "#!/bin/sh", "ami": "ami-1", "tags": ["a", "b"]},
                    "after_sensitive": {"user_data": True, "tags": [False, True]},
                }
            }
        ],
        "outputs": {
            "db": {"value": {"host": "h", "pw": "p"}, "sensitive": "yes"},
            "kubeconfig": {"value": "apiVersion: v1", "type": "string"},
            "url": {"value": "postgres://app:hunter2@db:5432/app", "sensitive": False},
        },
        "env": ["DB_PASSWORD=hunter2", "REGION=eu-west-1"],
        "password_policy": {"min_length": 12},
        "ssh_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----",
        "empty_secret": "",
    }
    doc = JsonDoc.from_value(data)
    rows: list[Row] = []
    list_rows(doc, root_row(doc), rows.extend, deep=True)
    shown_rows = [(r.depth, r.label, r.text) for r in rows]

    expected: list[tuple[int, str, str]] = []
    stack: list[tuple[int, str, Any]] = [
        (0, k, v) for k, v in reversed(list(mask_secrets(data).items()))
    ]
    while stack:
        depth, label, value = stack.pop()
        if isinstance(value, dict | list):
            expected.append((depth, label, "{…}" if isinstance(value, dict) else "[…]"))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = [(depth + 1, k if isinstance(k, str) else f"[{k}]", v) for k, v in items]
            stack.extend(reversed(children))
        else:
            expected.append((depth, label, scalar_text(value)[0]))
    assert shown_rows == expected
    assert not any("hunter2" in text or "b3Bl" in text for _, _, text in shown_rows)
