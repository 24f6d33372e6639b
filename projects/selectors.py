"""Reads of the three lists, with their joins, in the reader's scope."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from grids.models import Community, Grid
from volunteers.models import PartnerUnit, VolunteerTeam

from .models import Need, Project, Resource


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    community: Community | None = None
    status: str = ""
    kind: str = ""
    origin: str = ""
    available: bool | None = None


def needs_for(user, filters: ListFilters) -> QuerySet[Need]:
    # Page: the needs, their community and grid in one query (the count is capped in the pager).
    rows = Need.objects.visible_to(user).select_related("community", "grid")
    if filters.community is not None:
        rows = rows.filter(community=filters.community)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.origin:
        rows = rows.filter(origin=filters.origin)
    if filters.q:
        rows = rows.filter(Q(title__icontains=filters.q) | Q(description__icontains=filters.q))
    return rows.order_by("-created_at", "-id")


def resources_for(user, filters: ListFilters) -> QuerySet[Resource]:
    rows = Resource.objects.visible_to(user).select_related("community", "partner_unit", "team")
    if filters.community is not None:
        rows = rows.filter(community=filters.community)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.available is not None:
        rows = rows.filter(available=filters.available)
    if filters.q:
        rows = rows.filter(Q(title__icontains=filters.q) | Q(description__icontains=filters.q))
    return rows.order_by("-created_at", "-id")


def projects_for(user, filters: ListFilters) -> QuerySet[Project]:
    # The claimant and the owner by small queries of their own: joined too, PostgreSQL spent longer planning
    # the seven-way join than running it (as for the case lists, cases.selectors._list_rows).
    rows = (
        Project.objects.visible_to(user)
        .select_related("community", "need", "resource")
        .prefetch_related("claimant_unit", "claimant_team", "owner")
    )
    if filters.community is not None:
        rows = rows.filter(community=filters.community)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.q:
        rows = rows.filter(Q(title__icontains=filters.q) | Q(need__title__icontains=filters.q))
    return rows.order_by("-created_at", "-id")


def need_for_user(user, pk: int) -> Need:
    return (
        Need.objects.visible_to(user)
        .select_related(
            "community",
            "grid",
            "origin_visit__household__grid",
            "origin_case",
            "origin_deliberation",
            "created_by",
        )
        .get(pk=pk)
    )


def resource_for_user(user, pk: int) -> Resource:
    return Resource.objects.visible_to(user).select_related("community", "partner_unit", "team").get(pk=pk)


def project_for_user(user, pk: int) -> Project:
    return (
        Project.objects.visible_to(user)
        .select_related(
            "community",
            "need",
            "resource__partner_unit",
            "resource__team",
            "claimant_unit",
            "claimant_team",
            "owner",
            "created_by",
        )
        .get(pk=pk)
    )


def timeline(project: Project) -> list:
    return list(project.events.select_related("actor").order_by("at", "id"))


def available_resources(community: Community) -> QuerySet[Resource]:
    return (
        Resource.objects.filter(community=community, available=True)
        .select_related("partner_unit", "team")
        .order_by("kind", "title")
    )


def providers(community: Community) -> tuple[list, list]:
    """The partner units and volunteer teams that may offer or claim in this community."""
    return (
        list(PartnerUnit.objects.filter(community=community).order_by("name")),
        list(VolunteerTeam.objects.filter(community=community).order_by("name")),
    )


def grids_of(user, community: Community | None) -> QuerySet[Grid]:
    grids = Grid.objects.visible_to(user).select_related("community")
    return grids.filter(community=community) if community is not None else grids
