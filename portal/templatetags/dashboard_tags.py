"""Showing the dashboard's figures: a rate as a percentage or "—", an average duration, a drill-down link."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

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
