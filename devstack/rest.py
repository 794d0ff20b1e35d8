"""PostgREST under /rest/v1: the grammar supabase-py sends, as one transaction per request
(read-only for GET and HEAD, under the role's settings such as its statement timeout)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from aiohttp import web

from .catalog import Table, ident
from .grammar import EmbedItem, PgrstError, parse_order, parse_select
from .rest_errors import client_error, error_response, pg_error, unreachable_error
from .rest_http import (
    content_range,
    filters,
    prefer,
    read_status,
    request_claims,
    requested_range,
)
from .rpc import JSON_TYPE, call_rpc, read_json
from .sqlbuild import (
    Params,
    SelectBuilder,
    inner_filters,
    logic_sql,
    missing_column,
    order_sql,
)
from .state import DatabaseUnreachable, Stack, run_as

MAX_ROWS = 1000
OBJECT_TYPE = "application/vnd.pgrst.object+json"
#: The connection broke during the request, seen from the client (PostgREST's ClientError).
BROKEN = (asyncpg.ConnectionDoesNotExistError, ConnectionError)


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
            return error_response(err, err.headers)
        except BROKEN as exc:
            return error_response(client_error(str(exc)))
        except asyncpg.InterfaceError as exc:
            # A transaction cannot roll back on a connection that died under it: the death
            # is the error that counts.
            if not isinstance(exc.__context__, BROKEN):
                raise
            return error_response(client_error(str(exc.__context__)))
        except asyncpg.PostgresError as exc:
            return error_response(pg_error(exc, role))
        except DatabaseUnreachable as exc:
            return error_response(unreachable_error(str(exc)))

    async def table_request(
        self, request: web.Request, claims: dict[str, Any], table: Table
    ) -> web.StreamResponse:
        """GET/HEAD/POST/PATCH/DELETE on a table."""
        method = request.method
        prefs = prefer(request)
        params = Params()
        items = parse_select(request.query.get("select", "*"))
        root, embedded = filters(request)
        builder = SelectBuilder(self.stack.cat, params, embedded)
        where = [logic_sql(node, table, "t0", params) for node in root]
        for item in inner_filters(items):
            where.append(self._inner(builder, table, item))
        singular = request.headers.get("Accept", "").startswith(OBJECT_TYPE)
        count_exact = prefs.get("count") in ("exact", "planned", "estimated")
        offset, limit = requested_range(request)
        total: int | None = None
        where_sql = " AND ".join(where) or "TRUE"
        returning = prefs.get("return", "minimal")
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
                request, table, prefs, params, where_sql, method, "1" if minimal else "t0.*"
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
        reading = method in ("GET", "HEAD")
        role = str(claims.get("role") or "anon")
        async with self.stack.rest_connection() as conn, conn.transaction(readonly=reading):
            await run_as(conn, claims, method, request.path, self.stack.settings_for(role))
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
        headers = {"Content-Range": content_range(offset, n, total)}
        if reading:
            try:
                status = read_status(offset, n, total)
            except PgrstError as err:
                err.headers = headers
                raise
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
        prefs: dict[str, str],
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
        picks = ", ".join(self._pick(table, c, prefs, params) for c in cols)
        source = (
            f"SELECT {picks} FROM jsonb_array_elements({params.add(json.dumps(rows))}::jsonb)"
            f" AS _e(rec) CROSS JOIN LATERAL jsonb_populate_record(NULL::{table.qualified},"
            " _e.rec) AS _j"
        )
        if not cols:
            insert = f"INSERT INTO {table.qualified} AS t0 DEFAULT VALUES"
        else:
            insert = f"INSERT INTO {table.qualified} AS t0 ({names}) {source}"
        resolution = prefs.get("resolution")
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
    def _pick(table: Table, column: str, prefs: dict[str, str], params: Params) -> str:
        """A row's value for a column; with missing=default an absent key takes the default."""
        value = f"_j.{ident(column)}"
        default = table.columns[column].default
        if prefs.get("missing") != "default" or default is None:
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
