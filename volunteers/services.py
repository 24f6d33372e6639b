"""Every write of the volunteers app, each in a transaction (ARCHITECTURE.md, Layers inside an app)."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.photos import photos_check
from common.submissions import create_once

from . import permissions
from .models import (
    Activity,
    ActivityPhoto,
    ActivitySignUp,
    PartnerUnit,
    ReportingMember,
    Volunteer,
    VolunteerTeam,
)

PHOTOS_PER_ACTIVITY = 20


class SignUpRefused(Exception):  # noqa: N818 (an outcome the user is told about, not a fault)
    """A sign-up that cannot be taken: the activity is full, over, or the volunteer is signed up already."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("您没有权限修改此记录。"))


# --- registers: partner units, reporting members, volunteers, teams ------------------------------------


@transaction.atomic
def partner_unit_save(*, unit: PartnerUnit, actor) -> PartnerUnit:
    _require(permissions.can_edit_community_records(actor, unit.community))
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def reporting_member_save(*, member: ReportingMember, actor) -> ReportingMember:
    _require(permissions.can_edit_reporting_member(actor, member.grid))
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def team_save(*, team: VolunteerTeam, actor) -> VolunteerTeam:
    _require(permissions.can_edit_community_records(actor, team.community))
    leader = team.leader
    if leader is not None and leader.community_id != team.community_id:
        raise ValidationError({"leader": _("队长须是本社区的志愿者。")})
    team.full_clean()
    team.save()
    if leader is not None:
        leader.teams.add(team)
    return team


def _volunteer_names(volunteer: Volunteer) -> None:
    """A resident's or reporting member's volunteer record carries their name (lists and search)."""
    resident, member = volunteer.resident, volunteer.reporting_member
    if resident is not None:
        volunteer.name = resident.name
        volunteer.phone = ""
        if resident.grid.community_id != volunteer.community_id:
            raise ValidationError({"resident": _("该居民不在本社区。")})
    elif member is not None:
        volunteer.name = member.name
        volunteer.phone = ""
        if member.grid.community_id != volunteer.community_id:
            raise ValidationError({"reporting_member": _("该在职党员不在本社区报到。")})
    elif not volunteer.name:
        raise ValidationError({"name": _("社会志愿者须填写姓名。")})


@transaction.atomic
def volunteer_save(
    *, volunteer: Volunteer, actor, teams=None, submission_token: uuid.UUID | None = None
) -> Volunteer:
    _require(permissions.can_edit_community_records(actor, volunteer.community))
    _volunteer_names(volunteer)
    if teams is not None and any(team.community_id != volunteer.community_id for team in teams):
        raise ValidationError({"teams": _("服务队不属于本社区。")})
    volunteer.full_clean(exclude=["submission_token"])

    def save() -> Volunteer:
        if volunteer.pk is None:
            volunteer.submission_token = submission_token
        volunteer.save()
        if teams is not None:
            volunteer.teams.set(teams)
        return volunteer

    if volunteer.pk is None:
        return create_once(Volunteer, submission_token, save)
    return save()


# --- activities ---------------------------------------------------------------------------------------


@transaction.atomic
def activity_save(
    *, activity: Activity, actor, partner_units=None, submission_token: uuid.UUID | None = None
) -> Activity:
    if activity.pk is None:
        allowed = permissions.can_edit_community_records(actor, activity.community) or (
            activity.grid_id is not None
            and permissions.grids_for_activities(actor).filter(pk=activity.grid_id).exists()
        )
        _require(allowed)
        activity.created_by = actor
    else:
        _require(permissions.can_edit_activity(actor, activity))
    if partner_units is not None and any(
        unit.community_id != activity.community_id for unit in partner_units
    ):
        raise ValidationError({"partner_units": _("成员单位不属于本社区。")})
    activity.full_clean(exclude=["submission_token", "created_by"])
    if activity.pk is not None and activity.capacity is not None:
        taken = activity.sign_ups.count()
        if taken > activity.capacity:
            raise ValidationError({"capacity": _("已有 %(n)d 人报名，招募人数不能少于此数。") % {"n": taken}})
    if activity.pk is not None:
        longest = activity.sign_ups.filter(hours__gt=activity.duration_hours).exists()
        if longest:
            raise ValidationError({"ends_at": _("已记录的服务时长超过了新的活动时长，请先修改签到记录。")})

    def save() -> Activity:
        if activity.pk is None:
            activity.submission_token = submission_token
        activity.save()
        if partner_units is not None:
            activity.partner_units.set(partner_units)
        return activity

    if activity.pk is None:
        return create_once(Activity, submission_token, save)
    return save()


@transaction.atomic
def activity_sign_up(*, activity: Activity, volunteer: Volunteer, actor) -> ActivitySignUp:
    """Sign a volunteer up. The activity's row is locked first, so of two sign-ups for its last place at
    the same moment the second waits, then counts the first and is refused (SignUpRefused)."""
    _require(permissions.can_edit_activity(actor, activity))
    locked = Activity.objects.select_for_update().get(pk=activity.pk)
    if volunteer.community_id != locked.community_id:
        raise SignUpRefused(_("只能为本社区的志愿者报名。"))
    if not volunteer.active:
        raise SignUpRefused(_("%(name)s 已不在册，不能报名。") % {"name": volunteer.name})
    if locked.ends_at <= timezone.now():
        raise SignUpRefused(_("活动已结束，不能再报名。"))
    signed = ActivitySignUp.objects.filter(activity=locked)
    if signed.filter(volunteer=volunteer).exists():
        raise SignUpRefused(_("%(name)s 已报名此活动。") % {"name": volunteer.name})
    if locked.capacity is not None and signed.count() >= locked.capacity:
        raise SignUpRefused(
            _("名额已满：此活动招募 %(n)d 人，已全部报满，%(name)s 未能报名。")
            % {"n": locked.capacity, "name": volunteer.name}
        )
    return ActivitySignUp.objects.create(activity=locked, volunteer=volunteer)


@transaction.atomic
def activity_sign_up_cancel(*, sign_up: ActivitySignUp, actor) -> None:
    _require(permissions.can_edit_activity(actor, sign_up.activity))
    locked = ActivitySignUp.objects.select_for_update().get(pk=sign_up.pk)
    if locked.attended:
        raise SignUpRefused(_("已签到的报名不能取消。"))
    locked.delete()


@dataclass(frozen=True)
class Attendance:
    """One line of the attendance sheet: did they come, and the hours to credit (None: the whole activity)."""

    sign_up_id: int
    attended: bool
    hours: Decimal | None = None


@transaction.atomic
def attendance_take(*, activity: Activity, actor, lines: list[Attendance]) -> list[ActivitySignUp]:
    """Record who came and their hours, in one go. Nobody absent is credited; an attendee's hours default
    to the activity's length and may be neither negative nor longer than it."""
    _require(permissions.can_edit_activity(actor, activity))
    locked = Activity.objects.select_for_update().get(pk=activity.pk)
    if timezone.localdate(locked.starts_at) > timezone.localdate():
        raise ValidationError(_("活动尚未开始，不能签到。"))
    longest = locked.duration_hours
    sign_ups = {row.pk: row for row in ActivitySignUp.objects.filter(activity=locked).select_for_update()}
    errors = []
    changed = []
    for line in lines:
        row = sign_ups.get(line.sign_up_id)
        if row is None:
            errors.append(_("报名记录不属于此活动。"))
            continue
        if not line.attended:
            row.attended, row.hours = False, Decimal("0")
        else:
            hours = longest if line.hours is None else line.hours
            if hours < 0:
                errors.append(_("%(name)s 的服务时长不能为负数。") % {"name": row.volunteer.name})
                continue
            if hours > longest:
                errors.append(
                    _("%(name)s 的服务时长不能超过活动时长 %(h)s 小时。")
                    % {"name": row.volunteer.name, "h": longest}
                )
                continue
            row.attended, row.hours = True, hours
        changed.append(row)
    if errors:
        raise ValidationError(errors)
    ActivitySignUp.objects.bulk_update(changed, ["attended", "hours"])
    locked.attendance_taken_at = timezone.now()
    locked.save(update_fields=["attendance_taken_at"])
    return changed


@transaction.atomic
def activity_report_save(*, activity: Activity, actor, report: str) -> Activity:
    _require(permissions.can_edit_activity(actor, activity))
    activity.report = report
    activity.save(update_fields=["report"])
    return activity


@transaction.atomic
def activity_photos_add(*, activity: Activity, actor, files: list[UploadedFile]) -> list[ActivityPhoto]:
    _require(permissions.can_edit_activity(actor, activity))
    if activity.photos.count() + len(files) > PHOTOS_PER_ACTIVITY:
        raise ValidationError({"files": [_("每个活动最多上传 %(n)d 张照片。") % {"n": PHOTOS_PER_ACTIVITY}]})
    checked = photos_check(files, field="files", most=PHOTOS_PER_ACTIVITY)
    return [
        ActivityPhoto.objects.create(
            activity=activity,
            file=photo.content,
            original_name=(upload.name or "")[:200],
            content_type=photo.content_type,
            size=photo.content.size,
            uploaded_by=actor,
        )
        for upload, photo in checked
    ]
