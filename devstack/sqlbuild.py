"""Turning parsed PostgREST requests into one parameterised SQL statement."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .catalog import Catalog, ForeignKey, Table, ident
from .grammar import (
    ColumnItem,
    Condition,
    EmbedItem,
    Logic,
    OrderTerm,
    PgrstError,
    SelectItem,
    parse_error,
    parse_list,
    unquote,
)

CAST_TYPES = {
    "text",
    "int",
    "integer",
    "bigint",
    "int4",
    "int8",
    "numeric",
    "float",
    "float8",
    "real",
    "double precision",
    "boolean",
    "bool",
    "json",
    "jsonb",
    "uuid",
    "date",
    "timestamptz",
    "timestamp",
    "varchar",
    "smallint",
}


@dataclass
class Params:
    """Positional SQL parameters, all passed as text (PostgreSQL casts them)."""

    values: list[object] = field(default_factory=list)

    def add(self, value: object) -> str:
        """Append a value; return its placeholder."""
        self.values.append(value)
        return f"${len(self.values)}"


def missing_column(table: Table, column: str) -> PgrstError:
    """PostgREST's answer for a column that does not exist."""
    return PgrstError(400, "42703", f"column {table.name}.{column} does not exist")


def _column(table: Table, name: str) -> str:
    if name not in table.columns:
        raise missing_column(table, name)
    return name


JSON_ARROW = re.compile(r"(->>|->)")


def column_ref(table: Table, alias: str, name: str) -> tuple[str, str, str]:
    """SQL, type and output name of `column` or a JSON path `column->a->>b`."""
    parts = JSON_ARROW.split(name)
    base = _column(table, parts[0])
    sql = f"{alias}.{ident(base)}"
    sql_type = table.columns[base].sql_type
    key = base
    for arrow, step in zip(parts[1::2], parts[2::2], strict=True):
        if not step:
            raise parse_error("json path", name)
        literal = step if step.lstrip("-").isdigit() else "'" + step.replace("'", "''") + "'"
        sql = f"{sql}{arrow}{literal}"
        sql_type = "text" if arrow == "->>" else "jsonb"
        key = step
    return sql, sql_type, key


SIMPLE_OPS = {
    "eq": "=",
    "neq": "<>",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "cs": "@>",
    "cd": "<@",
    "ov": "&&",
    "sl": "<<",
    "sr": ">>",
    "nxl": "&<",
    "nxr": "&>",
    "adj": "-|-",
    "match": "~",
    "imatch": "~*",
}


def condition_sql(cond: Condition, table: Table, alias: str, params: Params) -> str:
    """SQL for one filter condition on `alias` (a table of type `table`)."""
    ref, sql_type, _ = column_ref(table, alias, cond.column)
    value = unquote(cond.value)
    op = cond.op
    if op in ("eq", "neq", "gt", "gte", "lt", "lte", "cs", "cd", "sl", "sr", "nxl", "nxr", "adj"):
        if op in ("cs", "cd") and value.startswith("(") and sql_type.endswith("]"):
            value = "{" + value[1:-1] + "}"
        sql = f"{ref} {SIMPLE_OPS[op]} ({params.add(value)}::text)::{sql_type}"
    elif op == "ov":
        if value.startswith("("):
            value = "{" + value[1:-1] + "}"
        sql = f"{ref} && ({params.add(value)}::text)::{sql_type}"
    elif op in ("match", "imatch"):
        # No cast of the column: like PostgREST, `~` on a uuid or enum column is an error.
        sql = f"{ref} {SIMPLE_OPS[op]} {params.add(value)}::text"
    elif op in ("like", "ilike"):
        pattern = value.replace("*", "%")
        sql = f"{ref} {op.upper()} {params.add(pattern)}::text"
    elif op == "is":
        word = value.lower()
        if word == "null":
            sql = f"{ref} IS NULL"
        elif word == "not_null":
            sql = f"{ref} IS NOT NULL"
        elif word in ("true", "false", "unknown"):
            sql = f"{ref} IS {word.upper()}"
        else:
            raise parse_error("filter", f"is.{value}")
    elif op == "isdistinct":
        sql = f"{ref} IS DISTINCT FROM ({params.add(value)}::text)::{sql_type}"
    elif op == "in":
        items = parse_list(cond.value)
        sql = f"{ref} = ANY(({params.add(items)}::text[])::{sql_type}[])"
    else:  # pragma: no cover - parse_operation rejects others
        raise parse_error("filter", op)
    return f"NOT ({sql})" if cond.negate else sql


def logic_sql(node: Condition | Logic, table: Table, alias: str, params: Params) -> str:
    """SQL for a condition or a nested and/or tree."""
    if isinstance(node, Condition):
        return condition_sql(node, table, alias, params)
    joiner = " AND " if node.op == "and" else " OR "
    parts = [logic_sql(item, table, alias, params) for item in node.items] or ["TRUE"]
    sql = "(" + joiner.join(parts) + ")"
    return f"NOT {sql}" if node.negate else sql


@dataclass
class Relation:
    """How an embedded table joins its parent: many-to-one gives an object, else an array."""

    fk: ForeignKey
    target: Table
    to_one: bool

    def join_sql(self, parent_alias: str, alias: str) -> str:
        """The correlation condition between parent and embedded rows."""
        if self.to_one:
            pairs = zip(self.fk.ref_columns, self.fk.columns, strict=True)
        else:
            pairs = zip(self.fk.columns, self.fk.ref_columns, strict=True)
        return " AND ".join(f"{alias}.{ident(a)} = {parent_alias}.{ident(b)}" for a, b in pairs)


def resolve_relation(cat: Catalog, table: Table, embed: EmbedItem) -> Relation:
    """Find the one foreign key an embed means, as PostgREST does (or its errors)."""
    rel, hint = embed.relation, embed.hint
    candidates: list[Relation] = []
    for fk in cat.foreign_keys:
        names_fk = rel == fk.name
        names_col = len(fk.columns) == 1 and rel == fk.columns[0]
        if fk.table == table.name and (fk.ref_table == rel or names_fk or names_col):
            target = cat.table(table.schema, fk.ref_table)
            if target is not None:
                candidates.append(Relation(fk, target, True))
        if fk.ref_table == table.name and (fk.table == rel or names_fk):
            target = cat.table(table.schema, fk.table)
            if target is not None and not (names_fk and fk.table == table.name):
                candidates.append(Relation(fk, target, False))
    if hint is not None:
        candidates = [
            c
            for c in candidates
            if hint == c.fk.name
            or hint in c.fk.columns
            or (hint in c.fk.ref_columns and c.to_one is False)
        ]
    if len(candidates) > 1:
        to_one = [c for c in candidates if c.to_one]
        if len(to_one) == 1 and all(c.fk.table == c.fk.ref_table for c in candidates):
            candidates = to_one  # a self-reference named by its column reads as many-to-one
    if not candidates:
        raise PgrstError(
            400,
            "PGRST200",
            f"Could not find a relationship between '{table.name}' and '{rel}' in the schema cache",
            f"Searched for a foreign key relationship between '{table.name}' and '{rel}'"
            + (f" using the hint '{hint}'" if hint else "")
            + " in the schema 'public', but no "
            "matches were found.",
            None,
        )
    if len(candidates) > 1:
        raise PgrstError(
            300,
            "PGRST201",
            f"Could not embed because more than one relationship was found for "
            f"'{table.name}' and '{rel}'",
            [
                {
                    "cardinality": "many-to-one" if c.to_one else "one-to-many",
                    "embedding": f"{table.name} with {c.target.name}",
                    "relationship": f"{c.fk.name} using "
                    f"{c.fk.table}({', '.join(c.fk.columns)}) and "
                    f"{c.fk.ref_table}({', '.join(c.fk.ref_columns)})",
                }
                for c in candidates
            ],
            f"Try changing '{rel}' to one of the following: "
            + ", ".join(f"'{rel}!{c.fk.name}'" for c in candidates)
            + ". Find the desired relationship in the 'details' key.",
        )
    return candidates[0]


@dataclass
class SelectBuilder:
    """Builds the select list (with embeds) for one table alias."""

    cat: Catalog
    params: Params
    embed_filters: dict[str, list[Condition | Logic]]
    counter: int = 0

    def columns(self, table: Table, alias: str, items: list[SelectItem], path: str = "") -> str:
        """The select list for `items`, embeds as correlated sub-queries."""
        out: list[str] = []
        for item in items:
            if item == "*":
                out.extend(f"{alias}.{ident(c)}" for c in table.columns)
            elif isinstance(item, ColumnItem):
                expr, _, key = column_ref(table, alias, item.name)
                if item.cast:
                    if item.cast.lower() not in CAST_TYPES:
                        raise parse_error("select", item.cast)
                    expr = f"({expr})::{item.cast}"
                out.append(f"{expr} AS {ident(item.alias or key)}")
            elif isinstance(item, EmbedItem):
                out.append(f"{self.embed(table, alias, item, path)} AS {ident(item.key)}")
        return ", ".join(out)

    def embed(self, table: Table, alias: str, item: EmbedItem, path: str) -> str:
        """A correlated sub-query giving the embedded object or array."""
        rel = resolve_relation(self.cat, table, item)
        self.counter += 1
        sub = f"e{self.counter}"
        key = f"{path}{item.key}"
        cols = self.columns(rel.target, sub, item.items or ["*"], key + ".")
        where = [rel.join_sql(alias, sub)]
        where += [
            logic_sql(f, rel.target, sub, self.params) for f in self.embed_filters.get(key, [])
        ]
        inner = f"SELECT {cols} FROM {rel.target.qualified} AS {sub} WHERE {' AND '.join(where)}"
        if rel.to_one:
            return f"(SELECT row_to_json(_{sub}) FROM ({inner} LIMIT 1) AS _{sub})"
        return f"(SELECT coalesce(json_agg(_{sub}), '[]') FROM ({inner}) AS _{sub})"


def inner_filters(items: list[SelectItem]) -> list[EmbedItem]:
    """Embeds marked !inner (their parents must have a match)."""
    return [i for i in items if isinstance(i, EmbedItem) and i.inner]


def order_sql(terms: list[OrderTerm], table: Table, alias: str) -> str:
    """ORDER BY clause body."""
    out = []
    for term in terms:
        ref = column_ref(table, alias, term.column)[0]
        sql = f"{ref} {'DESC' if term.descending else 'ASC'}"
        if term.nulls:
            sql += f" NULLS {term.nulls.upper()}"
        out.append(sql)
    return ", ".join(out)
