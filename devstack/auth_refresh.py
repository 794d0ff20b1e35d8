"""GoTrue's refresh-token grant: rotation, the allowed reuses, and reuse detection.

As supabase/auth's `RefreshTokenGrant` (internal/tokens/service.go) decides:

- each refresh revokes the token used and issues a child of it (rotation);
- the parent of the session's active token may be used again at any time: a client that lost
  the answer to its refresh gets the active token back, not a new one;
- any revoked token used within the reuse interval (`REFRESH_TOKEN_REUSE_INTERVAL`, 10 s
  hosted; the `refresh_token_reuse_interval` option) of the session's last refresh also gets
  the active token (concurrent refreshes, e.g. two tabs);
- any other reuse is taken for a stolen token: the session is ended (its refresh tokens go
  with it) and the answer is 400 `refresh_token_already_used`. That is what GoTrue does with
  its current (v2) refresh tokens; with v1 tokens it revokes the session's tokens and keeps
  the session row. Either way the session can never be refreshed again.

Refreshes of one session are serialised by locking the session's row, as GoTrue does.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

import asyncpg

ALPHABET = string.ascii_lowercase + string.digits


def new_refresh_token() -> str:
    """A v1 refresh token: 12 lower-case letters and digits (GoTrue's SecureAlphanumeric)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(12))


def well_formed(token: str) -> bool:
    """Whether GoTrue's parameter check passes (v1 shape; no v2 tokens are issued here)."""
    return len(token) == 12 and all(c in ALPHABET for c in token)


@dataclass
class Granted:
    """A refresh that succeeded: the session, and the refresh token to hand out."""

    user_id: Any
    session_id: Any
    refresh_token: str


class Refused(Exception):
    """A refresh GoTrue refuses: status, error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


NOT_FOUND = ("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
NO_SESSION = ("session_not_found", "Invalid Refresh Token: No Valid Session Found")
ALREADY_USED = ("refresh_token_already_used", "Invalid Refresh Token: Already Used")
MALFORMED = ("validation_failed", "Refresh token is not valid")

TOKEN_SQL = (
    "select id, token, user_id, revoked, session_id, parent"
    " from auth.refresh_tokens where token = $1"
)
ACTIVE_SQL = (
    "select token, parent, extract(epoch from clock_timestamp() - created_at)::float8 as age"
    " from auth.refresh_tokens where session_id = $1 and not revoked order by id desc limit 1"
)


async def refresh(conn: asyncpg.Connection, token: str, reuse_interval: float) -> Granted:
    """Use a refresh token; raise Refused as GoTrue answers."""
    if not well_formed(token):
        raise Refused(400, *MALFORMED)
    ended = False
    async with conn.transaction():
        row = await conn.fetchrow(TOKEN_SQL, token)
        if row is None:
            raise Refused(400, *NOT_FOUND)
        session = await conn.fetchrow(
            "select id from auth.sessions where id = $1 for update", row["session_id"]
        )
        if session is None:
            raise Refused(400, *NO_SESSION)
        row = await conn.fetchrow(TOKEN_SQL, token)  # again, now that the session is ours
        if row is None:
            raise Refused(400, *NOT_FOUND)
        if row["revoked"]:
            active = await conn.fetchrow(ACTIVE_SQL, row["session_id"])
            if active is not None and (active["parent"] == token or active["age"] < reuse_interval):
                return Granted(row["user_id"], row["session_id"], active["token"])
            # Reuse detected: end the session, and say so once that is committed.
            await conn.execute("delete from auth.sessions where id = $1", row["session_id"])
            ended = True
        else:
            await conn.execute(
                "update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1",
                row["id"],
            )
            child = new_refresh_token()
            await conn.execute(
                "insert into auth.refresh_tokens (token, user_id, session_id, parent)"
                " values ($1, $2, $3, $4)",
                child,
                row["user_id"],
                row["session_id"],
                token,
            )
            await conn.execute(
                "update auth.sessions set updated_at = now() where id = $1", row["session_id"]
            )
    if ended:
        raise Refused(400, *ALREADY_USED)
    return Granted(row["user_id"], row["session_id"], child)
