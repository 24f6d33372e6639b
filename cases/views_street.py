"""The street's inbox (街道待办): cases escalated to the street (已上报街道) with their clocks, filtered by
community and clock, and the actions the workflow table gives the street, each through the transition
service. Only street leaders (their streets) and superusers; a case of another street is a 404."""

from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from common.pagination import paginate

from . import permissions, selectors, services
from .forms import ActionForm
from .forms_street import StreetInboxForm
from .models import Action, Case
from .views import _apply_errors
from .workflow import ACTIONS


class RowAction(NamedTuple):
    """One of a card's actions: its form when it is the open one (drawn again with its errors), else None."""

    action: str
    label: str
    form: ActionForm | None
    url: str


class InboxRow(NamedTuple):
    case: Case
    url: str  # the case's page
    actions: list[RowAction]


def _prefix(case: Case, action: str) -> str:
    """Each row's forms have their own names and ids: a page holds twenty cases' forms."""
    return f"c{case.pk}-{action}"


def _inbox_query(request) -> str:
    """The inbox's filters and page, as the user left them."""
    return urlencode([(k, v) for k, v in request.GET.items() if k in ("community", "clock", "page")])


# An id every URL of a row accepts, where each row's case id goes: a full page holds a hundred links (the
# case's page, four actions), and reverse() costs more than the rest of a row's work, so it runs once a
# kind of link a page.
_PK_SLOT = 2_147_483_647


def _case_urls() -> Callable[[Case], str]:
    """Each row's link to its case's page."""
    pattern = reverse("cases:detail", args=[_PK_SLOT])
    return lambda case: pattern.replace(str(_PK_SLOT), str(case.pk), 1)


def _act_urls(query: str) -> Callable[[Case, str], str]:
    """Where each of a row's actions is fetched and posted, keeping the inbox's filters and page."""
    patterns: dict[str, str] = {}
    suffix = f"?{query}" if query else ""

    def act_url(case: Case, action: str) -> str:
        if action not in patterns:
            patterns[action] = reverse("cases:street_act", args=[_PK_SLOT, action])
        return patterns[action].replace(str(_PK_SLOT), str(case.pk), 1) + suffix

    return act_url


def _inbox_url(request) -> str:
    """The inbox as the user left it (filters and page), to come back to after an action."""
    query = _inbox_query(request)
    return reverse("cases:street_inbox") + (f"?{query}" if query else "")


def _render_inbox(
    request,
    bound: ActionForm | None = None,
    bound_case: int | None = None,
    status: int = 200,
    open_action: str = "",
):
    """The inbox. Each case lists its actions; only the open one (a form drawn again with its errors, or
    one asked for without htmx) carries its form: the others load theirs when opened (`street_act` GET),
    so a page of twenty cases does not draw eighty forms."""
    now = timezone.now()
    street_ids = selectors.led_street_ids(request.user)
    form = StreetInboxForm(request.GET or None, street_ids=street_ids)
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    cases = selectors.street_inbox(
        street_ids, now, community=chosen.get("community"), clock=chosen.get("clock", "")
    )
    # The inbox holds what waits for the street (dozens of cases, not the district's history): its ids are
    # read in one query and paged here, which spares the separate count a queryset's pager would send.
    page = paginate(request, list(cases))
    open_action = bound.action if bound is not None else open_action
    act_url = _act_urls(_inbox_query(request))
    case_url = _case_urls()
    labels = {action: str(ACTIONS[action].label) for action in permissions.STREET_ACTIONS}  # once a page
    rows = []
    for case in selectors.street_inbox_rows(list(page.object_list)):
        actions = []
        for action in permissions.street_actions(case):
            form_ = None
            if bound_case == case.pk and action == open_action:
                form_ = bound or ActionForm(action=action, case=case, prefix=_prefix(case, action))
            actions.append(RowAction(action, labels[action], form_, act_url(case, action)))
        rows.append(InboxRow(case, case_url(case), actions))
    return render(
        request,
        "cases/street_inbox.html",
        {
            "now": now,
            "form": form,
            "page": page,
            "rows": rows,
            "open_case": bound_case,
            "open_action": open_action,
        },
        status=status,
    )


@require_GET
def street_inbox(request):
    if not permissions.can_use_street_inbox(request.user):
        raise PermissionDenied(_("只有街道领导可以查看街道待办。"))
    return _render_inbox(request)


@require_http_methods(["GET", "POST"])
def street_act(request, pk: int, action: str):
    """One of the street's actions from the inbox; a refused or stale action says why and changes nothing.
    GET gives the action's form: to htmx the form alone (the inbox loads it when the action is opened),
    otherwise the inbox with that form open."""
    if not permissions.can_use_street_inbox(request.user):
        raise PermissionDenied(_("只有街道领导可以处理上报街道的工单。"))
    if action not in permissions.STREET_ACTIONS:
        raise Http404
    case = selectors.in_led_streets(
        Case.objects.filter(pk=pk), selectors.led_street_ids(request.user)
    ).first()
    if case is None:
        raise Http404
    prefix = _prefix(case, action)
    if request.method == "GET":
        allowed = permissions.may(request.user, case, action)
        gone = _("工单 %(number)s 已不在街道待办中（现为“%(status)s”），请刷新页面。") % {
            "number": case.number,
            "status": case.get_status_display(),
        }
        if not request.headers.get("HX-Request"):
            if not allowed:
                messages.error(request, gone)
                return redirect(_inbox_url(request))
            return _render_inbox(request, bound_case=case.pk, open_action=action)
        return render(
            request,
            "cases/_street_act_form.html",
            {
                "case": case,
                "action": action,
                "label": ACTIONS[action].label,
                "form": ActionForm(action=action, case=case, prefix=prefix) if allowed else None,
                "gone": "" if allowed else gone,
                "act_url": _act_urls(_inbox_query(request))(case, action),
            },
        )
    if not permissions.may(request.user, case, action) and case.status == request.POST.get(
        f"{prefix}-expected_status"
    ):
        raise PermissionDenied(_("您不能对该工单执行此操作。"))
    form = ActionForm(request.POST, action=action, case=case, prefix=prefix)
    if form.is_valid():
        try:
            services.case_transition(
                case=case,
                action=action,
                actor=request.user,
                note=form.cleaned_data.get("note", ""),
                expected_status=form.cleaned_data["expected_status"],
                **form.params(),
            )
        except services.CaseConflict as conflict:
            messages.error(request, str(conflict))
            return redirect(_inbox_url(request))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("工单 %(number)s 已%(action)s。") % {"number": case.number, "action": Action(action).label},
            )
            return redirect(_inbox_url(request))
    return _render_inbox(request, bound=form, bound_case=case.pk, status=400)
