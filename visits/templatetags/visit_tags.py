"""The lines of the overdue overview (逾期未访), drawn in Python: a district leader's forty-odd communities
were as many renders of a line of a dozen template lookups, the one part of the page that grows with the
district."""

import html

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def _shared(context) -> tuple[str, list[str]]:
    """What every line of one table shares: the overview's URL, and each figure's cell up to its value (on a
    phone the figure carries its label: table-mobile-cards). Made at the first line, kept in the context."""
    shared = context.get("_overdue_row")
    if shared is None:
        colon = _("：")
        starts = [
            f'<td class="text-sm-end"><span class="d-sm-none text-muted">{html.escape(label + colon)}</span>'
            for label in (_("关爱户数"), _("按时"), _("逾期"), _("按时率"))
        ]
        shared = context["_overdue_row"] = (reverse("visits:overdue"), starts)
    return shared


@register.simple_tag(takes_context=True)
def overdue_row(context, row: dict, by_community: bool, several_streets: bool) -> str:
    """One line of the overview: the community (opening its grids) or the grid (opening its overdue
    households), then its care-group households, those on time, those overdue and the on-time rate."""
    url, starts = _shared(context)
    if by_community:
        community = row["community"]
        name = html.escape(community.name)
        place = f'<a class="fw-semibold" href="{url}?community={community.pk:d}">{name}</a>'
        if several_streets:
            place += f' <span class="text-muted small">{html.escape(community.street.name)}</span>'
    else:
        grid = row["grid"]
        name = html.escape(grid.name)
        if row["overdue"]:
            name = f'<a class="fw-semibold" href="{url}?grid={grid.pk:d}">{name}</a>'
        place = f'{name} <span class="text-muted small">{html.escape(grid.code)}</span>'
    overdue, rate = row["overdue"], row["on_time_rate"]
    values = (
        f"{row['enrolled']:d}",
        f"{row['on_time']:d}",
        f'<span class="text-danger fw-semibold">{overdue:d}</span>' if overdue else "0",
        "—" if rate is None else f"{floatformat(rate, 1)}%",
    )
    figures = "".join(f"{start}{value}</td>" for start, value in zip(starts, values, strict=True))
    # Names escaped above (html.escape, as Django's own escape), the rest numbers and fixed text.
    return mark_safe(f"<td>{place}</td>{figures}")  # noqa: S308
