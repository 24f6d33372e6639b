"""The shop pages: the list, registering and editing a shop, signing its pledge.

The shop's own page shows its inspections and the cases they became, so it composes visits and cases and
lives in portal (portal.views_shops.shop_detail, under this app's URL namespace).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from common.pagination import paginate
from common.submissions import AlreadySubmitted
from grids.models import Grid
from grids.permissions import can_edit_registry, grids_editable_by
from grids.selectors import grid_for_user

from . import permissions, selectors, services
from .forms import NewShopForm, PledgeForm, ShopEditForm, ShopFilterForm
from .models import Shop

SHOP_DETAIL = "shops:detail"


def shop_or_404(user, pk: int) -> Shop:
    """One shop in the user's scope (404 outside it)."""
    try:
        return selectors.shops_for_user(user).get(pk=pk)
    except Shop.DoesNotExist:
        raise Http404 from None


def _errors_into(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@require_GET
def shop_list(request):
    form = ShopFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        raise Http404  # a place outside the user's scope
    data = form.cleaned_data if form.is_bound else {}
    shops = selectors.shop_list(
        request.user,
        **form.place_filter(),
        q=data.get("q", "").strip(),
        kind=data.get("kind", ""),
        closed=bool(data.get("closed")),
    )
    page = paginate(request, shops)
    # Where the 登记单位 button leads: the grid chosen, or the user's one grid if they keep just one.
    grid = form.place_filter()["grid"]
    if grid is None:
        editable = list(grids_editable_by(request.user).order_by("pk")[:2])
        grid = editable[0] if len(editable) == 1 else None
    new_in = grid if grid is not None and can_edit_registry(request.user, grid) else None
    context = {"form": form, "page": page, "place": form.chosen_place(), "new_in": new_in}
    return render(request, "shops/shop_list.html", context)


@require_http_methods(["GET", "POST"])
def shop_create(request, grid: int):
    try:
        place = grid_for_user(request.user, grid)
    except Grid.DoesNotExist:
        raise Http404 from None
    if not can_edit_registry(request.user, place):
        raise PermissionDenied
    form = NewShopForm(request.POST or None, grid=place)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            shop = services.shop_create(
                grid=place,
                actor=request.user,
                **{name: data[name] for name in services.SHOP_FIELDS},
                submission_token=data["submission_token"],
            )
        except AlreadySubmitted as earlier:
            messages.info(request, _("已保存，未重复登记。"))
            return redirect(SHOP_DETAIL, pk=earlier.record.pk)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("已登记 %(name)s。") % {"name": shop.name})
            return redirect(SHOP_DETAIL, pk=shop.pk)
    return render(request, "shops/shop_form.html", {"form": form, "grid": place, "shop": None})


@require_http_methods(["GET", "POST"])
def shop_edit(request, pk: int):
    shop = shop_or_404(request.user, pk)
    if not permissions.can_edit_shop(request.user, shop):
        raise PermissionDenied
    # Who may not see the contact's full phone edits the rest with the phone masked; the mask sent back
    # unchanged keeps the stored number.
    masked = not permissions.can_see_contact_phone(request.user, shop)
    initial = {"contact_phone": shop.contact_phone_masked} if masked else {}
    form = ShopEditForm(request.POST or None, instance=shop, grid=shop.grid, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if masked and shop.contact_phone and data["contact_phone"] == shop.contact_phone_masked:
            data["contact_phone"] = shop.contact_phone
        try:
            services.shop_update(
                shop=shop,
                actor=request.user,
                closed_on=data["closed_on"],
                **{name: data[name] for name in services.SHOP_FIELDS},
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("单位信息已保存。"))
            return redirect(SHOP_DETAIL, pk=shop.pk)
    return render(request, "shops/shop_form.html", {"form": form, "grid": shop.grid, "shop": shop})


@require_http_methods(["GET", "POST"])
def pledge_create(request, pk: int):
    shop = shop_or_404(request.user, pk)
    if not permissions.can_edit_shop(request.user, shop):
        raise PermissionDenied
    current = shop.pledges.order_by("-signed_on", "-id").first()
    initial = {"frontage": current.frontage, "signed_by": current.signed_by} if current else {}
    if not current:
        initial["signed_by"] = shop.contact_name
    form = PledgeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.pledge_sign(
                shop=shop,
                actor=request.user,
                **{name: data[name] for name in PledgeForm.Meta.fields},
                submission_token=data["submission_token"],
            )
        except AlreadySubmitted:
            messages.info(request, _("已保存，未重复登记。"))
            return redirect(SHOP_DETAIL, pk=shop.pk)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("门前三包责任书已登记。"))
            return redirect(SHOP_DETAIL, pk=shop.pk)
    return render(request, "shops/pledge_form.html", {"form": form, "shop": shop, "current": current})
