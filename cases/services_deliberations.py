"""Every write to community deliberations (居民议事): gathering a topic, the one transition service and
the deliberation's meetings (the same Meeting rows and writer as a case's consultation rounds)."""

import datetime
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.submissions import create_once
from grids.models import Community, Grid

from .deliberation_workflow import move_for
from .models import Deliberation, DeliberationAction, DeliberationEvent, Meeting
from .permissions import can_gather_in, community_hats
from .services import MeetingRecord, _required, check_meeting, meeting_create


class DeliberationConflict(Exception):
    """The deliberation moved on since the user's page was drawn (someone else acted first)."""


class DeliberationActionRefused(PermissionDenied):
    """The deliberation table does not let this user take this action."""


@dataclass(frozen=True)
class Topic:
    """What a grid worker or the desk writes down for a new topic (征集议题)."""

    community: Community
    title: str
    description: str
    suggestions: str = ""  # residents' suggestions, one per line: who, where, what
    grid: Grid | None = None


def _event(deliberation, *, action, actor, at, from_status, note="", **details) -> DeliberationEvent:
    return DeliberationEvent.objects.create(
        deliberation=deliberation,
        action=action,
        actor=actor,
        at=at,
        from_status=from_status,
        to_status=deliberation.status,
        note=note,
        details=details,
    )


def deliberation_gather(
    *,
    topic: Topic,
    actor,
    now: datetime.datetime | None = None,
    submission_token: uuid.UUID | None = None,
) -> Deliberation:
    """Record a topic gathered from residents (征集); a form sent twice saves once."""
    return create_once(
        Deliberation, submission_token, lambda: _gather(topic, actor, now or timezone.now(), submission_token)
    )


@transaction.atomic
def _gather(topic: Topic, actor, now, submission_token) -> Deliberation:
    if not can_gather_in(actor, topic.community):
        raise DeliberationActionRefused(_("您不能在该社区征集议题。"))
    errors: dict[str, list[str]] = {}
    if topic.grid is not None and topic.grid.community_id != topic.community.pk:
        errors["grid"] = [_("该网格不属于所选社区。")]
    if not topic.title.strip():
        errors["title"] = [_("请填写议题。")]
    if not topic.description.strip():
        errors["description"] = [_("请说明居民反映的问题。")]
    if errors:
        raise ValidationError(errors)
    deliberation = Deliberation(
        community=topic.community,
        grid=topic.grid,
        title=topic.title.strip(),
        description=topic.description.strip(),
        suggestions=topic.suggestions.strip(),
        created_by=actor,
        gathered_at=now,
        submission_token=submission_token,
    )
    deliberation.full_clean(exclude=["submission_token"])
    deliberation.save()
    _event(deliberation, action=DeliberationAction.GATHER, actor=actor, at=now, from_status="")
    return deliberation


def _conflict_message(deliberation: Deliberation) -> str:
    last = deliberation.events.select_related("actor").order_by("-at", "-id").first()
    if last is None:  # pragma: no cover (every deliberation has its gathering event)
        return _("该议事的状态已变化，请刷新后再操作。")
    return _("%(who)s 已于 %(time)s %(action)s，议事现为“%(status)s”，请查看后再操作。") % {
        "who": last.actor.first_name or last.actor.get_username(),
        "time": timezone.localtime(last.at).strftime("%m-%d %H:%M"),
        "action": last.get_action_display(),
        "status": deliberation.get_status_display(),
    }


@transaction.atomic
def deliberation_transition(
    *,
    deliberation: Deliberation,
    action: str,
    actor,
    note: str = "",
    expected_status: str | None = None,
    now: datetime.datetime | None = None,
    **details,
) -> Deliberation:
    """Apply one action of the deliberation table and record it on the timeline.

    The row is locked first, so of two people pressing at once one wins and the other is told who moved
    it (DeliberationConflict); `expected_status` is the state the user's page showed.
    """
    now = now or timezone.now()
    deliberation = (
        Deliberation.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=deliberation.pk)
    )
    if expected_status is not None and deliberation.status != expected_status:
        raise DeliberationConflict(_conflict_message(deliberation))
    move = move_for(deliberation.status, action)
    if move is None or not community_hats(actor, deliberation.community) & move.who:
        label = DeliberationAction(action).label if action in DeliberationAction.values else action
        raise DeliberationActionRefused(
            _("您不能对“%(status)s”的议事执行“%(action)s”。")
            % {"status": deliberation.get_status_display(), "action": label}
        )
    if move.guard is not None and not move.guard.holds(deliberation, actor):
        raise ValidationError(str(move.guard.message))
    if move.note_required:
        note = _required(note, str(move.step.note_missing))
    note = (note or "").strip()
    from_status = deliberation.status
    changed = move.apply(deliberation, note=note, now=now)
    deliberation.full_clean(exclude=["submission_token"], validate_unique=False, validate_constraints=False)
    deliberation.save(update_fields=sorted(changed))
    _event(deliberation, action=action, actor=actor, at=now, from_status=from_status, note=note, **details)
    return deliberation


def deliberation_meeting_record(
    *,
    deliberation: Deliberation,
    actor,
    record: MeetingRecord,
    expected_status: str | None = None,
    now: datetime.datetime | None = None,
    submission_token: uuid.UUID | None = None,
) -> Meeting:
    """Record one meeting of a deliberation (the case's meeting record and rules); a form sent twice saves
    once."""
    return create_once(
        Meeting,
        submission_token,
        lambda: _meeting_record(deliberation, actor, record, expected_status, now, submission_token),
    )


@transaction.atomic
def _meeting_record(deliberation, actor, record, expected_status, now, submission_token) -> Meeting:
    now = now or timezone.now()
    check_meeting(record, now)
    deliberation = deliberation_transition(
        deliberation=deliberation,
        action=DeliberationAction.RECORD_MEETING,
        actor=actor,
        expected_status=expected_status,
        note=record.question[:200],
        now=now,
    )
    meeting = meeting_create(
        record=record, actor=actor, now=now, submission_token=submission_token, deliberation=deliberation
    )
    event = deliberation.events.latest("id")
    event.details = {"round": meeting.round, "outcome": record.outcome}
    event.save(update_fields=["details"])
    return meeting
