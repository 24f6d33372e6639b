"""Pages that compose several apps: the grid pages and the household file."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import selectors as case_selectors
from common.pagination import paginate
from grids import selectors as grid_selectors
from grids.models import Grid
from grids.permissions import can_add_building, can_edit_registry
from residents import disclosure
from residents import permissions as resident_permissions
from residents import selectors as resident_selectors
from residents.forms import RevealForm
from residents.models import Household
from visits import permissions as visit_permissions
from visits import selectors as visit_selectors

HOUSEHOLD_FILE_VISITS = 20
HOUSEHOLD_FILE_CASES = 20


@require_GET
def grid_list(request):
    grids = grid_selectors.grids_for_user(request.user)
    page = paginate(request, resident_selectors.grids_with_household_counts(grids), per_page=50)
    return render(request, "grids/grid_list.html", {"page": page})


@require_GET
def grid_detail(request, pk: int):
    try:
        grid = grid_selectors.grid_for_user(request.user, pk)
    except Grid.DoesNotExist:
        raise Http404 from None
    households = resident_selectors.households_in_grid(grid)
    return render(
        request,
        "grids/grid_detail.html",
        {
            "grid": grid,
            "buildings": resident_selectors.buildings_with_household_counts(grid),
            "assignments": grid_selectors.people_serving(grid),
            "team_members": grid_selectors.work_team_members(grid),
            "care_counts": resident_selectors.care_counts_by_category(households),
            "page": paginate(request, households),
            "can_edit": can_edit_registry(request.user, grid),
            "can_add_building": can_add_building(request.user, grid),
        },
    )


@require_GET
def household_file(request, pk: int):
    """一户一档: members, care enrolments, the liaison Party member, visits and cases on one page."""
    try:
        household = resident_selectors.household_for_user(request.user, pk)
    except Household.DoesNotExist:
        raise Http404 from None
    today = timezone.localdate()
    active = household.status == Household.Status.ACTIVE
    # The schedule of a care-group household; None when no care enrolment is active.
    schedule = visit_selectors.care_schedule(Household.objects.filter(pk=household.pk), today).first()
    if schedule is not None:
        schedule.days_overdue = max((today - schedule.next_due).days, 0)
    file = resident_selectors.household_file(household)
    return render(
        request,
        "residents/household_detail.html",
        {
            "household": household,
            "file": file,
            # What this user may see of each enrolment: the details only for the roles serving it.
            "enrolments": disclosure.enrolments_for(request.user, household, file.enrolments),
            "care_details_shown": resident_permissions.can_see_care_details(request.user, household),
            "today": today,
            "can_edit": resident_permissions.can_edit_household(request.user, household),
            "can_reveal": resident_permissions.can_reveal_in_grid(request.user, household.grid),
            "reveal_form": RevealForm(),
            "visits": visit_selectors.household_visits(household, limit=HOUSEHOLD_FILE_VISITS),
            "visits_limit": HOUSEHOLD_FILE_VISITS,
            "cases": case_selectors.household_cases(household, limit=HOUSEHOLD_FILE_CASES),
            "cases_limit": HOUSEHOLD_FILE_CASES,
            "now": timezone.now(),
            "visit_schedule": schedule,
            "can_log_visit": active and visit_permissions.can_log_visit(request.user, household.grid),
            "can_plan_visits": active and can_edit_registry(request.user, household.grid),
        },
    )
