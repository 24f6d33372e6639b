"""Every write to cases: registering a request, the one transition service, attachments and meetings."""

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from common.photos import Photo, photo_check, photos_check
from common.submissions import create_once
from grids.models import Building, Grid
from residents import services as resident_services
from residents.models import Household, Resident, RevealReason, SensitiveField
from visits.models import PatrolFinding, Visit
from volunteers.models import Volunteer

from . import selectors, signals
from .models import (
    Action,
    AgreementTerm,
    Case,
    CaseAttachment,
    CaseEvent,
    Category,
    Meeting,
    Participant,
    RequesterReveal,
    Status,
    Urgency,
    case_number,
)
from .permissions import (
    can_mark_term_done,
    can_merge_at_intake,
    can_register_case,
    can_reveal_requester_phone,
    hats,
)
from .workflow import move_for

ATTACHMENTS_PER_CASE = 10
# The photo check is common.photos' (visits, below cases, attaches photos too); its name here stays.
attachment_check = photo_check


class CaseConflict(Exception):
    """The case moved on since the user's page was drawn (someone else acted first)."""


class CaseActionRefused(PermissionDenied):
    """The workflow table does not let this user take this action."""


@dataclass
class Requester:
    """Who raised the request: a resident of the registry, a named outsider, or nobody (anonymous)."""

    resident: Resident | None = None
    name: str = ""
    phone: str = ""
    anonymous: bool = False


@dataclass
class Intake:
    """What the desk (or a worker at a door or on patrol) writes down for a new request."""

    channel: str
    grid: Grid
    category: Category
    urgency: str
    description: str
    requester: Requester = field(default_factory=Requester)
    building: Building | None = None
    household: Household | None = None
    address: str = ""
    origin_visit: Visit | None = None
    origin_finding: PatrolFinding | None = None


def _too_many_photos() -> str:
    return _("每件最多上传 %(n)d 张照片。") % {"n": ATTACHMENTS_PER_CASE}


def _check_intake(intake: Intake, actor) -> None:
    errors: dict[str, list[str]] = {}

    def error(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(message)

    requester = intake.requester
    if requester.anonymous and (requester.resident or requester.name.strip() or requester.phone.strip()):
        error("requester", _("匿名诉求不能填写诉求人。"))
    if not requester.anonymous and not requester.resident and not requester.name.strip():
        error("requester", _("请选择登记的居民、填写诉求人姓名，或勾选匿名。"))
    # A resident may raise a request about a place in another of the user's grids.
    if (
        requester.resident
        and not Resident.objects.visible_to(actor).filter(pk=requester.resident.pk).exists()
    ):
        error("requester", _("该居民不在您负责的网格内。"))
    if intake.building and intake.building.grid_id != intake.grid.pk:
        error("building", _("该楼栋不属于所选网格。"))
    if intake.household and intake.household.grid_id != intake.grid.pk:
        error("household", _("该户不属于所选网格。"))
    if not intake.category.active:
        error("category", _("该事项类别已停用。"))
    if intake.urgency not in Urgency.values:
        error("urgency", _("请选择紧急程度。"))
    if not intake.description.strip():
        error("description", _("请填写诉求内容。"))
    if errors:
        raise ValidationError(errors)


def _event(case: Case, *, action: str, actor, at, from_status: str, note: str = "", **details) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        action=action,
        actor=actor,
        at=at,
        from_status=from_status,
        to_status=case.status,
        note=note,
        details=details,
    )
    signals.case_transitioned.send(sender=Case, case=case, event=event, actor=actor)
    return event


@transaction.atomic
def case_register(
    *,
    intake: Intake,
    actor,
    attachments: Sequence[UploadedFile] = (),
    now: datetime.datetime | None = None,
    submission_token: uuid.UUID | None = None,
) -> Case:
    """Record a new request as a case waiting to be accepted (待受理), with its photos.

    `now` is when the request arrived (a ledger or the demo records requests received earlier).
    """
    if not can_register_case(actor, intake.grid):
        raise PermissionDenied(_("您不负责该网格，不能登记其诉求。"))
    return _register(
        intake=intake, actor=actor, attachments=attachments, now=now, submission_token=submission_token
    )


@transaction.atomic
def case_register_outside(
    *,
    intake: Intake,
    actor,
    attachments: Sequence[UploadedFile] = (),
    now: datetime.datetime | None = None,
    submission_token: uuid.UUID | None = None,
) -> Case:
    """Record a request that came from outside the portal's staff (a resident's own page, a platform's
    work order), as 待受理 like any other. The channel has checked who may send it (its link, its key);
    `actor` is the channel's account (outside_actor). The requester is named, never a registry resident:
    nobody outside may pick a resident from the registry."""
    if intake.requester.resident is not None:
        raise PermissionDenied
    return _register(
        intake=intake, actor=actor, attachments=attachments, now=now, submission_token=submission_token
    )


def outside_actor(username: str, name: str):
    """The account recorded as the actor of what comes from outside the portal's staff: the residents'
    pages (cases.workflow.REQUESTER_ACTOR) and each calling platform. It cannot sign in (inactive, no
    usable password) and holds no role, so it reaches a case only through the service that checked the
    channel's own link or key. Made on first use."""
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"first_name": name[:150], "is_active": False, "password": make_password(None)},
    )
    return user


def _register(
    *,
    intake: Intake,
    actor,
    attachments: Sequence[UploadedFile],
    now: datetime.datetime | None,
    submission_token: uuid.UUID | None,
) -> Case:
    _check_intake(intake, actor)
    if len(attachments) > ATTACHMENTS_PER_CASE:
        raise ValidationError({"attachments": [_too_many_photos()]})
    photos = photos_check(attachments, field="attachments", most=ATTACHMENTS_PER_CASE)
    now = now or timezone.now()
    requester = intake.requester
    case = Case.objects.create(
        number=uuid.uuid4().hex[:20],  # replaced below, once the id is known
        channel=intake.channel,
        requester=requester.resident,
        requester_name="" if requester.resident else requester.name.strip(),
        requester_phone="" if requester.resident else requester.phone.strip(),
        anonymous=requester.anonymous,
        grid=intake.grid,
        building=intake.building,
        household=intake.household or (requester.resident.household if requester.resident else None),
        address=intake.address.strip(),
        category=intake.category,
        urgency=intake.urgency,
        description=intake.description.strip(),
        origin_visit=intake.origin_visit,
        origin_finding=intake.origin_finding,
        created_by=actor,
        created_at=now,
        submission_token=submission_token,
    )
    case.number = case_number(timezone.localdate(now), case.pk)
    case.save(update_fields=["number"])
    for upload, photo in photos:
        _attach(case, upload, photo, actor)
    _event(case, action=Action.REGISTER, actor=actor, at=now, from_status="")
    return case


def _attach(case: Case, upload: UploadedFile, photo: Photo, actor) -> CaseAttachment:
    return CaseAttachment.objects.create(
        case=case,
        file=photo.content,
        original_name=(upload.name or "")[:200],
        content_type=photo.content_type,
        size=photo.content.size,
        uploaded_by=actor,
    )


@transaction.atomic
def attachments_add(*, case: Case, actor, files: list[UploadedFile]) -> list[CaseAttachment]:
    """Add photos to an open case (anyone who may register requests in its grid)."""
    if case.status == Status.CLOSED or not can_register_case(actor, case.grid):
        raise PermissionDenied(_("不能为该工单添加照片。"))
    if case.attachments.count() + len(files) > ATTACHMENTS_PER_CASE:
        raise ValidationError({"files": [_too_many_photos()]})
    checked = photos_check(files, field="files", most=ATTACHMENTS_PER_CASE)
    return [_attach(case, upload, photo, actor) for upload, photo in checked]


@transaction.atomic
def case_transition_with_photos(*, case: Case, photos: Sequence[UploadedFile], actor, **transition) -> Case:
    """A move with the photos taken for it (办结: the work done), checked first; all of it or nothing."""
    if CaseAttachment.objects.filter(case=case).count() + len(photos) > ATTACHMENTS_PER_CASE:
        raise ValidationError({"photos": [_too_many_photos()]})
    checked = photos_check(photos, field="photos", most=ATTACHMENTS_PER_CASE)
    case = case_transition(case=case, actor=actor, **transition)
    for upload, photo in checked:
        _attach(case, upload, photo, actor)
    return case


def requester_phone_reveal(*, user, case: Case) -> str:
    """The requester's full phone for a user allowed to call them back, recorded like any reveal: a
    resident's as a reveal of the resident (reason 联系居民), an outsider's as a RequesterReveal."""
    if not can_reveal_requester_phone(user, case):
        raise PermissionDenied
    if case.requester is not None:
        return resident_services.resident_reveal(
            user=user, resident=case.requester, field=SensitiveField.PHONE, reason=RevealReason.CONTACT
        )
    RequesterReveal.objects.create(user=user, case=case)
    return case.requester_phone


# --- the one transition service -------------------------------------------------------------------


def _conflict_message(case: Case) -> str:
    last = case.events.select_related("actor").order_by("-at", "-id").first()
    if last is None:
        return _("该工单的状态已变化，请刷新后再操作。")
    who = last.actor.first_name or last.actor.get_username()
    if last.action == Action.TAKE:
        return _("%(who)s 已于 %(time)s 接单，您无需再接。") % {
            "who": who,
            "time": timezone.localtime(last.at).strftime("%H:%M"),
        }
    return _("%(who)s 已于 %(time)s %(action)s，工单现为“%(status)s”，请查看后再操作。") % {
        "who": who,
        "time": timezone.localtime(last.at).strftime("%m-%d %H:%M"),
        "action": Action(last.action).label if last.action in Action.values else last.action,
        "status": case.get_status_display(),
    }


def _required(note: str, message: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [message]})
    return note


@transaction.atomic
def case_transition(
    *,
    case: Case,
    action: str,
    actor,
    note: str = "",
    expected_status: str | None = None,
    now: datetime.datetime | None = None,
    **params,
) -> Case:
    """Apply one workflow action to a case and record it on the timeline.

    The row is locked first, so of two workers pressing 接单 at once one wins and the other gets a
    CaseConflict naming who took it. `expected_status` is the state the user's page showed: a form
    posted after someone else moved the case is refused the same way, and nothing changes.
    """
    now = now or timezone.now()
    case = Case.objects.select_for_update().select_related("grid", "category").get(pk=case.pk)
    if expected_status is not None and case.status != expected_status:
        raise CaseConflict(_conflict_message(case))
    move = move_for(case, action)
    if move is None or not hats(actor, case) & move.who:
        raise CaseActionRefused(
            _("您不能对“%(status)s”的工单执行“%(action)s”。")
            % {"status": case.get_status_display(), "action": Action(action).label}
        )
    if move.guard is not None and not move.guard.holds(case, actor):
        raise ValidationError(str(move.guard.message))
    if move.note_required:
        note = _required(note, str(move.action.note_missing))
    note = (note or "").strip()

    if move.action.prepare is not None:
        params = move.action.prepare(case, actor=actor, now=now, params=params)

    from_status = case.status
    details: dict = {}
    changed = move.apply(case, actor=actor, note=note, now=now, details=details, **params)
    case.full_clean(exclude=["number"], validate_unique=False, validate_constraints=False)
    case.save(update_fields=sorted(changed))
    _event(case, action=action, actor=actor, at=now, from_status=from_status, note=note, **details)
    return case


# --- several cases at once ---------------------------------------------------------------------------

# What the desk and the leaders do to several cases at once (the desk and the case list): dispatch, urge,
# or archive those already followed up. Each case still makes its own move of the workflow table.
BULK_ACTIONS = (Action.DISPATCH, Action.URGE, Action.CLOSE)


class BulkActionRefused(Exception):  # noqa: N818 (an outcome the user is told about, not a fault)
    """Some of the chosen cases could not move: nothing was changed. `refusals`: (case, why) each."""

    def __init__(self, refusals: list[tuple[Case, str]]):
        super().__init__(refusals)
        self.refusals = refusals


def _bulk_move(case: Case, action: str) -> str:
    """The table's action for a bulk action on this case: dispatching a case not yet accepted accepts it."""
    if action == Action.DISPATCH and case.status == Status.SUBMITTED:
        return Action.ACCEPT
    return action


def _why(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "；".join(error.messages)
    return str(error) or _("您不能对该工单执行此操作。")


@transaction.atomic
def cases_bulk_transition(
    *,
    cases: Sequence[Case],
    action: str,
    actor,
    note: str = "",
    now: datetime.datetime | None = None,
    **params,
) -> list[Case]:
    """Apply one action to several cases, each through case_transition (one event each); all or none.

    Every case is tried, so the user learns at once about each one that cannot move; if any cannot,
    BulkActionRefused names them and the whole transaction, the moves already made included, is undone.
    """
    if action not in BULK_ACTIONS:
        raise CaseActionRefused(_("不能批量执行该操作。"))
    now = now or timezone.now()
    moved, refused = [], []
    for case in sorted(cases, key=lambda c: c.number):
        if action == Action.CLOSE and case.status != Status.RESOLVED:
            # Archiving in bulk is for the cases followed up; an unresolved one is archived on its own page.
            refused.append((case, _("只能批量归档已办结并回访的工单。")))
            continue
        try:
            moved.append(
                case_transition(
                    case=case, action=_bulk_move(case, action), actor=actor, note=note, now=now, **params
                )
            )
        except (CaseConflict, PermissionDenied, ValidationError) as error:
            refused.append((case, _why(error)))
    if refused:
        raise BulkActionRefused(refused)
    return moved


# --- consultation meetings --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantEntry:
    role: str
    name: str
    organisation: str = ""
    resident: Resident | None = None
    volunteer: Volunteer | None = None  # one of the meeting's community's volunteers


@dataclass(frozen=True)
class TermEntry:
    party: str
    action: str
    due: datetime.date | None  # None: an undertaking (承诺事项) without a deadline


@dataclass(frozen=True)
class MeetingRecord:
    held_at: datetime.datetime
    place: str
    chair: str
    question: str
    minutes: str
    outcome: str
    participants: list[ParticipantEntry]
    terms: list[TermEntry]


def check_meeting(record: MeetingRecord, now: datetime.datetime) -> None:
    """A meeting's rules, for a case's round and a deliberation's meeting alike."""
    errors: dict[str, list[str]] = {}
    if record.held_at > now:
        errors.setdefault("held_at", []).append(_("会议时间不能晚于现在。"))
    if record.outcome not in Meeting.Outcome.values:
        errors.setdefault("outcome", []).append(_("请选择会议结果。"))
    if len(record.participants) < 2:
        errors.setdefault("participants", []).append(_("请至少登记两名参会人。"))
    if record.outcome in (Meeting.Outcome.AGREEMENT, Meeting.Outcome.PARTIAL) and not record.terms:
        errors.setdefault("terms", []).append(_("达成协议时请写明协议条款：谁、做什么、何时完成。"))
    if record.outcome in (Meeting.Outcome.NONE, Meeting.Outcome.ADJOURNED) and record.terms:
        errors.setdefault("terms", []).append(_("未达成协议的会议不登记协议条款。"))
    if errors:
        raise ValidationError(errors)


def meeting_record(
    *,
    case: Case,
    actor,
    record: MeetingRecord,
    expected_status: str | None = None,
    now: datetime.datetime | None = None,
    submission_token: uuid.UUID | None = None,
) -> Meeting:
    """Record one consultation round of a case in consultation, with its participants and agreed terms;
    a form sent twice saves once (AlreadySubmitted names the round saved first)."""
    return create_once(
        Meeting,
        submission_token,
        lambda: _meeting_record(case, actor, record, expected_status, now, submission_token),
    )


@transaction.atomic
def _meeting_record(case, actor, record, expected_status, now, submission_token) -> Meeting:
    now = now or timezone.now()
    check_meeting(record, now)
    case = case_transition(
        case=case,
        action=Action.RECORD_MEETING,
        actor=actor,
        expected_status=expected_status,
        note=record.question[:200],
        now=now,
    )
    meeting = meeting_create(
        record=record, actor=actor, now=now, submission_token=submission_token, case=case
    )
    event = case.events.latest("id")
    event.details = {"round": meeting.round, "outcome": record.outcome}
    event.save(update_fields=["details"])
    return meeting


def meeting_create(*, record: MeetingRecord, actor, now, submission_token, **owner) -> Meeting:
    """The meeting, its participants and terms, as the next round of its owner (`case=` or `deliberation=`,
    locked by the caller's transition). One writer for both kinds of meeting; the caller has checked the
    record (check_meeting) and made the owner's move."""
    ((key, subject),) = owner.items()
    round_number = (subject.meetings.aggregate(last=Max("round"))["last"] or 0) + 1
    meeting = Meeting.objects.create(
        **{key: subject},
        round=round_number,
        held_at=record.held_at,
        place=record.place,
        chair=record.chair,
        question=record.question,
        minutes=record.minutes,
        outcome=record.outcome,
        recorded_by=actor,
        recorded_at=now,
        submission_token=submission_token,
    )
    Participant.objects.bulk_create(
        Participant(
            meeting=meeting,
            role=e.role,
            name=e.name,
            organisation=e.organisation,
            resident=e.resident,
            volunteer=e.volunteer,
        )
        for e in record.participants
    )
    AgreementTerm.objects.bulk_create(
        AgreementTerm(meeting=meeting, party=t.party, action=t.action, due=t.due) for t in record.terms
    )
    return meeting


@transaction.atomic
def agreement_term_done(
    *, term: AgreementTerm, actor, note: str = "", now: datetime.datetime | None = None
) -> AgreementTerm:
    """Mark one agreement term done, by whom and when (on the term: it is tracked after the case closes)."""
    term = AgreementTerm.objects.select_for_update().get(pk=term.pk)
    term.meeting = Meeting.objects.select_related("case__grid", "deliberation__community").get(
        pk=term.meeting_id
    )
    if not can_mark_term_done(actor, term):
        raise PermissionDenied(_("您不能确认该协议条款的完成情况。"))
    if term.done_at is not None and term.done_by is not None:
        raise ValidationError(
            _("该条款已由 %(who)s 于 %(time)s 确认完成。")
            % {
                "who": term.done_by.first_name or term.done_by.get_username(),
                "time": timezone.localtime(term.done_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    term.done_at = now or timezone.now()
    term.done_by = actor
    term.done_note = (note or "").strip()[:200]
    term.full_clean()
    term.save(update_fields=["done_at", "done_by", "done_note"])
    return term


class PossibleDuplicates(Exception):  # noqa: N818 (an outcome the desk decides on, not a fault)
    """Open cases that look like the same request; the user chooses to merge or register anew."""

    def __init__(self, cases: list[Case]):
        super().__init__(cases)
        self.cases = cases


# What the intake form's duplicate choice says: not asked yet, or register anew; otherwise a case's id.
NOT_ASKED, REGISTER_ANEW = "", "new"


def case_intake(
    *,
    intake: Intake,
    actor,
    attachments: Sequence[UploadedFile] = (),
    accept: bool = False,
    worker=None,
    duplicate_choice: str = REGISTER_ANEW,
    now: datetime.datetime | None = None,
    submission_token: uuid.UUID | None = None,
) -> Case:
    """Register a request and, in the same transaction, accept and dispatch it or merge it into a duplicate.

    Before a first registration (`duplicate_choice` NOT_ASKED) the open duplicates are looked up: if there
    are any, PossibleDuplicates is raised and nothing is written, so the user can choose one to merge into
    (its id) or REGISTER_ANEW. Either everything is written or nothing: a refused acceptance leaves no
    half-registered case behind. A form sent twice registers once: AlreadySubmitted names the case
    registered first.
    """
    return create_once(
        Case,
        submission_token,
        lambda: _case_intake(
            intake, actor, attachments, accept, worker, duplicate_choice, now, submission_token
        ),
    )


@transaction.atomic
def _case_intake(
    intake: Intake, actor, attachments, accept, worker, duplicate_choice, now, submission_token
) -> Case:
    now = now or timezone.now()
    merge_into = None
    if duplicate_choice == NOT_ASKED:
        duplicates = selectors.possible_duplicates(
            grid=intake.grid, category=intake.category, building=intake.building, now=now
        )
        if duplicates:
            raise PossibleDuplicates(duplicates)
    elif duplicate_choice != REGISTER_ANEW:
        # Merging is the desk's move (the workflow table's MERGE from 待受理): asked of the table before
        # anything is written, so a worker hears why rather than a refusal of the half-made case.
        if not can_merge_at_intake(actor, intake.grid):
            raise ValidationError(
                {
                    "duplicate_choice": [
                        _("合并工单由社区受理台办理，已取消合并：请再点“登记”，选择仍作为新诉求登记。")
                    ]
                }
            )
        merge_into = selectors.case_in_scope(actor, duplicate_choice)
        if merge_into is None:
            raise ValidationError({"duplicate_choice": [_("找不到要合并到的工单，请重新选择。")]})
    case = case_register(
        intake=intake, actor=actor, attachments=attachments, submission_token=submission_token
    )
    if merge_into is not None:
        return case_transition(case=case, action=Action.MERGE, actor=actor, target=merge_into)
    if accept:
        return case_transition(case=case, action=Action.ACCEPT, actor=actor, worker=worker)
    return case
