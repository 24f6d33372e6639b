"""The demo's 三项清单 (data/projects.toml): needs, resources and projects in every state.

Needs, resources and projects are written through projects.services and moved through the workflow table
(projects.services.project_transition), so their timelines are the ones the portal would have written, at
times counted back from the moment the demo is loaded.
"""

import datetime
from collections import Counter

from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.models import Case, Deliberation
from grids.models import Community, Grid
from projects import services
from projects.models import ProjectAction, ProjectStatus
from visits.models import Visit
from volunteers.models import PartnerUnit, VolunteerTeam

from .common import data

A, S = ProjectAction, ProjectStatus
# The moves that bring a matched project to each state.
PATH = {
    S.PROPOSED: [],
    S.CLAIMED: [A.CLAIM],
    S.IN_PROGRESS: [A.CLAIM, A.START],
    S.AWAITING_CONFIRMATION: [A.CLAIM, A.START, A.SUBMIT],
    S.CONFIRMED: [A.CLAIM, A.START, A.SUBMIT, A.CONFIRM],
    S.CANCELLED: [A.CANCEL],
}


def _provider(community: Community, kind: str, name: str):
    model = PartnerUnit if kind == "unit" else VolunteerTeam
    provider, _created = model.objects.get_or_create(community=community, name=name)
    return provider


def _origin(community: Community, origin: str) -> dict:
    """The community's latest visit that found a need (or latest visit), its latest case, or its
    deliberation on the named topic."""
    if origin == "visit":
        visits = Visit.objects.filter(household__grid__community=community).order_by("-visited_at")
        visit = visits.exclude(needs_found="").first() or visits.first()
        return {"visit": visit} if visit is not None else {}
    if origin == "case":
        case = Case.objects.filter(grid__community=community).order_by("-created_at").first()
        return {"case": case} if case is not None else {}
    if origin.startswith("deliberation:"):
        words = origin.split(":", 1)[1]
        topic = Deliberation.objects.filter(community=community, title__contains=words).order_by("pk")
        deliberation = topic.first()
        return {"deliberation": deliberation} if deliberation is not None else {}
    return {}


def _load_community(spec: dict, counts: Counter) -> None:
    community = Community.objects.get(name=spec["name"])
    users = get_user_model().objects.in_bulk([spec["staff"], spec["leader"]], field_name="username")
    staff, leader = users[spec["staff"]], users[spec["leader"]]
    providers = {name: _provider(community, kind, name) for kind, name in spec["providers"]}
    resources = {}
    for key, provider, kind, title, description, _available in spec["resources"]:
        provider = providers[provider]
        unit = provider if isinstance(provider, PartnerUnit) else None
        resources[key] = services.resource_create(
            data=services.ResourceInput(
                community=community,
                kind=kind,
                title=title,
                description=description,
                available=True,  # made unavailable after its projects are matched, below
                partner_unit=unit,
                team=None if unit is not None else provider,
            ),
            actor=staff,
        )
        counts["resources"] += 1
    needs = {}
    for key, title, kind, grid, origin, description in spec["needs"]:
        place = Grid.objects.get(code=grid) if grid else None
        found = _origin(community, origin)
        if "visit" in found and place is None:
            place = found["visit"].household.grid
        if "case" in found:
            place = found["case"].grid
        needs[key] = services.need_register(
            data=services.NeedInput(
                community=community, grid=place, title=title, kind=kind, description=description
            ),
            actor=staff,
            **found,
        )
        counts["needs"] += 1
    now = timezone.now()
    for need, resource, state, claimant, owner, deadline, notes, text in spec["projects"]:
        at = now - datetime.timedelta(days=40)
        project = services.project_match(
            need=needs[need], resource=resources[resource], actor=staff, now=at, note=""
        )
        for action in PATH[state]:
            at += datetime.timedelta(days=3 + (len(notes) if action == A.SUBMIT else 0))
            params, note = {}, ""
            if action == A.CLAIM:
                params = {
                    "claimant": providers[claimant],
                    "owner_name": owner,
                    "deadline": timezone.localdate() + datetime.timedelta(days=deadline),
                }
                note = "电话认领"
            elif action in (A.SUBMIT, A.CANCEL):
                note = text
            elif action == A.CONFIRM:
                note = "社区组织居民代表验收，确认完成。"
            actor = leader if action == A.CONFIRM else staff
            project = services.project_transition(
                project=project, action=action, actor=actor, note=note, now=at, **params
            )
            if action == A.START:
                for offset, progress in enumerate(notes, start=1):
                    services.project_transition(
                        project=project,
                        action=A.PROGRESS,
                        actor=staff,
                        note=progress,
                        now=at + datetime.timedelta(days=offset),
                    )
        counts["projects"] += 1
    for need, reason in spec["closed"]:
        services.need_close(need=needs[need], actor=staff, reason=reason)
    for key, *_rest, available in spec["resources"]:
        if not available:
            resources[key].available = False
            resources[key].save(update_fields=["available"])


def load_projects(counts: Counter) -> None:
    """Every community of data/projects.toml: its providers, resources, needs and projects."""
    for spec in data("projects")["community"]:
        _load_community(spec, counts)
