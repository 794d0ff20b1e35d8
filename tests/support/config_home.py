"""A test's own joblens home: config and state directories, the keyring chosen, keys to use.

Shared by the settings tests and the ``joblens config`` tests; joblens itself finds these
directories through XDG_CONFIG_HOME and XDG_STATE_HOME, and the keyring through
``PYTHON_KEYRING_BACKEND``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import keyring.core
import pytest
import tomlkit

from support.cli import clean_env


def jwt(claims: dict[str, object]) -> str:
    """An unsigned-looking JWT with ``claims`` (joblens reads claims without verifying)."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


ANON_JWT = jwt({"iss": "supabase", "role": "anon", "ref": "project"})
SERVICE_JWT = jwt({"iss": "supabase", "role": "service_role", "ref": "project"})
SECRET_KEY = "sb_secret_" + "S3cr3t" * 6
PUBLISHABLE_KEY = "sb_publishable_" + "Pub1ic" * 6
USER_TOKEN = jwt({"sub": "u1", "role": "authenticated", "exp": 4_000_000_000})


@dataclass(frozen=True)
class Home:
    """The test's own config and state directories (XDG_CONFIG_HOME, XDG_STATE_HOME)."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def config_file(self) -> Path:
        return self.config / "joblens" / "config.toml"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a joblens process using these directories (and ``extra``)."""
        return clean_env(
            **{
                "XDG_CONFIG_HOME": str(self.config),
                "XDG_STATE_HOME": str(self.state),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                **extra,
            }
        )


def use_keyring(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make ``keyring`` pick backend ``name`` afresh (it keeps the first one it finds)."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)


def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """No joblens configuration in this process's environment; fresh directories; the null
    keyring."""
    for name in list(os.environ):
        if name.startswith(("SUPABASE_", "JOBLENS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    use_keyring(monkeypatch, "keyring.backends.null.Keyring")
    return Home(tmp_path)


def write_profiles(path: Path, profiles: Mapping[str, Mapping[str, object]], **top: str) -> Path:
    """A config file holding ``profiles`` (and top-level keys ``top``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomlkit.dumps({**top, "profiles": profiles}), encoding="utf-8")
    return path
