"""Each grid worker's workload (工作量) for their leaders: the cases they hold, overdue, taken and resolved
in the period, and the visits they made, each number linking to the list behind it."""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.measures import WORKLOAD
from common.pagination import paginate
from common.replica import reads_from_replica
from grids.permissions import can_see_workload
from visits.measures import VISITS_MADE_DEFINITION, VISITS_MADE_LABEL

from . import selectors as dash
from .forms import DashboardForm

# Workers a page: a street's workload holds hundreds of them, each a line of five linked figures.
WORKERS_PAGE = 50


def _requested(request):
    """The scope (404 outside the user's units), the period form and period, and the grids led there."""
    if not can_see_workload(request.user):
        raise PermissionDenied(_("只有网格长、社区工作人员和领导可以查看网格员工作量。"))
    tree = dash.scope_tree(request.user)
    scope = tree.parse(request.GET.get("scope", ""))
    form = DashboardForm(request.GET or None, today=timezone.localdate())
    period = form.chosen_period()
    return tree, scope, form, period, dash.workload_grid_ids(request.user, scope)


@require_GET
@reads_from_replica
def workload(request):
    tree, scope, form, period, grid_ids = _requested(request)
    days = {"date_from": period.first.isoformat(), "date_to": period.last.isoformat()}
    cases_base = f"{reverse('dashboard:workload_cases')}?" + urlencode(
        {"scope": scope.param, "period": "custom", **days}
    )
    visits_base = f"{reverse('visits:list')}?" + urlencode({**scope.filter_params(), **days})
    page = paginate(request, dash.workload(grid_ids), per_page=WORKERS_PAGE, exact=True)
    dash.count_workload(page.object_list, grid_ids, period, timezone.now())
    table = []
    for row in page.object_list:
        cells = [
            (
                m.label,
                row.figures[key],
                f"{cases_base}&worker={row.user_id}&measure={key}",
                key == "held_overdue",
            )
            for key, m in WORKLOAD.items()
        ]
        cells.append(
            (VISITS_MADE_LABEL, row.figures["visits"], f"{visits_base}&visitor={row.user_id}", False)
        )
        table.append((row, cells))
    columns = [(m.label, m.definition) for m in WORKLOAD.values()] + [
        (VISITS_MADE_LABEL, VISITS_MADE_DEFINITION)
    ]
    return render(
        request,
        "dashboard/workload.html",
        {
            "tree": tree,
            "scope": scope,
            "scope_units": tree.picker(scope),
            "form": form,
            "period": period,
            "columns": columns,
            "table": table,
            "page": page,
            "led": bool(grid_ids),
        },
    )


@require_GET
@reads_from_replica
def workload_cases(request):
    """The cases behind one worker's figure: exactly what the table counts (cases.measures.workload_drill)."""
    _tree, scope, _form, period, grid_ids = _requested(request)
    key = request.GET.get("measure", "")
    if key not in WORKLOAD:
        raise Http404
    worker = dash.workload_worker(grid_ids, request.GET.get("worker", ""))
    if worker is None:
        raise Http404
    now = timezone.now()
    cases = dash.workload_cases(grid_ids, key, worker.pk, period, now)
    back = f"{reverse('dashboard:workload')}?" + urlencode(
        {
            "scope": scope.param,
            "period": "custom",
            "date_from": period.first.isoformat(),
            "date_to": period.last.isoformat(),
        }
    )
    return render(
        request,
        "dashboard/workload_cases.html",
        {
            "scope": scope,
            "period": period,
            "measure": WORKLOAD[key],
            "worker": worker,
            "page": paginate(request, cases, exact=True),
            "now": now,
            "back": back,
        },
    )
