"""The clock badge every case list and the case page show (超期 red, 临期 amber, 暂停 grey), a row of the
case table, and the street inbox's cards and their closed actions."""

import html

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()


def duration_text(minutes: int) -> str:
    """A span of time as people say it: "6天18小时", "3小时20分钟", "45分钟" (not "9720 分钟")."""
    minutes = max(int(minutes), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        if hours:
            return _("%(days)d天%(hours)d小时") % {"days": days, "hours": hours}
        return _("%(n)d天") % {"n": days}
    if hours:
        if minutes:
            return _("%(hours)d小时%(minutes)d分钟") % {"hours": hours, "minutes": minutes}
        return _("%(n)d小时") % {"n": hours}
    return _("%(n)d分钟") % {"n": minutes}


@register.filter
def as_duration(minutes) -> str:
    """{{ event.details.paused_minutes|as_duration }}"""
    try:
        return duration_text(int(minutes))
    except (TypeError, ValueError):
        return ""


def _remaining(delta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes >= 24 * 60:
        return _("%(n)d天") % {"n": minutes // (24 * 60)}
    if minutes >= 60:
        return _("%(n)d小时") % {"n": minutes // 60}
    return _("%(n)d分钟") % {"n": minutes}


@register.filter
def since(value, now) -> str:
    """How long ago a time was, as the portal says spans ("4小时15分钟"), not Django's `timesince`, which
    translates each unit it may print (a full street inbox prints twenty)."""
    return duration_text((now - value).total_seconds() // 60) if value else ""


@register.filter
def minute(value) -> str:
    """A time in local time to the minute, as `|date:"Y-m-d H:i"` prints it, without Django's formatter
    reading its format letter by letter (a full street inbox prints forty)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


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
            minute(case.clock_due_at),
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


def status_label(case) -> str:
    """The state as the desk reads it: a resolved case whose follow-up is recorded no longer waits for it."""
    if case.status == "resolved" and case.followed_up_at is not None:
        if case.follow_up_resolved and case.satisfaction != "unsatisfied":
            return _("已回访，待归档")
        return _("已回访，待重办或归档")
    return case.get_status_display()


@register.simple_tag
def status_badge(case):
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_COLOURS.get(case.status, "text-bg-light"),
        status_label(case),
    )


@register.simple_tag
def resolved_late_badge(case):
    """超期办结 and by how much, for a case resolved after its deadline (the on-time measure's condition)."""
    if case.resolved_at is None or case.resolution_due is None or case.resolved_at <= case.resolution_due:
        return ""
    late = int((case.resolved_at - case.resolution_due).total_seconds() // 60)
    return format_html(
        '<span class="badge text-bg-danger">{}</span>',
        _("超期办结 %(time)s") % {"time": duration_text(late)},
    )


# A closed action of a street-inbox card, filled by str.format with values escaped by the standard
# library's html.escape (what django.utils.html.escape calls, without its lazy-string wrapping).
_STREET_ACTION = (
    '<details class="border rounded p-2 flex-sm-fill" id="act-{pk}-{action}" hx-get="{url}" '
    'hx-trigger="toggle once" hx-target="find .street-act-body">'
    '<summary class="fw-semibold py-1">{label}</summary><div class="street-act-body">'
    '<a class="d-inline-block py-2" href="{url}#case-{pk}">{fill}{label}</a></div></details>'
)


@register.simple_tag
def street_action(case, act):
    """One closed action of a street-inbox card (`act`: cases.views_street.RowAction): opening it loads its
    form (htmx); without script its link opens the inbox with that form. Drawn here, not in the template: a
    full inbox draws eighty of them, and a dozen template variables each cost more than this one call."""
    return mark_safe(  # noqa: S308 - every value is escaped here (html.escape, as Django's escape does)
        _STREET_ACTION.format(
            pk=int(case.pk),
            action=html.escape(act.action),
            url=html.escape(act.url),
            label=html.escape(act.label),
            fill=html.escape(_("填写")),
        )
    )


def _e(value) -> str:
    return html.escape(str(value))


# The facts of a street-inbox card: label, then value (already escaped); the reason spans the row.
_FACT = '<dt class="col-4 col-sm-2 fw-normal text-muted">{}</dt><dd class="col-8 col-sm-{} mb-1">{}</dd>'


@register.simple_tag
def inbox_facts(case, url, now):
    """The header line and facts of a street-inbox card (a case of cases.selectors.street_inbox_rows):
    number, category, 督办, clock; description; place, when it went up and how long ago, deadline, handler
    and why it went up. Drawn here, not by the template: twenty cards of a dozen variables each were half
    the page's rendering."""
    urged = (
        f' <span class="badge text-bg-danger">{_e(pgettext("flag on a case", "督办"))}</span>'
        if case.urge_count
        else ""
    )
    header = (
        '<div class="d-flex flex-wrap justify-content-between align-items-start gap-2"><div>'
        f'<a class="fw-semibold" href="{_e(url)}">{_e(case.number)}</a> '
        f'<span class="fw-semibold">{_e(case.category_name)}</span>{urged}'
        f"</div><div>{clock_badge(case, now)}</div></div>"
        f'<p class="mb-1 small">{_e(Truncator(case.description).chars(80))}</p>'
    )
    place = f"{_e(case.community_name)} · {_e(case.grid_name)}"
    if case.place_text:
        place += f'<span class="d-block">{_e(case.place_text)}</span>'
    ago = _("已上报 %(since)s") % {"since": since(case.escalated_at, now)}
    escalated = f'{minute(case.escalated_at)}<span class="d-block text-muted">{_e(ago)}</span>'
    if case.paused_at:
        due = _e(_("暂停计时"))
    elif case.clock_due_at:
        due = minute(case.clock_due_at)
    else:
        due = "—"
    handler = case.handler_name or ""
    facts = [
        _FACT.format(_e(_("地点")), 4, place),
        _FACT.format(_e(_("上报时间")), 4, escalated),
        _FACT.format(_e(_("办结期限")), 4, due),
        _FACT.format(_e(_("承办")), 4, _e(handler or "—")),
    ]
    if case.escalated_by is not None:
        reason = (
            f'{_e(case.escalation_note or "—")} <span class="text-muted">（{_e(case.escalated_by)}）</span>'
        )
        facts.append(_FACT.format(_e(_("上报理由")), 10, reason))
    return mark_safe(  # noqa: S308 - every value is escaped here (html.escape, as Django's escape does)
        header + '<dl class="row small mb-0 inbox-facts">' + "".join(facts) + "</dl>"
    )


def _name(user) -> str:
    return user.first_name or user.username


def _said(label: str, value) -> str:
    """ "label：value", escaped (the label already translated)."""
    return f"{_e(label)}{_e(_('：'))}{_e(value)}"


@register.simple_tag
def case_row(case, now, selectable=False):
    """One row of the case table (cases/_case_table.html: the case list, the desk, the queue, a household's
    cases, a worker's workload cases): number, when and how it came in; category, urgency, description and
    requester; place and grid; state, 督办, 退单 and who holds it; clock. Drawn here, not by the template:
    twenty rows of a dozen variables each took 16 ms to draw, about a fifth of a list page."""
    number = _e(case.number)
    cells = []
    if selectable:
        label = _e(_("选择工单 %(number)s") % {"number": case.number})
        cells.append(
            f'<td class="case-pick"><input class="form-check-input" type="checkbox" name="cases" '
            f'value="{int(case.pk)}" form="bulk-form" id="pick-{int(case.pk)}" aria-label="{label}"></td>'
        )
    created = timezone.localtime(case.created_at).strftime("%m-%d %H:%M")
    url = _e(reverse("cases:detail", args=[case.pk]))
    cells.append(
        f'<td class="text-nowrap"><a class="fw-semibold" href="{url}">'
        f'{number}</a><span class="d-block small text-muted">{created} · {_e(case.get_channel_display())}'
        "</span></td>"
    )
    urgency = ""
    if case.urgency in ("emergency", "urgent"):
        urgency = (
            ' <span class="badge text-bg-danger-subtle text-danger-emphasis border border-danger-subtle">'
            f"{_e(case.get_urgency_display())}</span>"
        )
    cells.append(
        f'<td><span class="fw-semibold">{_e(case.category.name)}</span>{urgency}'
        f'<span class="d-block small">{_e(Truncator(case.description).chars(40))}</span>'
        f'<span class="d-block small text-muted">{_said(_("诉求人"), case.requester_label or "—")}</span>'
        "</td>"
    )
    grid = _e(case.grid.name)
    cells.append(f'<td>{_e(case.place)}<span class="d-block small text-muted">{grid}</span></td>')
    state = [status_badge(case)]
    if case.urge_count and case.status != "closed":
        state.append(f' <span class="badge text-bg-danger">{_e(pgettext("flag on a case", "督办"))}</span>')
    if case.returned_by_id and case.status == "dispatched":
        reason = f" · {_e(Truncator(case.return_reason).chars(40))}" if case.return_reason else ""
        state.append(
            f' <span class="badge text-bg-warning" data-returned>{_e(_("已退单"))}</span>'
            f'<span class="d-block small">{_said(_("退单人"), _name(case.returned_by))}{reason}</span>'
        )
    if case.handler:
        state.append(f'<span class="d-block small text-muted">{_said(_("承办"), _name(case.handler))}</span>')
    elif case.assigned_worker:
        state.append(
            f'<span class="d-block small text-muted">{_said(_("指派"), _name(case.assigned_worker))}</span>'
        )
    cells.append(f"<td>{''.join(state)}</td>")
    cells.append(f"<td>{clock_badge(case, now)}</td>")
    return mark_safe(  # noqa: S308 - every value is escaped here (html.escape, as Django's escape does)
        f"<tr>{''.join(cells)}</tr>"
    )
