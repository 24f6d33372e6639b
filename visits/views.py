"""A worker's visits: what is due, logging a visit on a phone, one visit with its edits and corrections,
and a household's own visit plan."""

import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.pagination import paginate
from common.submissions import AlreadySubmitted
from grids.models import LEVEL_GRID, Grid, WorkTeamMember
from grids.permissions import can_edit_registry
from residents import disclosure
from residents import selectors as resident_selectors
from residents.models import CareEnrolment, Household, Resident
from volunteers.models import Volunteer

from . import permissions, revisions, selectors, services
from .forms import (
    CorrectionForm,
    DueSearchForm,
    GiftFormSet,
    VisitForm,
    VisitPlanForm,
)
from .models import Visit, VisitRevision

DUE_PAGE_SIZE = 50
SEARCH_LIMIT = 10


def _household_or_404(user, pk) -> Household:
    try:
        return resident_selectors.household_for_user(user, int(pk))
    except (Household.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def _visit_or_404(user, pk: int) -> Visit:
    """One visit to a household in the user's grids, with what its page shows."""
    try:
        return (
            Visit.objects.filter(household__grid__in=Grid.objects.visible_to(user))
            .select_related("household__dwelling__building", "household__grid__community", "author")
            .prefetch_related(
                Prefetch("residents_met", queryset=Resident.objects.order_by("id")),
                Prefetch("visitors", queryset=get_user_model().objects.order_by("first_name", "id")),
                Prefetch("team_members", queryset=WorkTeamMember.objects.order_by("name", "id")),
                Prefetch("volunteers", queryset=Volunteer.objects.order_by("name", "id")),
                "gifts",
                "photos",
                Prefetch("revisions", queryset=VisitRevision.objects.select_related("by")),
            )
            .get(pk=pk)
        )
    except Visit.DoesNotExist:
        raise Http404 from None


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _by_household(residents) -> list[dict]:
    """Matching residents grouped by household, in the order first found: one visit per door."""
    households: dict[int, dict] = {}
    for resident in residents:
        entry = households.setdefault(resident.household_id, {"household": resident.household, "names": []})
        entry["names"].append(resident.name)
    return list(households.values())


# --- 我的走访 ----------------------------------------------------------------------------------------


@require_GET
def due_list(request):
    """Care-group households in the user's grids that are overdue, due today or due this week."""
    today = timezone.localdate()
    rows = selectors.due_households(request.user, today).prefetch_related(
        Prefetch(
            "enrolments",
            queryset=CareEnrolment.objects.active_on(today).order_by("category", "id"),
            to_attr="active_enrolments",
        )
    )
    page = paginate(request, rows, per_page=DUE_PAGE_SIZE)
    sections: dict[str, list] = {"overdue": [], "today": [], "soon": []}
    for row in selectors.with_due_status(page.object_list, today):
        row.care_labels = disclosure.care_labels(row.active_enrolments)
        sections[row.due_status].append(row)

    # Any household of the user's grids can be visited, due or not: find it by a member's name,
    # the address or a phone tail.
    search = DueSearchForm(request.GET or None)
    found, more_found = None, False
    if search.is_valid() and search.cleaned_data["q"].strip():
        filters = resident_selectors.ResidentFilters(q=search.cleaned_data["q"].strip())
        residents = list(resident_selectors.search_residents(request.user, filters)[: SEARCH_LIMIT + 1])
        found, more_found = _by_household(residents[:SEARCH_LIMIT]), len(residents) > SEARCH_LIMIT
    return render(
        request,
        "visits/due_list.html",
        {
            "page": page,
            "sections": [
                ("overdue", _("逾期未访"), sections["overdue"]),
                ("today", _("今日应访"), sections["today"]),
                ("soon", _("本周应访"), sections["soon"]),
            ],
            "today": today,
            "search": search,
            "found": found,
            "more_found": more_found,
            "search_limit": SEARCH_LIMIT,
        },
    )


# --- logging and editing a visit -------------------------------------------------------------------


def _visit_forms(request, household: Household, initial: dict, gifts_initial: list[dict]):
    data = request.POST if request.method == "POST" else None
    form = VisitForm(data, household=household, user=request.user, initial=initial)
    gifts = GiftFormSet(data, initial=gifts_initial, prefix="gifts")
    return form, gifts


def _details(form: VisitForm, gifts, unchanged_visited_at: datetime.datetime | None = None):
    """What the forms hold, as the service takes it.

    The time input shows minutes only: when an edit leaves it as shown, the recorded time (with its
    seconds) is kept rather than rounded down, so the edit does not list a change nobody made.
    """
    data = form.cleaned_data
    visited_at = data["visited_at"]
    if unchanged_visited_at is not None and visited_at == unchanged_visited_at.replace(
        second=0, microsecond=0
    ):
        visited_at = unchanged_visited_at
    return services.VisitDetails(
        visited_at=visited_at,
        kind=data["kind"],
        outcome=data["outcome"],
        condition=data["condition"],
        notes=data["notes"].strip(),
        needs_found=data["needs_found"].strip(),
        residents_met=list(data["residents_met"]),
        visitors=list(data["visitors"]),
        team_members=list(data["team_members"]),
        volunteers=list(data["volunteers"]),
        gifts=[
            services.Gift(
                item=g.cleaned_data["item"],
                quantity=g.cleaned_data["quantity"],
                value=g.cleaned_data["value"],
            )
            for g in gifts.forms
            if not g.is_blank()
        ],
    )


def _put_errors(form: VisitForm, gift_errors: list[str], exc: ValidationError) -> None:
    """Place the service's errors beside the fields they name; the gifts' above the gift rows."""
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for field, field_messages in by_field.items():
        if field == "gifts":
            gift_errors.extend(field_messages)
        elif field in form.fields:
            form.add_error(field, field_messages)
        else:
            form.add_error(None, field_messages)


def _save_visit(
    form: VisitForm, gifts, save, unchanged_visited_at: datetime.datetime | None = None
) -> tuple[Visit | None, list[str]]:
    """Validate both forms and call the service; on a broken rule keep the input and show why."""
    gift_errors: list[str] = []
    forms_valid = form.is_valid()
    gifts_valid = gifts.is_valid()
    if forms_valid and gifts_valid:
        try:
            return save(_details(form, gifts, unchanged_visited_at)), gift_errors
        except ValidationError as exc:
            _put_errors(form, gift_errors, exc)
    return None, gift_errors


def _names(household: Household, residents: list[Resident]) -> str:
    return _("、").join(r.name for r in residents) or str(household.dwelling)


def _form_context(household: Household, form, gifts, gift_errors, **extra) -> dict:
    kind = form["kind"].value()
    return {
        "household": household,
        "form": form,
        "gifts": gifts,
        "gift_errors": gift_errors,
        "show_gifts": kind == Visit.Kind.CONDOLENCE or bool(gift_errors),
        "no_answer": form["outcome"].value() == Visit.Outcome.NO_ANSWER and not form["residents_met"].errors,
        "grid_level": LEVEL_GRID,
        **extra,
    }


@require_http_methods(["GET", "POST"])
def visit_create(request):
    """Log a visit to one household (?household=<pk>): one page, defaults filled in."""
    household = _household_or_404(request.user, request.GET.get("household"))
    if not permissions.can_log_visit(request.user, household.grid):
        raise PermissionDenied
    members = list(household.members.current().order_by("id"))
    initial = VisitForm.initial_for_new(request.user)
    form, gifts = _visit_forms(request, household, initial, [])
    gift_errors: list[str] = []
    if request.method == "POST":

        def save(details):
            return services.visit_log(
                household=household,
                author=request.user,
                details=details,
                submission_token=form.cleaned_data["submission_token"],
            )

        try:
            visit, gift_errors = _save_visit(form, gifts, save)
        except AlreadySubmitted as earlier:
            # A double tap or a resend of a form already saved: show the visit it saved.
            messages.info(request, _("已保存，未重复登记。"))
            return redirect("visits:detail", pk=earlier.record.pk)
        if visit is not None:
            met = form.cleaned_data["residents_met"]
            if visit.outcome == Visit.Outcome.NO_ANSWER:
                messages.success(request, _("已记录敲门：无人应答。该户仍在应访之列，请另找时间再访。"))
            else:
                messages.success(
                    request, _("已记录对 %(names)s 的走访。") % {"names": _names(household, list(met))}
                )
            back = _safe_next(request, reverse("visits:due"))
            if visit.needs_found:
                # The request found is offered as a case right there (登记为诉求工单 on the visit's page).
                return redirect(f"{reverse('visits:detail', args=[visit.pk])}?{urlencode({'next': back})}")
            return redirect(back)
    context = _form_context(
        household, form, gifts, gift_errors, next=_safe_next(request, ""), members=members
    )
    return render(request, "visits/visit_form.html", context)


def _edit_closed(request, visit: Visit):
    """The visit's page, refused (403), saying why it cannot be changed and offering a correction."""
    if visit.author_id == request.user.pk:
        reason = _("这条走访记录已超过 24 小时，不能再修改。如有错误，请在下方追加更正，原记录会保留。")
    else:
        reason = _("只有记录人可以在记录后 24 小时内修改这条走访。如有错误，请在下方追加更正。")
    return _render_detail(request, visit, edit_closed=reason, status=403)


@require_http_methods(["GET", "POST"])
def visit_edit(request, pk: int):
    """The author changes the visit within 24 hours of logging it; the previous state is kept."""
    visit = _visit_or_404(request.user, pk)
    if not permissions.can_edit_visit(request.user, visit):
        return _edit_closed(request, visit)
    household = visit.household
    gifts_initial = [{"item": g.item, "quantity": g.quantity, "value": g.value} for g in visit.gifts.all()]
    form, gifts = _visit_forms(request, household, VisitForm.initial_from(visit), gifts_initial)
    gift_errors: list[str] = []
    if request.method == "POST":

        def save(details):
            return services.visit_edit(visit=visit, editor=request.user, details=details)

        try:
            saved, gift_errors = _save_visit(form, gifts, save, unchanged_visited_at=visit.visited_at)
        except PermissionDenied:
            # The 24 hours ran out while the form was open.
            return _edit_closed(request, visit)
        if saved is not None:
            messages.success(request, _("走访记录已修改，修改前的内容已保留。"))
            return redirect("visits:detail", pk=visit.pk)
    context = _form_context(
        household,
        form,
        gifts,
        gift_errors,
        visit=visit,
        members=list(household.members.current().order_by("id")),
        edit_until=visit.created_at + permissions.EDIT_WINDOW,
    )
    return render(request, "visits/visit_form.html", context)


# --- one visit, its history and corrections --------------------------------------------------------


def _render_detail(request, visit: Visit, correction_form=None, edit_closed: str = "", status: int = 200):
    can_correct = permissions.can_correct_visit(request.user, visit)
    return render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "household": visit.household,
            "history": revisions.history(visit),
            "can_edit": permissions.can_edit_visit(request.user, visit),
            "edit_until": visit.created_at + permissions.EDIT_WINDOW,
            "can_correct": can_correct,
            "correction_form": correction_form or (CorrectionForm() if can_correct else None),
            "edit_closed": edit_closed,
            "can_add_photos": permissions.can_log_visit(request.user, visit.household.grid),
            "back": _safe_next(request, ""),
        },
        status=status,
    )


@require_GET
def visit_detail(request, pk: int):
    return _render_detail(request, _visit_or_404(request.user, pk))


@require_POST
def visit_correct(request, pk: int):
    """Append a correction; the visit itself stays as it was recorded."""
    visit = _visit_or_404(request.user, pk)
    if not permissions.can_correct_visit(request.user, visit):
        raise PermissionDenied
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.visit_correct(visit=visit, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error("note", exc.messages)
        else:
            messages.success(request, _("已追加更正，原记录保留。"))
            return redirect("visits:detail", pk=visit.pk)
    return _render_detail(request, visit, correction_form=form)


# --- a household's visit plan -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def visit_plan(request, household: int):
    """Set or clear the household's own visit interval (e.g. supplies three times a week: 2 days)."""
    household = _household_or_404(request.user, household)
    if not can_edit_registry(request.user, household.grid):
        raise PermissionDenied
    plan = getattr(household, "visit_plan", None)
    initial = {}
    if plan is not None:
        initial = {
            "interval_override_days": plan.interval_override_days,
            "override_reason": plan.override_reason,
        }
    form = VisitPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_plan_set(
                household=household,
                interval_override_days=form.cleaned_data["interval_override_days"],
                override_reason=form.cleaned_data["override_reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("走访计划已保存。"))
            return redirect("household_file", pk=household.pk)
    schedule = selectors.care_schedule(Household.objects.filter(pk=household.pk)).first()
    if schedule is not None:
        schedule.days_overdue = max((timezone.localdate() - schedule.next_due).days, 0)
    return render(
        request,
        "visits/plan_form.html",
        {"household": household, "form": form, "plan": plan, "schedule": schedule},
    )
