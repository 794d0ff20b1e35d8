"""The job view's link to the server: the log feed and the row's watch run for the screen's
life (the feed retried with back-off), their health shown by the header's link indicator, and
a toast when either stops for good.

Apart from the screen because it keeps its own state (each source's problem, whether the
stream was down) and its own retry policy; the screen starts the two loops and passes the
feed's and the watch's reports here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.css.query import NoMatches

from joblens.errors import AuthError, JoblensError, JobNotFound
from joblens.job_watch import Backoff
from joblens.widgets.header import SIGNED_OUT, JobHeader

if TYPE_CHECKING:
    from joblens.screens.job_screen import JobScreen


class JobLink:
    """The health of the log stream ("feed") and of the status poll ("poll") of ``screen``."""

    def __init__(self, screen: JobScreen) -> None:
        self._screen = screen
        self._problems: dict[str, str | None] = {"feed": "connecting", "poll": None}

    def feed_changed(self, problem: str | None) -> None:
        """The log stream is live (None) or has ``problem``."""
        screen = self._screen
        was_down = self._problems["feed"] not in (None, "connecting")
        if screen.showing:
            # The header counts from when the data was last confirmed, not from the notice.
            screen.query_one(JobHeader).quiet_for = screen.feed.quiet_for if problem else 0.0
        self.set_problem("feed", problem)
        if problem is None and was_down and screen.is_attached:
            # Live again: UPDATEs of the job made while the stream was down are not replayed.
            # (Not on first going live: the row was read just before, and may be 10 MB.)
            screen.refresh_job_soon()

    def set_problem(self, source: str, problem: str | None) -> None:
        """The header's link indicator: live unless the log stream or the poll has a problem."""
        self._problems[source] = problem
        screen = self._screen
        if screen.showing:
            screen.query_one(JobHeader).link_problem = (
                self._problems["poll"] or self._problems["feed"]
            )

    async def follow_logs(self) -> None:
        """Run the log feed for the life of the screen, retrying with back-off on errors."""
        backoff = Backoff()
        while True:
            try:
                await self._screen.feed.run()
                return
            except AuthError as error:
                self.feed_changed(SIGNED_OUT)
                self._screen.notify(
                    error.message,
                    title="Log stream stopped",
                    severity="error",
                    markup=False,
                    timeout=30,
                )
                return
            except JoblensError as error:
                self.feed_changed(error.message)
            except NoMatches:
                if self._screen.showing:
                    raise
                return  # the screen is being taken down under a late write: nowhere to write
            await backoff.wait()

    async def watch_job(self) -> None:
        """The job's row to its end (job_watch.py has the policy); say why if it stops early."""
        screen = self._screen
        try:
            await screen.job_watch.run()
        except JobNotFound as error:
            self.set_problem("poll", "gone")
            screen.notify(
                f"{error.message}. It may have been deleted.",
                title="Job gone",
                severity="error",
                markup=False,
                timeout=60,
            )
        except AuthError as error:
            self.set_problem("poll", SIGNED_OUT)
            screen.notify(
                error.message,
                title="Status poll stopped",
                severity="error",
                markup=False,
                timeout=30,
            )
