"""What each case action does to the case, in memory: the appliers the workflow table names.

Each takes the locked case (or an unsaved one, for the district generator) and the action's parameters,
changes the case's fields and returns the names of those it changed. They need no database: what only the
database can say (the scope of a grid, a worker or a merge target) is checked by the action's `prepare`
step, which cases.services.case_transition runs first, under the row lock. The district generator, which
draws only moves the table allows to people who serve the grid, runs the appliers alone
(cases.workflow.Move.apply). The appliers check what only the parameters can say (a follow-up's answers).
Each ignores the other actions' parameters (**_rest; a bare **_ would hide gettext's _).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from grids.models import Grid
from grids.permissions import roles_over_grid
from grids.roles import CASE_WORKER_ROLES

from . import clock
from .models import Action, Case, CaseEvent, Outcome, Satisfaction, Status, UnresolvedReason, Urgency

# The choices' values, read once: Django builds the list anew on each `.values`, and the district generator
# runs the appliers a million times.
URGENCIES = frozenset(Urgency.values)
SATISFACTIONS = frozenset(Satisfaction.values)
UNRESOLVED_REASONS = frozenset(UnresolvedReason.values)

# -- what needs the database, run by case_transition before the applier --------------------------------


def prepare_send(case: Case, *, actor, now, params: dict) -> dict:
    """Only to a grid the actor serves, and only to a worker of that grid (accept, dispatch)."""
    grid, worker = params.get("grid") or case.grid, params.get("worker")
    if grid.pk != case.grid_id and not Grid.objects.visible_to(actor).filter(pk=grid.pk).exists():
        raise ValidationError({"grid": [_("只能派往您负责的网格。")]})
    if worker is not None and not (worker.is_superuser or roles_over_grid(worker, grid) & CASE_WORKER_ROLES):
        raise ValidationError({"worker": [_("%(name)s 不是该网格的网格员。") % {"name": worker.first_name}]})
    return params


def prepare_merge(case: Case, *, actor, now, params: dict) -> dict:
    """Lock the case it joins, check it may join it, and record the merge on that case's timeline too."""
    target = params.get("target")
    if target is None:
        raise ValidationError({"target": [_("请选择要合并到的工单。")]})
    target = Case.objects.select_for_update().get(pk=target.pk)
    # Scope first: a case outside the user's grids is "not found", whatever its state.
    if not Case.objects.visible_to(actor).filter(pk=target.pk).exists():
        raise ValidationError({"target": [_("找不到该工单。")]})
    if target.pk == case.pk or target.status == Status.CLOSED:
        raise ValidationError({"target": [_("只能合并到另一件未归档的工单。")]})
    # The case it joins records the merge too, so both timelines tell the story.
    CaseEvent.objects.create(
        case=target,
        action=Action.MERGED_FROM,
        actor=actor,
        at=now,
        from_status=target.status,
        to_status=target.status,
        note=case.description[:200],
        details={"from": case.number},
    )
    return {**params, "target": target}


# -- the appliers ------------------------------------------------------------------------------------------


def _send(case: Case, grid, worker) -> set[str]:
    """Send the case to a grid (any of its workers) or to one worker of it."""
    grid = grid or case.grid
    changed = {"assigned_worker"}
    if grid.pk != case.grid_id:
        case.grid = grid
        changed.add("grid")
        if case.building_id and case.building.grid_id != grid.pk:
            case.building = None
            changed.add("building")
        if case.household_id and case.household.grid_id != grid.pk:
            case.household = None
            changed.add("household")
    case.assigned_worker = worker
    return changed


def apply_accept(case, *, now, details, category=None, urgency=None, grid=None, worker=None, **_rest):
    changed = {"accepted_at", "response_limit", "resolution_limit", "response_due", "resolution_due"}
    if category is not None and category.pk != case.category_id:
        case.category = category
        changed.add("category")
    if urgency:
        if urgency not in URGENCIES:
            raise ValidationError({"urgency": [_("请选择紧急程度。")]})
        case.urgency = urgency
        changed.add("urgency")
    changed |= _send(case, grid, worker)
    clock.start(case, now)
    details.update(grid=case.grid.code, worker=worker.get_username() if worker else "")
    return changed


def apply_reject(case, *, now, **_rest):
    case.outcome = Outcome.REJECTED
    case.closed_at = now
    return {"outcome", "closed_at"}


def apply_withdraw(case, *, now, **_rest):
    case.outcome = Outcome.WITHDRAWN
    case.closed_at = now
    return {"outcome", "closed_at"}


def apply_merge(case, *, now, details, target: Case | None = None, **_rest):
    if target is None:
        raise ValidationError({"target": [_("请选择要合并到的工单。")]})
    case.outcome = Outcome.MERGED
    case.merged_into = target
    case.closed_at = now
    details["into"] = target.number
    return {"outcome", "merged_into", "closed_at"}


def _clear_return(case) -> set[str]:
    case.returned_by = None
    case.return_reason = ""
    return {"returned_by", "return_reason"}


def apply_dispatch(case, *, details, grid=None, worker=None, **_rest):
    changed = _send(case, grid, worker) | _clear_return(case)
    details.update(grid=case.grid.code, worker=worker.get_username() if worker else "")
    return changed


def apply_take(case, *, actor, now, **_rest):
    case.handler = actor
    case.taken_at = now
    case.assigned_worker = actor
    changed = {"handler", "taken_at", "assigned_worker"} | _clear_return(case)
    if case.first_taken_at is None:
        case.first_taken_at = now
        changed.add("first_taken_at")
    return changed


def apply_return(case, *, actor, note, **_rest):
    case.handler = None
    case.taken_at = None
    case.assigned_worker = None
    case.returned_by = actor
    case.return_reason = note[:200]
    return {"handler", "taken_at", "assigned_worker", "returned_by", "return_reason"}


def apply_escalate(case, *, now, **_rest):
    case.escalated_at = now
    return {"escalated_at"}


def apply_nothing(case, **_rest):
    return set()


def apply_pause(case, *, now, note, **_rest):
    clock.pause(case, now, note[:200])
    return {"paused_at", "pause_reason"}


def apply_resume(case, *, now, details, **_rest):
    details["paused_minutes"] = int(clock.resume(case, now).total_seconds() // 60)
    return {"paused_at", "pause_reason", "response_due", "resolution_due"}


def apply_resolve(case, *, now, note, **_rest):
    case.resolution = note
    case.resolved_at = now
    # A new resolution needs a new follow-up.
    case.followed_up_at = None
    case.follow_up_resolved = None
    case.satisfaction = ""
    return {"resolution", "resolved_at", "followed_up_at", "follow_up_resolved", "satisfaction"}


def apply_follow_up(case, *, now, details, resolved: bool | None = None, satisfaction: str = "", **_rest):
    if resolved is None:
        raise ValidationError({"resolved": [_("请选择诉求人是否确认已解决。")]})
    if satisfaction not in SATISFACTIONS:
        raise ValidationError({"satisfaction": [_("请选择满意度。")]})
    case.followed_up_at = now
    case.follow_up_resolved = resolved
    case.satisfaction = satisfaction
    details.update(resolved=resolved, satisfaction=satisfaction)
    return {"followed_up_at", "follow_up_resolved", "satisfaction"}


def apply_reopen(case, *, now, details, **_rest):
    # Back to the worker who handled it. The resolution clock runs on from where it stood at the
    # resolution: the days spent waiting for the follow-up call are not the handler's.
    waited = now - case.resolved_at
    case.response_due += waited
    case.resolution_due += waited
    details["waited_minutes"] = int(waited.total_seconds() // 60)
    case.reopen_count += 1
    case.resolved_at = None
    case.taken_at = now
    return {"reopen_count", "resolved_at", "taken_at", "response_due", "resolution_due"}


def apply_close(case, *, now, details, reason: str = "", **_rest):
    if case.status == Status.RESOLVED and case.follow_up_resolved:
        case.outcome = Outcome.RESOLVED
    else:
        if reason not in UNRESOLVED_REASONS:
            raise ValidationError({"reason": [_("未解决归档须选择原因。")]})
        case.outcome = Outcome.UNRESOLVED
        case.unresolved_reason = reason
        details["reason"] = reason
    case.closed_at = now
    return {"outcome", "unresolved_reason", "closed_at"}


def apply_urge(case, *, now, **_rest):
    case.urge_count += 1
    case.last_urged_at = now
    return {"urge_count", "last_urged_at"}
