"""The private parts of Textual and supabase-py joblens uses, and its exact pins (docs/PINS.md).

Each test's id names the private part it checks: when one fails after an upgrade, read that
name's entry in docs/PINS.md before anything else.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.metadata
import inspect
import json
import logging
import tomllib
from pathlib import Path
from typing import Any

import pytest
import websockets
from packaging.requirements import Requirement
from textual.app import App, ComposeResult

from joblens.backends.supabase.keepalive import FrameClock
from joblens.json_values import ValueDoc
from joblens.widgets.details import JsonPanel
from joblens.widgets.json_rows import Role
from joblens.widgets.json_tree import JsonTree
from realtime import AsyncRealtimeClient
from support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[1]
PINS_PAGE = ROOT / "docs" / "PINS.md"

#: Private methods of library classes that joblens's code depends on: (module, class, name).
PRIVATE_METHODS = [
    # LogPane._set_virtual_size does this method's work itself (widgets/log/pane_rows.py)
    ("textual.widget", "Widget", "_scroll_update"),
    # JsonTree._on_click is called beside it, by the same naming rule (json_tree.py)
    ("textual.widget", "Widget", "_on_click"),
    # LogScreen overrides these two to scroll a drag only toward the edge it moves to, and
    # calls the third (screens/log_screen.py)
    ("textual.screen", "Screen", "_check_auto_scroll"),
    ("textual.screen", "Screen", "_start_auto_scroll"),
    ("textual.screen", "Screen", "_stop_auto_scroll"),
]

#: The source of Widget._scroll_update that LogPane._set_virtual_size was checked against
#: (sha256, first 16 hex digits). When Textual changes it, bring _set_virtual_size in line with
#: the new method, then put the new fingerprint here.
SCROLL_UPDATE_FINGERPRINT = "edb9f6257285830d"

#: Handlers that Textual finds by their ``_on_`` prefix: (widget class, message class, method).
UNDERSCORE_HANDLERS = [
    (JsonTree, JsonTree._Rows, "_on_json_tree__rows"),
    (JsonTree, JsonTree._Counted, "_on_json_tree__counted"),
    (JsonTree, JsonTree._Copied, "_on_json_tree__copied"),
    (JsonPanel, JsonPanel._Body, "_on_json_panel__body"),
]


def _pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def _exact_pins(requirements: list[Any]) -> dict[str, str]:
    """The ``name==version`` requirements that apply here, as {name: version}."""
    pins: dict[str, str] = {}
    for line in requirements:
        if not isinstance(line, str):
            continue  # an {include-group = ...} entry
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue  # not installed on this platform
        exact = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
        if exact:
            pins[requirement.name] = exact[0]
    return pins


RUNTIME_PINS = _exact_pins(_pyproject()["project"]["dependencies"])
DEV_PINS = _exact_pins(_pyproject().get("dependency-groups", {}).get("dev", []))
ALL_PINS = sorted({**RUNTIME_PINS, **DEV_PINS}.items())


# -- private names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "cls", "name"),
    PRIVATE_METHODS,
    ids=[f"{module}.{cls}.{name}" for module, cls, name in PRIVATE_METHODS],
)
def test_private_method_exists(module: str, cls: str, name: str) -> None:
    owner = getattr(importlib.import_module(module), cls)
    assert callable(getattr(owner, name, None)), f"{module}.{cls}.{name} is gone: see PINS.md"


def test_screen_keeps_where_a_drag_began() -> None:
    """LogScreen reads ``Screen._mouse_down_offset`` (screens/log_screen.py)."""
    from textual.screen import Screen

    assert hasattr(Screen, "_mouse_down_offset"), "Screen._mouse_down_offset is gone: see PINS.md"


def test_widget_scroll_update_is_the_one_log_pane_mirrors() -> None:
    from textual.widget import Widget

    source = inspect.getsource(Widget._scroll_update)
    fingerprint = hashlib.sha256(source.encode()).hexdigest()[:16]
    assert fingerprint == SCROLL_UPDATE_FINGERPRINT, (
        "textual.widget.Widget._scroll_update changed: compare it with "
        "LogPane._set_virtual_size (docs/PINS.md), then update SCROLL_UPDATE_FINGERPRINT"
    )


async def test_textual_app_loop_is_the_running_loop() -> None:
    """``App._loop``, read by JsonTree._pacer for its workers' pauses."""
    app: App[None] = App()
    async with app.run_test():
        assert getattr(app, "_loop", None) is asyncio.get_running_loop()


@pytest.mark.parametrize(
    ("widget", "message", "method"),
    UNDERSCORE_HANDLERS,
    ids=[f"{widget.__name__}.{method}" for widget, _, method in UNDERSCORE_HANDLERS],
)
def test_textual_names_private_message_handlers_as_joblens_does(
    widget: type, message: type, method: str
) -> None:
    assert callable(getattr(widget, method, None))
    assert f"_{message.handler_name}" == method  # type: ignore[attr-defined]


class _TreeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield JsonTree(ValueDoc({"outer": {"inner": 1}, "flat": 2}))


async def test_textual_calls_underscore_handlers_in_a_json_tree() -> None:
    """Rows arrive through ``_on_json_tree__rows``, made by workers paced on ``App._loop``; a
    click reaches ``JsonTree._on_click`` and opens the row."""
    app = _TreeApp()
    async with app.run_test(size=(60, 20)) as pilot:
        tree = app.query_one(JsonTree)
        await wait_for(
            pilot, lambda: any(r.label == "outer" for r in tree.rows) and not tree.busy, 10
        )
        at = next(i for i, r in enumerate(tree.rows) if r.label == "outer")
        assert not tree.rows[at].expanded
        await pilot.click(JsonTree, offset=(2, at - int(tree.scroll_offset.y)))
        await wait_for(pilot, lambda: any(r.label == "inner" for r in tree.rows), 10)
        assert tree.rows[at].expanded
        assert not any(r.role is Role.NOTE and "could not read" in r.text for r in tree.rows)


def test_realtime_client_has_ws_connection() -> None:
    """``AsyncRealtimeClient._ws_connection``, aborted by LiveLogs._keep_alive."""
    client = AsyncRealtimeClient("http://127.0.0.1:9/realtime/v1", "anon")
    assert hasattr(client, "_ws_connection")


async def test_websockets_connection_has_transport() -> None:
    """The ``transport`` of ``_ws_connection``, whose ``abort()`` drops a dead socket."""

    async def echo(connection: Any) -> None:
        await connection.wait_closed()

    async with websockets.serve(echo, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        async with websockets.connect(f"ws://127.0.0.1:{port}") as connection:
            assert callable(getattr(getattr(connection, "transport", None), "abort", None))


async def test_realtime_async_client_logs_every_frame_received() -> None:
    """The logger ``realtime._async.client`` logs ``receive: ...`` for every frame, and
    FrameClock, a filter on it, notes the time: a heartbeat reply is a sign of life."""
    module = importlib.import_module(FrameClock.LOGGER)
    assert logging.getLogger(FrameClock.LOGGER) is module.logger
    clock = FrameClock.installed()
    client = AsyncRealtimeClient("http://127.0.0.1:9/realtime/v1", "anon", auto_reconnect=False)
    payload = {"status": "ok", "response": {}}
    reply = json.dumps({"topic": "phoenix", "event": "phx_reply", "payload": payload, "ref": "1"})

    class OneFrame:
        """A connection that delivers one heartbeat reply, then is closed by its client."""

        async def frames(self) -> Any:
            yield reply
            client._ws_connection = None  # as close() does: the listen loop then just returns

        def __aiter__(self) -> Any:
            return self.frames()

    before = clock.last
    client._ws_connection = OneFrame()  # type: ignore[assignment]
    await asyncio.wait_for(client._listen(), 5)
    assert clock.last > before


# -- the pins ------------------------------------------------------------------------------


def test_the_exact_runtime_pins_are_the_five_pins_md_explains() -> None:
    assert set(RUNTIME_PINS) == {"textual", "supabase", "realtime", "postgrest", "supabase-auth"}


@pytest.mark.parametrize(
    ("name", "version"), ALL_PINS, ids=[f"{name}=={version}" for name, version in ALL_PINS]
)
def test_installed_version_is_the_pin(name: str, version: str) -> None:
    assert importlib.metadata.version(name) == version


@pytest.mark.parametrize("pin", [f"{name}=={version}" for name, version in RUNTIME_PINS.items()])
def test_pins_page_names_the_runtime_pin(pin: str) -> None:
    assert f"`{pin}`" in PINS_PAGE.read_text(encoding="utf-8"), f"docs/PINS.md does not say {pin}"
