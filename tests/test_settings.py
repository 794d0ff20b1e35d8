"""Settings: flags over the environment over a profile over the default, each value checked and
named as the user set it; the config file written owner-only, its comments kept; service-role
keys refused; where ``joblens login`` keeps a session (the keyring, else an owner-only file).

Everything here runs in this process against a per-test config and state directory, with the
keyring chosen by ``PYTHON_KEYRING_BACKEND`` (the null one unless a test picks another).
The command line (``joblens config``) is tested in tests/test_cli_config.py.
"""

from __future__ import annotations

import json
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joblens.backends.supabase.config import SupabaseSettings, check_key_role, key_role
from joblens.backends.supabase.session import (
    KEYRING_SERVICE,
    KeyringStore,
    Session,
    SessionFile,
    profile_store,
    usable_keyring,
)
from joblens.errors import AuthError, ConfigError, ExitCode
from joblens.prefs import theme_names
from joblens.settings import (
    DEFAULT_LOGS_TABLE,
    KEYS,
    KEYS_BY_NAME,
    Key,
    Setting,
    Source,
    Value,
    config_path,
    mask,
    resolve,
    write_setting,
)
from support.config_home import (
    ANON_JWT,
    SERVICE_JWT,
    USER_TOKEN,
    Home,
    fresh_home,
    jwt,
    use_keyring,
    write_profiles,
)
from support.test_keyring import BACKEND_NAME, FILE_ENV, JsonKeyring, stored

URL = "https://project.supabase.co"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """No joblens configuration in the environment; fresh directories; the null keyring."""
    return fresh_home(tmp_path, monkeypatch)


@pytest.fixture
def json_keyring(home: Home, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test keyring (support.test_keyring) in use; yields its file."""
    path = home.root / "keyring.json"
    monkeypatch.setenv(FILE_ENV, str(path))
    use_keyring(monkeypatch, BACKEND_NAME)
    yield path


# -- precedence ---------------------------------------------------------------------------------

THEMES = theme_names()
LAYERS = ("flag", "env", "profile")


def values_of(key: Key) -> st.SearchStrategy[Value]:
    """Valid values of ``key`` as joblens keeps them (what a flag, variable or profile gives)."""
    if key.kind == "bool":
        return st.booleans()
    if key.kind == "url":
        host = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){1,2}", fullmatch=True)
        return st.builds(
            lambda scheme, name, port: f"{scheme}://{name}{port}",
            st.sampled_from(["http", "https"]),
            host,
            st.sampled_from(["", ":54321"]),
        )
    if key.kind == "secret":
        return st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789._-", min_size=1, max_size=80)
    if key.kind == "table":
        return st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,62}", fullmatch=True)
    assert key.kind == "theme"
    return st.sampled_from(THEMES)


def env_text(value: Value, spelling: int) -> str:
    """``value`` as a variable holds it (booleans in any accepted spelling)."""
    if isinstance(value, bool):
        return (["true", "YES", "1", "on"] if value else ["false", "No", "0", "off"])[spelling]
    return value


@given(key=st.sampled_from(KEYS), data=st.data())
def test_each_setting_comes_from_the_flag_then_the_environment_then_the_profile(
    key: Key, data: st.DataObject
) -> None:
    layers = data.draw(st.sets(st.sampled_from(LAYERS)), label="layers set")
    values = {layer: data.draw(values_of(key), label=layer) for layer in layers}
    spelling = data.draw(st.integers(0, 3), label="spelling")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "config.toml"
        environ = {"JOBLENS_CONFIG": str(path)}
        if "env" in values:
            environ[key.env] = env_text(values["env"], spelling)
        if "profile" in values:
            write_profiles(path, {"default": {key.name: values["profile"]}})
        flags = {key.name: values["flag"]} if "flag" in values else {}
        settings = resolve(flags, environ)
    setting = settings[key.name]
    winner = next((layer for layer in LAYERS if layer in values), None)
    if winner is None:
        assert setting.value == key.default
        assert setting.source == Source("default", key.name)
        assert str(setting.source) == "default"
        assert settings.label(key.name) == key.env
        return
    assert setting.value == values[winner]
    if winner == "flag":
        flag = key.flag
        if values["flag"] is False:
            flag = "--no-" + key.flag.removeprefix("--")
        assert str(setting.source) == f"flag {flag}"
        assert settings.label(key.name) == flag
    elif winner == "env":
        assert str(setting.source) == f"environment {key.env}"
        assert settings.label(key.name) == key.env
    else:
        assert str(setting.source) == f"profile 'default' in {path}"
        assert settings.label(key.name) == f"{key.name} (profile 'default' in {path})"
    # Every other setting is its default.
    for other in KEYS:
        if other is not key:
            assert settings[other.name].source.kind == "default"
            assert settings.value(other.name) == other.default


def test_the_defaults_and_how_each_unset_setting_is_shown(home: Home) -> None:
    settings = resolve({}, {})
    assert settings.path == home.config_file
    assert settings.profile == "default"
    assert str(settings.profile_source) == "default"
    assert {name: s.value for name, s in settings.values.items()} == {
        "url": None,
        "anon_key": None,
        "logs_table": DEFAULT_LOGS_TABLE,
        "theme": None,
        "wrap": False,
        "timestamps": False,
        "bell": True,
        "desktop_notify": True,
    }
    assert [s.shown() for s in settings.values.values()] == [
        "(not set)",
        "(not set)",
        DEFAULT_LOGS_TABLE,
        "(not set)",
        "false",
        "false",
        "true",
        "true",
    ]


def test_values_are_normalised_and_blank_variables_are_unset(home: Home) -> None:
    environ = {
        "SUPABASE_URL": "  https://project.supabase.co/  ",
        "JOBLENS_LOGS_TABLE": " job_logs ",
        "JOBLENS_WRAP": "   ",
        "SUPABASE_ANON_KEY": "",
    }
    settings = resolve({}, environ)
    assert settings.value("url") == URL
    assert settings.value("logs_table") == "job_logs"
    assert settings["wrap"].source.kind == "default"
    assert settings["anon_key"].source.kind == "default"


def test_an_empty_flag_is_an_error_not_unset(home: Home) -> None:
    with pytest.raises(ConfigError, match=r"^--logs-table is empty"):
        resolve({"logs_table": ""}, {"JOBLENS_LOGS_TABLE": "job_logs"})


# -- masking ------------------------------------------------------------------------------------


@given(st.text(max_size=200), st.data())
def test_mask_reveals_at_most_the_first_four_characters_and_the_length(
    secret: str, data: st.DataObject
) -> None:
    """Any two secrets of one length that share their first 4 characters look the same."""
    tail = data.draw(st.text(min_size=max(0, len(secret) - 4), max_size=max(0, len(secret) - 4)))
    other = secret[:4] + tail
    assert len(other) == len(secret)
    assert mask(secret) == mask(other)
    assert f"({len(secret)} chars)" in mask(secret)
    if len(secret) <= 8:  # a short secret: not even its first characters
        assert mask(secret) == mask("x" * len(secret))


@given(st.text("abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=9, max_size=300))
def test_a_secret_setting_is_shown_masked(secret: str) -> None:
    setting = Setting(KEYS_BY_NAME["anon_key"], secret, Source("env", "SUPABASE_ANON_KEY"))
    shown = setting.shown()
    assert shown == mask(secret)
    assert secret not in shown
    assert secret[4:] not in shown  # nothing after the first four
    assert shown.startswith(secret[:4])


# -- profiles -----------------------------------------------------------------------------------

PROFILES: dict[str, dict[str, Value]] = {
    "default": {"logs_table": "default_logs"},
    "home": {"logs_table": "home_logs"},
    "work": {"logs_table": "work_logs", "wrap": True},
    "ci": {"logs_table": "ci_logs"},
}


@pytest.mark.parametrize(
    ("profile", "environ", "top", "chosen", "source"),
    [
        ("ci", {"JOBLENS_PROFILE": "work"}, {"default_profile": "home"}, "ci", "flag --profile"),
        (None, {"JOBLENS_PROFILE": " work "}, {"default_profile": "home"}, "work", "environment"),
        (None, {}, {"default_profile": "home"}, "home", "default_profile"),
        (None, {"JOBLENS_PROFILE": "  "}, {}, "default", "default"),
    ],
)
def test_the_profile_is_the_flag_then_the_variable_then_default_profile_then_default(
    home: Home,
    profile: str | None,
    environ: dict[str, str],
    top: dict[str, str],
    chosen: str,
    source: str,
) -> None:
    path = write_profiles(home.config_file, PROFILES, **top)
    settings = resolve({}, environ, profile=profile)
    assert settings.profile == chosen
    assert settings.value("logs_table") == f"{chosen}_logs"
    assert str(settings["logs_table"].source) == f"profile {chosen!r} in {path}"
    expected = {
        "flag --profile": "flag --profile",
        "environment": "environment JOBLENS_PROFILE",
        "default_profile": f"default_profile in {path}",
        "default": "default",
    }[source]
    assert str(settings.profile_source) == expected


def test_no_config_file_and_no_default_profile_is_not_an_error(home: Home) -> None:
    settings = resolve({}, {})
    assert not settings.path.exists()
    assert settings.profile == "default"
    write_profiles(home.config_file, {"other": {"wrap": True}})
    assert resolve({}, {}).value("wrap") is False


@pytest.mark.parametrize(
    ("how", "with_file"),
    [("flag", True), ("flag", False), ("env", True), ("env", False), ("default_profile", True)],
)
def test_an_unknown_profile_named_explicitly_is_an_error_naming_it_and_the_file(
    home: Home, how: str, with_file: bool
) -> None:
    top = {"default_profile": "nope"} if how == "default_profile" else {}
    if with_file:
        write_profiles(home.config_file, PROFILES, **top)
    with pytest.raises(ConfigError) as caught:
        resolve(
            {},
            {"JOBLENS_PROFILE": "nope"} if how == "env" else {},
            profile="nope" if how == "flag" else None,
        )
    message = caught.value.message
    assert message.startswith(f"no profile 'nope' in {home.config_file} ")
    assert ("home" in message) is with_file  # the profiles there are listed
    assert caught.value.exit_code == ExitCode.CONFIG


@pytest.mark.parametrize("name", ["a b", "-x", "../etc", "x" * 64, "é"])
def test_a_malformed_profile_name_is_an_error_naming_where_it_was_given(
    home: Home, name: str
) -> None:
    with pytest.raises(ConfigError, match=r"^--profile .* is not a profile name"):
        resolve({}, {}, profile=name)
    with pytest.raises(ConfigError, match=r"^JOBLENS_PROFILE .* is not a profile name"):
        resolve({}, {"JOBLENS_PROFILE": name})


def test_an_unknown_key_in_the_profile_is_an_error_naming_it(home: Home) -> None:
    write_profiles(home.config_file, {"work": {"url": URL, "colour": "red", "zeta": 1}})
    with pytest.raises(ConfigError) as caught:
        resolve({}, {}, profile="work")
    message = caught.value.message
    assert message.startswith(f"unknown setting 'colour' in profile 'work' of {home.config_file}")
    assert "url, anon_key, logs_table, theme, wrap, timestamps" in message


# Bad values of each kind, as a flag, a variable and a profile give them.
BAD: list[tuple[str, object]] = [
    ("url", "project.supabase.co"),
    ("url", "ftp://project.supabase.co"),
    ("url", "https://"),
    ("url", 42),
    ("logs_table", "public.job_logs"),
    ("logs_table", "job_logs; drop table x"),
    ("logs_table", "1logs"),
    ("theme", "no-such-theme"),
    ("wrap", "maybe"),
    ("timestamps", "sometimes"),
    ("anon_key", "   "),
]


# Only a file holds values of other types; a blank variable is unset, not invalid.
BAD_CASES = [
    (name, bad, layer)
    for name, bad in BAD
    for layer in LAYERS
    if layer == "profile" or (isinstance(bad, str) and (layer == "flag" or bad.strip()))
]


@pytest.mark.parametrize(("name", "bad", "layer"), BAD_CASES)
def test_an_invalid_value_is_an_error_naming_the_setting_as_it_was_set(
    home: Home, name: str, bad: object, layer: str
) -> None:
    key = KEYS_BY_NAME[name]
    path = home.config_file
    flags: dict[str, Value | None] = {}
    environ: dict[str, str] = {}
    if layer == "flag":
        assert isinstance(bad, str)
        flags[name] = bad
        label = key.flag
    elif layer == "env":
        environ[key.env] = str(bad)
        label = key.env
    else:
        write_profiles(path, {"x": {name: bad}})
        label = f"{name} (profile 'x' in {path})"
    with pytest.raises(ConfigError) as caught:
        resolve(flags, environ, profile="x" if layer == "profile" else None)
    message = caught.value.message
    assert message.startswith((f"{label} ", f"{label}:")), message
    assert caught.value.exit_code == ExitCode.CONFIG
    if name == "theme":
        assert "nord" in message  # the choices are listed


def test_a_valid_value_in_a_profile_is_not_checked_when_a_variable_overrides_it(
    home: Home,
) -> None:
    write_profiles(home.config_file, {"default": {"logs_table": "not valid!"}})
    assert resolve({}, {"JOBLENS_LOGS_TABLE": "job_logs"}).value("logs_table") == "job_logs"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[profiles.work\nurl = 1\n", "is not valid TOML"),
        (b"\xff\xfe".decode("latin-1"), "is not valid TOML"),
        ("profiles = 3\n", "[profiles.NAME] must be tables of settings"),
        ("[profiles]\nwork = 3\n", "[profiles.NAME] must be tables of settings"),
        ("[[profiles]]\nurl = 'x'\n", "[profiles.NAME] must be tables of settings"),
    ],
)
def test_an_unreadable_config_file_is_one_line_naming_it(home: Home, text: str, error: str) -> None:
    home.config_file.parent.mkdir(parents=True)
    home.config_file.write_text(text, encoding="latin-1")
    with pytest.raises(ConfigError) as caught:
        resolve({}, {})
    assert str(home.config_file) in caught.value.message
    assert error in caught.value.message
    assert "\n" not in caught.value.message


def test_a_directory_in_place_of_the_config_file_is_reported(home: Home) -> None:
    home.config_file.mkdir(parents=True)
    with pytest.raises(ConfigError, match=r"^cannot read the config file .*config\.toml: "):
        resolve({}, {})


def test_the_config_file_is_joblens_config_else_in_the_config_directory(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config_path({}) == home.config_file
    assert config_path({"JOBLENS_CONFIG": "  "}) == home.config_file
    assert config_path({"JOBLENS_CONFIG": "/etc/x.toml"}) == Path("/etc/x.toml")
    monkeypatch.setenv("HOME", str(home.root))
    assert config_path({"JOBLENS_CONFIG": "~/j.toml"}) == home.root / "j.toml"
    monkeypatch.setenv("JOBLENS_CONFIG", str(home.root / "env.toml"))
    assert config_path() == home.root / "env.toml"


# -- writing the file ---------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writing_creates_the_file_and_its_directory_owner_only(home: Home) -> None:
    assert write_setting(home.config_file, "default", "url", URL + "/") == URL
    assert mode(home.config_file) == 0o600
    assert mode(home.config_file.parent) == 0o700
    assert home.config_file.read_text() == f'[profiles.default]\nurl = "{URL}"\n'
    assert [p.name for p in home.config_file.parent.iterdir()] == ["config.toml"]


def test_writing_makes_an_existing_file_owner_only(home: Home) -> None:
    path = write_profiles(home.config_file, {"default": {"wrap": True}})
    path.chmod(0o644)
    write_setting(path, "default", "wrap", "off")
    assert mode(path) == 0o600
    assert resolve({}, {}).value("wrap") is False


COMMENTED = """\
# joblens settings
default_profile = "work"  # the usual one

[profiles.work]
# the work project
url = "https://work.supabase.co"
logs_table = "job_logs"   # deployed schema

[profiles.home]
theme = "nord"
"""


def test_writing_keeps_comments_layout_and_other_profiles(home: Home) -> None:
    path = home.config_file
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    assert write_setting(path, "work", "wrap", "yes") is True
    assert write_setting(path, "work", "logs_table", "provision_job_logs") == "provision_job_logs"
    assert write_setting(path, "ci", "timestamps", "1") is True
    assert path.read_text() == (
        COMMENTED.replace('"job_logs"   #', '"provision_job_logs"   #').replace(
            'job_logs"   # deployed schema\n',
            'job_logs"   # deployed schema\nwrap = true\n',
        )
        + "\n[profiles.ci]\ntimestamps = true\n"
    )
    settings = resolve({}, {})
    assert (settings.profile, settings.value("wrap")) == ("work", True)
    assert resolve({}, {}, profile="home").value("theme") == "nord"


@pytest.mark.parametrize(
    ("name", "raw", "error"),
    [
        ("colour", "red", r"^unknown setting 'colour': settings are url, anon_key"),
        ("url", "example.com", r"^url is not a valid http\(s\) URL"),
        ("logs_table", "a.b", r"^logs_table must be a plain table name"),
        ("wrap", "maybe", r"^wrap must be true or false, not 'maybe'"),
        ("theme", "nope", r"^theme: no theme 'nope'"),
        ("anon_key", " ", r"^anon_key is empty"),
    ],
)
def test_writing_refuses_unknown_keys_and_bad_values_without_touching_the_file(
    home: Home, name: str, raw: str, error: str
) -> None:
    path = home.config_file
    with pytest.raises(ConfigError, match=error):
        write_setting(path, "default", name, raw)
    assert not path.parent.exists()
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    before = path.stat()
    with pytest.raises(ConfigError, match=error):
        write_setting(path, "work", name, raw)
    assert path.read_text() == COMMENTED
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]


def test_writing_reports_a_broken_file_and_leaves_it_as_it_is(home: Home) -> None:
    path = home.config_file
    path.parent.mkdir(parents=True)
    broken = '[profiles.work\nurl = "https://work.supabase.co"\n'
    path.write_text(broken)
    with pytest.raises(ConfigError, match=r"is not valid TOML") as caught:
        write_setting(path, "work", "wrap", "true")
    assert str(path) in caught.value.message
    assert path.read_text() == broken


PROFILE_NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@given(
    writes=st.lists(
        st.tuples(PROFILE_NAMES, st.sampled_from(KEYS), st.data()), min_size=1, max_size=6
    )
)
def test_what_is_written_is_what_is_read_back(
    writes: list[tuple[str, Key, st.DataObject]],
) -> None:
    """Any profile name and valid value, written in turn: each reads back, the comments stay."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "sub" / "config.toml"
        path.parent.mkdir()
        path.write_text("# mine\n[profiles.keep]\nwrap = true # kept\n")
        expected: dict[tuple[str, str], Value] = {}
        for profile, key, data in writes:
            value = data.draw(values_of(key))
            text = env_text(value, 0) if isinstance(value, bool) else value
            assert write_setting(path, profile, key.name, text) == value
            expected[profile, key.name] = value
        environ = {"JOBLENS_CONFIG": str(path)}
        for (profile, name), value in expected.items():
            assert resolve({}, environ, profile=profile).value(name) == value
        text = path.read_text()
        assert text.startswith("# mine\n")
        if ("keep", "wrap") not in expected:
            assert "wrap = true # kept" in text
        assert mode(path) == 0o600


# -- service-role keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "role"),
    [
        (SERVICE_JWT, "service_role"),
        ("sb_secret_" + "x" * 32, "service_role"),
        (ANON_JWT, "anon"),
        ("sb_publishable_" + "x" * 32, "anon"),
        (jwt({"iss": "supabase"}), None),
        ("not-a-jwt", None),
        ("a.%%%.c", None),
    ],
)
def test_the_role_of_a_key(key: str, role: str | None) -> None:
    assert key_role(key) == role


@pytest.mark.parametrize("key", [SERVICE_JWT, "sb_secret_" + "x" * 32])
def test_a_service_role_key_is_refused_unless_allowed_then_warned_about(
    key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        check_key_role(key, "--anon-key", allow_service_role=False)
    message = caught.value.message
    assert message.startswith("--anon-key is a service-role key")
    assert "bypasses row-level security" in message
    assert "--allow-service-role" in message
    assert key not in message
    assert capsys.readouterr().err == ""
    check_key_role(key, "--anon-key", allow_service_role=True)
    err = capsys.readouterr().err
    assert err.startswith("joblens: warning: --anon-key is a service-role key")
    assert "row-level security is bypassed" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("key", [ANON_JWT, "sb_publishable_abc", "legacy-anon-key"])
def test_anon_and_publishable_keys_pass_silently(
    key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    check_key_role(key, "SUPABASE_ANON_KEY", allow_service_role=False)
    check_key_role(key, "SUPABASE_ANON_KEY", allow_service_role=True)
    assert capsys.readouterr().err == ""


# -- SupabaseSettings.from_settings -------------------------------------------------------------


def test_no_stored_session_and_no_token_is_not_signed_in(home: Home) -> None:
    settings = resolve({"url": URL, "anon_key": ANON_JWT}, {})
    with pytest.raises(AuthError) as caught:
        SupabaseSettings.from_settings(settings, {})
    assert caught.value.exit_code == ExitCode.AUTH == 6
    assert caught.value.message == (
        f"not signed in to {URL} (profile 'default'): run `joblens login`"
    )


def test_a_refresh_token_without_an_access_token_is_a_configuration_error(home: Home) -> None:
    settings = resolve({"url": URL, "anon_key": ANON_JWT}, {})
    for environ in (
        {"JOBLENS_REFRESH_TOKEN": "r1"},
        {"JOBLENS_REFRESH_TOKEN": "r1", "JOBLENS_ACCESS_TOKEN": " "},
    ):
        with pytest.raises(ConfigError) as caught:
            SupabaseSettings.from_settings(settings, environ)
        assert caught.value.exit_code == ExitCode.CONFIG == 5
        assert caught.value.message.startswith(
            "JOBLENS_REFRESH_TOKEN is set without JOBLENS_ACCESS_TOKEN"
        )


def test_the_profiles_stored_session_is_used_and_names_say_where_each_setting_was_set(
    home: Home,
) -> None:
    path = write_profiles(home.config_file, {"work": {"url": URL, "logs_table": "job_logs"}})
    settings = resolve({"anon_key": ANON_JWT}, {}, profile="work")
    profile_store("work", URL).save(Session(USER_TOKEN, "refresh-1"))
    supabase = SupabaseSettings.from_settings(settings, {})
    assert (supabase.access_token, supabase.refresh_token) == (USER_TOKEN, "refresh-1")
    assert supabase.logs_table == "job_logs"
    assert supabase.session_store is not None
    assert supabase.names.from_login
    assert supabase.names.url == f"url (profile 'work' in {path})"
    assert supabase.names.anon_key == "--anon-key"
    assert supabase.names.logs_table == f"logs_table (profile 'work' in {path})"
    # Another profile of the same project has no session.
    write_profiles(home.config_file, {"work": {"url": URL}, "home": {"url": URL}})
    with pytest.raises(AuthError, match="profile 'home'"):
        SupabaseSettings.from_settings(resolve({"anon_key": ANON_JWT}, {}, profile="home"), {})


def test_the_environments_tokens_come_before_a_stored_session(home: Home) -> None:
    profile_store("default", URL).save(Session(USER_TOKEN, "stored"))
    settings = resolve({}, {"SUPABASE_URL": URL, "SUPABASE_ANON_KEY": ANON_JWT})
    environ = {"JOBLENS_ACCESS_TOKEN": USER_TOKEN, "JOBLENS_REFRESH_TOKEN": "from-env"}
    supabase = SupabaseSettings.from_settings(settings, environ)
    assert supabase.refresh_token == "from-env"
    assert supabase.session_store is None
    assert not supabase.names.from_login
    assert supabase.names.anon_key == "SUPABASE_ANON_KEY"
    assert supabase.names.logs_table == "JOBLENS_LOGS_TABLE"


@pytest.mark.parametrize("layer", LAYERS)
def test_from_settings_refuses_a_service_role_key_naming_where_it_was_set(
    home: Home, layer: str, capsys: pytest.CaptureFixture[str]
) -> None:
    flags: dict[str, Value | None] = {"url": URL}
    environ: dict[str, str] = {"JOBLENS_ACCESS_TOKEN": USER_TOKEN}
    if layer == "flag":
        flags["anon_key"] = SERVICE_JWT
        label = "--anon-key"
    elif layer == "env":
        environ["SUPABASE_ANON_KEY"] = SERVICE_JWT
        label = "SUPABASE_ANON_KEY"
    else:
        write_profiles(home.config_file, {"default": {"anon_key": SERVICE_JWT}})
        label = f"anon_key (profile 'default' in {home.config_file})"
    settings = resolve(flags, environ)
    with pytest.raises(ConfigError, match=r"bypasses row-level security") as caught:
        SupabaseSettings.from_settings(settings, environ)
    assert caught.value.message.startswith(f"{label} is a service-role key")
    allowed = SupabaseSettings.from_settings(settings, environ, allow_service_role=True)
    assert allowed.anon_key == SERVICE_JWT
    assert capsys.readouterr().err.startswith(f"joblens: warning: {label} is a service-role key")


# -- where sessions are kept --------------------------------------------------------------------


def test_a_session_file_is_owner_only_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "session.json"
    store = SessionFile(path)
    assert store.load() is None
    store.save(Session("a1", "r1"))
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert store.load() == Session("a1", "r1")
    path.chmod(0o644)
    store.save(Session("a2", "r2"))
    assert mode(path) == 0o600
    assert SessionFile(path).load() == Session("a2", "r2")
    assert sorted(p.name for p in path.parent.iterdir()) == ["session.json"]
    store.delete()
    store.delete()
    assert store.load() is None


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", '{"access_token": "a"}', '{"access_token": "", "refresh_token": "r"}'],
)
def test_an_unreadable_session_file_is_no_session(tmp_path: Path, text: str) -> None:
    path = tmp_path / "session.json"
    path.write_text(text)
    assert SessionFile(path).load() is None


@pytest.mark.parametrize(
    "backend", ["keyring.backends.null.Keyring", "keyring.backends.fail.Keyring"]
)
def test_without_a_usable_keyring_a_login_session_is_a_file_in_the_config_directory(
    home: Home, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    use_keyring(monkeypatch, backend)
    assert usable_keyring() is None
    store = profile_store("work", URL)
    assert isinstance(store, SessionFile)
    assert store.path.parent == home.config / "joblens" / "sessions"
    assert store.path.name.startswith("work-")
    assert store.describe() == str(store.path)
    assert Path(store.lock.lock_file).parent == home.state / "joblens" / "sessions"
    store.save(Session(USER_TOKEN, "r1"))
    assert mode(store.path) == 0o600
    assert profile_store("work", URL).load() == Session(USER_TOKEN, "r1")
    # One session per profile and project.
    others = [profile_store("home", URL), profile_store("work", "https://other.supabase.co")]
    for other in others:
        assert isinstance(other, SessionFile)
        assert other.path != store.path
        assert other.load() is None


def test_a_usable_keyring_keeps_login_sessions(home: Home, json_keyring: Path) -> None:
    backend = usable_keyring()
    assert isinstance(backend, JsonKeyring)
    store = profile_store("work", URL)
    assert isinstance(store, KeyringStore)
    assert store.describe() == f"the system keyring ({JsonKeyring.name})"
    assert Path(store.lock.lock_file).parent == home.state / "joblens" / "sessions"
    assert store.load() is None
    store.save(Session(USER_TOKEN, "r1"))
    assert json.loads(stored(json_keyring)[KEYRING_SERVICE][f"work {URL}"]) == {
        "access_token": USER_TOKEN,
        "refresh_token": "r1",
    }
    assert profile_store("work", URL).load() == Session(USER_TOKEN, "r1")
    assert profile_store("home", URL).load() is None
    assert not (home.config / "joblens").exists()  # nothing on disk but the keyring's file
    store.delete()
    store.delete()  # deleting what is not there is not an error
    assert stored(json_keyring)[KEYRING_SERVICE] == {}
    assert store.load() is None


def test_the_test_keyring_is_never_picked_unless_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(FILE_ENV, raising=False)
    assert not JsonKeyring.viable
    with pytest.raises(RuntimeError):
        _ = JsonKeyring.priority
