"""Applying schemas to a database that is reused: once each, and never silently stale."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from devstack import database


@pytest.fixture
async def database_url(pg_server: str) -> AsyncIterator[str]:
    # Named like every test database, so one left by a killed run is dropped by the next.
    name = f"joblens_t_{os.getpid()}_{secrets.token_hex(4)}"
    url = database.with_database(pg_server, name)
    await database.create_database_if_missing(url)
    try:
        yield url
    finally:
        await database.drop_database(url)


async def install(url: str, specs: list[str]) -> None:
    conn = await asyncpg.connect(url)
    try:
        await database.install(conn, specs)
    finally:
        await conn.close()


async def test_a_reused_database_applies_each_schema_once_and_refuses_a_changed_one(
    database_url: str, tmp_path: Path
) -> None:
    schema = tmp_path / "extra.sql"
    schema.write_text("create table public.extra (id int primary key);\n")
    await install(database_url, ["deployed", str(schema)])
    await install(database_url, ["deployed", str(schema)])  # reused as it is: nothing to do

    schema.write_text("create table public.extra (id int primary key, note text);\n")
    with pytest.raises(database.SchemaChanged, match=r"extra\.sql changed after it was applied"):
        await install(database_url, ["deployed", str(schema)])

    conn = await asyncpg.connect(database_url)
    try:
        columns = await conn.fetch(
            "select column_name from information_schema.columns where table_name = 'extra'"
        )
    finally:
        await conn.close()
    assert [c["column_name"] for c in columns] == ["id"]
