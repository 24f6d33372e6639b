"""A shop's page: its details and pledges (shops), and its record of inspections (visits' patrol findings
naming it) with the cases they became and how those ended (cases)."""

from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.models import Case
from common.pagination import paginate
from shops import permissions as shop_permissions
from shops import selectors as shop_selectors
from shops.views import shop_or_404
from visits.models import PatrolFinding

RECORD_PAGE = 20


def shop_record(shop):
    """The findings naming the shop, latest patrol first, each with the cases raised from it."""
    return (
        PatrolFinding.objects.filter(shop=shop)
        .select_related("patrol__worker")
        .prefetch_related(
            Prefetch(
                "cases",
                queryset=Case.objects.order_by("id").only(
                    "id", "number", "status", "outcome", "origin_finding_id"
                ),
            )
        )
        .order_by("-patrol__started_at", "-id")
    )


@require_GET
def shop_detail(request, pk: int):
    shop = shop_or_404(request.user, pk)
    pledges = shop_selectors.pledges_of(shop)
    context = {
        "shop": shop,
        "current_pledge": pledges[0] if pledges else None,
        "earlier_pledges": pledges[1:],
        "page": paginate(request, shop_record(shop), per_page=RECORD_PAGE),
        "can_edit": shop_permissions.can_edit_shop(request.user, shop),
        "show_phone": shop_permissions.can_see_contact_phone(request.user, shop),
    }
    return render(request, "shops/shop_detail.html", context)
