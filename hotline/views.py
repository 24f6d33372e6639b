"""The staff's pages of the 12345 side: the keys (superusers, street leaders), the updates owed to the
platform (the desk), and the case page's 12345 block (loaded by URL name, as cases cannot import us)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Case
from common.pagination import paginate

from . import selectors, services
from .forms import ClientForm
from .models import ApiCall, ApiClient, Update, WorkOrder
from .permissions import can_manage_clients, can_see_updates

CALLS_SHOWN = 50


def _clients_for(user):
    if not can_manage_clients(user):
        raise PermissionDenied
    return ApiClient.objects.managed_by(user)


@require_GET
def client_list(request):
    """接口密钥: the keys of the user's street (all for a superuser) and their latest calls."""
    clients = _clients_for(request.user).select_related("street", "community")
    calls = (
        ApiCall.objects.filter(client__in=clients.values("pk"))
        .select_related("client")
        .order_by("-at", "-id")[:CALLS_SHOWN]
    )
    return render(request, "hotline/client_list.html", {"clients": clients, "calls": calls})


@require_http_methods(["GET", "POST"])
def client_create(request):
    """A new key, shown on the answer to this POST and never again (only its digest is kept)."""
    if not can_manage_clients(request.user):
        raise PermissionDenied
    form = ClientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            client, key = services.client_create(
                name=form.cleaned_data["name"],
                callback_url=form.cleaned_data["callback_url"],
                by=request.user,
                **form.place(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(request, "hotline/client_created.html", {"client": client, "key": key})
    return render(request, "hotline/client_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def client_revoke(request, pk: int):
    """吊销 with a confirmation page; a key of another street is not found."""
    client = get_object_or_404(_clients_for(request.user).select_related("street", "community"), pk=pk)
    if request.method == "POST":
        services.client_revoke(client=client, by=request.user)
        messages.success(request, _("已吊销密钥 %(prefix)s。") % {"prefix": client.key_prefix})
        return redirect("hotline:clients")
    return render(request, "hotline/client_revoke.html", {"client": client})


STATES = {
    "failing": Update.objects.failing,
    "waiting": Update.objects.waiting,
    "delivered": Update.objects.delivered,
}


@require_GET
def update_list(request):
    """办理反馈: the updates owed to the platform for the desk's grids, delivered / waiting / failing."""
    if not can_see_updates(request.user):
        raise PermissionDenied
    state = request.GET.get("state", "")
    rows = selectors.updates_for_desk(request.user)
    if state in STATES:
        rows = rows & STATES[state]()
    return render(
        request,
        "hotline/update_list.html",
        {
            "page": paginate(request, rows),
            "state": state,
            "can_manage_clients": can_manage_clients(request.user),
        },
    )


@require_POST
def update_retry(request, pk: int):
    if not can_see_updates(request.user):
        raise PermissionDenied
    update = get_object_or_404(selectors.updates_for_desk(request.user), pk=pk)
    try:
        services.update_retry(update=update, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已重新推送。"))
    return redirect("hotline:updates")


@require_GET
def case_updates(request, pk: int):
    """The case page's 12345 block: the platform's order id and its updates' state (empty for a case that
    did not come from the platform). A case outside the user's grids is not found."""
    case = get_object_or_404(Case.objects.visible_to(request.user), pk=pk)
    work_order = WorkOrder.objects.filter(case=case).select_related("client").first()
    updates = list(selectors.updates_of_case(case.pk)) if work_order else []
    context = {"case": case, "work_order": work_order, "updates": updates}
    if request.headers.get("HX-Request"):
        return render(request, "hotline/case_updates.html#block", context)
    return render(request, "hotline/case_updates.html", {**context, "standalone": True})
