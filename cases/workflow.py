"""The case workflow in one table: in which state each action may be taken, where it leads, and by whom.

The table is the documentation. cases.services.case_transition applies it (and is the only code that
moves a case); the case page shows exactly the actions `allowed_actions` returns for the user.

Who acts is described by the "hats" a user wears for one case (see `hats`):
  STAFF    社区工作人员 / 社区党委书记 over the case's grid (the desk)
  WORKER   网格长 / 专职 / 兼职网格员 of the grid who may take it (any, or the one it was sent to)
  HANDLER  the worker who took the case (接单)
  LEADER   社区党委书记 / 街道领导 over the grid (督办)
  STREET   街道领导 over the grid (takes escalated cases)
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import Role
from grids.permissions import roles_over_grid, user_roles

from .models import Case, Status


class Action(models.TextChoices):
    REGISTER = "register", _("登记")
    ACCEPT = "accept", _("受理派单")
    REJECT = "reject", _("不予受理")
    MERGE = "merge", _("合并")
    DISPATCH = "dispatch", _("改派")
    TAKE = "take", _("接单")
    RETURN = "return", _("退单")
    ESCALATE = "escalate", _("上报街道")
    HAND_BACK = "hand_back", _("街道回派")
    OPEN_CONSULTATION = "open_consultation", _("发起协商")
    RECORD_MEETING = "record_meeting", _("记录协商会议")
    PAUSE = "pause", _("暂停计时")
    RESUME = "resume", _("恢复计时")
    RESOLVE = "resolve", _("办结")
    FOLLOW_UP = "follow_up", _("回访")
    REOPEN = "reopen", _("重办")
    CLOSE = "close", _("归档")
    URGE = "urge", _("督办")
    MERGED_FROM = "merged_from", _("并入工单")


class Hat(StrEnum):
    STAFF = "staff"
    WORKER = "worker"
    HANDLER = "handler"
    LEADER = "leader"
    STREET = "street"


class Guard(StrEnum):
    """Conditions beyond the state, checked by `guard_holds`."""

    NOT_PAUSED = "not_paused"
    PAUSED = "paused"
    FOLLOWED_UP = "followed_up"  # a follow-up has been recorded since the last resolution
    NEEDS_REOPEN = "needs_reopen"  # ... and it said unresolved or unsatisfied


@dataclass(frozen=True)
class Move:
    to: Status | None  # None: the case stays in its state (an event, not a move)
    who: frozenset[Hat]
    note_required: bool = False
    guard: Guard | None = None


def _move(to, *who, note=False, guard=None) -> Move:
    return Move(to=to, who=frozenset(who), note_required=note, guard=guard)


S, H = Status, Hat
OPEN_STATES = [S.SUBMITTED, S.DISPATCHED, S.IN_PROGRESS, S.ESCALATED, S.IN_CONSULTATION, S.RESOLVED]

WORKFLOW: dict[tuple[Status, Action], Move] = {
    # 待受理: the desk accepts (deadlines start), rejects with a reason, or merges into an open duplicate.
    (S.SUBMITTED, Action.ACCEPT): _move(S.DISPATCHED, H.STAFF),
    (S.SUBMITTED, Action.REJECT): _move(S.CLOSED, H.STAFF, note=True),
    (S.SUBMITTED, Action.MERGE): _move(S.CLOSED, H.STAFF),
    # 待接单: any worker of the grid (or the one it was sent to) takes it; the desk may send it elsewhere.
    (S.DISPATCHED, Action.TAKE): _move(S.IN_PROGRESS, H.WORKER),
    (S.DISPATCHED, Action.DISPATCH): _move(None, H.STAFF),
    (S.DISPATCHED, Action.MERGE): _move(S.CLOSED, H.STAFF),
    (S.DISPATCHED, Action.CLOSE): _move(S.CLOSED, H.STAFF, note=True),
    # 办理中: the handler works it; the desk may step in for an absent handler.
    (S.IN_PROGRESS, Action.RETURN): _move(S.DISPATCHED, H.HANDLER, note=True),
    (S.IN_PROGRESS, Action.ESCALATE): _move(S.ESCALATED, H.HANDLER, H.STAFF, note=True),
    (S.IN_PROGRESS, Action.OPEN_CONSULTATION): _move(S.IN_CONSULTATION, H.HANDLER, H.STAFF),
    (S.IN_PROGRESS, Action.PAUSE): _move(None, H.HANDLER, H.STAFF, note=True, guard=Guard.NOT_PAUSED),
    (S.IN_PROGRESS, Action.RESUME): _move(None, H.HANDLER, H.STAFF, guard=Guard.PAUSED),
    (S.IN_PROGRESS, Action.RESOLVE): _move(S.RESOLVED, H.HANDLER, H.STAFF, note=True),
    (S.IN_PROGRESS, Action.CLOSE): _move(S.CLOSED, H.STAFF, note=True),
    # 已上报街道: the street resolves it or hands it back with instructions (大事不出街道).
    (S.ESCALATED, Action.HAND_BACK): _move(S.IN_PROGRESS, H.STREET, note=True),
    (S.ESCALATED, Action.RESOLVE): _move(S.RESOLVED, H.STREET, note=True),
    (S.ESCALATED, Action.CLOSE): _move(S.CLOSED, H.STREET, note=True),
    # 协商中: rounds of meetings; agreement -> resolution; no agreement -> another round or the street.
    (S.IN_CONSULTATION, Action.RECORD_MEETING): _move(None, H.HANDLER, H.STAFF),
    (S.IN_CONSULTATION, Action.ESCALATE): _move(S.ESCALATED, H.HANDLER, H.STAFF, note=True),
    (S.IN_CONSULTATION, Action.PAUSE): _move(None, H.HANDLER, H.STAFF, note=True, guard=Guard.NOT_PAUSED),
    (S.IN_CONSULTATION, Action.RESUME): _move(None, H.HANDLER, H.STAFF, guard=Guard.PAUSED),
    (S.IN_CONSULTATION, Action.RESOLVE): _move(S.RESOLVED, H.HANDLER, H.STAFF, note=True),
    (S.IN_CONSULTATION, Action.CLOSE): _move(S.CLOSED, H.STAFF, note=True),
    # 已办结，待回访: the desk calls the requester; unresolved or unsatisfied reopens, otherwise archive.
    (S.RESOLVED, Action.FOLLOW_UP): _move(None, H.STAFF),
    (S.RESOLVED, Action.REOPEN): _move(S.IN_PROGRESS, H.STAFF, note=True, guard=Guard.NEEDS_REOPEN),
    (S.RESOLVED, Action.CLOSE): _move(S.CLOSED, H.STAFF, guard=Guard.FOLLOWED_UP),
    # Leaders urge (督办) any open case: an event and a flag, not a state.
    **{(state, Action.URGE): _move(None, H.LEADER) for state in OPEN_STATES},
}

# Actions a person chooses on the case page (REGISTER and MERGED_FROM are written by the services).
USER_ACTIONS = [a for a in Action if a not in (Action.REGISTER, Action.MERGED_FROM)]

STAFF_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER})
WORKER_ROLES = frozenset({Role.GRID_LEADER, Role.GRID_WORKER, Role.PART_TIME_GRID_WORKER})
LEADER_ROLES = frozenset({Role.COMMUNITY_LEADER, Role.STREET_LEADER})
STREET_ROLES = frozenset({Role.STREET_LEADER})


def hats(user, case: Case) -> set[Hat]:
    """The parts this user may play on this case."""
    if not user.is_authenticated:
        return set()
    roles = set(Role) if user.is_superuser else roles_over_grid(user, case.grid)
    worn = set()
    if roles & STAFF_ROLES:
        worn.add(Hat.STAFF)
    if roles & WORKER_ROLES and case.assigned_worker_id in (None, user.pk):
        worn.add(Hat.WORKER)
    if case.handler_id is not None and case.handler_id == user.pk:
        worn.add(Hat.HANDLER)
    if roles & LEADER_ROLES:
        worn.add(Hat.LEADER)
    if roles & STREET_ROLES:
        worn.add(Hat.STREET)
    return worn


def is_desk(user, grid=None) -> bool:
    """Whether the user works the desk (accepts and dispatches) for this grid, or for any grid."""
    if user.is_superuser:
        return True
    roles = roles_over_grid(user, grid) if grid is not None else user_roles(user)
    return bool(roles & STAFF_ROLES)


def guard_holds(guard: Guard | None, case: Case) -> bool:
    if guard is None:
        return True
    if guard == Guard.PAUSED:
        return case.paused_at is not None
    if guard == Guard.NOT_PAUSED:
        return case.paused_at is None
    followed_up = case.followed_up_at is not None and case.follow_up_resolved is not None
    if guard == Guard.FOLLOWED_UP:
        return followed_up
    return followed_up and (
        not case.follow_up_resolved or case.satisfaction == "unsatisfied"
    )  # Guard.NEEDS_REOPEN


def move_for(case: Case, action: str) -> Move | None:
    return WORKFLOW.get((case.status, action))


def may(user, case: Case, action: str, worn: set[Hat] | None = None) -> bool:
    """Whether the table lets this user take this action on the case as it is now."""
    move = move_for(case, action)
    if move is None:
        return False
    worn = hats(user, case) if worn is None else worn
    return bool(worn & move.who) and guard_holds(move.guard, case)


def allowed_actions(user, case: Case) -> list[str]:
    worn = hats(user, case)
    return [action for action in USER_ACTIONS if may(user, case, action, worn)]
