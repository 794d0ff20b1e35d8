"""REST through the unmodified supabase-py client: grammar, caps, errors and RLS."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from devstack.testing import StackInfo
from postgrest.exceptions import APIError

from supabase import acreate_client
from support.seeding import add_logs, create_job
from support.users import signed_in


async def test_select_embeds_the_named_worker_and_orders(stack: StackInfo) -> None:
    user = await signed_in(stack)
    cloud = await stack.asql(
        "insert into workers (name, mode, status) values ('cloud-a', 'cloud-hosted', 'ONLINE')"
        " returning id"
    )
    mine = await stack.asql(
        "insert into workers (name, mode, user_id) values ('mine', 'self-hosted', $1) returning id",
        uuid.UUID(user.id),
    )
    job = await create_job(
        stack, user.id, worker_id=cloud[0]["id"], assigned_worker_id=mine[0]["id"]
    )
    res = await (
        user.client.table("provision_jobs")
        .select(
            "id,status,worker:workers!provision_jobs_worker_id_fkey(name),"
            "assigned:workers!provision_jobs_assigned_worker_id_fkey(name,mode)"
        )
        .eq("id", job)
        .single()
        .execute()
    )
    assert res.data == {
        "id": job,
        "status": "QUEUED",
        "worker": {"name": "cloud-a"},
        "assigned": {"name": "mine", "mode": "self-hosted"},
    }
    await add_logs(stack, job, 5)
    logs = await (
        user.client.table(stack.logs_table)
        .select("log_chunk")
        .eq("job_id", job)
        .order("created_at", desc=True)
        .order("id")
        .limit(2)
        .execute()
    )
    assert [r["log_chunk"] for r in logs.data] == ["line 5", "line 4"]
    with pytest.raises(APIError) as err:
        await user.client.table("provision_jobs").select("id,workers(name)").execute()
    assert err.value.code == "PGRST201"
    assert len(err.value.details) == 2 and "provision_jobs_worker_id_fkey" in err.value.hint


async def test_filters_and_a_nested_logic_tree(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    await add_logs(stack, job, 10)
    rows = await stack.asql(
        "select id, created_at from job_logs where job_id = $1 order by id", uuid.UUID(job)
    )
    third = rows[2]
    ts = third["created_at"].isoformat()
    q = user.client.table("job_logs").select("id").eq("job_id", job)
    res = (
        await q.or_(f"created_at.gt.{ts},and(created_at.eq.{ts},id.gt.{third['id']})")
        .order("id")
        .execute()
    )
    assert [r["id"] for r in res.data] == [r["id"] for r in rows[3:]]
    res = await (
        user.client.table("job_logs")
        .select("id")
        .eq("job_id", job)
        .in_("id", [rows[0]["id"], rows[5]["id"]])
        .execute()
    )
    assert len(res.data) == 2
    res = await (
        user.client.table("job_logs")
        .select("log_chunk")
        .eq("job_id", job)
        .ilike("log_chunk", "%LINE 1%")
        .order("id")
        .execute()
    )
    assert [r["log_chunk"] for r in res.data] == ["line 1", "line 10"]
    res = await (
        user.client.table("job_logs")
        .select("id")
        .eq("job_id", job)
        .gte("id", rows[8]["id"])
        .neq("id", rows[9]["id"])
        .execute()
    )
    assert [r["id"] for r in res.data] == [rows[8]["id"]]
    res = await (
        user.client.table("provision_jobs")
        .select("id")
        .is_("completed_at", "null")
        .not_.in_("status", ["SUCCESS", "FAILED"])
        .execute()
    )
    assert [r["id"] for r in res.data] == [job]


async def test_responses_stop_at_1000_rows_and_count_is_exact(stack: StackInfo) -> None:
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    await add_logs(stack, job, 1500)
    table = user.client.table(stack.logs_table)
    first = await table.select("id", count="exact").eq("job_id", job).execute()
    assert len(first.data) == 1000
    assert first.count == 1500
    rest = await table.select("id").eq("job_id", job).range(1000, 2999).execute()
    assert len(rest.data) == 500
    head = await table.select("id", count="exact", head=True).eq("job_id", job).execute()
    assert head.count == 1500


async def test_single_without_a_row_is_pgrst116(stack_documented: StackInfo) -> None:
    user = await signed_in(stack_documented)
    with pytest.raises(APIError) as err:
        await (
            user.client.table("provision_jobs")
            .select("*")
            .eq("id", str(uuid.uuid4()))
            .single()
            .execute()
        )
    assert err.value.code == "PGRST116"
    maybe = await (
        user.client.table("provision_jobs")
        .select("*")
        .eq("id", str(uuid.uuid4()))
        .maybe_single()
        .execute()
    )
    assert maybe is None


async def test_rls_hides_and_refuses_other_users_jobs(stack: StackInfo) -> None:
    owner, other = await signed_in(stack), await signed_in(stack)
    job = await create_job(stack, owner.id)
    await add_logs(stack, job, 3)
    seen = await other.client.table("provision_jobs").select("id").eq("id", job).execute()
    assert seen.data == []
    logs = await other.client.table(stack.logs_table).select("id").eq("job_id", job).execute()
    assert logs.data == []
    upd = await (
        other.client.table("provision_jobs").update({"status": "CANCELLED"}).eq("id", job).execute()
    )
    assert upd.data == []
    with pytest.raises(APIError) as err:
        await (
            other.client.table("provision_jobs")
            .insert({"job_type": "PLAN", "user_id": owner.id})
            .execute()
        )
    assert err.value.code == "42501"
    mine = await owner.client.table("provision_jobs").insert({"job_type": "DEPLOY"}).execute()
    assert mine.data[0]["user_id"] == owner.id and mine.data[0]["status"] == "QUEUED"
    cancelled = await (
        owner.client.table("provision_jobs")
        .update({"status": "CANCELLED", "error_message": "Cancelled by user"})
        .eq("id", job)
        .in_("status", ["QUEUED", "CLAIMED", "PROCESSING"])
        .execute()
    )
    assert cancelled.data[0]["status"] == "CANCELLED"
    deleted = await owner.client.table("provision_jobs").delete().eq("id", job).execute()
    assert deleted.data == []  # no delete policy


async def test_cloud_identity_credentials_are_not_selectable(stack_deployed: StackInfo) -> None:
    user = await signed_in(stack_deployed)
    await stack_deployed.asql(
        "insert into cloud_identities (user_id, provider, name, credentials)"
        " values ($1, 'aws', 'prod', '{\"secret\": \"x\"}')",
        uuid.UUID(user.id),
    )
    ok = await user.client.table("cloud_identities").select("provider,name").execute()
    assert ok.data == [{"provider": "aws", "name": "prod"}]
    for columns in ("credentials", "*"):
        with pytest.raises(APIError) as err:
            await user.client.table("cloud_identities").select(columns).execute()
        assert err.value.code == "42501"


async def test_postgrest_errors_and_statuses(stack_documented: StackInfo) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {user.access_token}"}
    async with httpx.AsyncClient(base_url=f"{stack.url}/rest/v1", headers=headers) as http:
        bad = await http.get("/provision_jobs", params={"id": "eq.not-a-uuid"})
        assert bad.status_code == 400 and bad.json()["code"] == "22P02"
        missing = await http.get("/nope")
        assert missing.status_code == 404 and missing.json()["code"] == "PGRST205"
        assert set(missing.json()) == {"code", "message", "details", "hint"}
        bodiless = await http.head("/nope")
        assert bodiless.headers["Proxy-Status"] == "PostgREST; error=PGRST205"
        # uuid has no LIKE on real PostgreSQL/PostgREST either: no quiet cast to text here
        prefix = await http.get("/provision_jobs", params={"id": "like.abcd1234*"})
        assert prefix.status_code == 404 and prefix.json()["code"] == "42883"
        column = await http.get("/provision_jobs", params={"select": "nope"})
        assert column.status_code == 400 and column.json()["code"] == "42703"
        key = await http.get("/provision_jobs", headers={"apikey": "wrong"})
        assert key.status_code == 401
        late = await http.get(
            "/provision_jobs", headers={"Authorization": f"Bearer {stack.token(user.id, ttl=-40)}"}
        )
        assert late.status_code == 401
        assert late.json() == {
            "code": "PGRST303",
            "details": None,
            "hint": None,
            "message": "JWT expired",
        }
        forged = await http.get(
            "/provision_jobs", headers={"Authorization": f"Bearer {stack.token(user.id)[:-4]}AAAA"}
        )
        assert forged.status_code == 401 and forged.json()["code"] == "PGRST301"
        one = await http.get(
            "/provision_jobs",
            params={"select": "id", "limit": "0"},
            headers={"Accept": "application/vnd.pgrst.object+json"},
        )
        assert one.status_code == 406 and one.json()["code"] == "PGRST116"
    service = {
        "apikey": stack.service_role_key,
        "Authorization": f"Bearer {stack.service_role_key}",
    }
    async with httpx.AsyncClient(base_url=f"{stack.url}/rest/v1", headers=service) as http:
        row = {"id": str(uuid.uuid4()), "name": "dup", "mode": "cloud-hosted"}
        first = await http.post("/workers", json=row, headers={"Prefer": "return=minimal"})
        assert first.status_code == 201 and first.content == b""
        again = await http.post("/workers", json=row)
        assert again.status_code == 409 and again.json()["code"] == "23505"
        upsert = await http.post(
            "/workers",
            json={**row, "name": "merged"},
            headers={"Prefer": "return=representation,resolution=merge-duplicates"},
        )
        assert upsert.status_code == 201 and upsert.json()[0]["name"] == "merged"


async def test_bulk_insert_and_rpc(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    await stack.asql(
        "create or replace function public.count_my_jobs(kind text) returns int"
        " language sql stable as $$ select count(*)::int from provision_jobs"
        " where job_type::text = kind $$"
    )
    service = await acreate_client(stack.url, stack.service_role_key)
    job = await create_job(stack, user.id)
    rows = (
        await service.table("job_logs")
        .insert(
            [
                {"job_id": job, "log_chunk": "a", "stream_type": "STDOUT"},
                {"job_id": job, "log_chunk": "b", "stream_type": "STDERR"},
            ]
        )
        .execute()
    )
    assert [r["stream_type"] for r in rows.data] == ["STDOUT", "STDERR"]
    assert rows.data[0]["id"] < rows.data[1]["id"]
    count = await user.client.rpc("count_my_jobs", {"kind": "PLAN"}).execute()
    assert count.data == 1
    # Like PostgREST (supabase-py sends `columns` and no `missing=default`), a key missing
    # from one row of a bulk insert is NULL, not the column default.
    with pytest.raises(APIError) as err:
        await (
            service.table("job_logs")
            .insert(
                [
                    {"job_id": job, "log_chunk": "c"},
                    {"job_id": job, "log_chunk": "d", "stream_type": "STDERR"},
                ]
            )
            .execute()
        )
    assert err.value.code == "23502"
    defaults = (
        await service.table("job_logs")
        .insert(
            [
                {"job_id": job, "log_chunk": "c"},
                {"job_id": job, "log_chunk": "d", "stream_type": "STDERR"},
            ],
            default_to_null=False,
        )
        .execute()
    )
    assert [r["stream_type"] for r in defaults.data] == ["STDOUT", "STDERR"]
    meta = (
        await service.table("provision_jobs")
        .update(
            {"execution_metadata": {"phase": "apply", "plan_result": {"resource_changes": [1]}}}
        )
        .eq("id", job)
        .execute()
    )
    assert meta.data[0]["execution_metadata"]["phase"] == "apply"
    picked = await (
        service.table("provision_jobs")
        .select("execution_metadata->>phase,changes:execution_metadata->plan_result")
        .eq("execution_metadata->>phase", "apply")
        .execute()
    )
    assert picked.data == [{"phase": "apply", "changes": {"resource_changes": [1]}}]
    await stack.asql("create table public.feedback (note text)")
    await stack.asql("alter table public.feedback enable row level security")
    await stack.asql(
        "create policy anyone_writes on public.feedback for insert to authenticated"
        " with check (true)"
    )
    quiet = (
        await user.client.table("feedback").insert({"note": "hi"}, returning="minimal").execute()
    )
    assert quiet.data == []  # nothing to read back, so no SELECT policy applies
    with pytest.raises(APIError) as err:
        await user.client.table("feedback").insert({"note": "hi"}).execute()
    assert err.value.code == "42501"


async def test_ddl_reloads_the_schema_cache(stack_documented: StackInfo) -> None:
    stack = stack_documented
    service = await acreate_client(stack.url, stack.service_role_key)
    await stack.asql("alter table public.vines add column if not exists region_code text")
    for _ in range(100):  # the reload is asynchronous, as on a hosted project
        try:
            res = await service.table("vines").select("region_code").execute()
        except APIError as err:
            assert err.code == "42703"
            await asyncio.sleep(0.02)
        else:
            assert res.data == []
            break
    else:
        raise AssertionError("the new column never became selectable")


async def test_filters_and_logic_inside_embeds(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    await add_logs(stack, job, 4)
    res = await (
        user.client.table("provision_jobs")
        .select("id,job_logs(log_chunk)")
        .eq("id", job)
        .or_("log_chunk.eq.line 1,log_chunk.eq.line 3", reference_table="job_logs")
        .execute()
    )
    assert sorted(r["log_chunk"] for r in res.data[0]["job_logs"]) == ["line 1", "line 3"]
    inner = await (
        user.client.table("provision_jobs")
        .select("id,job_logs!inner(id)")
        .eq("job_logs.log_chunk", "nothing like this")
        .execute()
    )
    assert inner.data == []


async def test_range_header_and_containment(stack_documented: StackInfo) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    await stack.asql(
        'update provision_jobs set config_snapshot = \'{"region": "eu", "size": 3}\' where id = $1',
        uuid.UUID(job),
    )
    await add_logs(stack, job, 5)
    headers = {
        "apikey": stack.anon_key,
        "Authorization": f"Bearer {user.access_token}",
        "Range": "1-2",
        "Prefer": "count=exact",
    }
    async with httpx.AsyncClient(base_url=f"{stack.url}/rest/v1", headers=headers) as http:
        page = await http.get(
            f"/{stack.logs_table}", params={"select": "log_chunk", "order": "created_at"}
        )
    assert page.status_code == 206 and page.headers["Content-Range"] == "1-2/5"
    assert [r["log_chunk"] for r in page.json()] == ["line 2", "line 3"]
    hit = (
        await user.client.table("provision_jobs")
        .select("id")
        .contains("config_snapshot", {"region": "eu"})
        .execute()
    )
    miss = (
        await user.client.table("provision_jobs")
        .select("id")
        .contains("config_snapshot", {"region": "us"})
        .execute()
    )
    assert [r["id"] for r in hit.data] == [job] and miss.data == []


async def test_patch_with_an_empty_body_is_a_no_op(stack_documented: StackInfo) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {user.access_token}"}
    async with httpx.AsyncClient(base_url=f"{stack.url}/rest/v1", headers=headers) as http:
        quiet = await http.patch(
            "/provision_jobs",
            params={"id": f"eq.{job}"},
            json={},
            headers={"Prefer": "return=minimal"},
        )
        assert quiet.status_code == 204 and quiet.content == b""
        loud = await http.patch(
            "/provision_jobs",
            params={"id": f"eq.{job}"},
            json={},
            headers={"Prefer": "return=representation"},
        )
        assert loud.status_code == 200 and loud.json() == []
    rows = await stack.asql("select status from provision_jobs where id = $1", uuid.UUID(job))
    assert rows[0]["status"] == "QUEUED"
