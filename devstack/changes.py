"""Committed changes of published tables, matched to subscribers' filters and RLS.

What a subscriber receives is what hosted realtime (walrus' ``apply_rls``) sends: ``record``
the new row; ``old_record`` the old row's replica identity (every column for REPLICA IDENTITY
FULL, the primary key by default), cut to the key for a DELETE under RLS only; both limited
to the columns the subscriber may select (and its binding's ``select``, key kept). A change
whose new row and old identity together exceed 1 MiB (the WAL record's size, as walrus
measures it) keeps only the values of at most 64 bytes in both, with "Error 413".
"""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg

from .catalog import Table, ident
from .grammar import Condition, PgrstError, parse_operation, split_top
from .sqlbuild import Params, condition_sql
from .state import Stack, run_as

if TYPE_CHECKING:
    from .realtime import Channel

log = logging.getLogger(__name__)

MAX_RECORD = 1024 * 1024
TOO_LARGE = "Error 413: Payload Too Large"
BATCH = 500


@dataclass
class Binding:
    """One postgres_changes binding of a joined channel."""

    raw: dict[str, Any]
    id: int
    event: str
    schema: str
    table: str | None
    conditions: list[Condition] = field(default_factory=list)
    columns: set[str] | None = None  # selectable by the subscriber (None: all)

    def wants(self, schema: str, table: str, kind: str) -> bool:
        """Whether a change of this table and kind concerns the binding."""
        return (
            self.schema == schema and self.table in (None, "*", table) and self.event in ("*", kind)
        )


def binding_id(raw: dict[str, Any]) -> int:
    """A stable non-zero id for a binding (the real server hashes it too)."""
    key = json.dumps(
        {k: raw.get(k) for k in ("event", "schema", "table", "filter")}, sort_keys=True
    )
    return (zlib.crc32(key.encode()) & 0x7FFFFFF) or 1


def parse_filter(text: str) -> list[Condition]:
    """`col=op.value[,col=op.value...]` as realtime accepts it."""
    out = []
    for part in split_top(text):
        column, eq, rest = part.partition("=")
        if not eq or not column:
            raise PgrstError(400, "filter", f"invalid filter {text!r}")
        out.append(parse_operation(column.strip(), rest))
    return out


@dataclass
class Change:
    """One captured row change."""

    seq: int
    schema: str
    table: str
    kind: str
    record: dict[str, Any] | None
    old_record: dict[str, Any] | None
    commit_timestamp: str


class ChangeFeed:
    """LISTENs for captured changes and hands each to the channels that may see it."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.channels: set[Channel] = set()
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._reloads: set[asyncio.Task[None]] = set()
        # (schema, table) -> the old row's columns an UPDATE/DELETE carries (None: all)
        self._identities: dict[tuple[str, str], list[str] | None] = {}

    async def start(self) -> None:
        """Open the LISTEN connection and the dispatch task."""
        self._conn = await asyncpg.connect(self.stack.database_url)
        await self._conn.add_listener("devstack_changes", self._notified)
        await self._conn.add_listener("pgrst", self._reload_requested)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop dispatching."""
        if self._task:
            self._task.cancel()
        if self._conn:
            await self._conn.close()

    def _reload_requested(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        # PostgREST's NOTIFY pgrst: 'reload schema' (sent by DDL), 'reload config' (e.g. after
        # ALTER ROLE ... SET statement_timeout, which fires no event trigger), or both ('').
        if payload in ("", "reload schema", "reload config"):
            self._identities.clear()  # e.g. ALTER TABLE ... REPLICA IDENTITY
            task = asyncio.create_task(self._after_ddl())
            self._reloads.add(task)
            task.add_done_callback(self._reloads.discard)

    async def _after_ddl(self) -> None:
        """A DDL statement ran: capture newly published tables, reload the schema cache."""
        try:
            async with self.stack.pool.acquire() as conn:
                await conn.execute("select devstack.install_capture()")
            await self.stack.reload()
        except Exception:  # e.g. the database is being dropped at teardown
            log.debug("reloading after DDL failed", exc_info=True)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._queue.put_nowait(int(payload))

    async def _run(self) -> None:
        while True:
            seqs = [await self._queue.get()]
            while not self._queue.empty() and len(seqs) < BATCH:
                seqs.append(self._queue.get_nowait())
            try:
                await self._dispatch(seqs)
            except Exception:  # the feed must survive one bad batch
                log.exception("dispatching changes failed")

    async def _dispatch(self, seqs: list[int]) -> None:
        async with self.stack.pool.acquire() as conn:
            rows = await conn.fetch(
                "delete from devstack.changes where seq = any($1::bigint[]) returning seq,"
                " schema_name, table_name, type, record::text, old_record::text,"
                " to_char(commit_timestamp at time zone 'utc',"
                ' \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\') as ts',
                seqs,
            )
        by_seq = {r["seq"]: r for r in rows}
        # NOTIFY arrives in commit order; sequence numbers were taken before commit.
        changes = [
            Change(
                r["seq"],
                r["schema_name"],
                r["table_name"],
                r["type"],
                json.loads(r["record"]) if r["record"] else None,
                json.loads(r["old_record"]) if r["old_record"] else None,
                r["ts"],
            )
            for s in seqs
            if (r := by_seq.get(s)) is not None
        ]
        if not changes or not self.channels:
            return
        identities = {
            key: await self._identity(*key) for key in {(c.schema, c.table) for c in changes}
        }
        deliveries: dict[Channel, dict[int, list[int]]] = {}
        for channel in list(self.channels):
            for binding in channel.bindings:
                matching = [c for c in changes if binding.wants(c.schema, c.table, c.kind)]
                if not matching:
                    continue
                for index in await self._visible(channel, binding, matching):
                    ids = deliveries.setdefault(channel, {}).setdefault(matching[index].seq, [])
                    ids.append(binding.id)
        for channel, per_change in deliveries.items():
            bindings = {b.id: b for b in channel.bindings}
            for change in changes:
                matched = per_change.get(change.seq)
                if matched:
                    columns = bindings[matched[0]].columns
                    identity = identities.get((change.schema, change.table))
                    await channel.deliver(matched, self._payload(change, columns, identity))

    async def _identity(self, schema: str, table: str) -> list[str] | None:
        """The old row's columns the WAL holds for this table: None for REPLICA IDENTITY FULL,
        else the primary key's (DEFAULT) or the replica index's (USING INDEX); [] for NOTHING.
        Read when a change is delivered, cached until the next DDL."""
        key = (schema, table)
        if key not in self._identities:
            async with self.stack.pool.acquire() as conn:
                row = await conn.fetchrow(IDENTITY_SQL, schema, table)
            if row is None or row["kind"] == "f":
                self._identities[key] = None
            else:
                self._identities[key] = list(row["cols"])
        return self._identities[key]

    async def _visible(
        self, channel: Channel, binding: Binding, changes: list[Change]
    ) -> list[int]:
        """Indexes of the changes the binding's filter matches and its RLS lets through."""
        by_table: dict[str, list[int]] = {}
        for i, c in enumerate(changes):
            by_table.setdefault(c.table, []).append(i)
        visible: list[int] = []
        for table_name, indexes in by_table.items():
            table = await self.stack.table(table_name)
            if table is None:
                continue
            records = [
                changes[i].record if changes[i].kind != "DELETE" else changes[i].old_record
                for i in indexes
            ]
            deletes = [changes[i].kind == "DELETE" for i in indexes]
            try:
                found = await self._check(channel, binding, table, records, deletes)
            except asyncpg.PostgresError:
                found = []  # e.g. no SELECT privilege: the subscriber sees nothing
            visible.extend(indexes[n - 1] for n in found)
        return sorted(visible)

    async def _check(
        self,
        channel: Channel,
        binding: Binding,
        table: Table,
        records: list[Any],
        deletes: list[bool],
    ) -> list[int]:
        params = Params()
        recs = params.add(json.dumps(records))
        dels = params.add(deletes)
        where = [condition_sql(c, table, "t0", params) for c in binding.conditions]
        pk = table.primary_key or list(table.columns)
        same = " AND ".join(f"x.{ident(c)} = t0.{ident(c)}" for c in pk)
        where.append(
            f"(({dels}::bool[])[e.ord] OR EXISTS (SELECT 1 FROM {table.qualified}"
            f" AS x WHERE {same}))"
        )
        sql = (
            f"SELECT e.ord FROM jsonb_array_elements({recs}::jsonb) WITH ORDINALITY"
            f" AS e(rec, ord) CROSS JOIN LATERAL jsonb_populate_record("
            f"NULL::{table.qualified}, e.rec) AS t0 WHERE {' AND '.join(where)}"
        )
        async with self.stack.pool.acquire() as conn, conn.transaction():
            await run_as(conn, channel.claims, "GET", "realtime")
            return [int(r["ord"]) for r in await conn.fetch(sql, *params.values)]

    def _payload(
        self, change: Change, columns: set[str] | None, identity: list[str] | None
    ) -> dict[str, Any]:
        table = self.stack.cat.table(change.schema, change.table)
        cols = [
            {"name": c.name, "type": c.type_name}
            for c in (table.columns.values() if table else [])
            if columns is None or c.name in columns
        ]
        data: dict[str, Any] = {
            "schema": change.schema,
            "table": change.table,
            "commit_timestamp": change.commit_timestamp,
            "type": change.kind,
            "columns": cols,
            "errors": None,
        }
        record = change.record or {}
        old: dict[str, Any] = {}
        if change.kind != "INSERT":
            full = change.old_record or {}
            old = full if identity is None else {k: full[k] for k in identity if k in full}
        # walrus measures the whole WAL record: the new row and the old identity together.
        too_large = len(json.dumps(record)) + (len(json.dumps(old)) if old else 0) > MAX_RECORD
        if change.kind != "DELETE":
            data["record"] = _fit(_only(record, columns), too_large)
        if change.kind != "INSERT":
            if change.kind == "DELETE" and table is not None and table.rls and table.primary_key:
                old = {k: old[k] for k in table.primary_key if k in old}  # deletes can't be RLS'd
            data["old_record"] = _fit(_only(old, columns), too_large)
        if too_large:
            data["errors"] = [TOO_LARGE]
        return data


IDENTITY_SQL = """
select c.relreplident::text as kind,
       array(select a.attname::text from pg_index i
             join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
             where i.indrelid = c.oid
               and ((c.relreplident = 'd' and i.indisprimary)
                    or (c.relreplident = 'i' and i.indisreplident))
             order by a.attnum) as cols
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1 and c.relname = $2
"""


def _only(record: dict[str, Any], columns: set[str] | None) -> dict[str, Any]:
    return record if columns is None else {k: v for k, v in record.items() if k in columns}


def _fit(record: dict[str, Any], too_large: bool) -> dict[str, Any]:
    """Like the real server: in a change over 1 MiB, only the values of at most 64 bytes."""
    if not too_large:
        return record
    return {k: v for k, v in record.items() if len(json.dumps(v)) <= 64}
