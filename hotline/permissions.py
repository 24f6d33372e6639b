"""Who manages the platform's keys and who watches and retries the updates owed to it."""

from grids.models import Community, Grid, Street
from grids.permissions import user_roles
from grids.roles import DESK_ROLES, STREET_ROLES, Role

# The desk that answers the platform: the community's staff and leader over their grids, the street's
# leader over the street (the 12345 work orders are the street's and the community's to answer).
UPDATE_DESK_ROLES = DESK_ROLES | STREET_ROLES


def can_manage_clients(user) -> bool:
    """The key page: superusers (every key) and street leaders (their street's)."""
    return user.is_superuser or Role.STREET_LEADER in user_roles(user)


def can_manage_client_scope(user, *, street: Street | None, community: Community | None) -> bool:
    """Whether the user may make a key for this street or community: a superuser anywhere, a street
    leader for their street and its communities."""
    if user.is_superuser:
        return True
    street_id = street.pk if street is not None else community.street_id if community is not None else None
    return (
        street_id is not None
        and Street.objects.filter(
            pk=street_id, assignments__user=user, assignments__role=Role.STREET_LEADER
        ).exists()
    )


def desk_grids(user):
    """The grids whose work orders' updates the user watches and retries."""
    return Grid.objects.served_by(user, UPDATE_DESK_ROLES)


def can_see_updates(user) -> bool:
    return user.is_superuser or bool(user_roles(user) & UPDATE_DESK_ROLES)


def can_retry_update(user, update) -> bool:
    return user.is_superuser or desk_grids(user).filter(pk=update.work_order.case.grid_id).exists()
