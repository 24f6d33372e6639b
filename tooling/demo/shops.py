"""The demo's shops around 黄河食渡 and their 门前三包 pledges (data/shops.toml), through shops.services."""

import datetime
from collections import Counter

from django.utils import timezone

from grids.models import Building
from shops import services
from shops.models import Shop

from .common import data


def load_shops(grids: dict, users: dict, counts: Counter) -> dict[str, Shop]:
    """Each shop of the data file with its pledges (oldest first), closed where it says; by key."""
    spec_file = data("shops")
    keeper = users[spec_file["recorded_by"]]
    today = timezone.localdate()
    shops = {}
    for spec in spec_file["shop"]:
        grid = grids[spec["grid"]]
        building = Building.objects.get(grid=grid, address=spec["building"]) if "building" in spec else None
        shop = services.shop_create(
            grid=grid,
            actor=keeper,
            name=spec["name"],
            kind=spec["kind"],
            building=building,
            address=spec.get("address", ""),
            licence_number=spec.get("licence_number", ""),
            contact_name=spec.get("contact_name", ""),
            contact_phone=spec.get("contact_phone", ""),
            note=spec.get("note", ""),
        )
        for pledge in sorted(spec["pledges"], key=lambda p: -p["days_ago"]):
            services.pledge_sign(
                shop=shop,
                actor=keeper,
                signed_on=today - datetime.timedelta(days=pledge["days_ago"]),
                frontage=pledge["frontage"],
                signed_by=spec["contact_name"],
                cleanliness=pledge.get("cleanliness", True),
                order=pledge.get("order", True),
                greenery=pledge.get("greenery", True),
                note=pledge.get("note", ""),
            )
            counts["shop_pledges"] += 1
        if "closed_days_ago" in spec:
            services.shop_update(
                shop=shop, actor=keeper, closed_on=today - datetime.timedelta(days=spec["closed_days_ago"])
            )
        shops[spec["key"]] = shop
        counts["shops"] += 1
    return shops
