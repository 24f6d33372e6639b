"""Who may change the co-governance records (who sees them is the models' `visible_to`: 404 outside).

The rule: the community's staff and its Party secretary (社区工作人员, 社区党委书记) keep the partner units,
reporting members, volunteers, teams and activities of their community, sign volunteers up and take
attendance; a grid leader (网格长) may also do so for an activity held in their own grid. Everybody else who
sees the community (grid workers, building heads, instructors, street leaders) reads them: 403 on writes.
"""

from django.db.models import QuerySet

from grids.models import Assignment, Community, Grid
from grids.permissions import roles_over_grid
from grids.roles import Role

VOLUNTEER_EDIT_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER})
ACTIVITY_GRID_ROLES = frozenset({Role.GRID_LEADER})


def communities_editable_by(user) -> QuerySet[Community]:
    """Communities whose co-governance records the user keeps."""
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(
        pk__in=Assignment.objects.filter(user=user, role__in=sorted(VOLUNTEER_EDIT_ROLES)).values("community")
    )


def _keeps(user, community_id: int) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cache = user.__dict__.setdefault("_volunteer_communities", None)
    if cache is None:
        cache = set(communities_editable_by(user).values_list("pk", flat=True))
        user.__dict__["_volunteer_communities"] = cache
    return community_id in cache


def can_edit_community_records(user, community: Community) -> bool:
    """Partner units, reporting members, volunteers and teams of the community."""
    return _keeps(user, community.pk)


def can_edit_reporting_member(user, grid: Grid) -> bool:
    return _keeps(user, grid.community_id)


def can_create_activity(user) -> bool:
    return user.is_superuser or communities_editable_by(user).exists() or grids_for_activities(user).exists()


def grids_for_activities(user) -> QuerySet[Grid]:
    """Grids in which the user may hold activities as a grid leader."""
    return Grid.objects.served_by(user, ACTIVITY_GRID_ROLES)


def can_edit_activity(user, activity) -> bool:
    """Edit, sign up, take attendance, add photos and the report."""
    if _keeps(user, activity.community_id):
        return True
    return activity.grid_id is not None and Role.GRID_LEADER in roles_over_grid(user, activity.grid)
