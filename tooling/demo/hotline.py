"""The demo 12345 platform (data/hotline.toml): its API key, published with the demo's made-up data, and the
work orders it sent, received and moved on through the services as the API and the desk would."""

import datetime
from collections import Counter

from django.utils import timezone

from cases import services as case_services
from cases.models import Case, Category
from cases.workflow import Action
from grids.models import Street
from hotline import services as hotline_services

from .common import data


def demo_key() -> str:
    return data("hotline")["platform"]["key"]


def load_hotline(users: dict, counts: Counter) -> None:
    """The platform's key and its work orders, each moved on by the desk and the grid workers."""
    spec = data("hotline")
    platform, _key = hotline_services.client_create(
        name=spec["platform"]["name"],
        street=Street.objects.get(name=spec["platform"]["street"]),
        key=spec["platform"]["key"],
    )
    now = timezone.now()
    for order in spec["order"]:
        received = now - datetime.timedelta(hours=order["hours_ago"])
        request = hotline_services.OrderRequest(
            order_id=order["order_id"],
            service_code=str(Category.objects.get(name=order["category"]).pk),
            address_id=order["address_id"],
            address_string=order["address_string"],
            description=order["description"],
            last_name=order["caller"],
            phone=order["phone"],
        )
        work_order, _created = hotline_services.work_order_receive(
            client=platform, order=request, now=received
        )
        case: Case = work_order.case
        for action, username, hours_ago, note in order["moves"]:
            case = case_services.case_transition(
                case=case,
                action=Action(action),
                actor=users[username],
                note=note,
                now=now - datetime.timedelta(hours=hours_ago),
            )
        counts["cases"] += 1
        counts["work_orders"] += 1
