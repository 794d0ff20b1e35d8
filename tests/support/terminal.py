"""A program under a pseudo-terminal: keys in, every byte out, and what the screen shows.

The bytes are cut into the tokens a terminal would act on (CSI, OSC, DCS/SOS/PM/APC strings,
other ESC sequences, C0 and C1 controls, text), so a test can name the KINDS of sequences a
run wrote and compare them with another run's. A small screen model (cursor moves, erases
and text, which is all Textual draws with) lets a test wait for what is on screen instead of
sleeping.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.cells import get_character_cell_size

_TOKEN = re.compile(
    r"(?P<csi>\x1b\[(?P<params>[\x30-\x3f]*)(?P<inter>[\x20-\x2f]*)(?P<final>[\x40-\x7e]))"
    r"|(?P<osc>\x1b\](?P<osc_body>[^\x07\x1b]*)(?:\x07|\x1b\\))"
    r"|(?P<string>\x1b(?P<string_kind>[PX^_]).*?\x1b\\)"
    r"|(?P<esc>\x1b[\x20-\x2f]*[\x30-\x7e])"
    r"|(?P<c0>[\x00-\x1f\x7f])"
    r"|(?P<c1>[\x80-\x9f\udc80-\udcff])"
    r"|(?P<text>[^\x00-\x1f\x7f-\x9f\udc80-\udcff]+)",
    re.DOTALL,
)
_STRING_NAMES = {"P": "DCS", "X": "SOS", "^": "PM", "_": "APC"}
_OPENERS_WITH_BODY = "[]PX^_"

KEYS = {"escape": "\x1b", "enter": "\r", "ctrl+p": "\x10", "ctrl+c": "\x03"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "SGR", "CSI ?h", "OSC 52", "DCS", "ESC =", "C0 07", "C1 9b", "text"
    raw: str

    @property
    def is_escape(self) -> bool:
        return self.kind != "text"


def _kind(match: re.Match[str]) -> str:
    group = match.lastgroup
    if group == "csi":
        params, inter, final = match.group("params", "inter", "final")
        prefix = "".join(c for c in params[:1] if c in "<=>?")
        if final == "m" and not prefix and not inter:
            return "SGR"
        return f"CSI {prefix}{inter}{final}"
    if group == "osc":
        return f"OSC {match.group('osc_body').split(';', 1)[0]}"
    if group == "string":
        return _STRING_NAMES[match.group("string_kind")]
    if group == "esc":
        return f"ESC {match.group(0)[1:]}"
    if group in ("c0", "c1"):
        return f"{group.upper()} {ord(match.group(0)) & 0xFF:02x}"
    return "text"


def tokenize(data: str, *, final: bool = True) -> tuple[list[Token], str]:
    """The tokens of ``data`` and what is left of it (an unfinished sequence, unless
    ``final``: then an unfinished sequence's ESC is a token of its own)."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(data):
        match = _TOKEN.match(data, pos)
        unfinished = match is None or (
            match.lastgroup == "esc" and data[pos + 1 : pos + 2] in _OPENERS_WITH_BODY
        )
        if unfinished:
            if not final:
                break
            tokens.append(Token("C0 1b", "\x1b"))
            pos += 1
            continue
        assert match is not None
        tokens.append(Token(_kind(match), match.group(0)))
        pos = match.end()
    return tokens, data[pos:]


class Screen:
    """What a terminal shows: enough of VT100 for Textual's drawing (CUP, ED, EL, text)."""

    def __init__(self, columns: int, rows: int) -> None:
        self.columns, self.rows = columns, rows
        self.cells = [[" "] * columns for _ in range(rows)]
        self.x = self.y = 0

    def apply(self, token: Token) -> None:
        if token.kind == "text":
            for char in token.raw:
                width = get_character_cell_size(char)
                if width and self.x < self.columns and self.y < self.rows:
                    self.cells[self.y][self.x] = char
                    if width == 2 and self.x + 1 < self.columns:
                        self.cells[self.y][self.x + 1] = ""
                self.x += width
        elif token.kind in ("CSI H", "CSI f"):
            numbers = [int(n) if n.isdigit() else 1 for n in token.raw[2:-1].split(";")]
            row, column = [*numbers, 1, 1][:2]
            self.y, self.x = min(max(row, 1), self.rows) - 1, min(max(column, 1), self.columns) - 1
        elif token.kind == "CSI J" and token.raw[2:-1] in ("2", "3"):
            self.cells = [[" "] * self.columns for _ in range(self.rows)]
        elif token.kind == "CSI K" and self.y < self.rows:
            self.cells[self.y][self.x :] = [" "] * (self.columns - min(self.x, self.columns))
        elif token.kind == "C0 0d":
            self.x = 0
        elif token.kind == "C0 0a":
            self.y = min(self.y + 1, self.rows - 1)

    def text(self) -> str:
        return "\n".join("".join(row) for row in self.cells)


class PtyProgram:
    """``argv`` running with a pseudo-terminal as its stdin, stdout and stderr."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        cwd: Path,
        size: tuple[int, int] = (120, 40),
    ) -> None:
        columns, rows = size
        # The terminal's size is the pseudo-terminal's: COLUMNS and LINES would override it
        # (shutil.get_terminal_size, which Textual asks, reads them first), and pytest-xdist's
        # workers have COLUMNS=80 and LINES=24.
        env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self.screen = Screen(columns, rows)
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._pending = ""
        self.closed = False

    def pump(self, timeout: float) -> None:
        """Read what the program wrote in the next ``timeout`` seconds (at least one read)."""
        if self.closed:
            time.sleep(min(timeout, 0.05))
            return
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every copy of the terminal's other end is closed
            data = b""
        if not data:
            self.closed = True
            return
        self.output += data
        tokens, self._pending = tokenize(self._pending + self._decoder.decode(data), final=False)
        for token in tokens:
            self.screen.apply(token)

    def wait_for(self, check: str | Callable[[str], bool], timeout: float = 30.0) -> None:
        """Read until the screen shows ``check`` (a text, or a test of the screen's text)."""
        test = (lambda screen: check in screen) if isinstance(check, str) else check
        deadline = time.monotonic() + timeout
        while not test(self.screen.text()):
            if time.monotonic() > deadline or (self.closed and self.proc.poll() is not None):
                raise AssertionError(f"screen never showed {check!r}:\n{self.screen.text()}")
            self.pump(0.05)

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, KEYS.get(key, key).encode())

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Read until the program exits; its exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None or not self.closed:
            if time.monotonic() > deadline:
                raise AssertionError(f"the program did not exit:\n{self.screen.text()}")
            self.pump(0.05)
        return self.proc.returncode

    def close(self) -> None:
        """Stop the program if it still runs (by its own process group), free the terminal."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        with contextlib.suppress(OSError):
            os.close(self.master)

    def tokens(self) -> list[Token]:
        """Every token of everything written, from the first byte."""
        text = self.output.decode("utf-8", "surrogateescape")
        return tokenize(text)[0]


def escapes(tokens: Sequence[Token]) -> Iterator[Token]:
    return (t for t in tokens if t.is_escape)
