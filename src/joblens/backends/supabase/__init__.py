"""The Supabase backend: a platform's Supabase project through supabase-py's async client.

What code outside this package uses: :class:`SupabaseBackend`, the :class:`SupabaseSettings` it
is built from and the :class:`LiveTiming` tests shorten. Inside, one module a concern:

- ``backend``: the backend itself (REST queries, actions, the session's use);
- ``config``: settings from the environment, checked early;
- ``errors``: supabase-py's exceptions as joblens's one-line errors;
- ``jobs``: what is read from ``provision_jobs`` and ``workers`` (tables, selects);
- ``logs``: log pages and counts in the table's own order;
- ``live``: the realtime channel and its watchdog; ``changes`` reads its payloads;
- ``keepalive``: telling a live realtime socket from a dead one;
- ``session``: one session shared safely by every joblens process that uses it.

Importing this package loads supabase-py (about half a second): ``joblens --help`` never does.
The modules import the library as ``supabase`` (absolute imports), which is the top-level
package, never this one.
"""

from joblens.backends.supabase.backend import SupabaseBackend
from joblens.backends.supabase.config import SupabaseSettings
from joblens.backends.supabase.keepalive import LiveTiming

__all__ = ["LiveTiming", "SupabaseBackend", "SupabaseSettings"]
