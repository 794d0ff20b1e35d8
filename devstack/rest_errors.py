"""PostgREST's error answers: which status each PostgreSQL error gets, and connection errors.

The status table follows PostgREST's `mapSQLtoHTTP` (src/library/PostgREST/Error.hs): clients
branch on these statuses (supabase-py retries GET/HEAD on 503 only; joblens tells "try again"
from "refused" by them), so a wrong status hides a client bug.
"""

from __future__ import annotations

import json

import asyncpg
from aiohttp import web

from .grammar import PgrstError

#: Exact SQLSTATEs, before the class prefixes below.
EXACT = {
    "23503": 409,  # foreign_key_violation
    "23505": 409,  # unique_violation
    "25006": 405,  # read_only_sql_transaction (a write in a GET)
    "53400": 500,  # configuration_limit_exceeded
    "57P01": 503,  # terminating connection due to administrator command
    "P0001": 400,  # a plain RAISE
    "42P01": 404,  # undefined_table
    "42P17": 500,  # infinite recursion (e.g. in a policy)
}

#: Two-character SQLSTATE classes.
CLASSES = {
    "08": 503,  # connection exception
    "09": 500,  # triggered action exception
    "0L": 403,  # invalid grantor
    "0P": 403,  # invalid role specification
    "25": 500,  # invalid transaction state
    "28": 403,  # invalid authorization specification
    "2D": 500,  # invalid transaction termination
    "38": 500,  # external routine exception
    "39": 500,  # external routine invocation
    "3B": 500,  # savepoint exception
    "40": 500,  # transaction rollback: serialization_failure (40001), deadlock (40P01)
    "53": 503,  # insufficient resources
    "54": 500,  # program limit exceeded
    "55": 500,  # object not in prerequisite state
    "57": 500,  # operator intervention: statement timeout (57014), cancel
    "58": 500,  # system error
    "F0": 500,  # configuration file error
    "HV": 500,  # foreign data wrapper error
    "P0": 500,  # PL/pgSQL error
    "XX": 500,  # internal error
}


def sqlstate_status(code: str, message: str, authed: bool) -> int:
    """The HTTP status PostgREST answers for a PostgreSQL error."""
    if code in EXACT:
        return EXACT[code]
    if code == "21000":  # cardinality_violation: pg-safeupdate's refusal is the client's fault
        return 400 if message.endswith("requires a WHERE clause") else 500
    if code == "22023":  # a JWT role that does not exist is an auth problem
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if code == "42883":
        return 406 if message.startswith("function xmlagg(") else 404
    if code == "42501":
        return 403 if authed else 401
    if code.startswith("PT") and code[2:].isdigit():
        return int(code[2:])
    return CLASSES.get(code[:2], 400)


def pg_error(exc: asyncpg.PostgresError, role: str) -> PgrstError:
    """Map a PostgreSQL error to PostgREST's status and body."""
    code = exc.sqlstate or "XX000"
    message = str(getattr(exc, "message", None) or exc)
    status = sqlstate_status(code, message, authed=role != "anon")
    detail = getattr(exc, "detail", None)
    hint = getattr(exc, "hint", None)
    return PgrstError(status, code, message, detail, hint)


def unreachable_error(details: str) -> PgrstError:
    """No database connection could be had: PostgREST's ConnectionUsageError."""
    return PgrstError(503, "PGRST000", "Database connection error.", details or None)


def client_error(details: str) -> PgrstError:
    """The connection broke during the request: PostgREST's ClientError."""
    return PgrstError(
        503, "PGRST001", "Database client error. Retrying the connection.", details or None
    )


def error_response(err: PgrstError, headers: dict[str, str] | None = None) -> web.Response:
    """A PostgREST JSON error."""
    # PostgREST names the error in Proxy-Status too (the client reads it for bodiless HEAD).
    out = {"Proxy-Status": f"PostgREST; error={err.code}", **(headers or {})}
    if err.code.startswith("PGRST3"):  # a refused JWT says why, as RFC 6750 asks
        out["WWW-Authenticate"] = (
            f'Bearer error="invalid_token", error_description={json.dumps(err.message)}'
        )
    elif err.status == 401:
        out["WWW-Authenticate"] = "Bearer"
    return web.json_response(err.body(), status=err.status, headers=out)
