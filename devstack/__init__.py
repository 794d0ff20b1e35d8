"""A local Supabase-compatible stack (REST, auth, realtime) on a real PostgreSQL server."""
