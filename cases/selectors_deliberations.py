"""Reads of community deliberations (居民议事): the list with its filters, one deliberation's page, and the
communities a user may propose topics in."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from grids.models import Community, Grid

from .deliberation_workflow import move_for
from .models import AgreementTerm, Deliberation, DeliberationAction, DeliberationEvent, Meeting
from .workflow import HAT_ROLES


@dataclass(frozen=True)
class DeliberationFilters:
    community: Community | None = None
    status: str = ""
    q: str = ""


def deliberations_for(user, filters: DeliberationFilters) -> QuerySet[Deliberation]:
    """The deliberations of the user's communities matching the filters, newest first, with what a row
    shows (its community and grid, how many meetings it had) in the one query of the page."""
    rows = Deliberation.objects.visible_to(user)
    if filters.community is not None:
        rows = rows.filter(community=filters.community)
    if filters.status == "settled":
        rows = rows.filter(status__in=["decided", "carried_out", "reported_back"])
    elif filters.status:
        rows = rows.filter(status=filters.status)
    if filters.q:
        rows = rows.filter(Q(title__icontains=filters.q) | Q(description__icontains=filters.q))
    return (
        rows.select_related("community", "grid")
        .annotate(meeting_count=Count("meetings"))
        .order_by("-gathered_at", "-id")
    )


def deliberation_for_user(user, pk: int) -> Deliberation:
    """One deliberation of the user's communities (Deliberation.DoesNotExist outside them), with its
    timeline and meetings (participants and terms) prefetched, so its page runs no query per row."""
    return (
        Deliberation.objects.visible_to(user)
        .select_related("community__street", "grid", "created_by")
        .prefetch_related(
            Prefetch("events", queryset=DeliberationEvent.objects.select_related("actor")),
            Prefetch(
                "meetings",
                queryset=Meeting.objects.order_by("round").prefetch_related(
                    "participants",
                    Prefetch("terms", queryset=AgreementTerm.objects.select_related("done_by")),
                ),
            ),
        )
        .get(pk=pk)
    )


def communities_to_gather_in(user) -> QuerySet[Community]:
    """The communities where the table lets the user propose a topic (征集): the desk's and the grid
    workers' (the roles the GATHER move's hats stand for)."""
    move = move_for(None, DeliberationAction.GATHER)
    if move is None:  # pragma: no cover (the table has the move)
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.order_by("name")
    roles = set().union(*(HAT_ROLES[hat] for hat in move.who))
    return Community.objects.filter(pk__in=Grid.objects.served_by(user, roles).values("community")).order_by(
        "name"
    )
