"""The loopback page an OAuth sign-in comes back to: ``http://127.0.0.1:<port>/callback``.

The browser is sent there with ``?code=…`` (or ``?error=…&error_description=…``) once the
provider and the project's auth server have approved. A tiny HTTP/1.1 responder on asyncio
streams is enough: one GET, one small page, then it closes. Everything in the query is the
auth server's (or anyone's) text: it is parsed, never shown raw.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

CALLBACK_PATH = "/callback"
_BARE_CODE = re.compile(r"[0-9A-Fa-f]{8}(-?[0-9A-Fa-f]{4}){3}-?[0-9A-Fa-f]{12}")
_PAGE = (
    "<!doctype html><meta charset=utf-8><title>joblens</title>"
    "<body style='font-family:sans-serif;margin:3em'><h2>{title}</h2><p>{text}</p></body>"
)


@dataclass(frozen=True)
class Callback:
    """What the auth server sent back: a code, or an error and its description."""

    code: str | None = None
    error: str | None = None
    description: str | None = None


def callback_from_url(text: str) -> Callback | None:
    """A callback from a pasted address (``…/callback?code=…``) or a bare code; None if neither."""
    text = text.strip()
    if not text:
        return None
    if _BARE_CODE.fullmatch(text):
        return Callback(code=text)  # the code alone (GoTrue's codes are uuids)
    parts = urlsplit(text)
    query = parse_qs(parts.query) or parse_qs(parts.fragment)
    if not query and "=" in text and "://" not in text:
        query = parse_qs(text.lstrip("?"))

    def first(name: str) -> str | None:
        values = query.get(name)
        return values[0] if values else None

    code, error = first("code"), first("error")
    if code is None and error is None:
        return None
    return Callback(code=code, error=error, description=first("error_description"))


class LoopbackServer:
    """Listens on 127.0.0.1 until the browser brings the callback back."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.result: asyncio.Future[Callback] | None = None
        self._server: asyncio.Server | None = None

    @property
    def redirect_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"

    async def __aenter__(self) -> LoopbackServer:
        self.result = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                request = await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        line = request.split(b"\r\n", 1)[0].decode("latin-1")
        method, _, rest = line.partition(" ")
        target = rest.rsplit(" ", 1)[0]
        callback = None
        if method == "GET" and urlsplit(target).path == CALLBACK_PATH:
            callback = callback_from_url("http://127.0.0.1" + target)
        if callback is None:
            status, title, text = "404 Not Found", "Not found", "This is joblens's sign-in page."
        elif callback.code:
            status, title = "200 OK", "Signed in"
            text = "joblens has what it needs. You can close this tab and return to the terminal."
        else:
            status, title = "200 OK", "Sign-in failed"
            text = "The sign-in did not complete. The terminal says why."
        body = _PAGE.format(title=title, text=text).encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()
        if callback is not None and self.result is not None and not self.result.done():
            self.result.set_result(callback)
