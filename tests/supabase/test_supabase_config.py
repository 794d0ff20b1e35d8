"""Configuration from the environment: one line naming what to set, secrets never shown."""

from __future__ import annotations

import base64
import json
import time

import pytest
from click.testing import CliRunner

from joblens.backends.supabase import SupabaseBackend
from joblens.backends.supabase.config import SupabaseSettings, token_expiry
from joblens.cli import main
from joblens.errors import AuthError, ConfigError, ExitCode


def jwt(exp: float | None) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims: dict[str, object] = {"sub": "u", "role": "authenticated"}
    if exp is not None:
        claims["exp"] = int(exp)
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


GOOD = {
    "SUPABASE_URL": "https://project.supabase.co/",
    "SUPABASE_ANON_KEY": "anon-key-value",
    "JOBLENS_ACCESS_TOKEN": jwt(time.time() + 3600),
}


def test_a_complete_environment_gives_settings_with_the_documented_defaults() -> None:
    settings = SupabaseSettings.from_env(GOOD)
    assert settings.url == "https://project.supabase.co"
    assert settings.logs_table == "provision_job_logs"
    assert settings.refresh_token is None
    deployed = SupabaseSettings.from_env(
        {**GOOD, "JOBLENS_LOGS_TABLE": "job_logs", "JOBLENS_REFRESH_TOKEN": "r1"}
    )
    assert (deployed.logs_table, deployed.refresh_token) == ("job_logs", "r1")


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("SUPABASE_URL", "SUPABASE_URL"),
        ("SUPABASE_ANON_KEY", "SUPABASE_ANON_KEY"),
    ],
)
def test_each_missing_setting_is_named(missing: str, named: str) -> None:
    env = {k: v for k, v in GOOD.items() if k != missing}
    with pytest.raises(ConfigError, match=named) as caught:
        SupabaseSettings.from_env(env)
    assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match=named):
        SupabaseSettings.from_env({**env, missing: "   "})


def test_no_token_and_no_stored_session_says_to_sign_in() -> None:
    env = {k: v for k, v in GOOD.items() if k != "JOBLENS_ACCESS_TOKEN"}
    for given in (env, {**env, "JOBLENS_ACCESS_TOKEN": "   "}):
        with pytest.raises(AuthError, match=r"not signed in to .*: run `joblens login`") as caught:
            SupabaseSettings.from_env(given)
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SUPABASE_URL", "project.supabase.co"),
        ("SUPABASE_URL", "ftp://project.supabase.co"),
        ("SUPABASE_URL", "https://"),
        ("JOBLENS_LOGS_TABLE", "job_logs; drop table x"),
        ("JOBLENS_LOGS_TABLE", "public.job_logs"),
        ("JOBLENS_ACCESS_TOKEN", "not-a-jwt"),
        ("JOBLENS_ACCESS_TOKEN", "a.%%%.c"),
    ],
)
def test_invalid_settings_are_config_errors_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        SupabaseSettings.from_env({**GOOD, name: value})


def test_an_expired_token_without_a_refresh_token_fails_early_with_when() -> None:
    expired = jwt(time.time() - 120)
    with pytest.raises(AuthError, match=r"expired at .* UTC; sign in again"):
        SupabaseBackend.from_env({**GOOD, "JOBLENS_ACCESS_TOKEN": expired})
    # With a refresh token the session can renew itself: not an error yet.
    SupabaseBackend.from_env(
        {**GOOD, "JOBLENS_ACCESS_TOKEN": expired, "JOBLENS_REFRESH_TOKEN": "refresh"}
    )
    assert token_expiry(jwt(None)) is None


def test_secrets_never_appear_in_repr() -> None:
    env = {**GOOD, "JOBLENS_REFRESH_TOKEN": "refresh-secret"}
    backend = SupabaseBackend.from_env(env)
    for text in (repr(backend.settings), repr(backend), str(backend.settings)):
        assert "anon-key-value" not in text
        assert env["JOBLENS_ACCESS_TOKEN"] not in text
        assert "refresh-secret" not in text
        assert "project.supabase.co" in text


def test_the_command_line_reports_missing_configuration_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (*GOOD, "JOBLENS_REFRESH_TOKEN", "JOBLENS_LOGS_TABLE"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["logs", "3f2a9c1e"])
    assert result.exit_code == ExitCode.CONFIG
    assert result.output.strip().count("\n") == 0
    assert "SUPABASE_URL" in result.output


def test_the_frame_clock_sees_frames_without_changing_what_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from joblens.backends.supabase.keepalive import FrameClock

    clock = FrameClock.installed()
    assert FrameClock.installed() is clock
    logger = logging.getLogger(FrameClock.LOGGER)
    before = clock.last
    with caplog.at_level(logging.WARNING):
        logger.debug('receive: \'{"topic":"phoenix","event":"phx_reply"}\'')
        logger.info("channel realtime:x closed")
        logger.warning("something worth seeing")
    assert clock.last > before
    assert [r.getMessage() for r in caplog.records] == ["something worth seeing"]
