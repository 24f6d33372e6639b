"""Small builders for the volunteers tests (activities, volunteers, sign-ups)."""

import datetime

from django.utils import timezone

from volunteers.models import Activity, ActivitySignUp, Volunteer, VolunteerTeam


def volunteer_in(community, name="王志愿", **fields) -> Volunteer:
    return Volunteer.objects.create(
        community=community, name=name, phone=fields.pop("phone", "13912345678"), **fields
    )


def activity_in(community, creator, *, start=None, hours=3, capacity=None, **fields) -> Activity:
    start = start or timezone.now() + datetime.timedelta(days=1)
    return Activity.objects.create(
        community=community,
        title=fields.pop("title", "学雷锋黄河沿岸清洁"),
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=hours),
        place=fields.pop("place", "黄河风情线"),
        capacity=capacity,
        created_by=creator,
        **fields,
    )


def attended(activity, volunteer, hours) -> ActivitySignUp:
    return ActivitySignUp.objects.create(activity=activity, volunteer=volunteer, attended=True, hours=hours)


def team_in(community, name="石榴花开邻里互助队") -> VolunteerTeam:
    return VolunteerTeam.objects.create(community=community, name=name)
