"""Every write to the three lists: needs registered and closed, resources kept, projects matched and moved."""

import datetime
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Deliberation
from common.submissions import create_once
from grids.models import Community, Grid
from visits.models import Visit
from volunteers.models import PartnerUnit, VolunteerTeam

from . import permissions
from .models import (
    Need,
    NeedClosure,
    NeedOrigin,
    NeedStatus,
    Project,
    ProjectAction,
    ProjectEvent,
    Resource,
)
from .workflow import move_for


class ProjectConflict(Exception):  # noqa: N818 (an outcome the user is told about, not a fault)
    """Someone moved the project (or its need) since the user's page was drawn: nothing changed."""


class ProjectActionRefused(PermissionDenied):
    """The table does not let this user take this action on the project as it is now."""


# --- needs ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedInput:
    community: Community
    title: str
    kind: str
    description: str = ""
    grid: Grid | None = None


@transaction.atomic
def need_register(
    *,
    data: NeedInput,
    actor,
    visit: Visit | None = None,
    case: Case | None = None,
    deliberation: Deliberation | None = None,
    submission_token: uuid.UUID | None = None,
) -> Need:
    """Put a need on the community's list, keeping where it was found (a visit, a case, a deliberation, or
    the desk)."""
    if not permissions.can_add_need(actor, data.community):
        raise PermissionDenied
    found = {NeedOrigin.VISIT: visit, NeedOrigin.CASE: case, NeedOrigin.DELIBERATION: deliberation}
    named = [origin for origin, record in found.items() if record is not None]
    if len(named) > 1:
        raise ValidationError(_("一条需求只能有一个来源。"))
    if deliberation is not None and deliberation.community_id != data.community.pk:
        raise ValidationError(_("议事不属于所选社区。"))
    origin = named[0] if named else NeedOrigin.DIRECT
    need = Need(
        community=data.community,
        grid=data.grid,
        title=data.title.strip(),
        description=data.description.strip(),
        kind=data.kind,
        origin=origin,
        origin_visit=visit,
        origin_case=case,
        origin_deliberation=deliberation,
        created_by=actor,
        submission_token=submission_token,
    )
    _check_place(need)
    need.full_clean(validate_unique=False, validate_constraints=False)

    def create() -> Need:
        need.save()
        return need

    return create_once(Need, submission_token, create)


def _check_place(need: Need) -> None:
    if need.grid is not None and need.grid.community_id != need.community_id:
        raise ValidationError({"grid": [_("网格不属于所选社区。")]})


@transaction.atomic
def need_update(*, need: Need, actor, data: NeedInput) -> Need:
    """Correct an open need's wording (its origin stays)."""
    need = Need.objects.select_for_update().get(pk=need.pk)
    if not permissions.can_edit_need(actor, need):
        raise PermissionDenied
    need.community, need.grid = data.community, data.grid
    need.title, need.description, need.kind = data.title.strip(), data.description.strip(), data.kind
    _check_place(need)
    need.full_clean(validate_unique=False, validate_constraints=False)
    need.save(update_fields=["community", "grid", "title", "description", "kind"])
    return need


@transaction.atomic
def need_close(*, need: Need, actor, reason: str, now: datetime.datetime | None = None) -> Need:
    """Close a need no project will meet, with the reason (a need never drops silently)."""
    need = Need.objects.select_for_update().get(pk=need.pk)
    if need.status != NeedStatus.OPEN:
        raise ProjectConflict(
            _("该需求现为“%(status)s”，不能直接关闭。") % {"status": need.get_status_display()}
        )
    if not permissions.can_close_need(actor, need):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("未匹配就关闭的需求，须写明关闭原因。")]})
    need.status, need.closure, need.close_reason = NeedStatus.CLOSED, NeedClosure.UNMATCHED, reason
    need.closed_at, need.closed_by = now or timezone.now(), actor
    need.save(update_fields=["status", "closure", "close_reason", "closed_at", "closed_by"])
    return need


# --- resources ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceInput:
    community: Community
    kind: str
    title: str
    description: str = ""
    available: bool = True
    partner_unit: PartnerUnit | None = None
    team: VolunteerTeam | None = None


def _fill_resource(resource: Resource, data: ResourceInput) -> None:
    if (data.partner_unit is None) == (data.team is None):
        raise ValidationError({"provider": [_("请选择一个提供资源的共建单位或志愿服务队。")]})
    resource.community, resource.kind = data.community, data.kind
    resource.title, resource.description = data.title.strip(), data.description.strip()
    resource.available, resource.partner_unit, resource.team = data.available, data.partner_unit, data.team
    resource.full_clean(validate_unique=False, validate_constraints=False)


@transaction.atomic
def resource_create(*, data: ResourceInput, actor, submission_token: uuid.UUID | None = None) -> Resource:
    """Put what a partner unit or a team offers on the community's resources list."""
    if not permissions.can_edit_resource(actor, data.community):
        raise PermissionDenied
    resource = Resource(created_by=actor, submission_token=submission_token)
    _fill_resource(resource, data)

    def create() -> Resource:
        resource.save()
        return resource

    return create_once(Resource, submission_token, create)


@transaction.atomic
def resource_update(*, resource: Resource, data: ResourceInput, actor) -> Resource:
    """Change what a resource is, or mark it (un)available."""
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if not (
        permissions.can_edit_resource(actor, resource.community)
        and permissions.can_edit_resource(actor, data.community)
    ):
        raise PermissionDenied
    _fill_resource(resource, data)
    resource.save()
    return resource


# --- projects -------------------------------------------------------------------------------------------


def _event(project: Project, *, action: str, actor, at, from_status: str, note: str = "") -> ProjectEvent:
    return ProjectEvent.objects.create(
        project=project,
        action=action,
        actor=actor,
        at=at,
        from_status=from_status,
        to_status=project.status,
        note=note,
    )


@transaction.atomic
def project_match(
    *,
    need: Need,
    resource: Resource,
    actor,
    title: str = "",
    note: str = "",
    now: datetime.datetime | None = None,
    submission_token: uuid.UUID | None = None,
) -> Project:
    """Match an open need with an available resource of its community: a project waiting to be claimed."""
    now = now or timezone.now()
    need = Need.objects.select_for_update().select_related("community").get(pk=need.pk)
    if need.status != NeedStatus.OPEN:
        raise ProjectConflict(
            _("该需求现为“%(status)s”，不能再匹配。") % {"status": need.get_status_display()}
        )
    if not permissions.can_match_need(actor, need):
        raise PermissionDenied
    if resource.community_id != need.community_id or not resource.available:
        raise ValidationError({"resource": [_("请选择本社区目前可提供的资源。")]})
    project = Project(
        community=need.community,
        need=need,
        resource=resource,
        title=(title or "").strip() or need.title,
        created_by=actor,
        submission_token=submission_token,
    )
    project.full_clean(validate_unique=False, validate_constraints=False)

    def create() -> Project:
        project.save()
        need.status = NeedStatus.MATCHED
        need.save(update_fields=["status"])
        _event(project, action=ProjectAction.MATCH, actor=actor, at=now, from_status="", note=note.strip())
        return project

    return create_once(Project, submission_token, create)


def _conflict_message(project: Project) -> str:
    last = project.events.select_related("actor").order_by("-at", "-id").first()
    if last is None:
        return _("该项目的状态已变化，请刷新后再操作。")
    return _("%(who)s 已于 %(time)s %(action)s，项目现为“%(status)s”，请查看后再操作。") % {
        "who": last.actor.first_name or last.actor.get_username(),
        "time": timezone.localtime(last.at).strftime("%m-%d %H:%M"),
        "action": last.get_action_display(),
        "status": project.get_status_display(),
    }


def _need_follows(need: Need, becomes: NeedStatus, *, actor, now: datetime.datetime) -> None:
    """What a project's move means for its need: met (closed, done) or open again (cancelled)."""
    need.status = becomes
    if becomes == NeedStatus.CLOSED:
        need.closure, need.closed_at, need.closed_by = NeedClosure.DONE, now, actor
    need.save(update_fields=["status", "closure", "closed_at", "closed_by"])


@transaction.atomic
def project_transition(
    *,
    project: Project,
    action: str,
    actor,
    note: str = "",
    expected_status: str | None = None,
    now: datetime.datetime | None = None,
    **params,
) -> Project:
    """Apply one workflow action to a project and record it on its timeline.

    The row is locked first, so of two people moving the project at once one wins and the other gets a
    ProjectConflict naming who acted; `expected_status` (the state the user's page showed) refuses a form
    posted after someone else moved it, and nothing changes.
    """
    now = now or timezone.now()
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("community", "resource")
        .get(pk=project.pk)
    )
    if expected_status is not None and project.status != expected_status:
        raise ProjectConflict(_conflict_message(project))
    move = move_for(project, action)
    if move is None or not permissions.hats(actor, project.community) & move.who:
        raise ProjectActionRefused(
            _("您不能对“%(status)s”的项目执行“%(action)s”。")
            % {"status": project.get_status_display(), "action": ProjectAction(action).label}
        )
    if move.guard is not None and not move.guard.holds(project):
        raise ValidationError(str(move.guard.message))
    note = (note or "").strip()
    if move.note_required and not note:
        raise ValidationError({"note": [str(move.step.note_missing)]})

    from_status = project.status
    changed = move.step.apply(project, note=note, now=now, **params)
    if move.to is not None:
        project.status = move.to
        changed.add("status")
    if changed:
        project.full_clean(exclude=["need", "resource"], validate_unique=False, validate_constraints=False)
        project.save(update_fields=sorted(changed | {"updated_at"}))
    if move.step.need_becomes is not None:
        need = Need.objects.select_for_update().get(pk=project.need_id)
        _need_follows(need, move.step.need_becomes, actor=actor, now=now)
    _event(project, action=action, actor=actor, at=now, from_status=from_status, note=note)
    return project
