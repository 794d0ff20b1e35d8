"""PostgREST under /rest/v1: the grammar supabase-py sends, as one transaction per request."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from aiohttp import web

from .catalog import Table, ident
from .grammar import (
    Condition,
    EmbedItem,
    Logic,
    PgrstError,
    parse_logic,
    parse_operation,
    parse_order,
    parse_select,
)
from .rpc import JSON_TYPE, RESERVED, call_rpc, read_json
from .sqlbuild import (
    Params,
    SelectBuilder,
    inner_filters,
    logic_sql,
    missing_column,
    order_sql,
)
from .state import Stack, run_as
from .tokens import TokenError

MAX_ROWS = 1000
OBJECT_TYPE = "application/vnd.pgrst.object+json"

STATUS_BY_SQLSTATE = {
    "23505": 409,
    "23503": 409,
    "23502": 400,
    "23514": 400,
    "22P02": 400,
    "42703": 400,
    "42P01": 404,
    "42883": 404,
    "42P17": 500,
    "25006": 405,
    "21000": 400,
    "P0001": 400,
    "40001": 409,
    "42804": 400,
    "22023": 400,
    "22007": 400,
    "22008": 400,
    "57014": 500,
}


def error_response(err: PgrstError) -> web.Response:
    """A PostgREST JSON error."""
    # PostgREST names the error in Proxy-Status too (the client reads it for bodiless HEAD).
    headers = {"Proxy-Status": f"PostgREST; error={err.code}"}
    return web.json_response(err.body(), status=err.status, headers=headers)


def pg_error(exc: asyncpg.PostgresError, role: str) -> PgrstError:
    """Map a PostgreSQL error to PostgREST's status and body."""
    code = exc.sqlstate or "XX000"
    if code == "42501":
        status = 401 if role == "anon" else 403
    elif code in STATUS_BY_SQLSTATE:
        status = STATUS_BY_SQLSTATE[code]
    elif code.startswith(("22", "23")):
        status = 400
    else:
        status = 500 if code.startswith(("XX", "53", "58")) else 400
    detail = getattr(exc, "detail", None)
    hint = getattr(exc, "hint", None)
    return PgrstError(status, code, str(getattr(exc, "message", None) or exc), detail, hint)


def request_claims(stack: Stack, request: web.Request) -> dict[str, Any]:
    """Check the apikey and the bearer token; return the JWT claims to run as."""
    apikey = request.headers.get("apikey") or request.query.get("apikey")
    if apikey not in (stack.anon_key, stack.service_role_key):
        raise web.HTTPUnauthorized(
            text=json.dumps(
                {
                    "message": "Invalid API key",
                    "hint": "Double check your Supabase `anon` or `service_role` API key.",
                }
            ),
            content_type="application/json",
        )
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else apikey
    try:
        return stack.verifier.claims(token)
    except TokenError as exc:
        if exc.expired_for is not None:
            raise PgrstError(401, "PGRST303", "JWT expired") from exc
        raise PgrstError(401, "PGRST301", str(exc)) from exc


def _prefer(request: web.Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for header in request.headers.getall("Prefer", []):
        for part in header.split(","):
            key, _, value = part.strip().partition("=")
            if key:
                out[key] = value
    return out


def _filters(
    request: web.Request,
) -> tuple[list[Condition | Logic], dict[str, list[Condition | Logic]]]:
    """Root filters, and filters on embedded resources keyed by their path."""
    root: list[Condition | Logic] = []
    embedded: dict[str, list[Condition | Logic]] = {}
    for key, value in request.query.items():
        if key in RESERVED or key.endswith((".order", ".limit", ".offset")):
            continue
        path, _, last = key.rpartition(".")
        if last in ("or", "and"):  # `[path.][not.]or=(...)`
            negate = path == "not" or path.endswith(".not")
            if negate:
                path = path.removesuffix("not").rstrip(".")
            node: Condition | Logic = parse_logic(("not." if negate else "") + last, value)
        else:
            node = parse_operation(last, value)
        (embedded.setdefault(path, []) if path else root).append(node)
    return root, embedded


def _range(request: web.Request) -> tuple[int, int | None]:
    offset = 0
    limit: int | None = None
    rng = request.headers.get("Range")
    if rng and request.method in ("GET", "HEAD"):
        first, _, last = rng.partition("-")
        if first.strip().isdigit():
            offset = int(first)
            if last.strip().isdigit():
                limit = int(last) - offset + 1
    if "offset" in request.query:
        offset = _int_param(request, "offset")
    if "limit" in request.query:
        limit = _int_param(request, "limit")
    return offset, limit


def _int_param(request: web.Request, name: str) -> int:
    raw = request.query[name]
    try:
        value = int(raw)
    except ValueError:
        raise PgrstError(400, "PGRST100", f'"failed to parse {name} ({raw})"') from None
    return value


def _content_range(offset: int, n: int, total: int | None) -> str:
    tail = "*" if total is None else str(total)
    return f"{offset}-{offset + n - 1}/{tail}" if n else f"*/{tail}"


class RestApi:
    """The /rest/v1 handlers."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Entry point for every /rest/v1 request."""
        faults = self.stack.rest_faults
        if faults.hangs > 0:
            faults.hangs -= 1
            await asyncio.sleep(faults.hang_seconds)
        if faults.errors > 0:
            faults.errors -= 1
            return web.json_response(
                {
                    "code": "PGRST001",
                    "details": None,
                    "hint": None,
                    "message": "Database client error. Retrying the connection.",
                },
                status=503,
            )
        role = "anon"
        try:
            claims = request_claims(self.stack, request)
            role = str(claims.get("role") or "anon")
            profile = (
                request.headers.get("Accept-Profile")
                or request.headers.get("Content-Profile")
                or "public"
            )
            if profile != "public":
                raise PgrstError(406, "PGRST106", "The schema must be one of the following: public")
            name = request.match_info["name"]
            if request.match_info.get("rpc"):
                return await call_rpc(self.stack, request, claims, name)
            table = await self.stack.table(name)
            if table is None:
                raise PgrstError(
                    404, "PGRST205", f"Could not find the table 'public.{name}' in the schema cache"
                )
            return await self.table_request(request, claims, table)
        except PgrstError as err:
            return error_response(err)
        except asyncpg.PostgresError as exc:
            return error_response(pg_error(exc, role))

    async def table_request(
        self, request: web.Request, claims: dict[str, Any], table: Table
    ) -> web.StreamResponse:
        """GET/HEAD/POST/PATCH/DELETE on a table."""
        method = request.method
        prefer = _prefer(request)
        params = Params()
        items = parse_select(request.query.get("select", "*"))
        root, embedded = _filters(request)
        builder = SelectBuilder(self.stack.cat, params, embedded)
        where = [logic_sql(node, table, "t0", params) for node in root]
        for item in inner_filters(items):
            where.append(self._inner(builder, table, item))
        singular = request.headers.get("Accept", "").startswith(OBJECT_TYPE)
        count_exact = prefer.get("count") in ("exact", "planned", "estimated")
        offset, limit = _range(request)
        total: int | None = None
        where_sql = " AND ".join(where) or "TRUE"
        returning = prefer.get("return", "minimal")
        prefix = ""
        if method in ("GET", "HEAD"):
            cols = builder.columns(table, "t0", items)
            order = request.query.get("order")
            order_by = f" ORDER BY {order_sql(parse_order(order), table, 't0')}" if order else ""
            cap = MAX_ROWS if limit is None else max(0, min(limit, MAX_ROWS))
            sql = (
                f"SELECT {cols} FROM {table.qualified} AS t0 WHERE {where_sql}{order_by} "
                f"LIMIT {cap} OFFSET {max(0, offset)}"
            )
            count_sql = (
                f"SELECT count(*) FROM {table.qualified} AS t0 WHERE {where_sql}"
                if count_exact
                else None
            )
        else:
            offset = 0
            # Returning no columns, so the SELECT policies are not applied (as PostgREST).
            minimal = returning != "representation" and not singular
            mutation = await self._mutation(
                request, table, prefer, params, where_sql, method, "1" if minimal else "t0.*"
            )
            cols = builder.columns(table, "t0", items)
            if minimal:
                cols = "1 AS one"
            # A data-modifying WITH must be at the top level, as PostgREST writes it.
            prefix = f"WITH pgrst_source AS ({mutation}) "
            sql = f"SELECT {cols} FROM pgrst_source AS t0"
            count_sql = None
        wrapped = (
            f"{prefix}SELECT coalesce(json_agg(_r), '[]')::text AS body, count(*) AS n "
            f"FROM ({sql}) AS _r"
        )
        async with self.stack.pool.acquire() as conn, conn.transaction():
            await run_as(conn, claims, method, request.path)
            row = await conn.fetchrow(wrapped, *params.values)
            if count_sql is not None:
                total = int(await conn.fetchval(count_sql, *params.values))
            body, n = str(row["body"]), int(row["n"])
            if singular and n != 1:
                # PostgREST rolls a mutation back when a singular answer is impossible.
                raise PgrstError(
                    406,
                    "PGRST116",
                    "JSON object requested, multiple (or no) rows returned",
                    f"The result contains {n} rows",
                )
        headers = {"Content-Range": _content_range(offset, n, total)}
        if method in ("GET", "HEAD"):
            status = 200
            if total is not None and n and (offset > 0 or offset + n < total):
                status = 206
        elif method == "POST":
            status = 201
        else:
            status = 200
        if method != "GET" and method != "HEAD" and returning != "representation":
            return web.Response(status=201 if method == "POST" else 204, headers=headers)
        if singular:
            body = body[1:-1]
        content_type = (OBJECT_TYPE + "; charset=utf-8") if singular else JSON_TYPE
        headers["Content-Type"] = content_type
        if method == "HEAD":
            return web.Response(status=status, headers=headers)
        return web.Response(status=status, body=body.encode(), headers=headers)

    def _inner(self, builder: SelectBuilder, table: Table, item: EmbedItem) -> str:
        expr = builder.embed(table, "t0", item, "")
        return f"({expr}) IS NOT NULL AND ({expr})::text NOT IN ('[]', 'null')"

    async def _mutation(
        self,
        request: web.Request,
        table: Table,
        prefer: dict[str, str],
        params: Params,
        where_sql: str,
        method: str,
        returning: str,
    ) -> str:
        """The INSERT/UPDATE/DELETE statement, `RETURNING {returning}` ("t0.*" or "1")."""
        if method == "DELETE":
            if where_sql == "TRUE":
                raise PgrstError(400, "21000", "DELETE requires a WHERE clause")
            return f"DELETE FROM {table.qualified} AS t0 WHERE {where_sql} RETURNING {returning}"
        body = await read_json(request)
        if method == "PATCH":
            if not isinstance(body, dict):
                raise PgrstError(400, "PGRST102", "Empty or invalid json")
            if where_sql == "TRUE":
                raise PgrstError(400, "21000", "UPDATE requires a WHERE clause")
            cols = self._body_columns(table, [body], request)
            if not cols:
                # Nothing to set: a no-op that still references the filter's parameters.
                return (
                    f"SELECT {returning} FROM {table.qualified} AS t0 WHERE {where_sql} AND FALSE"
                )
            names = ", ".join(ident(c) for c in cols)
            picks = ", ".join(f"_j.{ident(c)}" for c in cols)
            return (
                f"UPDATE {table.qualified} AS t0 SET ({names}) = ROW({picks}) "
                f"FROM json_populate_record(NULL::{table.qualified}, "
                f"{params.add(json.dumps(body))}::json) AS _j "
                f"WHERE {where_sql} RETURNING {returning}"
            )
        if method != "POST":
            raise PgrstError(405, "PGRST117", f"Unsupported HTTP method: {method}")
        rows = body if isinstance(body, list) else [body]
        if not all(isinstance(r, dict) for r in rows):
            raise PgrstError(400, "PGRST102", "Empty or invalid json")
        cols = self._body_columns(table, rows, request)
        names = ", ".join(ident(c) for c in cols)
        picks = ", ".join(self._pick(table, c, prefer, params) for c in cols)
        source = (
            f"SELECT {picks} FROM jsonb_array_elements({params.add(json.dumps(rows))}::jsonb)"
            f" AS _e(rec) CROSS JOIN LATERAL jsonb_populate_record(NULL::{table.qualified},"
            " _e.rec) AS _j"
        )
        if not cols:
            insert = f"INSERT INTO {table.qualified} AS t0 DEFAULT VALUES"
        else:
            insert = f"INSERT INTO {table.qualified} AS t0 ({names}) {source}"
        resolution = prefer.get("resolution")
        if resolution in ("merge-duplicates", "ignore-duplicates"):
            conflict = request.query.get("on_conflict")
            targets = [c.strip() for c in conflict.split(",")] if conflict else table.primary_key
            for c in targets:
                if c not in table.columns:
                    raise missing_column(table, c)
            target_sql = ", ".join(ident(c) for c in targets)
            if resolution == "ignore-duplicates" or not cols:
                insert += f" ON CONFLICT ({target_sql}) DO NOTHING"
            else:
                sets = ", ".join(f"{ident(c)} = EXCLUDED.{ident(c)}" for c in cols)
                insert += f" ON CONFLICT ({target_sql}) DO UPDATE SET {sets}"
        return f"{insert} RETURNING {returning}"

    @staticmethod
    def _pick(table: Table, column: str, prefer: dict[str, str], params: Params) -> str:
        """A row's value for a column; with missing=default an absent key takes the default."""
        value = f"_j.{ident(column)}"
        default = table.columns[column].default
        if prefer.get("missing") != "default" or default is None:
            return value
        return f"CASE WHEN _e.rec ? {params.add(column)}::text THEN {value} ELSE {default} END"

    @staticmethod
    def _body_columns(table: Table, rows: list[dict[str, Any]], request: web.Request) -> list[str]:
        wanted = request.query.get("columns")
        if wanted:
            cols = [c.strip().strip('"') for c in wanted.split(",") if c.strip()]
        else:
            cols = []
            for r in rows:
                cols.extend(k for k in r if k not in cols)
        for c in cols:
            if c not in table.columns:
                raise PgrstError(
                    400,
                    "PGRST204",
                    f"Could not find the '{c}' column of '{table.name}' in the schema cache",
                )
        return cols
