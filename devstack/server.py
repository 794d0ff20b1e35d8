"""`serve`: set the database up, then answer REST, auth, realtime and fault requests."""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiohttp import web

from . import database
from .auth import AuthApi
from .auth_flows import AuthFlows
from .faults import FaultApi
from .options import Options
from .realtime_hub import RealtimeHub
from .rest import RestApi
from .state import Stack
from .tokens import Verifier, project_key

#: What Kong's cors plugin (hosted Supabase's gateway, default settings) allows.
CORS_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT"
#: What PostgREST lets a browser read from its answers (its CORS policy's exposed headers).
REST_EXPOSED = (
    "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server,"
    " Transfer-Encoding, Range-Unit"
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Hosted projects answer in UTC; timestamps in JSON must look the same.
    await conn.execute("set timezone = 'UTC'")


@web.middleware
async def cors_preflight(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Answer every OPTIONS as the gateway does (it never reaches the services): 200, any
    origin, its methods, and whatever headers the browser asks to send."""
    if request.method != "OPTIONS":
        return await handler(request)
    headers = {"Access-Control-Allow-Methods": CORS_METHODS}
    asked = request.headers.get("Access-Control-Request-Headers")
    if asked:
        headers["Access-Control-Allow-Headers"] = asked
    return web.Response(status=200, headers=headers)


async def _cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer may be read by any origin; PostgREST's also expose its range headers."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.path.startswith("/rest/") and request.headers.get("Origin"):
        response.headers["Access-Control-Expose-Headers"] = REST_EXPOSED


def build_app(stack: Stack, hub: RealtimeHub) -> web.Application:
    """The aiohttp application with every route of the stack."""
    rest = RestApi(stack)
    auth = AuthApi(stack)
    app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[cors_preflight])
    app.on_response_prepare.append(_cors_headers)
    FaultApi(stack, hub).install(app)
    for method in ("GET", "HEAD", "POST", "PATCH", "DELETE", "PUT"):
        app.router.add_route(method, "/rest/v1/{name}", rest.handle)
    app.router.add_route("POST", r"/rest/v1/{rpc:rpc}/{name}", rest.handle)
    app.router.add_route("GET", r"/rest/v1/{rpc:rpc}/{name}", rest.handle)
    AuthFlows(stack, auth).install(app)  # /token (every grant), /authorize, /otp, ...
    app.router.add_get("/auth/v1/user", auth.user)
    app.router.add_post("/auth/v1/logout", auth.logout)
    app.router.add_get("/realtime/v1/websocket", hub.websocket)
    return app


def _free_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def _keys(conn: asyncpg.Connection, jwt_secret: str | None) -> tuple[str, int]:
    """The JWT secret and key issue time: given, else the database's own (made once)."""
    await conn.execute(
        "insert into devstack.settings values ('jwt_secret', $1), ('keys_issued_at', $2)"
        " on conflict do nothing",
        # Hex, never base64url: a secret starting with '-' reads as an option on a command line.
        secrets.token_hex(32),
        str(int(time.time())),
    )
    rows = dict(await conn.fetch("select key, value from devstack.settings"))
    return jwt_secret or rows["jwt_secret"], int(rows["keys_issued_at"])


async def serve(
    database_url: str,
    port: int,
    jwt_secret: str | None,
    schemas: list[str],
    options: dict[str, Any] | None = None,
) -> int:
    """Run the stack until SIGTERM or SIGINT."""
    start_options = Options().updated(options or {})  # a bad --option fails before anything
    for spec in schemas:
        database.schema_files(spec)  # a wrong --schema fails before anything is created
    await database.create_database_if_missing(database_url)
    conn = await asyncpg.connect(database_url)
    try:
        await database.install(conn, schemas)
        secret, issued_at = await _keys(conn, jwt_secret)
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=10, init=_init_connection)
    anon = project_key(secret, "anon", issued_at)
    service = project_key(secret, "service_role", issued_at)
    stack = Stack(
        pool,
        Verifier(secret, frozenset({anon, service})),
        secret,
        anon,
        service,
        database_url,
        options=start_options,
        start_options=start_options,
    )
    await stack.reload()
    hub = RealtimeHub(stack)
    await hub.feed.start()
    app = build_app(stack, hub)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    sock = _free_socket(port)
    site = web.SockSite(runner, sock)
    await site.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    print(
        json.dumps(
            {
                "url": url,
                "anon_key": anon,
                "service_role_key": service,
                "jwt_secret": secret,
                "database_url": database_url,
            }
        ),
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for c in list(hub.connections):
        await c.ws.close(code=1001)
    await hub.feed.stop()
    await runner.cleanup()
    await pool.close()
    sys.stdout.flush()
    return 0
