"""Time limits of a case: fixed at acceptance, warned at 80%, paused while the case waits on the requester.

Limits run on calendar time (a two-hour emergency accepted at 23:00 is due at 01:00). Urgency caps the
category's response limit (DOMAIN.md, after Beijing's 12345 standard): emergencies within 2 hours, urgent
utilities within 24; a complex request may take 15 days to resolve.
"""

import datetime
from dataclasses import dataclass

from .models import HANDLING_STATUSES, Case, Category, Status, Urgency

HOUR = datetime.timedelta(hours=1)
# The longest response each urgency allows, whatever the category says.
RESPONSE_CAP = {
    Urgency.EMERGENCY: 2 * HOUR,
    Urgency.URGENT: 24 * HOUR,
}
# The longest resolution each urgency allows; a complex request at least this long.
RESOLUTION_CAP = {
    Urgency.EMERGENCY: 24 * HOUR,
    Urgency.URGENT: 72 * HOUR,
}
COMPLEX_RESOLUTION = 15 * 24 * HOUR
# A case past this share of its time limit is flagged 临期 before it is overdue.
WARNING_SHARE = 0.8


@dataclass(frozen=True)
class Limits:
    response: datetime.timedelta
    resolution: datetime.timedelta


def limits_for(category: Category, urgency: str) -> Limits:
    response = category.response_hours * HOUR
    resolution = category.resolution_hours * HOUR
    if urgency in RESPONSE_CAP:
        response = min(response, RESPONSE_CAP[urgency])
    if urgency in RESOLUTION_CAP:
        resolution = min(resolution, RESOLUTION_CAP[urgency])
    if urgency == Urgency.COMPLEX:
        resolution = max(resolution, COMPLEX_RESOLUTION)
    return Limits(response=response, resolution=max(resolution, response))


def start(case: Case, at: datetime.datetime) -> None:
    """Fix the case's deadlines at acceptance."""
    limits = limits_for(case.category, case.urgency)
    case.accepted_at = at
    case.response_limit = limits.response
    case.resolution_limit = limits.resolution
    case.response_due = at + limits.response
    case.resolution_due = at + limits.resolution


def pause(case: Case, at: datetime.datetime, reason: str) -> None:
    case.paused_at = at
    case.pause_reason = reason


def resume(case: Case, at: datetime.datetime) -> datetime.timedelta:
    """End a pause: the deadlines move on by its length, which is returned for the timeline."""
    paused_for = at - case.paused_at
    case.response_due += paused_for
    case.resolution_due += paused_for
    case.paused_at = None
    case.pause_reason = ""
    return paused_for


def set_running_clock(case: Case) -> None:
    """Set the clock that runs now: response while waiting to be taken, resolution while handled."""
    if case.paused_at is not None or case.accepted_at is None:
        due, limit = None, None
    elif case.status == Status.DISPATCHED:
        due, limit = case.response_due, case.response_limit
    elif case.status in HANDLING_STATUSES:
        due, limit = case.resolution_due, case.resolution_limit
    else:
        due, limit = None, None
    case.clock_due_at = due
    case.clock_warn_at = None if due is None else due - limit * (1 - WARNING_SHARE)


CLOCK_FIELDS = ["clock_due_at", "clock_warn_at"]
