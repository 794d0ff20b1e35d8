-- Reference schema "documented": what joblens expects of the platform's database, with the
-- logs table as the documentation describes it
-- (`provision_job_logs`, uuid ids ordered by (created_at, id)).
-- Applied on top of devstack/schemas/base.sql (a Supabase-like base).

create type public.job_type as enum (
  'CONNECTION_TEST', 'FETCH_RESOURCES', 'PLAN', 'DEPLOY', 'DESTROY',
  'DEPLOY_WORKER', 'UPDATE_WORKER', 'DESTROY_WORKER');
create type public.job_status as enum (
  'QUEUED', 'CLAIMED', 'PROCESSING', 'SUCCESS', 'FAILED', 'CANCELLED');

create table public.vineyards (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete cascade default auth.uid(),
  name text not null,
  created_at timestamptz not null default now()
);

create table public.cloud_identities (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete cascade default auth.uid(),
  provider text not null check (provider in ('aws', 'gcp', 'azure')),
  name text not null,
  credentials jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

create table public.vines (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete cascade default auth.uid(),
  vineyard_id uuid references public.vineyards (id) on delete set null,
  project_name text not null,
  environment_stage text check (environment_stage in ('development', 'staging', 'production')),
  region text,
  terraform_version text,
  status text,
  created_at timestamptz not null default now()
);

create table public.workers (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete cascade,
  name text not null,
  mode text not null default 'self-hosted' check (mode in ('self-hosted', 'cloud-hosted')),
  status text default 'OFFLINE' check (status in ('ONLINE', 'OFFLINE', 'DRAINING')),
  last_heartbeat timestamptz,
  version text,
  is_default boolean not null default false,
  metadata jsonb default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create unique index workers_one_default_per_user on public.workers (user_id) where is_default;

create table public.provision_jobs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  job_type public.job_type not null,
  status public.job_status not null default 'QUEUED',
  vine_id uuid references public.vines (id) on delete set null,
  vineyard_id uuid references public.vineyards (id) on delete set null,
  cloud_identity_id uuid references public.cloud_identities (id) on delete set null,
  config_snapshot jsonb not null default '{}'::jsonb,
  configuration_hash text,
  plan_job_id uuid references public.provision_jobs (id) on delete set null,
  assigned_worker_id uuid,
  worker_id uuid,
  claimed_at timestamptz,
  started_at timestamptz,
  completed_at timestamptz,
  error_message text,
  execution_metadata jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint provision_jobs_worker_id_fkey foreign key (worker_id)
    references public.workers (id) on delete set null,
  constraint provision_jobs_assigned_worker_id_fkey foreign key (assigned_worker_id)
    references public.workers (id) on delete set null
);
create index provision_jobs_user_id_idx on public.provision_jobs (user_id, created_at desc);
alter table public.provision_jobs replica identity full;

create or replace function public.set_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at = now();
  return new;
end
$$;

create trigger provision_jobs_set_updated_at before update on public.provision_jobs
  for each row execute function public.set_updated_at();

create table public.provision_job_logs (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null references public.provision_jobs (id) on delete cascade,
  log_chunk text not null,
  stream_type text not null default 'STDOUT' check (stream_type in ('STDOUT', 'STDERR', 'SYSTEM')),
  created_at timestamptz not null default now()
);
create index provision_job_logs_job_idx on public.provision_job_logs (job_id, created_at, id);

-- Row-level security, as docs/PLATFORM.md ("Row-level security") describes it.
alter table public.provision_jobs enable row level security;
alter table public.provision_job_logs enable row level security;
alter table public.workers enable row level security;
alter table public.vines enable row level security;
alter table public.vineyards enable row level security;
alter table public.cloud_identities enable row level security;

create policy "Users can view their own jobs" on public.provision_jobs
  for select to authenticated using (user_id = auth.uid());
create policy "Users can create their own jobs" on public.provision_jobs
  for insert to authenticated with check (user_id = auth.uid());
create policy "Users can update their own jobs" on public.provision_jobs
  for update to authenticated using (user_id = auth.uid()) with check (user_id = auth.uid());

create policy "Users can view logs of their own jobs" on public.provision_job_logs
  for select to authenticated using (
    exists (select 1 from public.provision_jobs j
            where j.id = provision_job_logs.job_id and j.user_id = auth.uid()));

create policy "Users can view cloud-hosted and their own workers" on public.workers
  for select to authenticated using (mode = 'cloud-hosted' or user_id = auth.uid());

create policy "Users can view their own vines" on public.vines
  for select to authenticated using (user_id = auth.uid());
create policy "Users can view their own vineyards" on public.vineyards
  for select to authenticated using (user_id = auth.uid());
create policy "Users can view their own cloud identities" on public.cloud_identities
  for select to authenticated using (user_id = auth.uid());

-- Supabase grants every table to the API roles; the secret column is taken back by
-- replacing the table-wide SELECT with a column list (a column REVOKE alone would not
-- override a table-wide grant).
revoke select on public.cloud_identities from anon, authenticated;
grant select (id, user_id, provider, name, created_at) on public.cloud_identities
  to anon, authenticated;

-- Realtime: the logs table and the jobs (REPLICA IDENTITY FULL above).
alter publication supabase_realtime add table public.provision_job_logs, public.provision_jobs;
