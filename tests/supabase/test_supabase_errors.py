"""Every error supabase-py raises becomes one clear JoblensError line, whatever its text."""

from __future__ import annotations

import httpx
import pytest
from postgrest.exceptions import APIError

from joblens.backends.supabase.errors import first_line, live_down_reason, translate
from joblens.errors import BackendUnavailable, JoblensError


@pytest.mark.parametrize("message", ["", "   ", "\n\n", None])
def test_a_blank_server_message_is_still_one_clear_error(message: str | None) -> None:
    error = APIError({"message": message, "code": "500"})
    translated = translate(error, url="http://x", table="provision_jobs")
    assert isinstance(translated, BackendUnavailable)
    assert translated.message == "the server failed (500 error): try again in a moment"


def test_first_lines_skip_blank_lines_and_fall_back_to_the_type() -> None:
    assert first_line(RuntimeError("\n  boom  \nmore")) == "boom"
    assert first_line(RuntimeError("   ")) == "RuntimeError"
    connect = translate(httpx.ConnectError("\nrefused\n"), url="http://x", table="t")
    assert isinstance(connect, JoblensError) and connect.message.endswith(": refused")
    assert live_down_reason("CHANNEL_ERROR", "  \n") == "realtime channel error; reconnecting"


def test_a_channel_error_given_as_a_payload_says_its_message_only() -> None:
    detail = (
        '{"channel": "joblens:job_logs:a5d4338d:559d61065f8c", "extension": "system", '
        '"message": "Token has expired 1 seconds ago", "status": "error"}'
    )
    assert live_down_reason("CHANNEL_ERROR", detail) == (
        "realtime channel error (Token has expired 1 seconds ago); reconnecting"
    )
    # Anything else is still its own first line.
    assert (
        live_down_reason("CHANNEL_ERROR", "[1, 2]")
        == "realtime channel error ([1, 2]); reconnecting"
    )
