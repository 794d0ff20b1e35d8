"""What a /rest/v1 request asks for: its JWT, Prefer, filters and range; and how a read's
range is answered (Content-Range, 200/206/416), as PostgREST does."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .grammar import Condition, Logic, PgrstError, parse_logic, parse_operation
from .rpc import RESERVED
from .state import Stack
from .tokens import TokenError


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
        # PostgREST allows clock skew past `exp` (30 s hosted; the `jwt_leeway` option).
        return stack.verifier.claims(token, leeway=stack.options.jwt_leeway)
    except TokenError as exc:
        if exc.expired_for is not None:
            raise PgrstError(401, "PGRST303", "JWT expired") from exc
        raise PgrstError(401, "PGRST301", str(exc)) from exc


def prefer(request: web.Request) -> dict[str, str]:
    """The Prefer header's settings."""
    out: dict[str, str] = {}
    for header in request.headers.getall("Prefer", []):
        for part in header.split(","):
            key, _, value = part.strip().partition("=")
            if key:
                out[key] = value
    return out


def filters(
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


def requested_range(request: web.Request) -> tuple[int, int | None]:
    """(offset, limit) from the Range header and the offset/limit parameters."""
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


def content_range(offset: int, n: int, total: int | None) -> str:
    """PostgREST's Content-Range: `first-last/total`, `*` for no rows or an unknown total."""
    tail = "*" if total is None else str(total)
    return f"{offset}-{offset + n - 1}/{tail}" if n and total != 0 else f"*/{tail}"


def read_status(offset: int, n: int, total: int | None) -> int:
    """A read's status (PostgREST's `rangeStatus`): without a count always 200; with one, 416
    for an offset past the end, 206 when the rows returned are not all there are."""
    if total is None:
        return 200
    if offset > total:
        raise PgrstError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            f"An offset of {offset} was requested, but there are only {total} rows.",
        )
    return 206 if n < total else 200
