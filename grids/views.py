"""Pages that keep the places of a grid. The grid pages themselves combine apps and live in portal."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .forms import BuildingForm
from .models import Grid
from .permissions import can_add_building


@require_http_methods(["GET", "POST"])
def building_create(request, pk: int):
    try:
        grid = selectors.grid_for_user(request.user, pk)
    except Grid.DoesNotExist:
        raise Http404 from None
    if not can_add_building(request.user, grid):
        raise PermissionDenied
    form = BuildingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            building = services.building_create(grid=grid, address=form.cleaned_data["address"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已登记楼栋 %(address)s。") % {"address": building.address})
            return redirect("grids:detail", pk=grid.pk)
    return render(request, "grids/building_form.html", {"form": form, "grid": grid})
