"""Reads shared by the volunteers pages: hours by year, a team's hours, the activities list."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from .models import Activity, ActivitySignUp, Volunteer, VolunteerTeam

ZERO = Decimal("0")


def credited(volunteer: Volunteer) -> QuerySet[ActivitySignUp]:
    """The volunteer's attended sign-ups: the only ones that count hours."""
    return ActivitySignUp.objects.filter(volunteer=volunteer, attended=True)


@dataclass(frozen=True)
class YearHours:
    year: int
    hours: Decimal
    activities: int


def hours_by_year(volunteer: Volunteer) -> list[YearHours]:
    """The volunteer's credited hours per year of the activity's start (local time), newest first."""
    rows = (
        credited(volunteer)
        .annotate(year=ExtractYear("activity__starts_at"))
        .values("year")
        .annotate(hours=Sum("hours"), activities=Count("id"))
        .order_by("-year")
    )
    return [YearHours(row["year"], row["hours"] or ZERO, row["activities"]) for row in rows]


def hours_in_year(volunteer: Volunteer, year: int) -> Decimal:
    total = credited(volunteer).filter(activity__starts_at__year=year).aggregate(h=Sum("hours"))["h"]
    return total or ZERO


def sign_ups_of(volunteer: Volunteer, year: int | None = None) -> QuerySet[ActivitySignUp]:
    rows = ActivitySignUp.objects.filter(volunteer=volunteer).select_related("activity", "activity__team")
    if year is not None:
        rows = rows.filter(activity__starts_at__year=year)
    return rows.order_by("-activity__starts_at")


def with_hours(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """Activities with their sign-up count, attendee count and hours credited (one query)."""
    return activities.annotate(
        signed=Count("sign_ups", distinct=True),
        came=Count("sign_ups", filter=Q(sign_ups__attended=True), distinct=True),
        hours_total=Coalesce(Sum("sign_ups__hours"), ZERO),
    )


def team_hours(team: VolunteerTeam) -> Decimal:
    """Hours credited at the activities the team organised."""
    total = ActivitySignUp.objects.filter(activity__team=team, attended=True).aggregate(h=Sum("hours"))["h"]
    return total or ZERO


def activities_for(user, *, when: str = "", kind: str = "", q: str = "", team=None) -> QuerySet[Activity]:
    rows = Activity.objects.visible_to(user).select_related("community", "grid", "team")
    now = timezone.now()
    rows = rows.order_by("-starts_at", "-id")
    if when == "upcoming":
        rows = rows.filter(ends_at__gte=now).order_by("starts_at", "id")
    elif when == "past":
        rows = rows.filter(ends_at__lt=now)
    if kind:
        rows = rows.filter(kind=kind)
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(place__icontains=q))
    if team is not None:
        rows = rows.filter(team=team)
    return rows
