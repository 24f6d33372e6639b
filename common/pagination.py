"""Pagination that stays fast over a million rows: counts stop at a cap instead of scanning all."""

from collections.abc import Sequence

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

PAGE_SIZE = 20
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows; beyond that the page shows "1000+" and pages up to the cap."""

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            rows = self.object_list
            # The first COUNT_CAP + 1 rows in any order count the same: unordered, PostgreSQL may take them
            # in the order its indexes give (a district's 1,001 latest visits: 4.7 ms ordered, 1.3 unordered).
            if not rows.query.is_sliced:
                rows = rows.order_by()
            return rows[: COUNT_CAP + 1].count()
        return len(self.object_list)  # a list already cut short by the selector that made it

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


class KnownCountPaginator(Paginator):
    """Pages through rows whose number is already known (read from a stored count), without counting."""

    capped = False

    def __init__(self, object_list, per_page: int, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def paginate(
    request,
    rows: QuerySet | Sequence,
    per_page: int = PAGE_SIZE,
    exact: bool = False,
    count: int | None = None,
) -> Page:
    """The requested page (?page=N); a missing, bad or too-high number gives the nearest real page.

    `exact` counts every row: a dashboard figure's list must show the figure's own number. `count` is
    the number of rows when a stored count already says it (exact, and nothing is counted).
    """
    if count is not None:
        paginator: Paginator = KnownCountPaginator(rows, per_page, count)
    else:
        paginator = (Paginator if exact else CappedPaginator)(rows, per_page)
    return paginator.get_page(request.GET.get("page"))
