"""Who may do what with a grid's shops. Reading is scoped by ShopQuerySet.visible_to (404 outside)."""

from grids.permissions import can_edit_registry, roles_over_grid
from grids.roles import REVEAL_ROLES

from .models import Shop


def can_edit_shop(user, shop: Shop) -> bool:
    """The registry's keepers of the shop's grid (grids.permissions.can_edit_registry)."""
    return can_edit_registry(user, shop.grid)


def can_see_contact_phone(user, shop: Shop) -> bool:
    """A contact's full phone: the roles that may reveal residents' phones over the grid (REVEAL_ROLES)."""
    return user.is_superuser or bool(roles_over_grid(user, shop.grid) & REVEAL_ROLES)
