"""Showing the dashboard's figures: a rate as a percentage or "—", an average duration, a drill-down link."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from cases.measures import RATE_KEYS

register = template.Library()


@register.filter
def percent(rate) -> str:
    """93.5% ; "—" when the rate rests on no case (never a division by zero)."""
    return "—" if rate.value is None else f"{rate.value:.1f}%"


@register.filter
def duration(average) -> str:
    hours = average.hours
    if hours is None:
        return "—"
    if hours >= 48:
        return _("%(n).1f 天") % {"n": hours / 24}
    if hours >= 1:
        return _("%(n).1f 小时") % {"n": hours}
    return _("%(n)d 分钟") % {"n": round(hours * 60)}


@register.simple_tag(takes_context=True)
def drill(context, measure: str, part: str = "all", unit=None, **extra) -> str:
    """The case list filtered to exactly the cases a figure counts (cases.measures.drill), optionally
    for one grid or community of the table."""
    params = {**context["drill_base"], "measure": measure, "part": part, **extra}
    if unit is not None:
        params[unit.level] = unit.pk
    return f"{reverse('cases:list')}?{urlencode(params)}"


@register.simple_tag(takes_context=True)
def dashboard_url(context, name: str = "dashboard:index", **changes) -> str:
    """This dashboard's URL with some of its choices changed (scope, rank)."""
    params = {key: value for key, value in context["request"].GET.items()}
    params.update({key: value for key, value in changes.items() if value is not None})
    return f"{reverse(name)}?{urlencode(params)}"


@register.simple_tag(takes_context=True)
def unit_cells(context, row) -> str:
    """The figures of one line of the ranking table, each linking to its cases.

    Built here rather than by an include per cell: a street's table has hundreds of lines, and the
    template engine took most of the page's time rendering them cell by cell.
    """
    base = context.get("_drill_prefix")
    if base is None:
        base = context["_drill_prefix"] = f"{reverse('cases:list')}?{urlencode(context['drill_base'])}"
    unit = f"&{row.unit.level}={row.unit.pk}"

    def link(key: str) -> str:
        return f"{base}&measure={key}&part=all{unit}"

    cells = [
        format_html(
            '<td class="text-end"><a href="{}">{}</a></td>', link("received"), row.figures.counts["received"]
        )
    ]
    for key in RATE_KEYS:
        rate = row.figures.rates[key]
        shown = format_html('<a href="{}">{}</a>', link(key), percent(rate)) if rate.n else "—"
        cells.append(
            format_html(
                '<td class="text-end text-nowrap">{} <span class="text-muted small">({})</span></td>',
                shown,
                rate.n,
            )
        )
    coverage = row.coverage
    cells.append(
        format_html(
            '<td class="text-end text-nowrap">{} <span class="text-muted small">({})</span></td>',
            percent(coverage),
            coverage.n,
        )
    )
    overdue = row.figures.counts["overdue_now"]
    cells.append(
        format_html(
            '<td class="text-end"><a class="link-danger" href="{}">{}</a></td>', link("overdue_now"), overdue
        )
        if overdue
        else mark_safe('<td class="text-end">0</td>')  # noqa: S308 - a constant
    )
    return mark_safe("".join(cells))  # noqa: S308 - every part escaped by format_html
