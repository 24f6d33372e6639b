"""Who may do what with visits and patrols. Households outside a user's grids are 404, not here."""

import datetime

from django.utils import timezone

from grids.models import Grid
from grids.permissions import roles_over_grid
from grids.roles import PATROL_ROLES

from .models import Visit

# The author may change a visit for this long; after that only corrections are appended.
EDIT_WINDOW = datetime.timedelta(hours=24)


def can_log_visit(user, grid: Grid) -> bool:
    """Anyone serving the grid knocks on its doors: grid roles, community staff and leaders, street cadres."""
    return user.is_superuser or bool(roles_over_grid(user, grid))


def can_edit_visit(user, visit: Visit, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return visit.author_id == user.pk and now - visit.created_at <= EDIT_WINDOW


def can_correct_visit(user, visit: Visit) -> bool:
    return can_log_visit(user, visit.household.grid)


def can_log_patrol(user, grid: Grid) -> bool:
    return user.is_superuser or bool(roles_over_grid(user, grid) & PATROL_ROLES)
