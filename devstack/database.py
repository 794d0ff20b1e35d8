"""Creating the database, installing the Supabase-like base and applying schemas."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

SCHEMAS_DIR = Path(__file__).parent / "schemas"
REFERENCE_SCHEMAS = ("documented", "deployed")


class SchemaChanged(Exception):
    """A schema file differs from the one applied to the database being reused."""


def with_database(url: str, name: str) -> str:
    """The same server URL naming another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def database_name(url: str) -> str:
    """The database a URL names (PostgreSQL's default: the user name)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return name or (parts.username or "postgres")


async def create_database_if_missing(url: str) -> None:
    """CREATE DATABASE through the server's `postgres` database unless it exists."""
    name = database_name(url)
    conn = await asyncpg.connect(with_database(url, "postgres"))
    try:
        exists = await conn.fetchval("select 1 from pg_database where datname = $1", name)
        if not exists:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'create database "{name.replace(chr(34), chr(34) * 2)}"')
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    """DROP DATABASE ... WITH (FORCE), for test teardown."""
    name = database_name(url)
    conn = await asyncpg.connect(with_database(url, "postgres"))
    try:
        await conn.execute(
            f'drop database if exists "{name.replace(chr(34), chr(34) * 2)}" with (force)'
        )
    finally:
        await conn.close()


def schema_files(spec: str) -> list[Path]:
    """The SQL files a --schema argument names: a reference name, a file or a directory."""
    if spec in REFERENCE_SCHEMAS:
        return [SCHEMAS_DIR / f"{spec}.sql"]
    path = Path(spec)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix == ".sql" and p.is_file())
    if path.is_file():
        return [path]
    raise FileNotFoundError(f"no such schema: {spec} (use documented, deployed, a file or a dir)")


async def install(conn: asyncpg.Connection, specs: list[str]) -> None:
    """Install the base, apply each schema file once, and capture published tables."""
    name = str(await conn.fetchval("select current_database()")).replace('"', '""')
    await conn.execute(f'alter database "{name}" set search_path = "$user", public, extensions')
    await conn.execute("set search_path = public, extensions")
    await conn.execute((SCHEMAS_DIR / "base.sql").read_text())
    await conn.execute(
        "create table if not exists devstack.applied ("
        " file text primary key, sha256 text not null, applied_at timestamptz default now())"
    )
    for spec in specs:
        for path in schema_files(spec):
            sql = path.read_text()
            digest = hashlib.sha256(sql.encode()).hexdigest()
            key = path.name if path.parent == SCHEMAS_DIR else str(path.resolve())
            done = await conn.fetchval("select sha256 from devstack.applied where file = $1", key)
            if done == digest:
                continue  # reusing a database: migrations are applied once, like a project's
            if done is not None:
                raise SchemaChanged(
                    f"schema {key} changed after it was applied to database {name}:"
                    " serve a new database (or drop this one) to apply it"
                )
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "insert into devstack.applied (file, sha256) values ($1, $2)", key, digest
                )
    await conn.execute("select devstack.install_capture()")
