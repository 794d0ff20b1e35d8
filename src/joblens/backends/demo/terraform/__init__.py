"""What a demo job's run writes, apart from the backend that plays it.

Pure: given a job (:class:`JobContext`) and a random generator, :func:`build_script` returns the
same :class:`Script` every time: timed :class:`Flush` items (the rows a runner inserts, and the
metadata it merges) and how the job ends. The simulated Tendril (``demo/tendril.py``) only plays
them back into the demo's tables. Nothing here knows of tables, clocks or tasks.

- ``script``: a job's whole run, by job type and fate (the runner's lines and OpenTofu's);
- ``stack``: the demo's EKS stack (resources, the changes a plan makes) and the colours;
- ``tofu``: what OpenTofu prints for it (init, refresh, plan, diagnostics, outputs);
- ``apply``: OpenTofu's apply walk (waves, parallelism, ``Still creating...``);
- ``costs``: Infracost's table and the cost metadata;
- ``runner``: what OpenTofu writes, cut into rows where a newer runner's flushes fall.
"""

from joblens.backends.demo.terraform.runner import Flush
from joblens.backends.demo.terraform.script import Fate, JobContext, Script, build_script

__all__ = ["Fate", "Flush", "JobContext", "Script", "build_script"]
