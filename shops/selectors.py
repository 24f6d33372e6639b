"""Reads of shops for lists, pickers and pages, in the user's scope."""

from django.db.models import QuerySet

from grids.models import Community, Grid, Street
from grids.selectors import within

from .models import Shop, ShopPledge


def shops_for_user(user) -> QuerySet[Shop]:
    """The shops the user sees (their grids'), with their places, for pages about one shop."""
    return Shop.objects.visible_to(user).select_related("grid__community__street", "building")


def shop_list(
    user,
    *,
    street: Street | None = None,
    community: Community | None = None,
    grid: Grid | None = None,
    q: str = "",
    kind: str = "",
    closed: bool = False,
) -> QuerySet[Shop]:
    """The list page's shops: in the scope and place chosen, by name, kind, open or closed; grid then name."""
    scoped = Shop.objects.visible_to(user).with_current_pledge()
    shops = within(scoped, "grid", street=street, community=community, grid=grid)
    if q:
        shops = shops.filter(name__contains=q)
    if kind:
        shops = shops.filter(kind=kind)
    shops = shops.filter(closed_on__isnull=not closed)
    return shops.select_related("grid__community", "building").order_by("grid__code", "name", "id")


def pledges_of(shop: Shop) -> list[ShopPledge]:
    """A shop's pledges, the current (latest signed) first."""
    return list(shop.pledges.select_related("recorded_by").order_by("-signed_on", "-id"))


def shops_for_patrol(grids: QuerySet[Grid]) -> QuerySet[Shop]:
    """The open shops of the grids a patroller walks, for the finding's shop picker."""
    return Shop.objects.open().filter(grid__in=grids).select_related("grid").order_by("grid__code", "name")
