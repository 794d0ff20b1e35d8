"""How jobs read on screen: labels, icons, durations and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from joblens.models import Job, JobStatus, JobType

# Narrow (single-cell) symbols only: emoji widths differ between terminals.
_TYPE_LABELS: dict[str, tuple[str, str]] = {
    JobType.CONNECTION_TEST: ("⇄", "Connection test"),
    JobType.FETCH_RESOURCES: ("↻", "Fetch resources"),
    JobType.PLAN: ("◇", "Plan"),
    JobType.DEPLOY: ("▲", "Deploy"),
    JobType.DESTROY: ("✕", "Destroy"),
    JobType.DEPLOY_WORKER: ("⬢", "Deploy Tendril"),
    JobType.UPDATE_WORKER: ("⬡", "Update Tendril"),
    JobType.DESTROY_WORKER: ("⬣", "Destroy Tendril"),
}

_STATUS_ICONS: dict[str, str] = {
    JobStatus.QUEUED: "◷",
    JobStatus.CLAIMED: "◔",
    JobStatus.PROCESSING: "●",
    JobStatus.SUCCESS: "✔",
    JobStatus.FAILED: "✖",
    JobStatus.CANCELLED: "⊘",
}

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

#: A terminal with fewer rows gets the app class ``-short``: the job view gives its log the
#: room and dialogs take the screen (``styles/app.tcss``, "a short terminal").
SHORT_BELOW = 20


def type_icon(job_type: str) -> str:
    return _TYPE_LABELS.get(job_type, ("•", ""))[0]


def type_label(job_type: str) -> str:
    """A readable label; an unknown type is shown as it is."""
    return _TYPE_LABELS.get(job_type, ("•", str(job_type)))[1]


def status_icon(status: str) -> str:
    return _STATUS_ICONS.get(status, "?")


def status_class(status: str) -> str:
    """The CSS class for a status (``-processing``); unknown statuses get ``-unknown``."""
    if status in _STATUS_ICONS:
        return f"-{str(status).lower()}"
    return "-unknown"


def format_duration(seconds: float) -> str:
    """``42s``, ``3m 07s``, ``2h 05m``, ``3d 4h``: compact, stable width per unit."""
    total = max(0, int(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def duration_phase(job: Job, now: datetime | None = None) -> tuple[str, float] | None:
    """What the duration measures now, and how long: ``queued``, ``claimed``, ``running``, or
    once ended ``took`` (from its start), or ``waited`` for a job that ended before any Tendril
    claimed it (cancelled in the queue: it took no time, it waited)."""
    now = now or datetime.now(UTC)
    if job.is_terminal:
        end = job.completed_at or job.updated_at
        start = job.started_at or job.claimed_at
        label = "took" if start is not None else "waited"
        start = start or job.created_at
        if start is None or end is None:
            return None
        return (label, (end - start).total_seconds())
    if job.status == JobStatus.QUEUED or job.started_at is None:
        since = job.claimed_at if job.status == JobStatus.CLAIMED else job.created_at
        if since is None:
            return None
        label = "claimed" if job.status == JobStatus.CLAIMED else "queued"
        return (label, (now - since).total_seconds())
    return ("running", (now - job.started_at).total_seconds())


def format_time(moment: datetime | None) -> str:
    """A timestamp in the local zone, to the second."""
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def zone_label(moment: datetime) -> str:
    """The zone of an aware local time: ``UTC``, else its offset, ``+01:00`` (an offset, not
    a name such as CET: names are ambiguous, offsets are not)."""
    offset = moment.utcoffset()
    if not offset:
        return "UTC"
    text = moment.strftime("%z")  # +0100
    return f"{text[:3]}:{text[3:5]}"


#: A created time is said relative to now (``5m ago``) while it is this recent.
RELATIVE_FOR = 24 * 3600.0


def format_ago(moment: datetime, now: datetime | None = None) -> str | None:
    """``42s ago``, ``5m ago``, ``3h ago`` for a moment in the last day; None otherwise (older,
    or ahead of this machine's clock)."""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if not 0 <= seconds < RELATIVE_FOR:
        return None
    if seconds < 60:
        return f"{int(seconds)}s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    return f"{int(seconds // 3600)}h ago"


def format_created(
    moment: datetime | None, now: datetime | None = None, *, short: bool = False
) -> str:
    """When a job was created, in the local zone with that zone named, and how long ago:
    ``2026-12-01 14:03:56 UTC (5m ago)``. ``short`` (a narrow header): to the minute, and
    the date only when it is not today: ``14:03 UTC · 5m ago``."""
    if moment is None:
        return "—"
    local = moment.astimezone()
    zone = zone_label(local)
    ago = format_ago(moment, now)
    if not short:
        text = f"{local.strftime('%Y-%m-%d %H:%M:%S')} {zone}"
        return f"{text} ({ago})" if ago else text
    today = (now or datetime.now(UTC)).astimezone().date() == local.date()
    text = f"{local.strftime('%H:%M' if today else '%Y-%m-%d %H:%M')} {zone}"
    return f"{text} · {ago}" if ago else text


def format_relative(moment: datetime | None, now: datetime | None = None) -> str:
    """``5m ago`` for recent moments."""
    if moment is None:
        return "—"
    now = now or datetime.now(UTC)
    return f"{format_duration((now - moment).total_seconds())} ago"
