"""A keyring backend for tests: passwords in a JSON file, so a joblens process can use it too.

Chosen with ``PYTHON_KEYRING_BACKEND=support.test_keyring.JsonKeyring``; the file is named by
``JOBLENS_TEST_KEYRING_FILE`` (a process started with both, and ``tests/`` on its
``PYTHONPATH``, shares the test's keyring). Without that variable the backend is not viable,
so ``keyring`` never picks it on its own for a test that did not ask for it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

#: The variable naming the JSON file ({service: {account: password}}).
FILE_ENV = "JOBLENS_TEST_KEYRING_FILE"
#: What ``PYTHON_KEYRING_BACKEND`` is set to for this backend.
BACKEND_NAME = "support.test_keyring.JsonKeyring"


class JsonKeyring(KeyringBackend):
    """Passwords kept in the JSON file ``JOBLENS_TEST_KEYRING_FILE`` names."""

    @properties.classproperty
    def priority(cls) -> float:
        if not os.environ.get(FILE_ENV):
            raise RuntimeError(f"{FILE_ENV} is not set")
        return 1

    @staticmethod
    def path() -> Path:
        return Path(os.environ[FILE_ENV])

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        path = self.path()
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(temporary, path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._read()
        data.setdefault(service, {})[username] = password
        self._write(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._read()
        if username not in data.get(service, {}):
            raise PasswordDeleteError(f"no password for {username!r} in {service!r}")
        del data[service][username]
        self._write(data)


def stored(path: Path) -> dict[str, dict[str, str]]:
    """Everything in the keyring file at ``path`` ({} when there is none yet)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    assert isinstance(data, dict)
    return data
