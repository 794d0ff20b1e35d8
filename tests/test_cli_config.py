"""``joblens config show`` and ``joblens config set``, and how every command takes its settings:
each setting's source named, secrets masked, one-line errors with exit code 5 that name the
setting as the user set it, service-role keys refused, "not signed in" as exit code 6.

Run in this process with click's CliRunner (each test has its own config and state directory
and the null keyring), except a few through a real ``joblens`` process: the console script's
own path, a keyring shared with a process (tests/support/test_keyring.py), and the warning a
service-role key gives on stderr.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from joblens.backends.supabase.session import Session, profile_store
from joblens.cli import main
from joblens.errors import ExitCode
from joblens.settings import DEFAULT_LOGS_TABLE, KEYS, KEYS_BY_NAME, REQUIRED, Key, Value, mask
from support.cli import run_joblens
from support.config_home import (
    ANON_JWT,
    PUBLISHABLE_KEY,
    SECRET_KEY,
    SERVICE_JWT,
    USER_TOKEN,
    Home,
    fresh_home,
    use_keyring,
    write_profiles,
)
from support.test_keyring import BACKEND_NAME, FILE_ENV, JsonKeyring

TESTS = Path(__file__).resolve().parent
URL = "https://project.supabase.co"
JOB = "3f2a9c1e"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """No joblens configuration in the environment; fresh directories; the null keyring."""
    return fresh_home(tmp_path, monkeypatch)


def joblens(*args: str, env: dict[str, str] | None = None) -> Result:
    """``joblens ARGS`` in this process; ``env``: variables set for the run."""
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


ROW = re.compile(r"(\w+) +(.*)  \((.*)\)")


def rows(stdout: str) -> dict[str, tuple[str, str]]:
    """``config show``'s rows after the first: {name: (value as shown, source)}."""
    lines = stdout.splitlines()
    assert lines[0].startswith("config file  ")
    found = {}
    for line in lines[1:]:
        match = ROW.fullmatch(line)
        assert match, line
        found[match[1]] = (match[2], match[3])
    return found


def one_error(result: Result, code: int = ExitCode.CONFIG) -> str:
    """The one line a failed command wrote on stderr (checked: nothing on stdout)."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("joblens: ")
    return result.stderr.removeprefix("joblens: ").rstrip("\n")


# -- config show: precedence and sources --------------------------------------------------------

LAYERS = ("flag", "env", "profile")
#: Each string setting's value in each layer.
VALUES: dict[str, tuple[str, str, str]] = {
    "url": ("https://flag.supabase.co", "https://env.supabase.co", "https://profile.supabase.co"),
    "anon_key": ("flagkey-" + "f" * 40, "envkey-" + "e" * 40, "profilekey-" + "p" * 40),
    "logs_table": ("flag_logs", "env_logs", "profile_logs"),
    "theme": ("nord", "dracula", "monokai"),
}


def layer_value(key: Key, layer: str, winner: str) -> Value:
    """What ``layer`` sets ``key`` to: for a boolean, true in the winning layer, else false."""
    if key.kind == "bool":
        return layer == winner
    return VALUES[key.name][LAYERS.index(layer)]


@pytest.mark.parametrize("winner", [*LAYERS, "default"])
@pytest.mark.parametrize("key", KEYS, ids=[key.name for key in KEYS])
def test_show_gives_each_settings_value_from_the_first_layer_that_sets_it_and_names_it(
    home: Home, key: Key, winner: str
) -> None:
    """Every layer below the winner sets the key too; the winner's value is shown."""
    layers = LAYERS[LAYERS.index(winner) :] if winner != "default" else ()
    args = ["config", "show"]
    env: dict[str, str] = {}
    if "flag" in layers:
        value = layer_value(key, "flag", winner)
        args += [key.flag] if value is True else [key.flag, str(value)]
    if "env" in layers:
        value = layer_value(key, "env", winner)
        env[key.env] = ("true" if value else "false") if isinstance(value, bool) else value
    if "profile" in layers:
        write_profiles(
            home.config_file, {"default": {key.name: layer_value(key, "profile", winner)}}
        )
    result = joblens(*args, env=env)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    shown, source = rows(result.stdout)[key.name]
    expected: Value | None = (
        layer_value(key, winner, winner) if winner != "default" else key.default
    )
    if expected is None:
        assert shown == "(not set)"
    elif isinstance(expected, bool):
        assert shown == str(expected).lower()
    elif key.secret:
        assert shown == mask(expected)
    else:
        assert shown == expected
    sources = {
        "flag": f"flag {key.flag}",
        "env": f"environment {key.env}",
        "profile": f"profile 'default' in {home.config_file}",
        "default": "default",
    }
    if key.name in REQUIRED:  # nothing works without it: how to set it, not "default"
        sources["default"] = f"needed: run `joblens config set {key.name} VALUE` or set {key.env}"
    assert source == sources[winner]
    if key.secret:  # no layer's key is ever printed in clear
        for secret in VALUES["anon_key"]:
            assert secret not in result.output
            assert secret[4:10] not in result.output


def test_show_prints_every_setting_and_the_session_in_one_table(home: Home) -> None:
    path = write_profiles(
        home.config_file,
        {"work": {"anon_key": ANON_JWT, "timestamps": True, "logs_table": "job_logs"}},
        default_profile="work",
    )
    result = joblens(
        "config", "show", "--logs-table", "flag_logs", "--no-wrap", env={"SUPABASE_URL": URL + "/"}
    )
    assert result.exit_code == 0, result.output
    session = profile_store("work", URL)
    assert result.stdout.splitlines() == [
        f"config file     {path}",
        f"profile         work  (default_profile in {path})",
        f"url             {URL}  (environment SUPABASE_URL)",
        f"anon_key        {mask(ANON_JWT)}  (profile 'work' in {path})",
        "logs_table      flag_logs  (flag --logs-table)",
        "theme           (not set)  (default)",
        "wrap            false  (flag --no-wrap)",
        f"timestamps      true  (profile 'work' in {path})",
        "bell            true  (default)",
        "desktop_notify  true  (default)",
        f"session         not signed in  ({session.describe()})",
    ]
    assert ANON_JWT not in result.output
    assert ANON_JWT[4:12] not in result.output


def test_show_without_a_config_file_says_so(home: Home) -> None:
    result = joblens("config", "show")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        f"config file     {home.config_file} (none yet)",
        "profile         default  (default)",
    ]
    assert rows(result.stdout)["logs_table"] == (DEFAULT_LOGS_TABLE, "default")
    # What nothing works without says how to set it; an optional one unset is the default.
    assert rows(result.stdout)["url"] == (
        "(not set)",
        "needed: run `joblens config set url VALUE` or set SUPABASE_URL",
    )
    assert rows(result.stdout)["anon_key"][1].startswith("needed: ")
    assert rows(result.stdout)["theme"] == ("(not set)", "default")
    assert "session" not in rows(result.stdout)  # no project, no session to speak of
    assert not home.config_file.parent.exists()  # showing creates nothing


def test_show_says_when_the_profile_is_signed_in(home: Home) -> None:
    write_profiles(home.config_file, {"default": {"url": URL}})
    store = profile_store("default", URL)
    store.save(Session(USER_TOKEN, "refresh"))
    result = joblens("config", "show")
    assert rows(result.stdout)["session"] == ("signed in", store.describe())
    assert USER_TOKEN not in result.output and "refresh" not in result.output
    # The same project under another profile is not signed in.
    write_profiles(home.config_file, {"default": {"url": URL}, "other": {"url": URL}})
    other = joblens("config", "show", "--profile", "other")
    assert rows(other.stdout)["session"][0] == "not signed in"


# -- profiles -----------------------------------------------------------------------------------

PROFILES: dict[str, dict[str, Value]] = {
    "default": {"logs_table": "default_logs"},
    "home": {"logs_table": "home_logs"},
    "work": {"logs_table": "work_logs"},
    "ci": {"logs_table": "ci_logs"},
}


@pytest.mark.parametrize(
    ("args", "env", "top", "chosen", "source"),
    [
        (["--profile", "ci"], {"JOBLENS_PROFILE": "work"}, True, "ci", "flag --profile"),
        ([], {"JOBLENS_PROFILE": "work"}, True, "work", "environment JOBLENS_PROFILE"),
        ([], {}, True, "home", "default_profile in {path}"),
        ([], {}, False, "default", "default"),
    ],
)
def test_the_profile_in_use_and_why(
    home: Home, args: list[str], env: dict[str, str], top: bool, chosen: str, source: str
) -> None:
    path = write_profiles(
        home.config_file, PROFILES, **({"default_profile": "home"} if top else {})
    )
    result = joblens("config", "show", *args, env=env)
    assert result.exit_code == 0, result.output
    table = rows(result.stdout)
    assert table["profile"] == (chosen, source.format(path=path))
    assert table["logs_table"] == (f"{chosen}_logs", f"profile {chosen!r} in {path}")


@pytest.mark.parametrize(
    ("args", "env", "top"),
    [
        (["--profile", "nope"], {}, {}),
        ([], {"JOBLENS_PROFILE": "nope"}, {}),
        ([], {}, {"default_profile": "nope"}),
    ],
)
def test_an_unknown_profile_is_one_line_naming_it_and_the_file(
    home: Home, args: list[str], env: dict[str, str], top: dict[str, str]
) -> None:
    path = write_profiles(home.config_file, PROFILES, **top)
    message = one_error(joblens("config", "show", *args, env=env))
    assert message.startswith(f"no profile 'nope' in {path} (profiles: ci, default, home, work)")
    assert "joblens config set --profile nope" in message
    # The same for a command that would use it.
    assert one_error(joblens("logs", JOB, *args, env=env)) == message


def test_an_unknown_profile_without_a_config_file(home: Home) -> None:
    message = one_error(joblens("config", "show", "--profile", "work"))
    assert message.startswith(f"no profile 'work' in {home.config_file} (profiles: none yet)")


def test_an_unknown_key_in_the_profile_is_named(home: Home) -> None:
    path = write_profiles(home.config_file, {"work": {"url": URL, "table": "job_logs"}})
    message = one_error(joblens("config", "show", "--profile", "work"))
    assert message.startswith(f"unknown setting 'table' in profile 'work' of {path}: ")


# (setting, a bad value): through each layer that can give it.
BAD: list[tuple[str, str]] = [
    ("url", "ftp://project.supabase.co"),
    ("url", "project.supabase.co"),
    ("logs_table", "public.job_logs"),
    ("logs_table", "logs; drop table x"),
    ("theme", "no-such-theme"),
    ("wrap", "maybe"),
    ("timestamps", "maybe"),
]
COMMANDS = {"show": ["config", "show"], "logs": ["logs", JOB], "open": [JOB]}
BAD_CASES = [
    (command, name, bad, layer)
    for command in COMMANDS
    for name, bad in BAD
    for layer in LAYERS
    # --wrap takes no value; `logs` has no view options (`open` and `config show` do).
    if not (layer == "flag" and KEYS_BY_NAME[name].kind == "bool")
    and not (layer == "flag" and command == "logs" and name == "theme")
]


@pytest.mark.parametrize(("command", "name", "bad", "layer"), BAD_CASES)
def test_an_invalid_value_is_exit_5_naming_the_setting_as_it_was_set(
    home: Home, command: str, name: str, bad: str, layer: str
) -> None:
    key = KEYS_BY_NAME[name]
    args = [*COMMANDS[command]]
    env: dict[str, str] = {}
    if layer == "flag":
        args += [key.flag, bad]
        label = key.flag
    elif layer == "env":
        env[key.env] = bad
        label = key.env
    else:
        write_profiles(home.config_file, {"x": {name: bad}}, default_profile="x")
        label = f"{name} (profile 'x' in {home.config_file})"
    message = one_error(joblens(*args, env=env))
    assert message.startswith((f"{label} ", f"{label}:")), message


# -- config set ---------------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_set_creates_the_config_file_owner_only(home: Home) -> None:
    result = joblens("config", "set", "url", URL + "/")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Set url in profile 'default' ({home.config_file}).\n"
    assert mode(home.config_file) == 0o600
    assert mode(home.config_file.parent) == 0o700
    assert home.config_file.read_text() == f'[profiles.default]\nurl = "{URL}"\n'
    assert rows(joblens("config", "show").stdout)["url"] == (
        URL,
        f"profile 'default' in {home.config_file}",
    )


def test_set_stores_typed_values_and_a_masked_key(home: Home) -> None:
    for key, value in [("wrap", "yes"), ("timestamps", "off"), ("anon_key", ANON_JWT)]:
        assert joblens("config", "set", key, value).exit_code == 0
    text = home.config_file.read_text()
    assert "wrap = true\n" in text and "timestamps = false\n" in text
    shown = joblens("config", "show")
    assert rows(shown.stdout)["anon_key"][0] == mask(ANON_JWT)
    assert ANON_JWT not in shown.output


@pytest.mark.parametrize(
    ("args", "env", "written"),
    [
        (["--profile", "ci"], {"JOBLENS_PROFILE": "work"}, "ci"),
        ([], {"JOBLENS_PROFILE": "work"}, "work"),
        ([], {}, "home"),
        (["--profile", "brand-new"], {}, "brand-new"),
    ],
)
def test_set_writes_to_the_profile_named_or_in_use(
    home: Home, args: list[str], env: dict[str, str], written: str
) -> None:
    write_profiles(home.config_file, PROFILES, default_profile="home")
    result = joblens("config", "set", "theme", "nord", *args, env=env)
    assert result.exit_code == 0, result.output
    assert f"in profile {written!r}" in result.stderr
    for profile in {*PROFILES, written}:
        table = rows(joblens("config", "show", "--profile", profile).stdout)
        assert table["theme"][0] == ("nord" if profile == written else "(not set)")
        if profile in PROFILES:
            assert table["logs_table"][0] == f"{profile}_logs"


@pytest.mark.parametrize(
    ("args", "env", "top", "label"),
    [
        (["--profile", "a b"], {}, {}, "--profile"),
        ([], {"JOBLENS_PROFILE": "a b"}, {}, "JOBLENS_PROFILE"),
        ([], {}, {"default_profile": "a b"}, "default_profile in {path}"),
    ],
)
def test_set_names_a_malformed_profile_name_as_it_was_given(
    home: Home, args: list[str], env: dict[str, str], top: dict[str, str], label: str
) -> None:
    path = write_profiles(home.config_file, PROFILES, **top)
    before = path.read_text()
    message = one_error(joblens("config", "set", *args, "wrap", "true", env=env))
    assert message.startswith(f"{label.format(path=path)} 'a b' is not a profile name")
    assert path.read_text() == before


CONFIG = """\
# my joblens config
default_profile = "work"

[profiles.work]
url = "https://work.supabase.co"   # the work project
# logs live in job_logs there
logs_table = "job_logs"

[profiles.home]
url = "https://home.supabase.co"
"""


def test_set_keeps_comments_and_other_profiles(home: Home) -> None:
    home.config_file.parent.mkdir(parents=True)
    home.config_file.write_text(CONFIG)
    assert joblens("config", "set", "logs_table", "provision_job_logs").exit_code == 0
    assert joblens("config", "set", "--profile", "home", "wrap", "true").exit_code == 0
    assert home.config_file.read_text() == CONFIG.replace(
        'logs_table = "job_logs"', 'logs_table = "provision_job_logs"'
    ).replace(
        'url = "https://home.supabase.co"\n', 'url = "https://home.supabase.co"\nwrap = true\n'
    )


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("colour", "red", "unknown setting 'colour': settings are url, anon_key, logs_table"),
        ("url", "supabase.co", "url is not a valid http(s) URL"),
        ("logs_table", "x.y", "logs_table must be a plain table name"),
        ("wrap", "maybe", "wrap must be true or false, not 'maybe'"),
        ("theme", "neon", "theme: no theme 'neon'; choose one of textual-dark"),
    ],
)
@pytest.mark.parametrize("existing", [True, False])
def test_set_refuses_unknown_keys_and_bad_values_leaving_the_file_alone(
    home: Home, key: str, value: str, error: str, existing: bool
) -> None:
    if existing:
        home.config_file.parent.mkdir(parents=True)
        home.config_file.write_text(CONFIG)
    message = one_error(joblens("config", "set", key, value))
    assert message.startswith(error)
    if existing:
        assert home.config_file.read_text() == CONFIG
        assert [p.name for p in home.config_file.parent.iterdir()] == ["config.toml"]
    else:
        assert not home.config_file.parent.exists()


@pytest.mark.parametrize("args", [[], ["--profile", "work"]])
def test_set_reports_a_broken_file_and_does_not_overwrite_it(home: Home, args: list[str]) -> None:
    broken = CONFIG.replace("[profiles.home]", "[profiles.home")
    home.config_file.parent.mkdir(parents=True)
    home.config_file.write_text(broken)
    message = one_error(joblens("config", "set", *args, "wrap", "true"))
    assert message.startswith(f"the config file {home.config_file} is not valid TOML (")
    assert home.config_file.read_text() == broken
    assert one_error(joblens("config", "show")) == message


def test_joblens_config_names_another_file(home: Home) -> None:
    elsewhere = home.root / "elsewhere" / "joblens.toml"
    env = {"JOBLENS_CONFIG": str(elsewhere)}
    result = joblens("config", "set", "logs_table", "job_logs", env=env)
    assert result.exit_code == 0, result.output
    assert str(elsewhere) in result.stderr
    assert mode(elsewhere) == 0o600
    assert not home.config.exists()
    shown = joblens("config", "show", env=env)
    assert shown.stdout.splitlines()[0] == f"config file     {elsewhere}"
    assert rows(shown.stdout)["logs_table"] == ("job_logs", f"profile 'default' in {elsewhere}")
    assert rows(joblens("config", "show").stdout)["logs_table"][1] == "default"


def test_set_accepts_a_service_role_key_with_a_warning(home: Home) -> None:
    result = joblens("config", "set", "anon_key", SERVICE_JWT)
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "joblens: warning: anon_key is a service-role key: row-level security is bypassed, "
        "every user's jobs can be seen and changed"
    )
    assert lines[1].startswith("Set anon_key in profile 'default'")
    assert SERVICE_JWT not in result.output


@pytest.mark.parametrize("args", [["config", "set"], ["config", "set", "url"]])
def test_set_without_a_key_and_a_value_is_a_usage_error(home: Home, args: list[str]) -> None:
    assert joblens(*args).exit_code == ExitCode.USAGE
    assert not home.config.exists()


# -- service-role keys and sessions, through the commands that use them -------------------------


@pytest.mark.parametrize("command", [["logs", JOB], [JOB]], ids=str)
@pytest.mark.parametrize("key", [SERVICE_JWT, SECRET_KEY], ids=["jwt", "sb_secret"])
@pytest.mark.parametrize("layer", LAYERS)
def test_a_service_role_key_is_refused_naming_where_it_was_set(
    home: Home, command: list[str], key: str, layer: str
) -> None:
    args = [*command]
    env = {"SUPABASE_URL": URL}
    if layer == "flag":
        args += ["--anon-key", key]
        label = "--anon-key"
    elif layer == "env":
        env["SUPABASE_ANON_KEY"] = key
        label = "SUPABASE_ANON_KEY"
    else:
        write_profiles(home.config_file, {"default": {"anon_key": key}})
        label = f"anon_key (profile 'default' in {home.config_file})"
    message = one_error(joblens(*args, env=env))
    assert message == (
        f"{label} is a service-role key, which bypasses row-level security: use the project's "
        "anon (public) key, or pass --allow-service-role if you mean it"
    )
    # Allowed: a warning, and on to the session (none here).
    allowed = joblens(*args, "--allow-service-role", env=env)
    assert allowed.exit_code == ExitCode.AUTH
    assert allowed.stderr.splitlines() == [
        f"joblens: warning: {label} is a service-role key: row-level security is bypassed, "
        "every user's jobs can be seen and changed",
        f"joblens: not signed in to {URL} (profile 'default'): run `joblens login`",
    ]
    assert key not in allowed.output


@pytest.mark.parametrize("key", [ANON_JWT, PUBLISHABLE_KEY])
def test_anon_and_publishable_keys_pass_without_a_warning(home: Home, key: str) -> None:
    env = {"SUPABASE_URL": URL, "SUPABASE_ANON_KEY": key}
    for extra in ([], ["--allow-service-role"]):
        message = one_error(joblens("logs", JOB, *extra, env=env), ExitCode.AUTH)
        assert message == f"not signed in to {URL} (profile 'default'): run `joblens login`"


def test_not_signed_in_names_the_profile(home: Home) -> None:
    write_profiles(home.config_file, {"work": {"url": URL, "anon_key": ANON_JWT}})
    message = one_error(joblens("logs", JOB, "--profile", "work"), ExitCode.AUTH)
    assert message == f"not signed in to {URL} (profile 'work'): run `joblens login`"


def test_a_refresh_token_alone_is_a_configuration_error(home: Home) -> None:
    env = {"SUPABASE_URL": URL, "SUPABASE_ANON_KEY": ANON_JWT, "JOBLENS_REFRESH_TOKEN": "r1"}
    message = one_error(joblens("logs", JOB, env=env))
    assert message.startswith("JOBLENS_REFRESH_TOKEN is set without JOBLENS_ACCESS_TOKEN")


# -- through a real process ---------------------------------------------------------------------


def test_config_set_and_show_in_a_joblens_process(home: Home) -> None:
    env = home.env()
    done = run_joblens("config", "set", "--profile", "work", "anon_key", ANON_JWT, env=env)
    assert done.returncode == 0, done.stderr
    assert mode(home.config_file) == 0o600
    assert mode(home.config_file.parent) == 0o700
    shown = run_joblens(
        "config", "show", "--profile", "work", "--url", URL, env={**env, "JOBLENS_WRAP": "on"}
    )
    assert shown.returncode == 0, shown.stderr
    table = rows(shown.stdout)
    assert table["profile"] == ("work", "flag --profile")
    assert table["url"] == (URL, "flag --url")
    assert table["anon_key"] == (mask(ANON_JWT), f"profile 'work' in {home.config_file}")
    assert table["wrap"] == ("true", "environment JOBLENS_WRAP")
    assert table["session"][0] == "not signed in"
    assert ANON_JWT not in shown.stdout + shown.stderr


def test_a_keyring_session_is_seen_by_a_joblens_process(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring_file = home.root / "keyring.json"
    monkeypatch.setenv(FILE_ENV, str(keyring_file))
    use_keyring(monkeypatch, BACKEND_NAME)
    profile_store("default", URL).save(Session(USER_TOKEN, "refresh"))
    env = home.env(
        PYTHON_KEYRING_BACKEND=BACKEND_NAME,
        PYTHONPATH=str(TESTS),
        SUPABASE_URL=URL,
        **{FILE_ENV: str(keyring_file)},
    )
    shown = run_joblens("config", "show", env=env)
    assert shown.returncode == 0, shown.stderr
    assert rows(shown.stdout)["session"] == (
        "signed in",
        f"the system keyring ({JsonKeyring.name})",
    )
    assert not (home.config / "joblens").exists()  # no session file


def test_a_joblens_process_warns_on_stderr_about_an_allowed_service_role_key(home: Home) -> None:
    env = home.env(SUPABASE_URL=URL, SUPABASE_ANON_KEY=SECRET_KEY)
    refused = run_joblens("logs", JOB, env=env)
    assert refused.returncode == ExitCode.CONFIG
    assert refused.stderr.count("\n") == 1
    assert "bypasses row-level security" in refused.stderr
    assert "--allow-service-role" in refused.stderr
    allowed = run_joblens("logs", JOB, "--allow-service-role", env=env)
    assert allowed.returncode == ExitCode.AUTH
    lines = allowed.stderr.splitlines()
    warning = (
        "joblens: warning: SUPABASE_ANON_KEY is a service-role key: row-level security is "
        "bypassed, every user's jobs can be seen and changed"
    )
    assert lines.count(warning) == 1
    assert lines[-1] == f"joblens: not signed in to {URL} (profile 'default'): run `joblens login`"
    assert SECRET_KEY not in allowed.stdout + allowed.stderr
