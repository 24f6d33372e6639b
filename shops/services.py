"""Every write to shops and their pledges."""

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.phones import normalize_phone
from common.submissions import create_once
from grids.models import Building, Grid
from grids.permissions import can_edit_registry

from .models import Shop, ShopPledge

SHOP_FIELDS = (
    "building",
    "address",
    "name",
    "kind",
    "licence_number",
    "contact_name",
    "contact_phone",
    "note",
)


def _prepared(shop: Shop) -> Shop:
    shop.name = shop.name.strip()
    shop.address = shop.address.strip()
    shop.licence_number = shop.licence_number.strip().upper()
    if shop.contact_phone.strip():
        try:
            shop.contact_phone = normalize_phone(shop.contact_phone)
        except ValidationError as exc:
            raise ValidationError({"contact_phone": exc.messages}) from None
    if shop.closed_on is not None and shop.closed_on > timezone.localdate():
        raise ValidationError({"closed_on": _("停业日期不能晚于今天。")})
    shop.full_clean(exclude=["submission_token"])
    return shop


def shop_create(
    *,
    grid: Grid,
    actor,
    name: str,
    kind: str,
    building: Building | None = None,
    address: str = "",
    licence_number: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    note: str = "",
    submission_token: uuid.UUID | None = None,
) -> Shop:
    """Register a shop or unit in a grid (its registry's keepers); a form sent twice saves once."""
    if not can_edit_registry(actor, grid):
        raise PermissionDenied
    shop = Shop(
        grid=grid,
        building=building,
        address=address,
        name=name,
        kind=kind,
        licence_number=licence_number,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone,
        note=note.strip(),
        submission_token=submission_token,
    )

    def create() -> Shop:
        _prepared(shop).save()
        return shop

    return create_once(Shop, submission_token, create)


@transaction.atomic
def shop_update(*, shop: Shop, actor, closed_on: datetime.date | None = None, **fields) -> Shop:
    """Change a shop's details, or record that it closed (停业); its grid stays."""
    shop = Shop.objects.select_for_update().select_related("grid").get(pk=shop.pk)
    if not can_edit_registry(actor, shop.grid):
        raise PermissionDenied
    unknown = set(fields) - set(SHOP_FIELDS)
    if unknown:
        raise TypeError(f"not a shop's field: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(shop, name, value.strip() if isinstance(value, str) and name != "contact_phone" else value)
    shop.closed_on = closed_on
    _prepared(shop).save()
    return shop


def pledge_sign(
    *,
    shop: Shop,
    actor,
    signed_on: datetime.date,
    frontage: str,
    signed_by: str,
    cleanliness: bool = True,
    order: bool = True,
    greenery: bool = True,
    note: str = "",
    submission_token: uuid.UUID | None = None,
) -> ShopPledge:
    """Record a signed 门前三包 pledge (a first one or a renewal); the latest signed is the current one."""
    pledge = ShopPledge(
        shop=shop,
        signed_on=signed_on,
        frontage=frontage.strip(),
        signed_by=signed_by.strip(),
        cleanliness=cleanliness,
        order=order,
        greenery=greenery,
        note=note.strip(),
        recorded_by=actor,
        submission_token=submission_token,
    )
    return create_once(ShopPledge, submission_token, lambda: _pledge_sign(pledge))


@transaction.atomic
def _pledge_sign(pledge: ShopPledge) -> ShopPledge:
    shop = Shop.objects.select_for_update().select_related("grid").get(pk=pledge.shop_id)
    if not can_edit_registry(pledge.recorded_by, shop.grid):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not shop.is_open:
        errors.setdefault("__all__", []).append(_("该单位已停业，不能再签责任书。"))
    if pledge.signed_on > timezone.localdate():
        errors.setdefault("signed_on", []).append(_("签订日期不能晚于今天。"))
    if ShopPledge.objects.filter(shop=shop, signed_on=pledge.signed_on).exists():
        errors.setdefault("signed_on", []).append(_("这一天已登记过该单位的责任书。"))
    if errors:
        raise ValidationError(errors)
    pledge.full_clean(exclude=["submission_token"], validate_unique=False)
    pledge.save()
    return pledge
