"""Where each setting comes from: a flag, then the environment, then a profile in the config file.

The config file is one TOML file in the user's config directory (``JOBLENS_CONFIG`` names
another), holding named profiles::

    default_profile = "work"

    [profiles.work]
    url = "https://abcd.supabase.co"
    anon_key = "eyJ..."
    logs_table = "job_logs"
    wrap = true

The profile in use is ``--profile``, else ``JOBLENS_PROFILE``, else ``default_profile``, else
``default``. Each setting is looked up in that order of precedence and remembers where it came
from, so that ``joblens config show`` can say it and an error can name the setting at fault
exactly as the user set it (``SUPABASE_ANON_KEY``, ``--logs-table``, or ``anon_key`` in a
profile). Sessions are not settings: ``joblens login`` keeps them apart (the keyring, or an
owner-only file: :mod:`joblens.backends.supabase.session`).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from platformdirs import user_config_path

from joblens.errors import ConfigError
from joblens.private_files import write_private

CONFIG_ENV = "JOBLENS_CONFIG"
PROFILE_ENV = "JOBLENS_PROFILE"
DEFAULT_PROFILE = "default"
DEFAULT_LOGS_TABLE = "provision_job_logs"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

Value = str | bool


@dataclass(frozen=True)
class Key:
    """One setting: its name in the config file, its variable, its flag and its kind."""

    name: str
    env: str
    flag: str
    kind: str  # "url", "secret", "table", "theme" or "bool"
    help: str
    default: Value | None = None

    @property
    def secret(self) -> bool:
        return self.kind == "secret"


#: The settings nothing works without (a Supabase project): ``config show`` says how to set
#: them while they are not set.
REQUIRED = ("url", "anon_key")

KEYS: tuple[Key, ...] = (
    Key("url", "SUPABASE_URL", "--url", "url", "the project's URL, https://<project>.supabase.co"),
    Key("anon_key", "SUPABASE_ANON_KEY", "--anon-key", "secret", "the project's anon (public) key"),
    Key(
        "logs_table",
        "JOBLENS_LOGS_TABLE",
        "--logs-table",
        "table",
        "the log table (provision_job_logs, or job_logs in many deployments)",
        DEFAULT_LOGS_TABLE,
    ),
    Key("theme", "JOBLENS_THEME", "--theme", "theme", "the view's colour theme (a Textual theme)"),
    Key("wrap", "JOBLENS_WRAP", "--wrap", "bool", "wrap long log lines (w toggles)", False),
    Key(
        "timestamps",
        "JOBLENS_TIMESTAMPS",
        "--timestamps",
        "bool",
        "show when each line was written (t toggles)",
        False,
    ),
    Key("bell", "JOBLENS_BELL", "--bell", "bool", "ring the terminal bell when the job ends", True),
    Key(
        "desktop_notify",
        "JOBLENS_DESKTOP_NOTIFY",
        "--notify",
        "bool",
        "a desktop notification when the job ends (notify-send, osascript)",
        True,
    ),
)
KEYS_BY_NAME: dict[str, Key] = {key.name: key for key in KEYS}


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The config file: ``JOBLENS_CONFIG``, else ``config.toml`` in the user's config directory."""
    env = os.environ if environ is None else environ
    given = env.get(CONFIG_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    return user_config_path("joblens") / "config.toml"


@dataclass(frozen=True)
class Source:
    """Where a value came from."""

    kind: str  # "flag", "env", "profile", "remembered" (joblens.view_memory) or "default"
    name: str  # the flag, the variable, or the key in the profile
    profile: str = ""
    path: Path | None = None

    def __str__(self) -> str:
        if self.kind == "flag":
            return f"flag {self.name}"
        if self.kind == "env":
            return f"environment {self.name}"
        if self.kind == "profile":
            if not self.profile:  # a key outside any profile (default_profile)
                return f"{self.name} in {self.path}"
            return f"profile {self.profile!r} in {self.path}"
        if self.kind == "remembered":
            return f"remembered from the view in {self.path}"
        return "default"

    @property
    def label(self) -> str:
        """How an error names the setting: as the user set it."""
        if self.kind in ("flag", "env"):
            return self.name
        if self.kind == "profile":
            if not self.profile:
                return f"{self.name} in {self.path}"
            return f"{self.name} (profile {self.profile!r} in {self.path})"
        return self.name


@dataclass(frozen=True)
class Setting:
    key: Key
    value: Value | None
    source: Source

    def shown(self) -> str:
        """The value as ``config show`` prints it: secrets masked, unset said."""
        if self.value is None:
            return "(not set)"
        if self.key.secret:
            return mask(str(self.value))
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)


def mask(secret: str) -> str:
    """A secret as it may be shown: its first 4 characters and its length."""
    if len(secret) <= 8:
        return f"•••• ({len(secret)} chars)"
    return f"{secret[:4]}…•••• ({len(secret)} chars)"


@dataclass(frozen=True)
class Settings:
    """The effective settings and where each came from."""

    profile: str
    profile_source: Source
    path: Path
    values: Mapping[str, Setting]

    def __getitem__(self, name: str) -> Setting:
        return self.values[name]

    def value(self, name: str) -> Value | None:
        return self.values[name].value

    def label(self, name: str) -> str:
        """How a message names setting ``name``: where it was set, else its variable."""
        setting = self.values[name]
        if setting.source.kind == "default":
            return setting.key.env
        return setting.source.label

    def how_to_set(self, name: str) -> str:
        """``joblens config set url VALUE`` or ``SUPABASE_URL``: how a user sets ``name``."""
        key = KEYS_BY_NAME[name]
        return f"run `joblens config set {key.name} VALUE` or set {key.env}"

    def missing(self, name: str) -> ConfigError:
        """The error for a required setting that is not set anywhere."""
        key = KEYS_BY_NAME[name]
        return ConfigError(f"{key.name} is not set ({key.help}): {self.how_to_set(name)}")


def parse(key: Key, raw: object, label: str) -> Value:
    """Check one value (from a flag, a variable or the file); ConfigError naming ``label``."""
    if key.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"{label} must be true or false, not {str(raw)[:40]!r}")
    if not isinstance(raw, str):
        raise ConfigError(f"{label} must be a string")
    text = raw.strip()
    if not text:
        raise ConfigError(f"{label} is empty: {key.help}")
    if key.kind == "url":
        parsed = urlparse(text)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"{label} is not a valid http(s) URL: set it to {key.help}")
        return text.rstrip("/")
    if key.kind == "table" and not _IDENTIFIER.fullmatch(text):
        raise ConfigError(
            f"{label} must be a plain table name such as provision_job_logs or job_logs"
        )
    if key.kind == "theme":
        from joblens.prefs import theme_names

        names = theme_names()
        if text not in names:
            raise ConfigError(f"{label}: no theme {text[:40]!r}; choose one of {', '.join(names)}")
    return text


def read_file(path: Path) -> dict[str, Any]:
    """The config file's tables ({} when there is no file); ConfigError when it is unreadable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror}") from None
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        detail = str(error).splitlines()[0] if str(error) else "not TOML"
        raise ConfigError(f"the config file {path} is not valid TOML ({detail})") from None
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise ConfigError(f"the config file {path}: [profiles.NAME] must be tables of settings")
    return document


def check_profile_name(name: str, label: str) -> str:
    if not _PROFILE_NAME.fullmatch(name):
        raise ConfigError(
            f"{label} {name[:40]!r} is not a profile name (letters, digits, '.', '_', '-')"
        )
    return name


def resolve(
    flags: Mapping[str, Value | None] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    profile: str | None = None,
) -> Settings:
    """The effective settings: ``flags`` (set ones only), then ``environ``, then the profile,
    then what the view remembered (theme, wrap, timestamps: :mod:`joblens.view_memory`)."""
    from joblens.view_memory import ViewMemory

    env = os.environ if environ is None else environ
    flags = flags or {}
    path = config_path(env)
    document = read_file(path)
    profiles: dict[str, dict[str, Any]] = document.get("profiles", {})
    chosen_by: Source
    if profile:
        chosen_by = Source("flag", "--profile")
        name = check_profile_name(profile, "--profile")
    elif env.get(PROFILE_ENV, "").strip():
        chosen_by = Source("env", PROFILE_ENV)
        name = check_profile_name(env[PROFILE_ENV].strip(), PROFILE_ENV)
    elif isinstance(document.get("default_profile"), str):
        chosen_by = Source("profile", "default_profile", path=path)
        name = check_profile_name(document["default_profile"], f"default_profile in {path}")
    else:
        chosen_by = Source("default", DEFAULT_PROFILE)
        name = DEFAULT_PROFILE
    if chosen_by.kind != "default" and name not in profiles:
        known = ", ".join(sorted(profiles)) or "none yet"
        raise ConfigError(
            f"no profile {name!r} in {path} (profiles: {known}): create it with "
            f"`joblens config set --profile {name} url URL`"
        )
    table = profiles.get(name, {})
    unknown = sorted(set(table) - set(KEYS_BY_NAME))
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]!r} in profile {name!r} of {path}: "
            f"settings are {', '.join(KEYS_BY_NAME)}"
        )
    memory = ViewMemory()
    remembered = memory.read()
    values: dict[str, Setting] = {}
    for key in KEYS:
        flagged = flags.get(key.name)
        text = env.get(key.env, "")
        if flagged is not None:
            flag = key.flag
            if key.kind == "bool" and flagged is False:
                flag = "--no-" + key.flag.removeprefix("--")
            source = Source("flag", flag)
            value: Value | None = parse(key, flagged, flag)
        elif text.strip():
            source = Source("env", key.env)
            value = parse(key, text, key.env)
        elif key.name in table:
            source = Source("profile", key.name, name, path)
            value = parse(key, table[key.name], source.label)
        elif key.name in remembered and _valid(key, remembered[key.name]):
            source = Source("remembered", key.name, path=memory.path)
            value = remembered[key.name]
        else:
            source = Source("default", key.name)
            value = key.default
        values[key.name] = Setting(key, value, source)
    return Settings(name, chosen_by, path, values)


def _valid(key: Key, value: Value) -> bool:
    """A remembered value still makes sense (a theme this Textual knows): else it is dropped,
    never an error: nobody typed it."""
    try:
        parse(key, value, key.name)
    except ConfigError:
        return False
    return True


def write_setting(path: Path, profile: str, name: str, raw: str) -> Value:
    """Set ``name`` to ``raw`` in ``profile`` of the config file (created owner-only if new).

    The file keeps its comments and layout (tomlkit). Returns the value as stored.
    """
    import tomlkit

    key = KEYS_BY_NAME.get(name)
    if key is None:
        raise ConfigError(f"unknown setting {name!r}: settings are {', '.join(KEYS_BY_NAME)}")
    check_profile_name(profile, "profile")
    value = parse(key, raw, name)
    read_file(path)  # a broken file is reported, not overwritten
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror}") from None
    document = tomlkit.parse(text)
    profiles = document.get("profiles")
    if profiles is None:
        profiles = tomlkit.table(is_super_table=True)
        document["profiles"] = profiles
    table = profiles.get(profile)
    if table is None:
        table = tomlkit.table()
        profiles[profile] = table
    table[name] = value
    _write_private(path, tomlkit.dumps(document))
    return value


def _write_private(path: Path, text: str) -> None:
    try:
        write_private(path, text)
    except OSError as error:
        raise ConfigError(f"cannot write the config file {path}: {error.strerror}") from None
