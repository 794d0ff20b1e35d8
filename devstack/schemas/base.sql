-- A Supabase-like base: the roles, schemas, functions, grants and publication a real
-- Supabase project starts with, so that a project's own migrations apply unchanged.
-- Idempotent: run on every `serve`. Roles are cluster-wide, so concurrent stacks may race
-- to create them; the exception handlers make that harmless.

do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role', 'supabase_admin',
                           'supabase_auth_admin', 'supabase_storage_admin',
                           'supabase_realtime_admin', 'dashboard_user'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      begin
        execute format('create role %I nologin noinherit', r);
      exception when duplicate_object or unique_violation then null;
      end;
    end if;
  end loop;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    begin
      create role authenticator login noinherit;
    exception when duplicate_object or unique_violation then null;
    end;
  end if;
end
$$;

do $$
begin
  alter role service_role bypassrls;
  grant anon, authenticated, service_role to authenticator;
exception when others then null;  -- a concurrent stack did it (tuple concurrently updated)
end
$$;

-- Hosted projects' statement timeouts: anon 3 s, authenticated 8 s, and 8 s for the role the
-- API logs in as (so service_role too). PostgREST applies the impersonated role's settings to
-- each request (the stack does the same: devstack/state.py). Set for this database only, and
-- only when the database has none yet, so a project's own `alter role ... set` survives a
-- restart and other databases on the server are untouched.
do $$
declare
  r record;
begin
  for r in select * from (values ('anon', '3s'), ('authenticated', '8s'),
                                 ('authenticator', '8s')) v(role, timeout) loop
    if not exists (
      select 1 from pg_db_role_setting s
      join pg_database d on d.oid = s.setdatabase and d.datname = current_database()
      where s.setrole = r.role::regrole
    ) then
      execute format('alter role %I in database %I set statement_timeout = %L',
                     r.role, current_database(), r.timeout);
    end if;
  end loop;
end
$$;

create schema if not exists extensions;
-- No extensions are created: the schemas use only core PostgreSQL (gen_random_uuid() is core
-- since 13) and the stack hashes passwords itself (bcrypt, devstack/auth.py), so it needs
-- neither pgcrypto nor uuid-ossp and runs on a server built without contrib.
grant usage on schema extensions to anon, authenticated, service_role;

-- auth ---------------------------------------------------------------------------------
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key default gen_random_uuid(),
  aud varchar(255) default 'authenticated',
  role varchar(255) default 'authenticated',
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb default '{"provider": "email", "providers": ["email"]}'::jsonb,
  raw_user_meta_data jsonb default '{}'::jsonb,
  is_super_admin boolean,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  phone text default null,
  phone_confirmed_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  banned_until timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
create unique index if not exists users_email_key on auth.users (lower(email)) where email is not null;

create table if not exists auth.identities (
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid primary key default gen_random_uuid(),
  unique (provider_id, provider)
);

create table if not exists auth.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);

create table if not exists auth.refresh_tokens (
  id bigserial primary key,
  token varchar(255) unique,
  user_id varchar(255),
  revoked boolean default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade
);

-- How each session was signed in (GoTrue's `amr` claim: password, oauth, otp, ...).
create table if not exists auth.mfa_amr_claims (
  session_id uuid not null references auth.sessions (id) on delete cascade,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  authentication_method text not null,
  id uuid primary key default gen_random_uuid(),
  constraint mfa_amr_claims_session_id_authentication_method_pkey
    unique (session_id, authentication_method)
);

-- PKCE and OAuth flow states, as GoTrue's migrations leave them (the PKCE columns nullable
-- since OAuth's implicit flow keeps its state here too).
do $$
begin
  create type auth.code_challenge_method as enum ('s256', 'plain');
exception when duplicate_object or unique_violation then null;
end
$$;

create table if not exists auth.flow_state (
  id uuid primary key,
  user_id uuid null,
  auth_code text null,
  code_challenge_method auth.code_challenge_method null,
  code_challenge text null,
  provider_type text not null,
  provider_access_token text null,
  provider_refresh_token text null,
  created_at timestamptz null,
  updated_at timestamptz null,
  authentication_method text not null,
  auth_code_issued_at timestamptz null,
  invite_token text null,
  referrer text null,
  oauth_client_state_id uuid null,
  linking_target_id uuid null,
  email_optional boolean not null default false
);
create index if not exists idx_auth_code on auth.flow_state (auth_code);
create index if not exists idx_user_id_auth_method on auth.flow_state (user_id, authentication_method);
create index if not exists flow_state_created_at_idx on auth.flow_state (created_at desc);

-- The hashes of the one-time codes sent by email (GoTrue keeps them on auth.users too).
do $$
begin
  create type auth.one_time_token_type as enum (
    'confirmation_token', 'reauthentication_token', 'recovery_token',
    'email_change_token_new', 'email_change_token_current', 'phone_change_token');
exception when duplicate_object or unique_violation then null;
end
$$;

create table if not exists auth.one_time_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  token_type auth.one_time_token_type not null,
  token_hash text not null check (char_length(token_hash) > 0),
  relates_to text not null,
  created_at timestamp without time zone not null default now(),
  updated_at timestamp without time zone not null default now()
);
create unique index if not exists one_time_tokens_user_id_token_type_key
  on auth.one_time_tokens (user_id, token_type);

-- The same definitions as Supabase: the claims come from PostgREST's request.jwt.claims
-- (older PostgREST set request.jwt.claim.sub, still honoured first).
create or replace function auth.uid() returns uuid
language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role;
grant all on all tables in schema auth to service_role;

-- storage ------------------------------------------------------------------------------
create schema if not exists storage;
grant usage on schema storage to anon, authenticated, service_role;

create table if not exists storage.buckets (
  id text primary key,
  name text not null unique,
  owner uuid,
  public boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);

create table if not exists storage.objects (
  id uuid primary key default gen_random_uuid(),
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  unique (bucket_id, name)
);
alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;
grant all on storage.buckets, storage.objects to anon, authenticated, service_role;

-- public: Supabase grants everything to the API roles and lets RLS decide ---------------
grant usage on schema public to anon, authenticated, service_role;
grant all on all tables in schema public to anon, authenticated, service_role;
grant all on all sequences in schema public to anon, authenticated, service_role;
grant all on all functions in schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;

-- Like Supabase's pgrst_ddl_watch: any DDL tells the API to reload its schema cache.
create or replace function extensions.pgrst_ddl_watch() returns event_trigger
language plpgsql as $$
begin
  notify pgrst, 'reload schema';
end
$$;

do $$
begin
  if not exists (select 1 from pg_event_trigger where evtname = 'pgrst_ddl_watch') then
    create event trigger pgrst_ddl_watch on ddl_command_end
      execute procedure extensions.pgrst_ddl_watch();
  end if;
end
$$;

-- realtime -----------------------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;

-- devstack's own change capture (the real server decodes the WAL; we use a trigger).
-- A change is stored here and only its sequence number is NOTIFYed, because NOTIFY
-- payloads are limited to 8000 bytes and a log chunk can be larger.
create schema if not exists devstack;
revoke all on schema devstack from public;

-- The generated JWT secret and key issue time, so a restarted stack keeps its keys.
create table if not exists devstack.settings (
  key text primary key,
  value text not null
);

-- The messages auth "sent" (GET /__devstack/mail): nothing leaves the machine.
create table if not exists devstack.mail (
  id bigserial primary key,
  to_address text not null,
  subject text not null,
  type text not null,
  token text not null,
  token_hash text not null,
  redirect_to text not null,
  sent_at timestamptz not null default clock_timestamp()
);
create index if not exists mail_to_address_idx on devstack.mail (lower(to_address), id desc);

create table if not exists devstack.changes (
  seq bigserial primary key,
  schema_name text not null,
  table_name text not null,
  type text not null,
  record jsonb,
  old_record jsonb,
  commit_timestamp timestamptz not null default clock_timestamp()
);

create or replace function devstack.capture_change() returns trigger
language plpgsql security definer set search_path = pg_catalog as $$
declare
  new_seq bigint;
begin
  insert into devstack.changes (schema_name, table_name, type, record, old_record)
  values (
    tg_table_schema, tg_table_name, tg_op,
    case when tg_op = 'DELETE' then null else to_jsonb(new) end,
    case when tg_op = 'INSERT' then null else to_jsonb(old) end
  )
  returning seq into new_seq;
  perform pg_notify('devstack_changes', new_seq::text);
  return null;
end
$$;

-- Installs the capture trigger on every table of the supabase_realtime publication. It is a
-- deferred constraint trigger, so it runs at commit: commit_timestamp is (nearly) the commit
-- time, and a rolled-back transaction captures nothing.
create or replace function devstack.install_capture() returns void
language plpgsql as $$
declare
  t record;
begin
  for t in
    select p.schemaname, p.tablename from pg_publication_tables p
    where p.pubname = 'supabase_realtime'
      and not exists (
        select 1 from pg_trigger g
        where g.tgrelid = format('%I.%I', p.schemaname, p.tablename)::regclass
          and g.tgname = 'devstack_capture_at_commit')
  loop
    execute format('drop trigger if exists devstack_capture_change on %I.%I',
                   t.schemaname, t.tablename);  -- the earlier, immediate trigger
    execute format(
      'create constraint trigger devstack_capture_at_commit '
      'after insert or update or delete on %I.%I deferrable initially deferred '
      'for each row execute function devstack.capture_change()', t.schemaname, t.tablename);
  end loop;
end
$$;
