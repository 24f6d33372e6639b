"""The demo's requests raised by residents themselves (data/resident_requests.toml), through the residents'
pages' services: one in each state a resident sees, with their published tracking links."""

import datetime
from collections import Counter

from django.utils import timezone

from cases import services as case_services
from cases.models import Category, Satisfaction
from grids.models import Building
from public import services

from .common import data


def _at(days_ago: int, time: str | datetime.time, now: datetime.datetime) -> datetime.datetime:
    """That day at that time; a time of today not yet come (the demo loaded after midnight, before the
    morning's requests) is a minute before the load instead, so no timeline runs into the future."""
    day = timezone.localdate(now) - datetime.timedelta(days=days_ago)
    moment = time if isinstance(time, datetime.time) else datetime.time.fromisoformat(time)
    return min(
        timezone.make_aware(datetime.datetime.combine(day, moment)), now - datetime.timedelta(minutes=1)
    )


def load_resident_requests(grids: dict, users: dict, counts: Counter) -> None:
    spec_file = data("resident_requests")
    now = timezone.now()
    grid = grids[spec_file["grid"]]
    grid_link = services.place_link_for(grid=grid, code=spec_file["grid_poster"])
    for address, code in spec_file["building_posters"]:
        services.place_link_for(
            grid=grid, building=Building.objects.get(grid=grid, address=address), code=code
        )
    for n, spec in enumerate(spec_file["request"]):
        building = Building.objects.get(grid=grid, address=spec["building"]) if "building" in spec else None
        link = services.place_link_for(grid=grid, building=building) if building else grid_link
        case = services.request_raise(
            place=link,
            intake=services.ResidentIntake(
                category=Category.objects.get(name=spec["category"]),
                description=spec["description"],
                name=spec["name"],
                phone=spec["phone"],
            ),
            remote_address=f"192.0.2.{n + 1}",
            now=_at(spec["days_ago"], spec["time"], now),
            token=spec["token"],
        ).case
        for days_ago, time, action, username, note in spec["steps"]:
            at = _at(days_ago, time, now)
            if action == "withdraw":
                case = services.request_withdraw(case=case, note=note, now=at)
            elif action == "follow_up":
                resolved, satisfaction, comment = note.split("/", 2)
                case = services.request_rate(
                    case=case,
                    resolved=resolved == "resolved",
                    satisfaction=Satisfaction(satisfaction),
                    note=comment,
                    now=at,
                )
            else:
                params = {"worker": users["worker"]} if action == "accept" else {}
                case = case_services.case_transition(
                    case=case, action=action, actor=users[username], note=note, now=at, **params
                )
        counts["resident_requests"] += 1


def tracking_links() -> list[tuple[str, str]]:
    """What `load_demo` prints: each demo request's state and its tracking link, and the posters' links."""
    spec_file = data("resident_requests")
    site = spec_file["site"]
    links = [(f"poster {spec_file['grid']}", f"{site}/q/r/{spec_file['grid_poster']}/")]
    links += [(f"poster {address}", f"{site}/q/r/{code}/") for address, code in spec_file["building_posters"]]
    links += [(spec["key"], f"{site}/q/t/{spec['token']}/") for spec in spec_file["request"]]
    return links
