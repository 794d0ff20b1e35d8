"""Helpers shared by the tests: each defined once, imported as ``from support.<module> import``.

``tests/`` and the repository root are on ``sys.path`` for every test run (``pythonpath`` in
pyproject.toml's [tool.pytest.ini_options]), so ``support`` and ``devstack`` import the same
way from any test. Fixtures stay in the ``conftest.py`` files; they call these helpers.

By role:

- ``waiting``: ``until`` (poll a predicate), ``wait_for`` (let a Pilot's app run until a
  condition holds), ``next_event`` (the next event of a backend's stream).
- ``users``: ``User``; ``new_user`` (a minted token), ``signed_in_user`` (a real session, over
  HTTP), ``signed_in`` and ``token_client`` (a supabase-py client); ``forget_users`` and
  ``close_clients``, which the fixtures call after each test.
- ``seeding``: rows written on a local stack as the platform would (``create_job``,
  ``write_logs``, ``add_logs``, ``set_status``, ``insert_row``) and read back (``db_chunks``,
  ``db_lines``).
- ``demo``: ``StaticWorld``, the demo backend whose jobs change only when a test says
  (``write_demo_logs``, ``T0``).
- ``backends``: ``backend_for`` (a SupabaseBackend on a stack) and ``FAST`` watchdog timings.
- ``views``: the app as tests build and drive it: ``make_app`` (the poll interval is a
  parameter), ``opened``, ``opened_pane``, ``live_view``, ``pane_lines``, ``notes``, and the
  JSON panels' ``open_tree``, ``open_row``, ``shown_text``.
- ``documents``: JSON documents with secrets inside (``deep_config``, ``big_metadata``).
- ``cli``: the ``joblens`` command as a subprocess (``run_joblens``, ``joblens``) and the
  environment it is given (``clean_env``, ``env_for``).
- ``oracle``: the reference for a log's lines (``reference_lines``, ``shown_lines``).
- ``contract``: the backend contract's environments and seeders.
- ``realtime``: a raw realtime socket (``wire``) and supabase-py channels (``subscribe``).
- ``terminal``: a program under a pseudo-terminal, and the escape sequences it wrote.
- ``scripted``: a scripted in-memory log table (``ScriptedBackend``, ``CutBackend``) for the
  feed's property tests, and the ``cut_streams`` strategy.
- ``log_host``: a tiny app hosting the log view alone (``open_pane``, ``write``, ``settle``...).
"""
