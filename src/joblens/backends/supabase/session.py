"""One Supabase session shared safely by every joblens process that uses it.

GoTrue rotates refresh tokens: each refresh spends the token it is given and hands out a new
one. Using a spent token again is taken for theft unless it is the parent of the active token
or within the reuse interval of the last refresh; otherwise the server ends the whole session
(``refresh_token_already_used``, docs/SUPABASE.md "Sessions and refresh tokens"). Two joblens
processes started with one session, or one started later with a token the other has since
spent, would trip that. So a session lives in one store (:class:`SessionStore`) shared by
the processes that use it, and :class:`SessionKeeper` refreshes only:

- under a lock held across processes (a lock file beside the session file);
- after re-reading the stored session: when another process has already refreshed, its
  tokens are taken and no request is sent;
- with the newest refresh token known, whose rotated successor is stored at once, before
  anything else uses it.

A session from ``joblens login`` is kept per profile and project (:func:`profile_store`): in
the OS keyring when one is usable (:class:`KeyringStore`), else in an owner-only file in the
user's config directory; its lock file is in the user's state directory either way. A session
given in the environment (``JOBLENS_ACCESS_TOKEN`` with ``JOBLENS_REFRESH_TOKEN``) is kept in a
file named after a hash of the project and that refresh token, in the user's state directory,
owner-only: every process started with the same variables shares the chain of tokens that grew
from them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from filelock import AsyncFileLock
from filelock import Timeout as LockTimeout
from platformdirs import user_config_path, user_state_path

from joblens.backends.supabase.config import jwt_claims
from joblens.errors import AuthError, BackendUnavailable, ConfigError
from joblens.private_files import write_private

log = logging.getLogger(__name__)

#: Refresh this long before the access token expires (at most half its lifetime).
REFRESH_MARGIN = 60.0
#: How long to wait for another process's refresh before giving up.
LOCK_TIMEOUT = 30.0
#: How often a waiting process looks at the lock again (a refresh takes about 0.1 s).
LOCK_POLL = 0.01


@dataclass(frozen=True)
class Session:
    """An access token (a JWT) and the refresh token that renews it."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)

    @property
    def expires_at(self) -> float | None:
        """The access token's ``exp`` (epoch seconds), or None when it does not say."""
        return _number(_claims(self.access_token).get("exp"))

    @property
    def issued_at(self) -> float | None:
        return _number(_claims(self.access_token).get("iat"))

    def refresh_due(self, now: float, margin: float = REFRESH_MARGIN) -> float | None:
        """When this session should be refreshed (epoch seconds), or None if never."""
        expires = self.expires_at
        if expires is None:
            return None
        issued = self.issued_at
        lifetime = expires - issued if issued is not None and issued < expires else 2 * margin
        return expires - min(margin, lifetime / 2)

    def needs_refresh(self, now: float, margin: float = REFRESH_MARGIN) -> bool:
        due = self.refresh_due(now, margin)
        return due is not None and now >= due


def _claims(token: str) -> dict[str, object]:
    try:
        return jwt_claims(token)
    except ConfigError:
        return {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


if TYPE_CHECKING:
    from keyring.backend import KeyringBackend


class SessionStore(Protocol):
    """Where one session is kept, with the lock every process refreshing it takes."""

    lock: AsyncFileLock

    def load(self) -> Session | None: ...

    def save(self, session: Session) -> None: ...

    def delete(self) -> None: ...

    def describe(self) -> str: ...


def _session_of(text: str) -> Session | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    access, refresh = data.get("access_token"), data.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        return None
    return Session(access, refresh)


def _text_of(session: Session) -> str:
    return json.dumps(
        {"access_token": session.access_token, "refresh_token": session.refresh_token}
    )


class SessionFile:
    """A session stored as JSON in a file only its owner can read, with a lock file beside it.

    Written whole to a temporary file and renamed over the old one, so a reader never sees
    half a session.
    """

    def __init__(self, path: Path, lock_path: Path | None = None) -> None:
        self.path = path
        lock = lock_path if lock_path is not None else Path(str(path) + ".lock")
        self.lock = AsyncFileLock(str(lock), timeout=LOCK_TIMEOUT)

    def __repr__(self) -> str:
        return f"SessionFile({str(self.path)!r})"

    def describe(self) -> str:
        return str(self.path)

    def load(self) -> Session | None:
        """The stored session, or None when there is none (or it is unreadable)."""
        try:
            return _session_of(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return None

    def save(self, session: Session) -> None:
        """Store ``session`` (owner-only permissions from the first byte)."""
        write_private(self.path, _text_of(session))

    def delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


KEYRING_SERVICE = "joblens"


class KeyringStore:
    """A session kept in the OS keyring (macOS Keychain, Windows Credential Locker, Secret
    Service), under the service ``joblens``; its lock file is on disk."""

    def __init__(self, backend: KeyringBackend, account: str, lock_path: Path) -> None:
        self.backend = backend
        self.account = account
        self.lock = AsyncFileLock(str(lock_path), timeout=LOCK_TIMEOUT)

    def __repr__(self) -> str:
        return f"KeyringStore({self.describe()!r}, {self.account!r})"

    def describe(self) -> str:
        return f"the system keyring ({self.backend.name})"

    def load(self) -> Session | None:
        from keyring.errors import KeyringError

        try:
            text = self.backend.get_password(KEYRING_SERVICE, self.account)
        except KeyringError:
            return None
        return None if text is None else _session_of(text)

    def save(self, session: Session) -> None:
        from keyring.errors import KeyringError

        try:
            self.backend.set_password(KEYRING_SERVICE, self.account, _text_of(session))
        except KeyringError as error:
            raise OSError(f"the keyring refused it ({error})") from None

    def delete(self) -> None:
        from keyring.errors import KeyringError

        with contextlib.suppress(KeyringError):
            self.backend.delete_password(KEYRING_SERVICE, self.account)


def usable_keyring() -> KeyringBackend | None:
    """The OS keyring when one works here, else None (then sessions go to a file).

    ``keyring`` picks the backend (``PYTHON_KEYRING_BACKEND`` chooses one; its null backend
    keeps sessions out of any keyring). Without a desktop session (SSH, containers, CI) there
    is usually none.
    """
    try:
        import keyring
        from keyring.backends import fail
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - a dependency
        return None
    try:
        backend = keyring.get_keyring()
        usable = not isinstance(backend, fail.Keyring) and float(backend.priority) > 0
    except (KeyringError, RuntimeError, ValueError):
        return None
    return backend if usable else None


def profile_store(profile: str, url: str) -> SessionStore:
    """Where ``joblens login`` keeps the session of ``profile`` for the project at ``url``."""
    account = f"{profile} {url}"
    digest = hashlib.sha256(account.encode()).hexdigest()[:16]
    lock = user_state_path("joblens") / "sessions" / f"login-{digest}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    backend = usable_keyring()
    if backend is not None:
        return KeyringStore(backend, account, lock)
    return SessionFile(user_config_path("joblens") / "sessions" / f"{profile}-{digest}.json", lock)


def env_session_file(url: str, refresh_token: str, state_dir: Path | None = None) -> SessionFile:
    """Where a session given in the environment is kept: one file per project and first token."""
    digest = hashlib.sha256(f"{url}\n{refresh_token}".encode()).hexdigest()[:24]
    base = state_dir if state_dir is not None else user_state_path("joblens")
    return SessionFile(base / "sessions" / f"env-{digest}.json")


#: Sends a refresh token to the auth server; returns the new session (raises on refusal).
Refresh = Callable[[str], Awaitable[Session]]
#: Installs a session another process refreshed (no refresh request).
Adopt = Callable[[Session], Awaitable[None]]


class SessionKeeper:
    """Keeps one process's session fresh without ever spending a refresh token twice."""

    def __init__(
        self,
        store: SessionStore,
        initial: Session,
        *,
        margin: float = REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.margin = margin
        self._clock = clock
        self._lock = asyncio.Lock()
        stored = store.load()
        # The stored chain is newer than the session we were started with, if there is one.
        self.session = stored if stored is not None else initial
        if stored is None:
            self._save(initial)

    def _save(self, session: Session) -> None:
        try:
            self.store.save(session)
        except OSError as error:
            raise ConfigError(
                f"cannot store the session in {self.store.describe()}: {error.strerror or error}"
            ) from None

    def due_in(self) -> float | None:
        """Seconds until the session should be refreshed (0 when due), None if never."""
        due = self.session.refresh_due(self._clock(), self.margin)
        return None if due is None else max(0.0, due - self._clock())

    async def current(self, refresh: Refresh) -> Session:
        """The session, refreshed first if it is due."""
        if self.session.needs_refresh(self._clock(), self.margin):
            return await self.refresh(refresh, stale=self.session.access_token)
        return self.session

    async def refresh(self, refresh: Refresh, *, stale: str | None = None) -> Session:
        """A fresh session: another process's if it has refreshed already, else a new one.

        ``stale`` is the access token the caller found refused or due; when the session has
        moved on since, it is returned without asking anyone.
        """
        async with self._lock:
            if stale is not None and self.session.access_token != stale:
                return self.session
            lock = self.store.lock
            try:
                await lock.acquire(poll_interval=LOCK_POLL)
            except LockTimeout:
                raise BackendUnavailable(
                    f"another joblens process has held the session lock "
                    f"({lock.lock_file}) for {lock.timeout:.0f} s: try again"
                ) from None
            try:
                return await self._refresh_locked(refresh)
            finally:
                await lock.release()

    async def _refresh_locked(self, refresh: Refresh) -> Session:
        stored = self.store.load()
        now = self._clock()
        if (
            stored is not None
            and stored.refresh_token != self.session.refresh_token
            and not stored.needs_refresh(now, self.margin)
        ):
            log.info("session refreshed by another process; taking its tokens")
            self.session = stored
            return stored
        token = (stored or self.session).refresh_token
        try:
            fresh = await refresh(token)
        except AuthError:
            # Spent or revoked: no process can use this session again.
            self.store.delete()
            raise
        self._save(fresh)
        self.session = fresh
        return fresh
