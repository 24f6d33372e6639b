"""Who may do what with residents' data. Rows outside a user's grids are 404 (visible_to), not here."""

from django.db.models import QuerySet

from grids.models import Grid
from grids.permissions import can_edit_registry, roles_over_grid, user_roles
from grids.roles import CARE_DETAIL_ROLES, REVEAL_ROLES

from .models import Household, Resident


def can_reveal_resident(user, resident: Resident) -> bool:
    """Full ID numbers and phones only for roles whose work needs them, over the resident's grid."""
    return can_reveal_in_grid(user, resident.household.grid)


def can_reveal_in_grid(user, grid: Grid) -> bool:
    return user.is_superuser or bool(roles_over_grid(user, grid) & REVEAL_ROLES)


def can_search_full_numbers(user) -> bool:
    """A search by a full ID number or phone confirms a guess of a mask's hidden digits: reveal roles only."""
    return user.is_superuser or bool(user_roles(user) & REVEAL_ROLES)


def grids_revealable_by(user) -> QuerySet[Grid]:
    """The grids where the user may reveal (and so find residents by a full number)."""
    return Grid.objects.served_by(user, REVEAL_ROLES)


def can_edit_household(user, household: Household) -> bool:
    return can_edit_registry(user, household.grid)


def can_see_care_details(user, household: Household) -> bool:
    """Disability, illness and allowance details only for the roles serving the household in person or at
    the desk; the others see its care categories alone (residents.disclosure applies this)."""
    return user.is_superuser or bool(roles_over_grid(user, household.grid) & CARE_DETAIL_ROLES)


def can_export_unmasked(user) -> bool:
    """An unmasked export needs a reveal role; the export itself is recorded either way."""
    return user.is_superuser or bool(user_roles(user) & REVEAL_ROLES)
