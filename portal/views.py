"""Pages that compose several apps: the home page and the grid pages (places with their people)."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from grids import selectors as grid_selectors
from grids.models import Grid
from grids.permissions import can_edit_registry
from residents import selectors as resident_selectors

from .pagination import paginate


@require_GET
def home(request):
    return redirect("grids:list")


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
        },
    )
