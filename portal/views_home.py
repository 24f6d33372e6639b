"""The home page: each user lands where their role's work is.

Leaders (社区党委书记, 街道领导) and superusers go to the dashboard, community staff to the desk, grid
roles to their workbench (我的工作台: their case queue and the visits falling due), everyone else to the
grid list.
"""

from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import selectors as case_selectors
from grids.permissions import user_roles
from grids.roles import CASE_WORKER_ROLES, DESK_ROLES, GRID_ROLES, LEADER_ROLES
from visits import selectors as visit_selectors

# How many rows of each list the workbench shows; the full lists are one link away.
WORKBENCH_CASES = 5
WORKBENCH_HOUSEHOLDS = 6


@require_GET
def home(request):
    """Send the user to the page of the work their roles give them.

    Precedence when a user holds several roles: leader (dashboard) over community staff (desk) over a
    grid role (workbench). The wider role's page already covers the grids the narrower role serves.
    """
    user = request.user
    roles = user_roles(user)
    if user.is_superuser or roles & LEADER_ROLES:
        return redirect("dashboard:index")
    if roles & DESK_ROLES:
        return redirect("cases:desk")
    if roles & GRID_ROLES:
        return _workbench(request, works_cases=bool(roles & CASE_WORKER_ROLES))
    return redirect("grids:list")


def _workbench(request, *, works_cases: bool):
    """我的工作台. Grid instructors and building heads knock on doors but take no cases: visits only."""
    user = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    context = {"now": now, "today": today, "works_cases": works_cases}

    if works_cases:
        queue = case_selectors.worker_queue(user, now)
        context.update(
            waiting=list(queue["waiting"][:WORKBENCH_CASES]),
            waiting_count=queue["waiting"].count(),
            mine=list(queue["mine"][:WORKBENCH_CASES]),
            mine_count=queue["mine"].count(),
        )

    due = visit_selectors.due_households(user, today)
    counts = visit_selectors.due_counts(due, today)
    context.update(
        households=visit_selectors.with_due_status(due[:WORKBENCH_HOUSEHOLDS], today),
        due_counts=counts,
        due_total=sum(counts.values()),
    )
    return render(request, "portal/workbench.html", context)
