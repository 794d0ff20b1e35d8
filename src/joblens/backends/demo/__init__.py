"""The embedded demo (``joblens demo``): in-memory tables, simulated Tendrils, realistic jobs.

What code outside this package uses: :class:`DemoBackend` and the :data:`SCENARIOS` it plays.
Inside, the backend and what it plays apart:

- ``backend``: :class:`DemoBackend`, the :class:`~joblens.backends.base.Backend` itself;
- ``scenarios``: the scenario names (light: ``joblens --help`` lists them);
- ``store``: the in-memory tables, with change notifications;
- ``world``: the fixed rows (user, vines, five Tendrils);
- ``tendril``: a simulated Tendril that claims jobs and plays their scripts into the store;
- ``terraform/``: what a job's run writes (OpenTofu's and Infracost's text, the runner's
  lines, cut into rows): pure functions, no tables, no clock.

Only :data:`SCENARIOS` is loaded with the package: :class:`DemoBackend` (asyncio and the whole
demo) loads on first use, so that ``joblens --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from joblens.backends.demo.scenarios import SCENARIOS

if TYPE_CHECKING:
    from joblens.backends.demo.backend import DemoBackend

__all__ = ["SCENARIOS", "DemoBackend"]


def __getattr__(name: str) -> Any:
    """``DemoBackend``, imported when first asked for."""
    if name == "DemoBackend":
        from joblens.backends.demo.backend import DemoBackend

        return DemoBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
