"""The residents' pages (no staff account): raise a request from a poster's link, follow it through the
private tracking link, and the staff's printable posters."""

import functools
import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Action
from cases.permissions import may
from cases.services import CaseActionRefused, CaseConflict
from common.forms import add_service_errors
from common.submissions import AlreadySubmitted
from grids.models import Building, Grid

from . import selectors, services
from .forms import RaiseForm, RateForm, SupplementForm, WithdrawForm
from .models import PlaceLink
from .permissions import can_print_posters


def resident_page(view):
    """A page for residents: no account, never cached, and its link (which may hold a private token) not
    sent on to any other site. (The second factor concerns signed-in staff only.)"""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(login_not_required(wrapped))


@resident_page
@require_http_methods(["GET", "POST"])
def raise_request(request, code: str):
    """反映诉求: the form a poster's QR code opens."""
    place = get_object_or_404(PlaceLink.objects.select_related("grid__community", "building"), code=code)
    form = RaiseForm(request.POST or None, request.FILES or None, place=place)
    photos_lost = 0
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                raised = services.request_raise(
                    place=place,
                    intake=services.ResidentIntake(
                        category=data["category"],
                        description=data["description"],
                        name=data["name"],
                        phone=data["phone"],
                        building=data.get("building"),
                        address=data["address"],
                    ),
                    photos=data["photos"],
                    remote_address=request.META.get("REMOTE_ADDR", ""),
                    submission_token=data["submission_token"],
                )
            except AlreadySubmitted as earlier:
                return render(
                    request, "public/already.html", {"place": place, "number": earlier.record.number}
                )
            except services.TooManyRequests as refused:
                form.add_error(None, str(refused))
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return render(
                    request,
                    "public/raised.html",
                    {
                        "place": place,
                        "case": raised.case,
                        "track_url": request.build_absolute_uri(reverse("public:track", args=[raised.token])),
                    },
                )
        # A browser never sends chosen files again: say so beside the field rather than drop them silently.
        photos_lost = len(request.FILES.getlist("photos"))
    return render(request, "public/raise.html", {"form": form, "place": place, "photos_lost": photos_lost})


def _case_or_404(token: str):
    case = services.case_for_token(token)
    if case is None:
        raise Http404
    return case


def _track_page(request, token: str, case, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    view = selectors.tracked(case)
    return render(
        request,
        "public/track.html",
        {
            "view": view,
            "token": token,
            "withdraw_form": forms.get("withdraw") or WithdrawForm(),
            "supplement_form": forms.get("supplement") or SupplementForm(),
            "rate_form": forms.get("rate") or RateForm(),
        },
        status=status,
    )


@resident_page
@require_GET
def track(request, token: str):
    """The requester's own page of their request (the private link they were given)."""
    return _track_page(request, token, _case_or_404(token))


TRACK_ACTIONS = {
    "withdraw": (WithdrawForm, Action.WITHDRAW),
    "supplement": (SupplementForm, Action.SUPPLEMENT),
    "rate": (RateForm, Action.FOLLOW_UP),
}


@resident_page
@require_POST
def track_act(request, token: str, action: str):
    """What the requester does on the tracking page: withdraw, supplement or rate."""
    case = _case_or_404(token)
    if action not in TRACK_ACTIONS:
        raise Http404
    form_class, move = TRACK_ACTIONS[action]
    if not may(services.requester_actor(), case, move):
        # Withdrawn, accepted, rated or no longer waiting on them since the page was drawn.
        messages.error(request, _("该诉求的办理情况已有变化，请查看最新状态。"))
        return redirect("public:track", token)
    form = form_class(request.POST, request.FILES or None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "withdraw":
                services.request_withdraw(case=case, note=data["note"])
                messages.success(request, _("您已撤回该诉求。"))
            elif action == "supplement":
                services.request_supplement(case=case, note=data["note"], photos=data["photos"])
                messages.success(request, _("已收到您补充的材料，社区将继续办理。"))
            else:
                services.request_rate(
                    case=case, resolved=data["resolved"], satisfaction=data["satisfaction"], note=data["note"]
                )
                messages.success(request, _("感谢您的评价。"))
        except (CaseConflict, CaseActionRefused, PermissionDenied):
            messages.error(request, _("该诉求的办理情况已有变化，请查看最新状态。"))
        except ValidationError as error:
            add_service_errors(form, error)
            return _track_page(request, token, case, {action: form}, status=400)
        return redirect("public:track", token)
    return _track_page(request, token, case, {action: form}, status=400)


# --- the staff's posters -------------------------------------------------------------------------


def _qr_svg(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode()


def _poster(request, grid: Grid, building: Building | None):
    if not can_print_posters(request.user, grid):
        raise PermissionDenied
    link = services.place_link_for(grid=grid, building=building)
    url = request.build_absolute_uri(reverse("public:raise", args=[link.code]))
    buildings = [] if building is not None else list(grid.buildings.order_by("address"))
    return render(
        request,
        "public/poster.html",
        {"grid": grid, "building": building, "url": url, "qr": _qr_svg(url), "buildings": buildings},
    )


@require_GET
def poster_grid(request, pk: int):
    """A grid's poster (residents choose their building on the form), with links to its buildings'."""
    grid = get_object_or_404(Grid.objects.visible_to(request.user).select_related("community"), pk=pk)
    return _poster(request, grid, None)


@require_GET
def poster_building(request, pk: int):
    building = get_object_or_404(
        Building.objects.filter(grid__in=Grid.objects.visible_to(request.user)).select_related(
            "grid__community"
        ),
        pk=pk,
    )
    return _poster(request, building.grid, building)
