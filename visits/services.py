"""Every write to visits, visit plans and patrols."""

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from common.photos import photos_check
from common.submissions import create_once
from grids.models import Grid, WorkTeamMember
from grids.permissions import roles_over_grid
from residents.models import CareEnrolment, Household, Resident
from shops.models import Shop

from . import permissions, revisions, selectors, signals
from .models import Patrol, PatrolFinding, RecordPhoto, Visit, VisitGift, VisitPlan, VisitRevision


@dataclass(frozen=True)
class Gift:
    item: str
    quantity: int
    value: Decimal


@dataclass(frozen=True)
class VisitDetails:
    """What a visitor writes down; shared by logging and editing a visit."""

    visited_at: datetime.datetime
    kind: str
    condition: str
    notes: str
    needs_found: str
    residents_met: list[Resident]
    visitors: list
    team_members: list[WorkTeamMember]
    gifts: list[Gift]
    outcome: str = Visit.Outcome.MET
    volunteers: list | None = None  # volunteers.Volunteer of the household's community who came along


def _check_details(household: Household, details: VisitDetails) -> None:
    """The rules a visit record must meet; raises ValidationError naming each wrong field."""
    errors: dict[str, list[str]] = {}
    if household.status != Household.Status.ACTIVE:
        errors.setdefault("household", []).append(_("该户已迁出，不能再记录走访。"))
    if details.visited_at > timezone.now():
        errors.setdefault("visited_at", []).append(_("走访时间不能晚于现在。"))
    if details.kind not in Visit.Kind.values:
        errors.setdefault("kind", []).append(_("请选择走访类型。"))
    if details.condition not in Visit.Condition.values:
        errors.setdefault("condition", []).append(_("请选择居民状况。"))
    if details.outcome not in Visit.Outcome.values:
        errors.setdefault("outcome", []).append(_("请选择走访结果。"))
    if details.outcome == Visit.Outcome.NO_ANSWER and details.residents_met:
        errors.setdefault("residents_met", []).append(_("无人应答时不能勾选见到的居民。"))
    if any(resident.household_id != household.pk for resident in details.residents_met):
        errors.setdefault("residents_met", []).append(_("见到的居民须是本户成员。"))
    if not details.visitors:
        errors.setdefault("visitors", []).append(_("请至少选择一名走访人员。"))
    for visitor in details.visitors:
        if not (visitor.is_superuser or roles_over_grid(visitor, household.grid)):
            errors.setdefault("visitors", []).append(
                _("%(name)s 不在本网格的工作人员名册中。") % {"name": visitor.first_name or visitor.username}
            )
    community_grids = set(
        Grid.objects.filter(community_id=household.grid.community_id).values_list("pk", flat=True)
    )
    for member in details.team_members:
        if member.grid_id not in community_grids:
            errors.setdefault("team_members", []).append(
                _("%(name)s 不是本社区的工作队成员。") % {"name": member.name}
            )
    for volunteer in details.volunteers or []:
        if volunteer.community_id != household.grid.community_id:
            errors.setdefault("volunteers", []).append(
                _("%(name)s 不是本社区的志愿者。") % {"name": volunteer.name}
            )
    if details.gifts and details.kind != Visit.Kind.CONDOLENCE:
        errors.setdefault("gifts", []).append(_("只有慰问走访才登记慰问品。"))
    for gift in details.gifts:
        if not gift.item.strip():
            errors.setdefault("gifts", []).append(_("请填写慰问品名称。"))
        if gift.quantity is None or gift.quantity <= 0:
            errors.setdefault("gifts", []).append(_("慰问品“%(item)s”的数量须大于 0。") % {"item": gift.item})
        if gift.value is None or gift.value < 0:
            errors.setdefault("gifts", []).append(
                _("慰问品“%(item)s”的价值不能为负数。") % {"item": gift.item}
            )
    if errors:
        raise ValidationError(errors)


def _write_details(visit: Visit, details: VisitDetails) -> None:
    visit.visited_at = details.visited_at
    visit.kind = details.kind
    visit.outcome = details.outcome
    visit.condition = details.condition
    visit.notes = details.notes
    visit.needs_found = details.needs_found
    visit.save()
    visit.residents_met.set(details.residents_met)
    visit.visitors.set(details.visitors)
    visit.team_members.set(details.team_members)
    if details.volunteers is not None:
        visit.volunteers.set(details.volunteers)
    visit.gifts.all().delete()
    VisitGift.objects.bulk_create(
        VisitGift(visit=visit, item=g.item.strip(), quantity=g.quantity, value=g.value) for g in details.gifts
    )


def _refresh_last_visit(household: Household) -> None:
    """Keep VisitPlan.last_visited_at equal to the household's latest visit that counts (under a row lock):
    a knock with nobody home leaves the household due."""
    plan, _created = VisitPlan.objects.select_for_update().get_or_create(household=household)
    plan.last_visited_at = household.visits.counted().aggregate(latest=Max("visited_at"))["latest"]
    plan.save(update_fields=["last_visited_at"])
    schedule_refresh(households=Household.objects.filter(pk=household.pk))


SCHEDULE_FIELDS = ["interval_days", "next_due", "schedule_valid_until"]


@transaction.atomic
def schedule_refresh(*, households: QuerySet[Household], today: datetime.date | None = None) -> int:
    """Store these households' schedule as selectors.care_schedule computes it today; returns plans changed.

    Also stores until when it holds: the next day one of the household's enrolments starts or ends.
    """
    today = today or timezone.localdate()
    chosen = households.values("pk")
    without_plan = (
        Household.objects.filter(pk__in=chosen, enrolments__isnull=False, visit_plan__isnull=True)
        .values_list("pk", flat=True)
        .distinct()
    )
    VisitPlan.objects.bulk_create(
        [VisitPlan(household_id=pk) for pk in without_plan], ignore_conflicts=True, batch_size=5000
    )
    computed = {
        pk: (interval, due)
        for pk, interval, due in selectors.care_schedule(Household.objects.filter(pk__in=chosen), today)
        .values_list("pk", "interval_days", "next_due")  # type: ignore[misc]  # care_schedule's annotations
        .order_by()
    }
    changes = (
        CareEnrolment.objects.filter(household__in=chosen)
        .values("household")
        .annotate(
            next_start=Min("since", filter=Q(since__gt=today)),
            last_day=Min("until", filter=Q(until__gte=today)),
        )
        .order_by()
    )
    valid_until = {}
    for row in changes:
        ends = row["last_day"] + datetime.timedelta(days=1) if row["last_day"] else None
        days = [day for day in (row["next_start"], ends) if day is not None]
        valid_until[row["household"]] = min(days) if days else None
    # The plans that may change: those of enrolled households and those holding a schedule now.
    enrolled = CareEnrolment.objects.filter(household__in=chosen).values("household")
    plans = (
        VisitPlan.objects.select_for_update()
        .filter(household__in=chosen)
        .filter(Q(household__in=enrolled) | Q(next_due__isnull=False) | Q(schedule_valid_until__isnull=False))
    )
    changed = []
    for plan in plans:
        interval, due = computed.get(plan.household_id, (None, None))
        state = (interval, due, valid_until.get(plan.household_id))
        if state != (plan.interval_days, plan.next_due, plan.schedule_valid_until):
            plan.interval_days, plan.next_due, plan.schedule_valid_until = state
            changed.append(plan)
    VisitPlan.objects.bulk_update(changed, SCHEDULE_FIELDS, batch_size=2000)
    return len(changed)


def schedule_refresh_stale(today: datetime.date | None = None) -> int:
    """Refresh the plans an enrolment's start or end date has overtaken; cheap when there are none."""
    today = today or timezone.localdate()
    # Asked of the plans alone (their partial index), not through the households: the bell asks on every
    # page, and the join cost the ORM and PostgreSQL more than the answer.
    if not VisitPlan.objects.filter(schedule_valid_until__lte=today).exists():
        return 0
    return schedule_refresh(
        households=Household.objects.filter(visit_plan__schedule_valid_until__lte=today), today=today
    )


def visit_log(
    *, household: Household, author, details: VisitDetails, submission_token: uuid.UUID | None = None
) -> Visit:
    """Record a door-knock visit and, if someone answered, move the household's next due date on; a form
    sent twice saves once (AlreadySubmitted names the visit saved first). Sends signals.visit_recorded."""
    return create_once(
        Visit, submission_token, lambda: _visit_log(household, author, details, submission_token)
    )


@transaction.atomic
def _visit_log(household: Household, author, details: VisitDetails, submission_token) -> Visit:
    if not permissions.can_log_visit(author, household.grid):
        raise PermissionDenied
    _check_details(household, details)
    visit = Visit(household=household, author=author, submission_token=submission_token)
    _write_details(visit, details)
    _refresh_last_visit(household)
    signals.visit_recorded.send(sender=Visit, visit=visit)
    return visit


@transaction.atomic
def visit_edit(*, visit: Visit, editor, details: VisitDetails) -> Visit:
    """The author changes a visit within 24 hours; the previous state is kept as a revision."""
    visit = Visit.objects.select_for_update().select_related("household__grid").get(pk=visit.pk)
    if not permissions.can_edit_visit(editor, visit):
        raise PermissionDenied
    _check_details(visit.household, details)
    VisitRevision.objects.create(
        visit=visit, kind=VisitRevision.Kind.EDIT, by=editor, before=revisions.snapshot(visit)
    )
    _write_details(visit, details)
    _refresh_last_visit(visit.household)
    return visit


@transaction.atomic
def visit_correct(*, visit: Visit, by, note: str) -> VisitRevision:
    """Append a correction to a visit whose edit window has passed; the record itself stays as it was."""
    if not permissions.can_correct_visit(by, visit):
        raise PermissionDenied
    if not note.strip():
        raise ValidationError({"note": _("请写明更正内容。")})
    return VisitRevision.objects.create(
        visit=visit,
        kind=VisitRevision.Kind.CORRECTION,
        by=by,
        note=note.strip(),
        before=revisions.snapshot(visit),
    )


# The longest interval a household may be given: a visit at least once a year.
MAX_INTERVAL_DAYS = 365


@transaction.atomic
def visit_plan_set(
    *, household: Household, interval_override_days: int | None, override_reason: str
) -> VisitPlan:
    """Give a household its own visit interval (e.g. supplies three times a week), or clear it."""
    if interval_override_days is not None and interval_override_days < 1:
        raise ValidationError({"interval_override_days": _("走访间隔至少 1 天。")})
    if interval_override_days is not None and interval_override_days > MAX_INTERVAL_DAYS:
        raise ValidationError(
            {"interval_override_days": _("走访间隔最多 %(days)s 天。") % {"days": MAX_INTERVAL_DAYS}}
        )
    if interval_override_days is not None and not override_reason.strip():
        raise ValidationError({"override_reason": _("请写明为什么本户另定走访间隔。")})
    plan, _created = VisitPlan.objects.select_for_update().get_or_create(household=household)
    plan.interval_override_days = interval_override_days
    plan.override_reason = override_reason.strip() if interval_override_days else ""
    plan.full_clean()  # the column's range and the reason's length, before the database is asked
    plan.save(update_fields=["interval_override_days", "override_reason"])
    schedule_refresh(households=Household.objects.filter(pk=household.pk))
    plan.refresh_from_db()
    return plan


@dataclass(frozen=True)
class Finding:
    location: str
    description: str
    shop: Shop | None = None  # the shop inspected, of the patrol's grid


def patrol_log(
    *,
    grid: Grid,
    worker,
    started_at: datetime.datetime,
    ended_at: datetime.datetime | None,
    route: str,
    notes: str,
    findings: list[Finding],
    submission_token: uuid.UUID | None = None,
) -> Patrol:
    """Record a patrol of a grid with what it found; a form sent twice saves once (AlreadySubmitted)."""
    patrol = Patrol(
        grid=grid,
        worker=worker,
        started_at=started_at,
        ended_at=ended_at,
        route=route,
        notes=notes,
        submission_token=submission_token,
    )
    return create_once(Patrol, submission_token, lambda: _patrol_log(patrol, findings))


@transaction.atomic
def _patrol_log(patrol: Patrol, findings: list[Finding]) -> Patrol:
    grid, worker, started_at, ended_at = patrol.grid, patrol.worker, patrol.started_at, patrol.ended_at
    if not permissions.can_log_patrol(worker, grid):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    if started_at > now:
        errors.setdefault("started_at", []).append(_("开始时间不能晚于现在。"))
    if ended_at is not None and ended_at < started_at:
        errors.setdefault("ended_at", []).append(_("结束时间不能早于开始时间。"))
    if ended_at is not None and ended_at > now:
        errors.setdefault("ended_at", []).append(_("结束时间不能晚于现在。"))
    if not patrol.route.strip():
        errors.setdefault("route", []).append(_("请填写巡查路线。"))
    for finding in findings:
        if not finding.location.strip() or not finding.description.strip():
            errors.setdefault("findings", []).append(_("每条发现都须填写位置和问题。"))
            break
    for finding in findings:
        if finding.shop is not None and finding.shop.grid_id != grid.pk:
            errors.setdefault("findings", []).append(_("所选单位不在本次巡查的网格。"))
            break
    if errors:
        raise ValidationError(errors)
    patrol.route = patrol.route.strip()
    patrol.save()
    PatrolFinding.objects.bulk_create(
        PatrolFinding(
            patrol=patrol, location=f.location.strip(), description=f.description.strip(), shop=f.shop
        )
        for f in findings
    )
    return patrol


# --- photos of a visit or a patrol finding --------------------------------------------------------------

PHOTOS_PER_RECORD = 10


@transaction.atomic
def record_photos_add(
    *, actor, files: list[UploadedFile], visit: Visit | None = None, finding: PatrolFinding | None = None
) -> list[RecordPhoto]:
    """Add photos to a visit or a patrol finding (anyone serving its grid), checked like intake photos."""
    if visit is not None and finding is None:
        grid, existing = visit.household.grid, RecordPhoto.objects.filter(visit=visit)
    elif finding is not None and visit is None:
        grid, existing = finding.patrol.grid, RecordPhoto.objects.filter(finding=finding)
    else:
        raise ValueError("a photo belongs to one visit or one finding")
    if not permissions.can_log_visit(actor, grid):
        raise PermissionDenied(_("不能为该记录添加照片。"))
    if existing.count() + len(files) > PHOTOS_PER_RECORD:
        raise ValidationError({"files": [_("每条记录最多上传 %(n)d 张照片。") % {"n": PHOTOS_PER_RECORD}]})
    checked = photos_check(files, field="files", most=PHOTOS_PER_RECORD)
    return [
        RecordPhoto.objects.create(
            visit=visit,
            finding=finding,
            file=photo.content,
            original_name=(upload.name or "")[:200],
            content_type=photo.content_type,
            size=photo.content.size,
            uploaded_by=actor,
        )
        for upload, photo in checked
    ]
