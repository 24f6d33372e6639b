"""Pages of partner units, reporting members, volunteers, teams and activities (writes go to services)."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.forms import add_service_errors
from common.pagination import paginate
from common.submissions import AlreadySubmitted
from grids.models import Grid

from . import permissions, selectors, services
from .forms import (
    ActivityFilterForm,
    ActivityForm,
    PartnerUnitForm,
    ReportForm,
    ReportingMemberForm,
    SignUpForm,
    TeamForm,
    VolunteerFilterForm,
    VolunteerForm,
)
from .models import (
    Activity,
    ActivityPhoto,
    ActivitySignUp,
    PartnerUnit,
    ReportingMember,
    Volunteer,
    VolunteerTeam,
)


def _editable_communities(user):
    communities = permissions.communities_editable_by(user)
    if not communities.exists():
        raise PermissionDenied
    return communities


# --- partner units ------------------------------------------------------------------------------------


@require_GET
def unit_list(request):
    q = request.GET.get("q", "").strip()[:50]
    rows = PartnerUnit.objects.visible_to(request.user).select_related("community")
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(offers__icontains=q))
    rows = rows.annotate(members=Count("reporting_members", distinct=True)).order_by("name", "id")
    context = {
        "page": paginate(request, rows),
        "q": q,
        "can_add": permissions.communities_editable_by(request.user).exists(),
    }
    return render(request, "volunteers/unit_list.html", context)


def _unit(request, pk: int) -> PartnerUnit:
    return get_object_or_404(PartnerUnit.objects.visible_to(request.user).select_related("community"), pk=pk)


@require_GET
def unit_detail(request, pk: int):
    unit = _unit(request, pk)
    context = {
        "unit": unit,
        "members": unit.reporting_members.select_related("grid")[:100],
        "activities": selectors.with_hours(unit.activities.all()).order_by("-starts_at")[:20],
        "can_edit": permissions.can_edit_community_records(request.user, unit.community),
    }
    return render(request, "volunteers/unit_detail.html", context)


def _save_unit(request, unit: PartnerUnit | None):
    communities = _editable_communities(request.user)
    form = PartnerUnitForm(request.POST or None, instance=unit, communities=communities)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.partner_unit_save(unit=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("成员单位已保存。"))
            return redirect("volunteers:unit_detail", pk=saved.pk)
    return render(
        request, "volunteers/form.html", {"form": form, "title": _("成员单位"), "back": "volunteers:units"}
    )


@require_http_methods(["GET", "POST"])
def unit_create(request):
    return _save_unit(request, None)


@require_http_methods(["GET", "POST"])
def unit_edit(request, pk: int):
    unit = _unit(request, pk)
    if not permissions.can_edit_community_records(request.user, unit.community):
        raise PermissionDenied
    return _save_unit(request, unit)


# --- reporting members --------------------------------------------------------------------------------


@require_GET
def member_list(request):
    q = request.GET.get("q", "").strip()[:50]
    rows = ReportingMember.objects.visible_to(request.user).select_related("grid", "unit")
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(unit_name__icontains=q) | Q(unit__name__icontains=q))
    context = {
        "page": paginate(request, rows),
        "q": q,
        "can_add": permissions.communities_editable_by(request.user).exists(),
    }
    return render(request, "volunteers/member_list.html", context)


@require_GET
def member_detail(request, pk: int):
    member = get_object_or_404(
        ReportingMember.objects.visible_to(request.user).select_related(
            "grid__community", "unit", "resident"
        ),
        pk=pk,
    )
    volunteer = member.volunteer_records.first()
    context = {"member": member, "volunteer": volunteer, **_service_record(volunteer)}
    return render(request, "volunteers/member_detail.html", context)


@require_http_methods(["GET", "POST"])
def member_create(request):
    communities = _editable_communities(request.user)
    grids = Grid.objects.filter(community__in=communities)
    form = ReportingMemberForm(request.POST or None, grids=grids)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.reporting_member_save(member=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("在职党员报到已登记。"))
            return redirect("volunteers:member_detail", pk=member.pk)
    return render(
        request,
        "volunteers/form.html",
        {"form": form, "title": _("在职党员报到"), "back": "volunteers:members"},
    )


# --- volunteers ---------------------------------------------------------------------------------------


@require_GET
def volunteer_list(request):
    filters = VolunteerFilterForm(request.GET or None)
    rows = Volunteer.objects.visible_to(request.user).select_related("community").prefetch_related("teams")
    if filters.is_valid():
        if q := filters.cleaned_data["q"].strip():
            rows = rows.filter(name__icontains=q)
        if skill := filters.cleaned_data["skill"]:
            rows = rows.filter(skills__icontains=f'"{skill}"')
    context = {
        "page": paginate(request, rows),
        "filters": filters,
        "can_add": permissions.communities_editable_by(request.user).exists(),
    }
    return render(request, "volunteers/volunteer_list.html", context)


def _volunteer(request, pk: int) -> Volunteer:
    rows = Volunteer.objects.visible_to(request.user).select_related(
        "community", "resident", "reporting_member__unit"
    )
    return get_object_or_404(rows, pk=pk)


def _service_record(volunteer: Volunteer | None) -> dict:
    """A volunteer's activities, the visits they came along on and the consultations they joined."""
    if volunteer is None:
        return {"sign_ups": [], "by_year": [], "visits": [], "meetings": []}
    visits = getattr(volunteer, "visits", None)
    meetings = getattr(volunteer, "meeting_participations", None)
    return {
        "sign_ups": list(selectors.sign_ups_of(volunteer)[:50]),
        "by_year": selectors.hours_by_year(volunteer),
        "visits": list(visits.select_related("household__grid").order_by("-visited_at")[:20])
        if visits
        else [],
        "meetings": list(meetings.select_related("meeting").order_by("-meeting__held_at")[:20])
        if meetings
        else [],
    }


@require_GET
def volunteer_detail(request, pk: int):
    volunteer = _volunteer(request, pk)
    context = {
        "volunteer": volunteer,
        "teams": list(volunteer.teams.all()),
        "can_edit": permissions.can_edit_community_records(request.user, volunteer.community),
        **_service_record(volunteer),
    }
    return render(request, "volunteers/volunteer_detail.html", context)


def _save_volunteer(request, volunteer: Volunteer | None):
    communities = _editable_communities(request.user)
    form = VolunteerForm(request.POST or None, instance=volunteer, communities=communities)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.volunteer_save(
                volunteer=form.save(commit=False),
                actor=request.user,
                teams=list(form.cleaned_data["teams"]),
                submission_token=form.cleaned_data.get("submission_token"),
            )
        except AlreadySubmitted as earlier:
            messages.info(request, _("已保存，未重复登记。"))
            return redirect("volunteers:volunteer_detail", pk=earlier.record.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("志愿者已保存。"))
            return redirect("volunteers:volunteer_detail", pk=saved.pk)
    return render(
        request, "volunteers/form.html", {"form": form, "title": _("志愿者"), "back": "volunteers:volunteers"}
    )


@require_http_methods(["GET", "POST"])
def volunteer_create(request):
    return _save_volunteer(request, None)


@require_http_methods(["GET", "POST"])
def volunteer_edit(request, pk: int):
    volunteer = _volunteer(request, pk)
    if not permissions.can_edit_community_records(request.user, volunteer.community):
        raise PermissionDenied
    return _save_volunteer(request, volunteer)


@require_GET
def certificate(request, pk: int, year: int):
    """志愿服务时长证明: one volunteer's credited hours in one year, to print."""
    volunteer = _volunteer(request, pk)
    if not 1900 <= year <= 2099:
        raise Http404
    sign_ups = [row for row in selectors.sign_ups_of(volunteer, year) if row.attended]
    context = {
        "volunteer": volunteer,
        "year": year,
        "sign_ups": sign_ups,
        "total": selectors.hours_in_year(volunteer, year),
        "today": timezone.localdate(),
    }
    return render(request, "volunteers/certificate.html", context)


# --- teams --------------------------------------------------------------------------------------------


@require_GET
def team_list(request):
    rows = (
        VolunteerTeam.objects.visible_to(request.user)
        .select_related("community", "leader")
        .annotate(member_count=Count("members", distinct=True))
        .order_by("name", "id")
    )
    context = {
        "page": paginate(request, rows),
        "can_add": permissions.communities_editable_by(request.user).exists(),
    }
    return render(request, "volunteers/team_list.html", context)


def _team(request, pk: int) -> VolunteerTeam:
    return get_object_or_404(
        VolunteerTeam.objects.visible_to(request.user).select_related("community", "leader"), pk=pk
    )


@require_GET
def team_detail(request, pk: int):
    team = _team(request, pk)
    context = {
        "team": team,
        "members": team.members.all()[:200],
        "activities": paginate(request, selectors.with_hours(team.activities.all()).order_by("-starts_at")),
        "hours": selectors.team_hours(team),
        "can_edit": permissions.can_edit_community_records(request.user, team.community),
    }
    return render(request, "volunteers/team_detail.html", context)


def _save_team(request, team: VolunteerTeam | None):
    communities = _editable_communities(request.user)
    form = TeamForm(request.POST or None, instance=team, communities=communities)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.team_save(team=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("服务队已保存。"))
            return redirect("volunteers:team_detail", pk=saved.pk)
    return render(
        request, "volunteers/form.html", {"form": form, "title": _("志愿服务队"), "back": "volunteers:teams"}
    )


@require_http_methods(["GET", "POST"])
def team_create(request):
    return _save_team(request, None)


@require_http_methods(["GET", "POST"])
def team_edit(request, pk: int):
    team = _team(request, pk)
    if not permissions.can_edit_community_records(request.user, team.community):
        raise PermissionDenied
    return _save_team(request, team)


# --- activities ---------------------------------------------------------------------------------------


@require_GET
def activity_list(request):
    filters = ActivityFilterForm(request.GET or {"when": "upcoming"})
    data = filters.cleaned_data if filters.is_valid() else {"when": "upcoming", "kind": "", "q": ""}
    rows = selectors.with_hours(selectors.activities_for(request.user, **data))
    context = {
        "page": paginate(request, rows),
        "filters": filters,
        "can_add": permissions.can_create_activity(request.user),
    }
    return render(request, "volunteers/activity_list.html", context)


def _activity(request, pk: int) -> Activity:
    rows = Activity.objects.visible_to(request.user).select_related("community", "grid", "team")
    return get_object_or_404(rows, pk=pk)


def _can_edit_activity(request, activity: Activity) -> None:
    if not permissions.can_edit_activity(request.user, activity):
        raise PermissionDenied


@require_GET
def activity_detail(request, pk: int):
    activity = _activity(request, pk)
    can_edit = permissions.can_edit_activity(request.user, activity)
    sign_ups = list(activity.sign_ups.select_related("volunteer"))
    signed = {row.volunteer_id for row in sign_ups}
    full = activity.capacity is not None and len(sign_ups) >= activity.capacity
    form = None
    # No sign-up box on a full activity: the page says it is full (the service refuses one more anyway).
    if can_edit and not full and activity.ends_at > timezone.now():
        candidates = Volunteer.objects.filter(community=activity.community_id, active=True).exclude(
            pk__in=signed
        )
        form = SignUpForm(volunteers=candidates)
    context = {
        "activity": activity,
        "sign_ups": sign_ups,
        "partner_units": list(activity.partner_units.all()),
        "photos": list(activity.photos.all()),
        "can_edit": can_edit,
        "sign_up_form": form,
        "report_form": ReportForm(initial={"report": activity.report}) if can_edit else None,
        "full": full,
        "activity_over": activity.ends_at <= timezone.now(),
        "hours_total": sum((row.hours for row in sign_ups), Decimal("0")),
        "can_take_attendance": timezone.localdate(activity.starts_at) <= timezone.localdate(),
    }
    return render(request, "volunteers/activity_detail.html", context)


def _save_activity(request, activity: Activity | None):
    communities = permissions.communities_editable_by(request.user)
    grids = Grid.objects.filter(community__in=communities) | permissions.grids_for_activities(request.user)
    if activity is None and not permissions.can_create_activity(request.user):
        raise PermissionDenied
    from grids.models import Community

    communities = Community.objects.filter(Q(pk__in=communities.values("pk")) | Q(grids__in=grids)).distinct()
    form = ActivityForm(
        request.POST or None, instance=activity, communities=communities, grids=grids.distinct()
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.activity_save(
                activity=form.save(commit=False),
                actor=request.user,
                partner_units=list(form.cleaned_data["partner_units"]),
                submission_token=form.cleaned_data.get("submission_token"),
            )
        except AlreadySubmitted as earlier:
            messages.info(request, _("已保存，未重复登记。"))
            return redirect("volunteers:activity_detail", pk=earlier.record.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied:
            form.add_error(None, _("您不能在该社区或网格组织活动。"))
        else:
            messages.success(request, _("活动已保存。"))
            return redirect("volunteers:activity_detail", pk=saved.pk)
    return render(
        request, "volunteers/form.html", {"form": form, "title": _("活动"), "back": "volunteers:activities"}
    )


@require_http_methods(["GET", "POST"])
def activity_create(request):
    return _save_activity(request, None)


@require_http_methods(["GET", "POST"])
def activity_edit(request, pk: int):
    activity = _activity(request, pk)
    _can_edit_activity(request, activity)
    return _save_activity(request, activity)


@require_POST
def sign_up(request, pk: int):
    activity = _activity(request, pk)
    _can_edit_activity(request, activity)
    form = SignUpForm(request.POST, volunteers=Volunteer.objects.filter(community=activity.community_id))
    if not form.is_valid():
        messages.error(request, _("请选择本社区的志愿者。"))
        return redirect("volunteers:activity_detail", pk=pk)
    try:
        services.activity_sign_up(
            activity=activity, volunteer=form.cleaned_data["volunteer"], actor=request.user
        )
    except services.SignUpRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("%(name)s 已报名。") % {"name": form.cleaned_data["volunteer"].name})
    return redirect("volunteers:activity_detail", pk=pk)


@require_POST
def sign_up_cancel(request, pk: int):
    row = get_object_or_404(
        ActivitySignUp.objects.filter(activity__in=Activity.objects.visible_to(request.user)).select_related(
            "activity"
        ),
        pk=pk,
    )
    _can_edit_activity(request, row.activity)
    try:
        services.activity_sign_up_cancel(sign_up=row, actor=request.user)
    except services.SignUpRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("已取消报名。"))
    return redirect("volunteers:activity_detail", pk=row.activity_id)


def _attendance_lines(post, rows) -> tuple[list[services.Attendance], dict[int, str], dict[int, str]]:
    """The sheet as posted: each sign-up's tick and hours (empty: the whole activity); bad numbers named."""
    lines, errors, typed = [], {}, {}
    for row in rows:
        came = post.get(f"attended-{row.pk}") == "on"
        text = post.get(f"hours-{row.pk}", "").strip()[:10]
        typed[row.pk] = text
        hours = None
        if came and text:
            try:
                hours = Decimal(text)
            except InvalidOperation:
                errors[row.pk] = _("请填写数字，如 2.5。")
                continue
            if not hours.is_finite():
                errors[row.pk] = _("请填写数字，如 2.5。")
                continue
            hours = hours.quantize(Decimal("0.01"))
        lines.append(services.Attendance(row.pk, came, hours))
    return lines, errors, typed


@require_http_methods(["GET", "POST"])
def attendance(request, pk: int):
    """The day's sheet on a phone: tick who came, hours per attendee, one submit."""
    activity = _activity(request, pk)
    _can_edit_activity(request, activity)
    rows = list(activity.sign_ups.select_related("volunteer"))
    errors: dict[int, str] = {}
    general: list[str] = []
    ticked = {row.pk for row in rows if row.attended}
    typed = {row.pk: (str(row.hours) if row.attended else "") for row in rows}
    if request.method == "POST":
        lines, errors, typed = _attendance_lines(request.POST, rows)
        ticked = {line.sign_up_id for line in lines if line.attended} | {
            pk for pk in errors if request.POST.get(f"attended-{pk}") == "on"
        }
        if not errors:
            try:
                services.attendance_take(activity=activity, actor=request.user, lines=lines)
            except ValidationError as exc:
                general = exc.messages
            else:
                messages.success(
                    request, _("签到已保存：%(n)d 人到场。") % {"n": len([x for x in lines if x.attended])}
                )
                return redirect("volunteers:activity_detail", pk=pk)
    sheet = [
        {
            "row": row,
            "ticked": row.pk in ticked,
            "hours": typed.get(row.pk, ""),
            "error": errors.get(row.pk, ""),
        }
        for row in rows
    ]
    context = {
        "activity": activity,
        "sheet": sheet,
        "general": general,
        "not_yet": timezone.localdate(activity.starts_at) > timezone.localdate(),
    }
    return render(request, "volunteers/attendance.html", context, status=200)


@require_POST
def report(request, pk: int):
    activity = _activity(request, pk)
    _can_edit_activity(request, activity)
    form = ReportForm(request.POST)
    if form.is_valid():
        services.activity_report_save(
            activity=activity, actor=request.user, report=form.cleaned_data["report"]
        )
        messages.success(request, _("活动总结已保存。"))
    else:
        messages.error(request, _("活动总结过长。"))
    return redirect("volunteers:activity_detail", pk=pk)


@require_POST
def photo_add(request, pk: int):
    activity = _activity(request, pk)
    _can_edit_activity(request, activity)
    files = request.FILES.getlist("files")
    back = redirect("volunteers:activity_detail", pk=pk)
    if not files:
        messages.error(request, _("请选择要上传的照片。"))
        return back
    try:
        added = services.activity_photos_add(activity=activity, actor=request.user, files=files)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已上传 %(n)d 张照片。") % {"n": len(added)})
    return back


@require_GET
def photo(request, pk: int):
    row = get_object_or_404(
        ActivityPhoto.objects.filter(activity__in=Activity.objects.visible_to(request.user)), pk=pk
    )
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:  # lost from the storage: a 404 like the other photo views, not an error
        raise Http404 from None
    response = FileResponse(handle, content_type=row.content_type)
    response["Content-Disposition"] = "inline"
    return response
