"""Who may do what with the three lists. Rows outside a user's communities are 404 (visible_to), not here.

A project's moves are the workflow table (projects/workflow.py); this module says which hats a user wears
in a community and, from the table, what they may do with a project now.
"""

from grids.models import Assignment, Community
from grids.permissions import roles_over_community
from grids.roles import DESK_ROLES, Role

from .models import Need, NeedStatus, Project
from .workflow import HAT_ROLES, USER_ACTIONS, Hat, move_for


def _roles(user, community: Community) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(Role) if user.is_superuser else roles_over_community(user, community)


def hats(user, community: Community) -> set[Hat]:
    roles = _roles(user, community)
    return {hat for hat, given_by in HAT_ROLES.items() if roles & given_by}


def may(user, project: Project, action: str, worn: set[Hat] | None = None) -> bool:
    """Whether the table lets this user take this action on the project as it is now."""
    move = move_for(project, action)
    if move is None:
        return False
    worn = hats(user, project.community) if worn is None else worn
    return bool(worn & move.who) and (move.guard is None or move.guard.holds(project))


def allowed_actions(user, project: Project) -> list[str]:
    worn = hats(user, project.community)
    return [action for action in USER_ACTIONS if may(user, project, action, worn)]


def is_community_desk(user, community: Community) -> bool:
    """The community's staff and leader (and superusers): they keep the resources, match and close."""
    return bool(_roles(user, community) & DESK_ROLES)


def can_add_need(user, community: Community) -> bool:
    """Anyone serving the community puts a need on its list (found at a visit, in a case, at the desk)."""
    return bool(_roles(user, community))


def can_edit_need(user, need: Need) -> bool:
    """An open need's wording: the desk, or whoever registered it."""
    if need.status != NeedStatus.OPEN:
        return False
    return is_community_desk(user, need.community) or need.created_by_id == user.pk


def can_close_need(user, need: Need) -> bool:
    return need.status == NeedStatus.OPEN and is_community_desk(user, need.community)


def can_match_need(user, need: Need) -> bool:
    return need.status == NeedStatus.OPEN and is_community_desk(user, need.community)


def can_edit_resource(user, community: Community) -> bool:
    return is_community_desk(user, community)


def desk_community_ids(user):
    """The communities whose desk the user works (every community for a superuser), as a subquery."""
    if user.is_superuser:
        return Community.objects.values("pk")
    if not user.is_authenticated:
        return Community.objects.none().values("pk")
    return Assignment.objects.filter(user=user, role__in=sorted(DESK_ROLES), community__isnull=False).values(
        "community"
    )
