"""Visit records for staff and leaders: the visits list and its export, the overdue overview, patrols."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from common.pagination import paginate
from common.replica import reads_from_replica
from common.submissions import AlreadySubmitted
from common.views import export_response, render_partial_or_page
from grids.models import Community, Grid
from grids.roles import PATROL_ROLES
from grids.selectors import grids_served_by
from residents import disclosure
from residents.models import CareEnrolment, Resident

from . import exports, permissions, selectors, services
from .forms_records import PatrolForm, VisitFilterForm, finding_formset, findings_of
from .models import Patrol, Visit


@require_GET
def visit_list(request):
    form = VisitFilterForm(request.GET, user=request.user)
    filters = form.filters()
    # A wrong filter shows its error above an empty list rather than a list it did not narrow.
    visits = Visit.objects.none() if filters is None else selectors.filtered_visits(request.user, filters)
    context = {"form": form, "page": paginate(request, visits), "filters": filters}
    return render_partial_or_page(request, "visits/visit_list.html", context)


@require_GET
@reads_from_replica
def visit_export(request):
    return export_response(
        request,
        filters=VisitFilterForm(request.GET, user=request.user).filters(),
        build=lambda filters: exports.visit_export(user=request.user, filters=filters),
        too_large=exports.VisitExportTooLarge,
        too_large_message=_(
            "符合条件的走访记录有 %(count)s 条，一次最多导出 %(max)s 条："
            "请缩小筛选范围（如按网格或日期）后分批导出。"
        ),
        max_rows=exports.MAX_EXPORT_ROWS,
        back=reverse("visits:list"),
        filename="走访记录",
        fallback="visits",
    )


def _grid_or_404(user, pk: str) -> Grid:
    if not pk.isdigit():
        raise Http404
    grid = Grid.objects.visible_to(user).select_related("community").filter(pk=pk).first()
    if grid is None:
        raise Http404
    return grid


def _grid_rows(user, community: Community | None) -> list[dict]:
    """Every grid of the user's scope (or of one community) with its schedule counts, empty grids last."""
    rows = selectors.overdue_by_grid(user, community=community)
    counted = {row["grid"].pk for row in rows}
    # Most overdue households first, then the lower on-time rate; grids with nobody to visit last.
    rows.sort(key=lambda row: (-row["overdue"], row["on_time_rate"], row["grid"].code))
    empty = Grid.objects.visible_to(user).exclude(pk__in=counted)
    if community is not None:
        empty = empty.filter(community=community)
    rows += [
        {"grid": grid, **selectors.on_time_counts(0, 0)}
        for grid in empty.select_related("community").order_by("code")
    ]
    return rows


@require_GET
def overdue_overview(request):
    if request.GET.get("grid"):
        return _overdue_list(request, _grid_or_404(request.user, request.GET["grid"]))
    if request.GET.get("all"):
        return _overdue_list(request, None)
    communities = Community.objects.visible_to(request.user)
    community = None
    if request.GET.get("community"):
        community = (
            communities.filter(pk=request.GET["community"]).first()
            if request.GET["community"].isdigit()
            else None
        )
        if community is None:
            raise Http404
    by_community = community is None and communities.count() > 1
    # A street leader's overview has one row per community, each opening its grids.
    rows = (
        selectors.overdue_by_community(request.user) if by_community else _grid_rows(request.user, community)
    )
    totals = selectors.on_time_counts(
        sum(row["enrolled"] for row in rows), sum(row["on_time"] for row in rows)
    )
    # Communities of several streets may share a name (南河社区 in two streets): each then says its street.
    several_streets = by_community and len({row["community"].street_id for row in rows}) > 1
    return render(
        request,
        "visits/overdue.html",
        {
            "rows": rows,
            "totals": totals,
            "by_community": by_community,
            "community": community,
            "several_streets": several_streets,
        },
    )


def _overdue_list(request, grid: Grid | None):
    """The overdue households of one grid, or of the user's whole scope, most overdue first."""
    today = timezone.localdate()
    households = selectors.overdue_households(request.user, grid, today).prefetch_related(
        Prefetch("members", queryset=Resident.objects.current().order_by("id"), to_attr="current_members"),
        Prefetch(
            "enrolments",
            queryset=CareEnrolment.objects.active_on(today).order_by("category", "id"),
            to_attr="active_enrolments",
        ),
    )
    page = paginate(request, households, count=selectors.overdue_count(request.user, grid, today))
    page.object_list = list(page.object_list)
    for household in page.object_list:
        household.days_overdue = (today - household.next_due).days
        household.care_groups = disclosure.care_labels(household.active_enrolments)
    return render(
        request, "visits/overdue.html", {"grid": grid, "listing": True, "page": page, "today": today}
    )


def _patrol_grids(user):
    """Grids the user may record a patrol in; visits.services.patrol_log checks can_log_patrol again."""
    return grids_served_by(user, PATROL_ROLES)


@require_GET
def patrol_list(request):
    page = paginate(request, selectors.patrols_for_user(request.user))
    can_log = _patrol_grids(request.user).exists()
    return render(request, "visits/patrol_list.html", {"page": page, "can_log": can_log})


@require_http_methods(["GET", "POST"])
def patrol_create(request):
    grids = _patrol_grids(request.user)
    if not grids.exists():
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = PatrolForm(data, grids=grids)
    formset = finding_formset(data, grids)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            patrol = services.patrol_log(
                grid=form.cleaned_data["grid"],
                worker=request.user,
                started_at=form.cleaned_data["started_at"],
                ended_at=form.cleaned_data["ended_at"],
                route=form.cleaned_data["route"],
                notes=form.cleaned_data["notes"],
                findings=findings_of(formset),
                submission_token=form.cleaned_data["submission_token"],
            )
        except AlreadySubmitted as earlier:
            messages.info(request, _("已保存，未重复登记。"))
            return redirect("visits:patrol_detail", pk=earlier.record.pk)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("巡查记录已保存。"))
            return redirect("visits:patrol_detail", pk=patrol.pk)
    return render(request, "visits/patrol_form.html", {"form": form, "formset": formset})


@require_GET
def patrol_detail(request, pk: int):
    try:
        patrol = selectors.patrols_for_user(request.user).select_related("grid__community").get(pk=pk)
    except Patrol.DoesNotExist:
        raise Http404 from None
    findings = list(patrol.findings.select_related("shop").prefetch_related("photos"))
    context = {
        "patrol": patrol,
        "findings": findings,
        "can_add_photos": permissions.can_log_visit(request.user, patrol.grid),
    }
    return render(request, "visits/patrol_detail.html", context)
