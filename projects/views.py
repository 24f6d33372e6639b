"""The three lists' pages: lists, details, forms and the project page's actions. Views never write."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Case, Deliberation
from common.forms import add_service_errors
from common.pagination import paginate
from common.submissions import AlreadySubmitted
from common.views import render_partial_or_page
from grids.models import Community, Grid
from visits.models import Visit

from . import permissions, selectors, services
from .forms import (
    MatchForm,
    NeedCloseForm,
    NeedFilterForm,
    NeedForm,
    ProjectActionForm,
    ProjectFilterForm,
    ResourceFilterForm,
    ResourceForm,
    provider_key,
)
from .models import Need, Project, ProjectAction, Resource
from .workflow import STEPS


def _one(get, user, pk: int):
    try:
        return get(user, pk)
    except (Need.DoesNotExist, Resource.DoesNotExist, Project.DoesNotExist):
        raise Http404 from None


# --- lists ----------------------------------------------------------------------------------------------


def _list(request, form, rows, template: str, **context) -> HttpResponse:
    filters = form.filters()
    page = paginate(request, rows(request.user, filters) if filters is not None else Need.objects.none())
    return render_partial_or_page(request, template, {"form": form, "page": page, **context})


@require_GET
def need_list(request):
    form = NeedFilterForm(request.GET, user=request.user)
    return _list(request, form, selectors.needs_for, "projects/need_list.html")


@require_GET
def resource_list(request):
    form = ResourceFilterForm(request.GET, user=request.user)
    can_add = _desk_communities(request.user).exists()
    return _list(request, form, selectors.resources_for, "projects/resource_list.html", can_add=can_add)


@require_GET
def project_list(request):
    form = ProjectFilterForm(request.GET, user=request.user)
    return _list(request, form, selectors.projects_for, "projects/project_list.html")


# --- needs ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where a need is raised from (?visit= / ?case= / ?deliberation=, in the user's scope, else 404), and
    the place it fixes: a visit's or a case's grid, a deliberation's community (and grid, if it has one)."""

    visit: Visit | None = None
    case: Case | None = None
    deliberation: Deliberation | None = None

    @property
    def community(self) -> Community | None:
        if self.deliberation is not None:
            return self.deliberation.community
        grid = self.grid
        return grid.community if grid is not None else None

    @property
    def grid(self) -> Grid | None:
        if self.visit is not None:
            return self.visit.household.grid
        if self.case is not None:
            return self.case.grid
        if self.deliberation is not None:
            return self.deliberation.grid
        return None

    def initial(self) -> dict:
        if self.visit is not None:
            text = self.visit.needs_found or self.visit.notes
            return {"title": text.splitlines()[0][:100] if text else "", "description": text}
        if self.case is not None:
            return {"title": self.case.category.name, "description": self.case.description}
        if self.deliberation is not None:
            return {"title": self.deliberation.title[:100], "description": self.deliberation.description}
        return {}


def _pk(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 10 else 0


def _origin(request) -> Origin:
    visit_id, case_id = request.GET.get("visit"), request.GET.get("case")
    deliberation_id = request.GET.get("deliberation")
    grids = Grid.objects.visible_to(request.user)
    if visit_id:
        visit = (
            Visit.objects.filter(pk=_pk(visit_id), household__grid__in=grids)
            .select_related("household__grid__community")
            .first()
        )
        if visit is None:
            raise Http404
        return Origin(visit=visit)
    if case_id:
        case = (
            Case.objects.filter(pk=_pk(case_id), grid__in=grids)
            .select_related("grid__community", "category")
            .first()
        )
        if case is None:
            raise Http404
        return Origin(case=case)
    if deliberation_id:
        deliberation = (
            Deliberation.objects.visible_to(request.user)
            .filter(pk=_pk(deliberation_id))
            .select_related("community", "grid__community")
            .first()
        )
        if deliberation is None:
            raise Http404
        return Origin(deliberation=deliberation)
    return Origin()


def _need_input(form, origin: Origin) -> services.NeedInput:
    data = form.cleaned_data
    community = origin.community
    return services.NeedInput(
        community=community if community is not None else data["community"],
        grid=origin.grid if community is not None else data.get("grid"),
        title=data["title"],
        kind=data["kind"],
        description=data.get("description", ""),
    )


@require_http_methods(["GET", "POST"])
def need_create(request):
    """A need goes on the list in one step; from a visit, a case or a deliberation it keeps that origin and
    its place."""
    origin = _origin(request)
    place = origin.community
    if place is not None:
        if not permissions.can_add_need(request.user, place):
            raise PermissionDenied
        communities = Community.objects.filter(pk=place.pk)
    else:
        communities = Community.objects.visible_to(request.user).order_by("name")
    fixed = place is not None
    if request.method == "POST":
        form = NeedForm(request.POST, user=request.user, communities=communities, fixed_place=fixed)
        if form.is_valid():
            try:
                need = services.need_register(
                    data=_need_input(form, origin),
                    actor=request.user,
                    visit=origin.visit,
                    case=origin.case,
                    deliberation=origin.deliberation,
                    submission_token=form.cleaned_data["submission_token"],
                )
            except AlreadySubmitted as earlier:
                return redirect("projects:need_detail", earlier.record.pk)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("需求已列入需求清单。"))
                return redirect("projects:need_detail", need.pk)
    else:
        initial = origin.initial()
        if len(communities) == 1 and not fixed:
            initial["community"] = communities[0]
        form = NeedForm(initial=initial, user=request.user, communities=communities, fixed_place=fixed)
    context = {
        "form": form,
        "origin_visit": origin.visit,
        "origin_case": origin.case,
        "origin_deliberation": origin.deliberation,
        "place": origin.grid,
        "place_community": place,
    }
    return render(request, "projects/need_form.html", context, status=400 if form.errors else 200)


@require_GET
def need_detail(request, pk: int):
    need = _one(selectors.need_for_user, request.user, pk)
    projects = list(
        need.projects.select_related("resource__partner_unit", "resource__team").order_by("-created_at")
    )
    context = {
        "need": need,
        "projects": projects,
        "can_edit": permissions.can_edit_need(request.user, need),
        "can_close": permissions.can_close_need(request.user, need),
        "can_match": permissions.can_match_need(request.user, need),
        "close_form": NeedCloseForm(),
    }
    return render(request, "projects/need_detail.html", context)


@require_http_methods(["GET", "POST"])
def need_edit(request, pk: int):
    need = _one(selectors.need_for_user, request.user, pk)
    if not permissions.can_edit_need(request.user, need):
        raise PermissionDenied
    fixed = need.origin != "direct"
    communities = Community.objects.visible_to(request.user).order_by("name")
    if request.method == "POST":
        form = NeedForm(
            request.POST, user=request.user, communities=communities, fixed_place=fixed, creating=False
        )
        if form.is_valid():
            try:
                data = _need_input(form, Origin())
                if fixed:
                    data = services.NeedInput(
                        community=need.community,
                        grid=need.grid,
                        title=data.title,
                        kind=data.kind,
                        description=data.description,
                    )
                services.need_update(need=need, actor=request.user, data=data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("需求已保存。"))
                return redirect("projects:need_detail", need.pk)
    else:
        initial = {
            "community": need.community,
            "grid": need.grid,
            "kind": need.kind,
            "title": need.title,
            "description": need.description,
        }
        form = NeedForm(
            initial=initial, user=request.user, communities=communities, fixed_place=fixed, creating=False
        )
    context = {"form": form, "need": need, "place": need.grid}
    return render(request, "projects/need_form.html", context, status=400 if form.errors else 200)


@require_POST
def need_close(request, pk: int):
    """Close a need no project will meet: only with a reason (confirmation asked on the page)."""
    need = _one(selectors.need_for_user, request.user, pk)
    if not permissions.can_close_need(request.user, need) and need.status == "open":
        raise PermissionDenied
    form = NeedCloseForm(request.POST)
    if form.is_valid():
        try:
            services.need_close(need=need, actor=request.user, reason=form.cleaned_data["reason"])
        except services.ProjectConflict as conflict:
            messages.error(request, str(conflict))
            return redirect("projects:need_detail", need.pk)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("需求已关闭。"))
            return redirect("projects:need_detail", need.pk)
    context = {"need": need, "projects": [], "can_close": True, "close_form": form}
    return render(request, "projects/need_detail.html", context, status=400)


@require_http_methods(["GET", "POST"])
def project_create(request, pk: int):
    """Match an open need with a resource: the project waits to be claimed."""
    need = _one(selectors.need_for_user, request.user, pk)
    if request.method == "POST":
        form = MatchForm(request.POST, need=need)
        if form.is_valid():
            try:
                project = services.project_match(
                    need=need,
                    resource=form.cleaned_data["resource"],
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    note=form.cleaned_data["note"],
                    submission_token=form.cleaned_data["submission_token"],
                )
            except AlreadySubmitted as earlier:
                return redirect("projects:project_detail", earlier.record.pk)
            except services.ProjectConflict as conflict:
                messages.error(request, str(conflict))
                return redirect("projects:need_detail", need.pk)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已匹配资源，项目待认领。"))
                return redirect("projects:project_detail", project.pk)
    else:
        if not permissions.can_match_need(request.user, need):
            raise PermissionDenied
        form = MatchForm(need=need)
    return render(
        request, "projects/match_form.html", {"form": form, "need": need}, status=400 if form.errors else 200
    )


# --- resources ------------------------------------------------------------------------------------------


def _desk_communities(user) -> QuerySet[Community]:
    return Community.objects.filter(pk__in=permissions.desk_community_ids(user)).order_by("name")


def _resource_input(form) -> services.ResourceInput:
    data = form.cleaned_data
    provider = data["provider"]
    unit = provider if provider._meta.model_name == "partnerunit" else None
    return services.ResourceInput(
        community=data["community"],
        kind=data["kind"],
        title=data["title"],
        description=data.get("description", ""),
        available=data["available"],
        partner_unit=unit,
        team=None if unit is not None else provider,
    )


@require_http_methods(["GET", "POST"])
def resource_create(request):
    communities = _desk_communities(request.user)
    if not communities.exists():
        raise PermissionDenied
    if request.method == "POST":
        form = ResourceForm(request.POST, communities=communities)
        if form.is_valid():
            try:
                resource = services.resource_create(
                    data=_resource_input(form),
                    actor=request.user,
                    submission_token=form.cleaned_data["submission_token"],
                )
            except AlreadySubmitted as earlier:
                return redirect("projects:resource_detail", earlier.record.pk)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("资源已列入资源清单。"))
                return redirect("projects:resource_detail", resource.pk)
    else:
        initial = {"community": communities[0]} if len(communities) == 1 else {}
        form = ResourceForm(initial=initial, communities=communities)
    return render(request, "projects/resource_form.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def resource_detail(request, pk: int):
    resource = _one(selectors.resource_for_user, request.user, pk)
    projects = list(resource.projects.select_related("need").order_by("-created_at")[:50])
    context = {
        "resource": resource,
        "projects": projects,
        "can_edit": permissions.can_edit_resource(request.user, resource.community),
    }
    return render(request, "projects/resource_detail.html", context)


@require_http_methods(["GET", "POST"])
def resource_edit(request, pk: int):
    resource = _one(selectors.resource_for_user, request.user, pk)
    if not permissions.can_edit_resource(request.user, resource.community):
        raise PermissionDenied
    communities = _desk_communities(request.user)
    if request.method == "POST":
        form = ResourceForm(request.POST, communities=communities, creating=False)
        if form.is_valid():
            try:
                services.resource_update(resource=resource, data=_resource_input(form), actor=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("资源已保存。"))
                return redirect("projects:resource_detail", resource.pk)
    else:
        initial = {
            "community": resource.community,
            "provider": provider_key(resource.provider),
            "kind": resource.kind,
            "title": resource.title,
            "description": resource.description,
            "available": resource.available,
        }
        form = ResourceForm(initial=initial, communities=communities, creating=False)
    context = {"form": form, "resource": resource}
    return render(request, "projects/resource_form.html", context, status=400 if form.errors else 200)


# --- projects -------------------------------------------------------------------------------------------


def _action_forms(request, project: Project, bound: ProjectActionForm | None = None) -> list:
    forms = []
    for action in permissions.allowed_actions(request.user, project):
        if bound is not None and bound.prefix == action:
            form = bound
        else:
            form = ProjectActionForm(action=action, project=project, prefix=action)
        forms.append((action, STEPS[action].label, form, STEPS[action].one_press))
    return forms


def _render_project(request, project: Project, bound=None, status: int = 200) -> HttpResponse:
    context = {
        "project": project,
        "events": selectors.timeline(project),
        "action_forms": _action_forms(request, project, bound),
        "open_action": bound.prefix if bound is not None else "",
    }
    return render(request, "projects/project_detail.html", context, status=status)


@require_GET
def project_detail(request, pk: int):
    return _render_project(request, _one(selectors.project_for_user, request.user, pk))


@require_POST
def project_act(request, pk: int, action: str):
    """Apply one action from the project page; a refused or stale action says why and changes nothing."""
    project = _one(selectors.project_for_user, request.user, pk)
    if action not in STEPS:
        raise Http404
    if not permissions.may(request.user, project, action) and project.status == request.POST.get(
        f"{action}-expected_status"
    ):
        raise PermissionDenied(_("您不能对该项目执行此操作。"))
    form = ProjectActionForm(request.POST, action=action, project=project, prefix=action)
    if not form.is_valid():
        return _render_project(request, project, bound=form, status=400)
    try:
        services.project_transition(
            project=project,
            action=action,
            actor=request.user,
            note=form.cleaned_data.get("note", ""),
            expected_status=form.cleaned_data["expected_status"],
            **form.params(),
        )
    except services.ProjectConflict as conflict:
        messages.error(request, str(conflict))
        return redirect("projects:project_detail", project.pk)
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_project(request, project, bound=form, status=400)
    messages.success(request, _("已%(action)s。") % {"action": ProjectAction(action).label})
    return redirect("projects:project_detail", project.pk)
