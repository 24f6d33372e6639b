"""Showing the dashboard's figures: a rate as a percentage or "—", an average duration, a drill-down link."""

from urllib.parse import quote_plus, urlencode

from django import template
from django.urls import reverse
from django.utils.html import escape
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


def _once(context, key: str, make) -> str:
    """A value the lines of one table share, made at its first line and kept in the render's context."""
    value = context.get(key)
    if value is None:
        value = context[key] = make()
    return value


@register.simple_tag(takes_context=True)
def drill(context, measure: str, part: str = "all", unit=None, **extra) -> str:
    """The case list filtered to exactly the cases a figure counts (cases.measures.drill), optionally
    for one grid or community of the table."""
    params = {**context["drill_base"], "measure": measure, "part": part, **extra}
    if unit is not None:
        params[unit.level] = unit.pk
    return f"{_once(context, '_case_list_url', lambda: reverse('cases:list'))}?{urlencode(params)}"


@register.simple_tag(takes_context=True)
def dashboard_url(context, name: str = "dashboard:index", **changes) -> str:
    """This dashboard's URL with some of its choices changed (scope, rank)."""
    params = {key: value for key, value in context["request"].GET.items()}
    params.update({key: value for key, value in changes.items() if value is not None})
    return f"{reverse(name)}?{urlencode(params)}"


@register.simple_tag(takes_context=True)
def unit_row(context, row, printable: bool = False) -> str:
    """One line of the ranking table: the rank, the unit (linking to its own dashboard), and its figures,
    each linking to its cases.

    Built here as one string rather than cell by cell in the template or with format_html: a street's
    table has hundreds of lines, and both took most of the page's time (a 50-line page: 11 ms as an
    include of cells a line, 9 ms with format_html, whose escaping of every number was most of it). What
    comes from the data is escaped here: the unit's name, and the URLs once for the table.
    """
    if row.rank:
        rank = f"<td>{row.rank:d}</td>"
    else:
        rank = (
            f'<td><span class="badge text-bg-light" title="{escape(_("样本不足，不参加排名"))}">'
            f"{escape(_('样本不足'))}</span></td>"
        )
    if printable:
        name = f'<th scope="row" class="fw-normal unit-name">{escape(row.unit.name)}</th>'
    else:
        # This dashboard's URL with the unit's scope (`dashboard_url` with scope=), its other choices kept.
        def scope_prefix() -> str:
            kept = urlencode({key: value for key, value in context["request"].GET.items() if key != "scope"})
            return escape(f"{reverse('dashboard:index')}?{kept + '&' if kept else ''}scope=")

        href = _once(context, "_scope_prefix", scope_prefix) + escape(quote_plus(row.unit.param))
        name = (
            f'<th scope="row" class="fw-normal unit-name"><a href="{href}">{escape(row.unit.name)}</a></th>'
        )
    muted = ' class="text-muted"' if row.rank is None else ""
    return mark_safe(f"<tr{muted}>{rank}{name}{unit_cells(context, row)}</tr>")  # noqa: S308 - escaped above


# A rate and, in brackets, what it rests on.
_RATE_CELL = '<td class="text-end text-nowrap">{} <span class="text-muted small">({:d})</span></td>'


def unit_cells(context, row) -> str:
    """The figures of one line of the ranking table, each linking to its cases (already escaped HTML)."""
    drill_base = context["drill_base"]
    base = _once(
        context, "_drill_prefix", lambda: escape(reverse("cases:list") + "?" + urlencode(drill_base))
    )
    unit = f"&amp;{row.unit.level}={row.unit.pk:d}"

    def link(key: str) -> str:  # a measure's key: letters and underscores
        return f"{base}&amp;measure={key}&amp;part=all{unit}"

    counts = row.figures.counts
    cells = [f'<td class="text-end"><a href="{link("received")}">{counts["received"]:d}</a></td>']
    for key in RATE_KEYS:
        rate = row.figures.rates[key]
        shown = f'<a href="{link(key)}">{percent(rate)}</a>' if rate.n else "—"
        cells.append(_RATE_CELL.format(shown, rate.n))
    coverage = row.coverage
    cells.append(_RATE_CELL.format(percent(coverage), coverage.n))
    overdue = counts["overdue_now"]
    cells.append(
        f'<td class="text-end"><a class="link-danger" href="{link("overdue_now")}">{overdue:d}</a></td>'
        if overdue
        else '<td class="text-end">0</td>'
    )
    return "".join(cells)
