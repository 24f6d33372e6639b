"""Every write to cases: registering a request, the one transition service, attachments and meetings."""

import datetime
import io
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from common.submissions import create_once
from grids.models import Building, Grid
from residents.models import Household, Resident
from visits.models import PatrolFinding, Visit

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
    Status,
    Urgency,
    case_number,
)
from .permissions import can_register_case, hats
from .workflow import move_for

# Photos only, as phones take them; Pillow reads the file to tell its real type, whatever its name says.
ATTACHMENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
ATTACHMENT_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_PER_CASE = 10
# A phone's photo has 12 to 50 million pixels; a file claiming more is refused before it is decoded
# (a few kilobytes of PNG can claim a picture that takes gigabytes to decode).
ATTACHMENT_MAX_PIXELS = 50_000_000
# Stored photos are shrunk to this longest side: enough to read a meter or a crack on a wall.
ATTACHMENT_MAX_SIDE = 2560
_SRGB = ImageCms.createProfile("sRGB")


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


@dataclass(frozen=True)
class Photo:
    """An uploaded photo as it is stored: re-encoded, without its metadata or anything appended to it."""

    content: ContentFile
    content_type: str


def _not_a_photo(upload: UploadedFile) -> ValidationError:
    return ValidationError(_("“%(name)s”不是照片：只接受 JPEG、PNG 或 WebP 图片。") % {"name": upload.name})


def _too_many_pixels(upload: UploadedFile) -> ValidationError:
    return ValidationError(
        _("“%(name)s”的像素过多（超过 %(max)d 万像素）：请用相机的普通模式拍摄，或缩小后再上传。")
        % {"name": upload.name, "max": ATTACHMENT_MAX_PIXELS // 10_000}
    )


def _in_srgb(image: Image.Image) -> Image.Image:
    """The picture in sRGB, so the stored file needs no colour profile (a profile can carry any bytes)."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=image.mode) or image
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unreadable profile: the colours as they are


def attachment_check(upload: UploadedFile) -> Photo:
    """The photo to store, re-encoded, or a ValidationError saying what is wrong with the file.

    Pillow reads the file to tell its real type, whatever its name says. The picture is turned upright
    (EXIF orientation), shrunk to ATTACHMENT_MAX_SIDE and saved afresh: the location and camera
    details in its EXIF, any other metadata and any bytes appended after the picture are not kept.
    """
    size = upload.size or 0
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s”有 %(size).1f MB，照片不能超过 %(max)d MB。")
            % {"name": upload.name, "size": size / 2**20, "max": ATTACHMENT_MAX_BYTES // 2**20}
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning: the pixel count is checked below, against a lower limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(upload)
    except Image.DecompressionBombError:
        raise _too_many_pixels(upload) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_a_photo(upload) from None
    with image:
        kind = image.format
        if kind not in ATTACHMENT_TYPES:
            raise _not_a_photo(upload)
        if image.width * image.height > ATTACHMENT_MAX_PIXELS:
            raise _too_many_pixels(upload)
        try:
            if kind == "JPEG":
                # Decode a large JPEG at a half, quarter or eighth of its size: no more than is kept.
                image.draft(None, (ATTACHMENT_MAX_SIDE, ATTACHMENT_MAX_SIDE))
            image.load()
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((ATTACHMENT_MAX_SIDE, ATTACHMENT_MAX_SIDE))
            picture = _in_srgb(picture)
            if kind == "JPEG" and picture.mode not in ("RGB", "L"):
                picture = picture.convert("RGB")
            # Pillow carries some of what it read over to what it writes (a JPEG comment, a PNG's colour
            # profile): keep only the transparency, which is part of the picture.
            picture.info = {k: v for k, v in picture.info.items() if k == "transparency"}
            buffer = io.BytesIO()
            options = {"JPEG": {"quality": 85}, "WEBP": {"quality": 85}, "PNG": {}}[kind]
            picture.save(buffer, format=kind, **options)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise _not_a_photo(upload) from None  # truncated or damaged
        finally:
            upload.seek(0)
    name = f"{uuid.uuid4().hex}.{ATTACHMENT_EXTENSIONS[kind]}"
    return Photo(content=ContentFile(buffer.getvalue(), name=name), content_type=ATTACHMENT_TYPES[kind])


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
    _check_intake(intake, actor)
    if len(attachments) > ATTACHMENTS_PER_CASE:
        raise ValidationError({"attachments": [_too_many_photos()]})
    photos = []
    for upload in attachments:
        try:
            photos.append((upload, attachment_check(upload)))
        except ValidationError as error:
            raise ValidationError({"attachments": error.messages}) from None
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
    checked = []
    for upload in files:
        try:
            checked.append((upload, attachment_check(upload)))
        except ValidationError as error:
            raise ValidationError({"files": error.messages}) from None
    return [_attach(case, upload, photo, actor) for upload, photo in checked]


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
    if move.guard is not None and not move.guard.holds(case):
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


# --- consultation meetings --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantEntry:
    role: str
    name: str
    organisation: str = ""
    resident: Resident | None = None


@dataclass(frozen=True)
class TermEntry:
    party: str
    action: str
    due: datetime.date


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


def _check_meeting(record: MeetingRecord, now: datetime.datetime) -> None:
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
    _check_meeting(record, now)
    case = case_transition(
        case=case,
        action=Action.RECORD_MEETING,
        actor=actor,
        expected_status=expected_status,
        note=record.question[:200],
        now=now,
    )
    round_number = (case.meetings.aggregate(last=Max("round"))["last"] or 0) + 1
    meeting = Meeting.objects.create(
        case=case,
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
            meeting=meeting, role=e.role, name=e.name, organisation=e.organisation, resident=e.resident
        )
        for e in record.participants
    )
    AgreementTerm.objects.bulk_create(
        AgreementTerm(meeting=meeting, party=t.party, action=t.action, due=t.due) for t in record.terms
    )
    event = case.events.latest("id")
    event.details = {"round": round_number, "outcome": record.outcome}
    event.save(update_fields=["details"])
    return meeting


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
        merge_into = selectors.case_in_scope(actor, duplicate_choice)
        if merge_into is None:
            raise ValidationError(_("找不到要合并到的工单，请重新选择。"))
    case = case_register(
        intake=intake, actor=actor, attachments=attachments, submission_token=submission_token
    )
    if merge_into is not None:
        return case_transition(case=case, action=Action.MERGE, actor=actor, target=merge_into)
    if accept:
        return case_transition(case=case, action=Action.ACCEPT, actor=actor, worker=worker)
    return case
