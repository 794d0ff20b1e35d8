"""The schema cache: tables, columns, keys and relationships PostgREST would know about."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg


@dataclass
class Column:
    """One column: its SQL type (for casts) and its short type name (for realtime)."""

    name: str
    sql_type: str
    type_name: str
    default: str | None = None  # the DEFAULT expression, for `Prefer: missing=default`


@dataclass
class ForeignKey:
    """A foreign key from `table`(`columns`) to `ref_table`(`ref_columns`)."""

    name: str
    table: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]


@dataclass
class Table:
    """A table or view of the exposed schema."""

    schema: str
    name: str
    columns: dict[str, Column]
    primary_key: list[str]
    rls: bool = False

    @property
    def qualified(self) -> str:
        """The quoted schema-qualified name."""
        return f"{ident(self.schema)}.{ident(self.name)}"


@dataclass
class Function:
    """A function callable through /rpc."""

    schema: str
    name: str
    arg_names: list[str]
    arg_types: list[str]
    returns_set: bool
    returns_composite: bool
    returns_void: bool


@dataclass
class Catalog:
    """Everything the REST layer and the realtime layer look up."""

    tables: dict[tuple[str, str], Table] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    functions: dict[tuple[str, str], Function] = field(default_factory=dict)

    def table(self, schema: str, name: str) -> Table | None:
        """A table by schema and name."""
        return self.tables.get((schema, name))


def ident(name: str) -> str:
    """Quote an identifier for SQL."""
    return '"' + name.replace('"', '""') + '"'


TABLES_SQL = """
select n.nspname as schema, c.relname as name, c.relrowsecurity as rls,
       a.attname as col, format_type(a.atttypid, a.atttypmod) as sql_type,
       t.typname as type_name,
       case when a.attidentity = 'd' then format('nextval(%L)',
              pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname))
            else pg_get_expr(d.adbin, d.adrelid) end as default_sql
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_type t on t.oid = a.atttypid
left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
where c.relkind in ('r', 'v', 'm', 'p', 'f') and n.nspname = any($1::text[])
order by n.nspname, c.relname, a.attnum
"""

PKEYS_SQL = """
select n.nspname as schema, c.relname as name,
       array_agg(a.attname order by array_position(i.indkey::int2[], a.attnum)) as cols
from pg_index i
join pg_class c on c.oid = i.indrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum = any(i.indkey)
where i.indisprimary and n.nspname = any($1::text[])
group by n.nspname, c.relname
"""

FKEYS_SQL = """
select con.conname as name, c.relname as tbl, rc.relname as ref_tbl,
       array(select a.attname from unnest(con.conkey) with ordinality k(n, o)
             join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.o)
         as cols,
       array(select a.attname from unnest(con.confkey) with ordinality k(n, o)
             join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.o)
         as ref_cols
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_class rc on rc.oid = con.confrelid
join pg_namespace rn on rn.oid = rc.relnamespace
where con.contype = 'f' and n.nspname = $1 and rn.nspname = $1
"""

FUNCS_SQL = """
select n.nspname as schema, p.proname as name,
       coalesce(p.proargnames[1:p.pronargs], array[]::text[]) as arg_names,
       array(select format_type(t, null) from unnest(p.proargtypes) t) as arg_types,
       p.proretset as returns_set,
       rt.typtype = 'c' or rt.oid = 'record'::regtype as returns_composite,
       rt.oid = 'void'::regtype as returns_void
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type rt on rt.oid = p.prorettype
where n.nspname = $1 and p.prokind = 'f'
"""


async def load(conn: asyncpg.Connection, schema: str = "public") -> Catalog:
    """Read the schema cache for the exposed schema (and the realtime-visible ones)."""
    cat = Catalog()
    schemas = [schema]
    for row in await conn.fetch(TABLES_SQL, schemas):
        key = (row["schema"], row["name"])
        table = cat.tables.get(key)
        if table is None:
            table = Table(row["schema"], row["name"], {}, [], bool(row["rls"]))
            cat.tables[key] = table
        table.columns[row["col"]] = Column(
            row["col"], row["sql_type"], row["type_name"], row["default_sql"]
        )
    for row in await conn.fetch(PKEYS_SQL, schemas):
        if (t := cat.tables.get((row["schema"], row["name"]))) is not None:
            t.primary_key = list(row["cols"])
    for row in await conn.fetch(FKEYS_SQL, schema):
        cat.foreign_keys.append(
            ForeignKey(
                row["name"], row["tbl"], list(row["cols"]), row["ref_tbl"], list(row["ref_cols"])
            )
        )
    for row in await conn.fetch(FUNCS_SQL, schema):
        cat.functions[(row["schema"], row["name"])] = Function(
            row["schema"],
            row["name"],
            list(row["arg_names"]),
            list(row["arg_types"]),
            bool(row["returns_set"]),
            bool(row["returns_composite"]),
            bool(row["returns_void"]),
        )
    return cat
