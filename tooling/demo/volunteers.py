"""The demo's co-governance (data/volunteers.toml): 草场街社区's partner units, reporting Party members,
volunteer teams, and the 学雷锋 Yellow River clean-up and 陪诊暖心服务 with attendance and hours."""

import datetime
from collections import Counter
from decimal import Decimal

from django.utils import timezone

from volunteers.models import Activity, ActivitySignUp, PartnerUnit, ReportingMember, Volunteer, VolunteerTeam

from .common import REFERENCE_DATE, data


def load_volunteers(grids: dict, communities: dict, users: dict, counts: Counter) -> None:
    spec = data("volunteers")
    community = communities[spec["community"]]
    staff = users[spec["staff"]]
    units = {}
    for unit in spec["unit"]:
        units[unit["name"]] = PartnerUnit.objects.create(community=community, **unit)
    people = {}
    for name, unit, grid, days in spec["members"]:
        member = ReportingMember.objects.create(
            name=name,
            unit=units[unit],
            grid=grids[grid],
            reported_on=REFERENCE_DATE - datetime.timedelta(days=days),
        )
        people[name] = Volunteer.objects.create(community=community, reporting_member=member, name=name)
    for name, phone, skills in spec["outsiders"]:
        people[name] = Volunteer.objects.create(community=community, name=name, phone=phone, skills=skills)
    teams = {}
    for team in spec["team"]:
        teams[team["name"]] = VolunteerTeam.objects.create(
            community=community,
            name=team["name"],
            description=team["description"],
            leader=people[team["leader"]],
        )
        for name in team["members"]:
            people[name].teams.add(teams[team["name"]])
    today = timezone.localdate()
    for item in spec["activity"]:
        day = today - datetime.timedelta(days=item["days_ago"])
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(item["hour"])))
        activity = Activity.objects.create(
            community=community,
            title=item["title"],
            kind=item["kind"],
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=item["hours"]),
            place=item["place"],
            team=teams[item["team"]],
            capacity=item["capacity"],
            description=item["description"],
            report=item["report"],
            created_by=staff,
            attendance_taken_at=start + datetime.timedelta(hours=item["hours"])
            if item["days_ago"] > 0
            else None,
        )
        activity.partner_units.set([units[name] for name in item["units"]])
        for name, came, hours in item["sign_ups"]:
            attended = came if isinstance(came, bool) else None
            credited = Decimal(hours or item["hours"]) if attended else Decimal("0")
            ActivitySignUp.objects.create(
                activity=activity, volunteer=people[name], attended=attended, hours=credited
            )
            counts["sign_ups"] += 1
        counts["activities"] += 1
    counts["partner_units"] += len(units)
    counts["reporting_members"] += len(spec["members"])
    counts["volunteers"] += len(people)
    counts["volunteer_teams"] += len(teams)
