"""The demo's patrols (data/patrols.toml): around 黄河食渡, where residents complained, and one at home."""

import datetime
from collections import Counter

from django.utils import timezone

from visits import services as visit_services
from visits.models import PatrolFinding

from .common import data


def load_patrols(
    grids: dict, users: dict, counts: Counter, shops: dict | None = None
) -> dict[str, PatrolFinding]:
    """Each patrol of the data file, from 09:30 to 11:30 on its day; returns what they found, by key.

    A finding naming a shop (`shop`, a key of data/shops.toml) joins that shop's record.
    """
    shops = shops or {}
    today = timezone.localdate()

    def at(days_ago: int, hour: int) -> datetime.datetime:
        day = today - datetime.timedelta(days=days_ago)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 30)))

    found = {}
    for spec in data("patrols")["patrol"]:
        findings = spec["findings"]
        patrol = visit_services.patrol_log(
            grid=grids[spec["grid"]],
            worker=users[spec["worker"]],
            started_at=at(spec["days_ago"], 9),
            ended_at=at(spec["days_ago"], 11),
            route=spec["route"],
            notes=spec["notes"],
            findings=[
                visit_services.Finding(f["location"], f["description"], shop=shops.get(f.get("shop", "")))
                for f in findings
            ],
        )
        recorded = patrol.findings.order_by("id")
        found.update((f["key"], finding) for f, finding in zip(findings, recorded, strict=True))
        counts["patrols"] += 1
        counts["patrol_findings"] += len(findings)
    return found
