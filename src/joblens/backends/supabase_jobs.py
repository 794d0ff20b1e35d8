"""What the Supabase backend reads from ``provision_jobs`` and ``workers``: the tables and the
job's selects. What the actions write is ``job_rows``, shared with the demo backend."""

from __future__ import annotations

JOBS = "provision_jobs"
WORKERS = "workers"
#: The job with its display names, most embeds first; a deployment missing a table or
#: relationship falls back to the next (PGRST200/PGRST205). ``credentials`` is never selected.
JOB_SELECTS = (
    "*, worker:workers!provision_jobs_worker_id_fkey(name), "
    "assigned_worker:workers!provision_jobs_assigned_worker_id_fkey(name), "
    "vine:vines(project_name,environment_stage,region,terraform_version,status), "
    "vineyard:vineyards(name), cloud_identity:cloud_identities(provider,name)",
    "*, worker:workers!provision_jobs_worker_id_fkey(name), "
    "assigned_worker:workers!provision_jobs_assigned_worker_id_fkey(name)",
    "*",
)
