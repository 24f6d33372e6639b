"""The clock badge every case list and the case page show: 超期 red, 临期 amber, 暂停 grey."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()


def _remaining(delta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes >= 24 * 60:
        return _("%(n)d天") % {"n": minutes // (24 * 60)}
    if minutes >= 60:
        return _("%(n)d小时") % {"n": minutes // 60}
    return _("%(n)d分钟") % {"n": minutes}


@register.simple_tag
def clock_badge(case, now):
    state = case.clock_state(now)
    if state == "paused":
        label = pgettext("clock badge", "暂停计时")
        return format_html('<span class="badge text-bg-secondary">{}</span>', label)
    if state == "overdue":
        return format_html(
            '<span class="badge text-bg-danger">{}</span>',
            _("超期 %(time)s") % {"time": _remaining(now - case.clock_due_at)},
        )
    if state == "warning":
        return format_html(
            '<span class="badge text-bg-warning">{}</span>',
            _("临期 · 剩 %(time)s") % {"time": _remaining(case.clock_due_at - now)},
        )
    if state == "running":
        return format_html(
            '<span class="badge text-bg-light border" title="{}">{}</span>',
            timezone.localtime(case.clock_due_at).strftime("%Y-%m-%d %H:%M"),
            _("剩 %(time)s") % {"time": _remaining(case.clock_due_at - now)},
        )
    return ""


STATUS_COLOURS = {
    "submitted": "text-bg-info",
    "dispatched": "text-bg-primary",
    "in_progress": "text-bg-success",
    "escalated": "text-bg-dark",
    "in_consultation": "text-bg-warning",
    "resolved": "text-bg-secondary",
    "closed": "text-bg-light border",
}


@register.simple_tag
def status_badge(case):
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_COLOURS.get(case.status, "text-bg-light"),
        case.get_status_display(),
    )
