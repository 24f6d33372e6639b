"""Shops and units along each building (实有单位) and their 门前三包 pledges, written in bulk.

They are drawn after every other table, so the streams of the earlier tables stay as they were.
"""

import datetime

from stdnum.cn import uscc

from common.synthetic import make_mobile, make_name
from shops.models import Shop, ShopPledge

from .district import District

# How many shops stand at a building: a few along each building row, some buildings none.
SHOPS_AT_A_BUILDING = (0, 1, 1, 2, 2, 3)
TRADES = (
    ("牛肉面", Shop.Kind.CATERING),
    ("烧烤", Shop.Kind.CATERING),
    ("酿皮店", Shop.Kind.CATERING),
    ("便利店", Shop.Kind.RETAIL),
    ("水果店", Shop.Kind.RETAIL),
    ("五金店", Shop.Kind.RETAIL),
    ("理发店", Shop.Kind.SERVICE),
    ("干洗店", Shop.Kind.SERVICE),
    ("快递驿站", Shop.Kind.SERVICE),
    ("宾馆", Shop.Kind.LODGING),
    ("装饰公司", Shop.Kind.ENTERPRISE),
)
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SIGNED = 0.7  # open shops with a pledge
RENEWED = 0.3  # of those, with an earlier one a year before
CLOSED = 0.05

SHOP_COLUMNS = (
    "id", "grid_id", "building_id", "address", "name", "kind", "licence_number", "contact_name",
    "contact_phone", "closed_on", "note", "created_at",
)  # fmt: skip
# "order" is a reserved word in SQL: the COPY's column list quotes it.
PLEDGE_COLUMNS = (
    "id", "shop_id", "signed_on", "frontage", "cleanliness", '"order"', "greenery", "signed_by",
    "recorded_by_id", "note", "created_at",
)  # fmt: skip


def _licence(rng) -> str:
    body = "92" + "620102" + "".join(rng.choice(CODE_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def shops(district: District, buildings: list[tuple[int, int, int]], workers: dict[int, int]) -> int:
    """A few shops at each building, most with a pledge recorded by the grid's worker; returns how many."""
    rng, loader, today = district.rng, district.loader, district.today
    shop_rows, pledge_rows = [], []
    next_shop, next_pledge = loader.next_id(Shop), loader.next_id(ShopPledge)
    for building_id, grid_id, _dwellings in buildings:
        for _ in range(rng.choice(SHOPS_AT_A_BUILDING)):
            shop_id = next_shop + len(shop_rows)
            contact = make_name(rng.random() < 0.5, rng)
            trade, kind = rng.choice(TRADES)
            closed_on = (
                today - datetime.timedelta(days=rng.randrange(1, 365)) if rng.random() < CLOSED else None
            )
            shop_rows.append((
                shop_id, grid_id, building_id, "", f"{contact[0]}记{trade}", kind,
                _licence(rng) if rng.random() < 0.8 else "", contact, make_mobile(rng), closed_on, "",
                loader.now,
            ))  # fmt: skip
            if closed_on is not None or rng.random() >= SIGNED:
                continue
            signed_on = today - datetime.timedelta(days=rng.randrange(0, 365))
            dates = (
                [signed_on - datetime.timedelta(days=365), signed_on]
                if rng.random() < RENEWED
                else [signed_on]
            )
            for day in dates:
                pledge_rows.append((
                    next_pledge + len(pledge_rows), shop_id, day, "门前至人行道边缘，左右至相邻店铺分界",
                    True, True, rng.random() < 0.6, contact, workers[grid_id], "", loader.now,
                ))  # fmt: skip
    loader.insert(Shop, SHOP_COLUMNS, shop_rows)
    loader.insert(ShopPledge, PLEDGE_COLUMNS, pledge_rows)
    return len(shop_rows)
