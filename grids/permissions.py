"""Which roles a user holds over a place, and what those roles allow.

Row scoping itself is GridQuerySet.visible_to; the role sets are grids/roles.py.
"""

from django.db.models import Q, QuerySet

from .models import Assignment, Community, Grid, held_assignments
from .roles import BUILDING_EDIT_ROLES, LEADER_ROLES, LEDGER_IMPORT_ROLES, REGISTRY_EDIT_ROLES, WORKLOAD_ROLES


def roles_over_grid(user, grid: Grid) -> set[str]:
    """Every role the user holds that serves this grid (AssignmentQuerySet.serving), cached per request."""
    if not user.is_authenticated:
        return set()
    cache = user.__dict__.setdefault("_roles_over_grid", {})
    if grid.pk not in cache:
        cache[grid.pk] = set(
            Assignment.objects.filter(user=user).serving(grid).values_list("role", flat=True)
        )
    return cache[grid.pk]


def roles_over_community(user, community: Community) -> set[str]:
    """Every role the user holds in the community: on one of its grids, on it, or on its street; cached per
    request. What a community-wide record (a deliberation) is worked on with."""
    if not user.is_authenticated:
        return set()
    cache = user.__dict__.setdefault("_roles_over_community", {})
    if community.pk not in cache:
        here = Q(grid__community=community) | Q(community=community) | Q(street_id=community.street_id)
        cache[community.pk] = set(
            Assignment.objects.filter(user=user).filter(here).values_list("role", flat=True)
        )
    return cache[community.pk]


def user_roles(user) -> frozenset[str]:
    """Every role the user holds anywhere, from the assignments read once a request (the menu, the bell and
    a page's own checks ask in one request)."""
    if not user.is_authenticated:
        return frozenset()
    return frozenset(role for role, *_place in held_assignments(user))


def can_read_audit(user) -> bool:
    """Leaders read the audit trail of their scope (audit.selectors.scope_of); superusers read all of it."""
    return user.is_superuser or bool(user_roles(user) & LEADER_ROLES)


def can_edit_registry(user, grid: Grid) -> bool:
    return user.is_superuser or bool(roles_over_grid(user, grid) & REGISTRY_EDIT_ROLES)


def can_add_building(user, grid: Grid) -> bool:
    return user.is_superuser or bool(roles_over_grid(user, grid) & BUILDING_EDIT_ROLES)


def grids_editable_by(user) -> QuerySet[Grid]:
    """Grids where one of the user's roles keeps the registry."""
    return Grid.objects.served_by(user, REGISTRY_EDIT_ROLES)


def communities_for_ledger_import(user) -> QuerySet[Community]:
    """Communities into whose grids the user may import ledgers (ledger roles are held on a community)."""
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(
        assignments__user=user, assignments__role__in=LEDGER_IMPORT_ROLES
    ).distinct()


def can_see_workload(user) -> bool:
    """Each grid worker's workload: their leaders (WORKLOAD_ROLES, over the grids they lead), superusers."""
    return user.is_superuser or bool(user_roles(user) & WORKLOAD_ROLES)
