"""The notification list (站内通知), marking read, and the desk's block of 紧急 visits to acknowledge."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.pagination import paginate

from . import selectors, services
from .models import Notification, VisitAlert


@require_GET
def notification_list(request):
    """The user's notifications, newest first, under the reminders that hold now. The counts are the bell's,
    read once for the page and its top bar."""
    return render(
        request,
        "notifications/list.html",
        {"page": paginate(request, selectors.inbox(request.user)), "bell": selectors.bell(request.user)},
    )


@require_GET
def bell(request):
    """The bell of the top bar with its count. Every page draws the bell without a count and loads this
    when it has arrived (base.html), so no page waits for the bell's counts before it is sent."""
    return render(request, "notifications/_bell.html", {"bell": selectors.bell(request.user)})


def _target(notification: Notification) -> str:
    if notification.case_id is not None:
        return reverse("cases:detail", args=[notification.case_id])
    return reverse("visits:detail", args=[notification.visit_id])


@require_POST
def notification_read(request, pk: int):
    """Mark one notification read; with `open`, go on to its case or visit."""
    try:
        notification = selectors.inbox(request.user).get(pk=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    services.notification_read(notification=notification)
    if request.POST.get("open"):
        return redirect(_target(notification))
    return redirect(_back(request))


@require_POST
def notification_read_all(request):
    count = services.notifications_read_all(user=request.user)
    messages.success(request, _("已将 %(count)d 条通知标为已读。") % {"count": count})
    return redirect("notifications:list")


def _back(request) -> str:
    """The list page the user came from (its page number kept), never another site."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return back
    return reverse("notifications:list")


ALERTS_SHOWN = 50


def _alerts(request):
    alerts = list(selectors.open_visit_alerts(request.user)[:ALERTS_SHOWN])
    if request.headers.get("HX-Request"):
        return render(request, "notifications/visit_alerts.html#alerts", {"alerts": alerts})
    return render(request, "notifications/visit_alerts.html", {"alerts": alerts, "standalone": True})


@require_GET
def visit_alerts(request):
    """紧急 visits not yet acknowledged in the grids whose desk the user works: the desk loads this block
    (htmx), and it is a page of its own without script."""
    return _alerts(request)


@require_POST
def visit_alert_acknowledge(request, pk: int):
    """确认已知悉: handled for the whole desk."""
    try:
        alert = selectors.visit_alert_for(request.user, pk)
    except VisitAlert.DoesNotExist:
        raise Http404 from None
    services.visit_alert_acknowledge(alert=alert, by=request.user)  # PermissionDenied: 403
    if request.headers.get("HX-Request"):
        return _alerts(request)  # the block again, without it
    messages.success(request, _("已确认知悉该紧急走访。"))
    return redirect("cases:desk")
