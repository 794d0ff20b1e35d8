"""PostgREST's /rpc/<function>: named JSON arguments, one transaction as the caller (read-only
for GET, under the role's settings)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .catalog import ident
from .grammar import PgrstError
from .sqlbuild import Params
from .state import Stack, run_as

RESERVED = {"select", "order", "limit", "offset", "columns", "on_conflict"}
JSON_TYPE = "application/json; charset=utf-8"


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or PostgREST's PGRST102."""
    try:
        return json.loads(await request.read() or b"null")
    except ValueError:
        raise PgrstError(400, "PGRST102", "Empty or invalid json") from None


async def call_rpc(
    stack: Stack, request: web.Request, claims: dict[str, Any], name: str
) -> web.Response:
    """POST (or GET) /rpc/<function>."""
    fn = stack.cat.functions.get(("public", name))
    if fn is None:
        await stack.reload()
        fn = stack.cat.functions.get(("public", name))
    if request.method == "POST":
        args = await read_json(request)
        if args is None:
            args = {}
    else:
        args = {k: v for k, v in request.query.items() if k not in RESERVED}
    if fn is None or not isinstance(args, dict) or not set(args) <= set(fn.arg_names):
        raise PgrstError(
            404,
            "PGRST202",
            f"Could not find the function public.{name}"
            f"({', '.join(sorted(args) if isinstance(args, dict) else [])})"
            " in the schema cache",
        )
    params = Params()
    # Only a call with arguments has the payload parameter (asyncpg refuses unused ones).
    payload = params.add(json.dumps(args)) if args else ""
    call_args = []
    for arg, typ in zip(fn.arg_names, fn.arg_types, strict=False):
        if arg not in args:
            continue
        if typ in ("json", "jsonb"):
            value = f"({payload}::json -> {params.add(arg)}::text)::{typ}"
        elif typ.endswith("[]"):
            value = (
                f"array(SELECT json_array_elements_text({payload}::json -> "
                f"{params.add(arg)}::text))::{typ}"
            )
        else:
            value = f"({payload}::json ->> {params.add(arg)}::text)::{typ}"
        call_args.append(f"{ident(arg)} => {value}")
    call = f"{ident(fn.schema)}.{ident(fn.name)}({', '.join(call_args)})"
    if fn.returns_set or fn.returns_composite:
        agg = "coalesce(json_agg(_r), '[]')" if fn.returns_set else "row_to_json(_r)"
        if fn.returns_set and not fn.returns_composite:
            agg = "coalesce(json_agg(_r.v), '[]')"
            sql = f"SELECT {agg}::text FROM {call} AS _r(v)"
        else:
            sql = f"SELECT {agg}::text FROM {call} AS _r"
    else:
        sql = f"SELECT to_json({call})::text"
    reading = request.method in ("GET", "HEAD")  # PostgREST calls a GET read-only
    role = str(claims.get("role") or "anon")
    async with stack.rest_connection() as conn, conn.transaction(readonly=reading):
        await run_as(conn, claims, request.method, request.path, stack.settings_for(role))
        body = await conn.fetchval(sql, *params.values)
    if fn.returns_void:
        return web.Response(status=204)
    return web.Response(
        status=200, body=(body or "null").encode(), headers={"Content-Type": JSON_TYPE}
    )
