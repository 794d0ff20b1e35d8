"""The PostgREST grammar parser, without a stack."""

from __future__ import annotations

import pytest
from devstack.grammar import (
    ColumnItem,
    Condition,
    EmbedItem,
    Logic,
    PgrstError,
    parse_list,
    parse_logic,
    parse_order,
    parse_select,
)


def test_select_with_aliases_hints_and_nested_embeds() -> None:
    items = parse_select(
        "id,state:status,worker:workers!provision_jobs_worker_id_fkey(name),"
        "plan:provision_jobs!plan_job_id(id,logs:job_logs!inner(id)),meta->>phase,n::text"
    )
    assert items[0] == ColumnItem("id")
    assert items[1] == ColumnItem("status", "state")
    assert items[2] == EmbedItem(
        "workers", "worker", "provision_jobs_worker_id_fkey", False, [ColumnItem("name")]
    )
    plan = items[3]
    assert isinstance(plan, EmbedItem) and plan.hint == "plan_job_id"
    assert plan.items[1] == EmbedItem("job_logs", "logs", None, True, [ColumnItem("id")])
    assert items[4] == ColumnItem("meta->>phase")
    assert items[5] == ColumnItem("n", None, "text")


def test_nested_logic_trees_with_quoted_values() -> None:
    tree = parse_logic(
        "or",
        "(created_at.gt.2026-01-01T00:00:00+00:00,"
        'and(created_at.eq.2026-01-01,id.gt.5),not.and(a.eq."x,y",b.is.null))',
    )
    assert tree.op == "or" and not tree.negate
    assert tree.items[0] == Condition("created_at", "gt", "2026-01-01T00:00:00+00:00")
    assert tree.items[1] == Logic(
        "and", [Condition("created_at", "eq", "2026-01-01"), Condition("id", "gt", "5")]
    )
    assert tree.items[2] == Logic(
        "and", [Condition("a", "eq", '"x,y"'), Condition("b", "is", "null")], negate=True
    )


def test_lists_and_order() -> None:
    assert parse_list('(QUEUED,"a,b",CLAIMED)') == ["QUEUED", "a,b", "CLAIMED"]
    terms = parse_order("created_at.desc.nullslast,id")
    assert [(t.column, t.descending, t.nulls) for t in terms] == [
        ("created_at", True, "last"),
        ("id", False, None),
    ]


@pytest.mark.parametrize("bad", ["a(b", "a,,b", "x:y(z"])
def test_malformed_selects_are_pgrst100(bad: str) -> None:
    with pytest.raises(PgrstError) as err:
        parse_select(bad)
    assert err.value.code == "PGRST100" and err.value.status == 400
