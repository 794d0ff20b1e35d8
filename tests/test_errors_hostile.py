"""The server's words in errors are as untrusted as its rows: every JoblensError message is one
safe line, whoever builds it and whatever the server said (issue 9)."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from postgrest.exceptions import APIError
from supabase_auth.errors import AuthRetryableError

from joblens.backends.supabase.errors import (
    MAX_DETAIL,
    first_line_of,
    live_down_reason,
    translate,
)
from joblens.errors import ActionRejected, BackendUnavailable, JoblensError
from joblens.sanitize import INVISIBLE_CHARACTERS

HOSTILE = (
    "refused\x1b]52;c;SGVsbG8=\x07\x1b]0;title\x1b\\\x07\x1b[2J\x9b2J\u202e"
    "\x1b[38;5;99999999m by policy\nsecond line"
)
_UNSAFE = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\ud800-\\udfff]")


def _is_one_safe_line(text: str) -> bool:
    return _UNSAFE.search(text) is None and not INVISIBLE_CHARACTERS.intersection(text)


_server_text = st.lists(
    st.one_of(
        st.text(max_size=8),
        st.sampled_from(["\x1b", "\x1b]0;", "\x07", "\x9b", "\n", "\r", "\u202e", "\u200b"]),
    ),
    max_size=12,
).map("".join)


def test_a_refused_actions_message_is_one_safe_line() -> None:
    error = translate(
        APIError({"message": HOSTILE, "code": "P0001"}),
        url="http://x",
        table="provision_jobs",
        action="the cancel",
    )
    assert isinstance(error, ActionRejected)
    assert error.message == "the server refused the cancel: refused<U+202E> by policy (P0001)"
    assert str(error) == error.message == error.args[0]


@given(_server_text, _server_text, st.sampled_from(["", "the cancel"]))
def test_any_postgrest_error_becomes_one_safe_line(message: str, code: str, action: str) -> None:
    error = translate(
        APIError({"message": message, "code": code}), url="u", table="t", action=action
    )
    assert _is_one_safe_line(error.message)


@pytest.mark.parametrize(
    "raised",
    [
        httpx.ConnectError(HOSTILE),
        OSError(HOSTILE),
        RuntimeError(HOSTILE),
        AuthRetryableError(HOSTILE, 502),
    ],
    ids=["httpx", "oserror", "unexpected", "auth"],
)
def test_network_and_auth_failures_carry_only_safe_text(raised: Exception) -> None:
    error = translate(raised, url="http://x", table="t")
    assert isinstance(error, BackendUnavailable)
    assert _is_one_safe_line(error.message)
    assert error.message.endswith(": refused<U+202E> by policy")


@given(_server_text)
def test_every_joblens_error_message_is_made_safe_when_built(text: str) -> None:
    error = JoblensError(text)
    assert _is_one_safe_line(error.message) and _is_one_safe_line(str(error))
    error.message = text
    assert _is_one_safe_line(error.message)


def test_realtime_reasons_are_safe_and_short() -> None:
    reason = live_down_reason("CHANNEL_ERROR", HOSTILE)
    assert reason == "realtime channel error (refused<U+202E> by policy); reconnecting"
    assert len(first_line_of("x" * 10_000)) == MAX_DETAIL
