"""Which roles a user holds over a place. Row scoping itself is GridQuerySet.visible_to."""

from django.db.models import Q, QuerySet

from .models import Assignment, Community, Grid, Role

# Roles that keep the registry (households, residents, enrolments) up to date in their grids.
REGISTRY_EDIT_ROLES = frozenset(
    {
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.PART_TIME_GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.COMMUNITY_LEADER,
    }
)
# Roles that import ledgers for a whole community.
LEDGER_IMPORT_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER})


def roles_over_grid(user, grid: Grid) -> set[str]:
    """Every role the user holds that covers this grid: on it, its community or its street."""
    if not user.is_authenticated:
        return set()
    cache = user.__dict__.setdefault("_roles_over_grid", {})
    if grid.pk not in cache:
        cache[grid.pk] = set(
            Assignment.objects.filter(user=user)
            .filter(
                Q(grid_id=grid.pk) | Q(community_id=grid.community_id) | Q(street__communities__grids=grid.pk)
            )
            .values_list("role", flat=True)
        )
    return cache[grid.pk]


def can_edit_registry(user, grid: Grid) -> bool:
    return user.is_superuser or bool(roles_over_grid(user, grid) & REGISTRY_EDIT_ROLES)


def communities_for_ledger_import(user):
    """Communities into whose grids the user may import ledgers."""
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(
        assignments__user=user, assignments__role__in=LEDGER_IMPORT_ROLES
    ).distinct()


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(Assignment.objects.filter(user=user).values_list("role", flat=True))


def grids_editable_by(user) -> QuerySet[Grid]:
    """Grids where one of the user's roles keeps the registry."""
    if user.is_superuser:
        return Grid.objects.all()
    mine = Assignment.objects.filter(user=user, role__in=REGISTRY_EDIT_ROLES)
    return Grid.objects.filter(
        Q(pk__in=mine.filter(grid__isnull=False).values("grid"))
        | Q(community__in=mine.filter(community__isnull=False).values("community"))
        | Q(community__street__in=mine.filter(street__isnull=False).values("street"))
    )


# Roles that register the buildings of a grid (the registry's households then live in them).
BUILDING_EDIT_ROLES = frozenset({Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER})


def can_add_building(user, grid: Grid) -> bool:
    return user.is_superuser or bool(roles_over_grid(user, grid) & BUILDING_EDIT_ROLES)
