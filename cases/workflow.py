"""The case workflow in one table: what each action means, in which state it may be taken, where it leads,
and by whom.

The table is the documentation. Each action has one record (`CaseAction`: its applier, form fields, note
label and messages, one-press flag); each move (`Move`: state x action) names its action's record, its
target state, the hats that may make it, whether a note is required and its guard. cases.services.
case_transition applies the table (and is the only code that moves a saved case; `Move.apply` is what a
move does to the case in memory, which the district generator runs on the unsaved cases it draws);
cases.permissions says which moves a user may make now, and the case page shows exactly those.

Who acts is described by the "hats" a user wears for one case (cases.permissions.hats); HAT_ROLES says
which roles over the case's grid give each hat:
  STAFF    社区工作人员 / 社区党委书记 over the case's grid (the desk)
  WORKER   网格长 / 专职 / 兼职网格员 of the grid who may take it (any, or the one it was sent to)
  HANDLER  the worker who took the case (接单)
  LEADER   社区党委书记 / 街道领导 over the grid (督办)
  STREET   街道领导 over the grid (takes escalated cases)
  REQUESTER the resident who raised it, acting through the case's private tracking link (the residents'
           pages): no role gives it; cases.permissions.hats gives it only to the residents' channel account,
           which cannot sign in, and only the service that checked the link acts as that account.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grids.roles import CASE_WORKER_ROLES, DESK_ROLES, LEADER_ROLES, STREET_ROLES

from . import appliers, clock
from .models import Action, Case, Satisfaction, Status

# The account that acts for a requester on the residents' pages (cases.services.outside_actor).
REQUESTER_ACTOR = "channel-residents"


class Hat(StrEnum):
    STAFF = "staff"
    WORKER = "worker"
    HANDLER = "handler"
    LEADER = "leader"
    STREET = "street"
    REQUESTER = "requester"


# Which roles over the case's grid give each hat. WORKER also needs the case to be unassigned or sent to
# the user; HANDLER is whoever took the case, which only a WORKER can do.
HAT_ROLES: dict[Hat, frozenset[str]] = {
    Hat.STAFF: DESK_ROLES,
    Hat.WORKER: CASE_WORKER_ROLES,
    Hat.HANDLER: CASE_WORKER_ROLES,
    Hat.LEADER: LEADER_ROLES,
    Hat.STREET: STREET_ROLES,
    Hat.REQUESTER: frozenset(),  # no role: the residents' channel (see the module's docstring)
}


@dataclass(frozen=True)
class Guard:
    """A condition beyond the state, with what the user is told when it does not hold.

    `holds(case, actor)`: some conditions are about who acts (the worker who returned a case may not take it
    back until the desk sends it again). Not tied to cases: a deliberation's table uses it too
    (cases/deliberation_workflow.py), with a deliberation in the case's place.
    """

    key: str
    holds: Callable[[Any, Any], bool]
    message: Promise


def _followed_up(case: Case) -> bool:
    return case.followed_up_at is not None and case.follow_up_resolved is not None


NOT_PAUSED = Guard("not_paused", lambda case, _actor: case.paused_at is None, _("该工单已在暂停计时。"))
PAUSED = Guard("paused", lambda case, _actor: case.paused_at is not None, _("该工单没有暂停计时。"))
# A follow-up has been recorded since the last resolution ...
FOLLOWED_UP = Guard("followed_up", lambda case, _actor: _followed_up(case), _("请先回访诉求人，再归档。"))
# ... and it said unresolved or unsatisfied.
NEEDS_REOPEN = Guard(
    "needs_reopen",
    lambda case, _actor: (
        _followed_up(case) and (not case.follow_up_resolved or case.satisfaction == Satisfaction.UNSATISFIED)
    ),
    _("回访确认已解决且满意的工单不需要重办。"),
)
# A requester answers the follow-up once per resolution (the desk may call again, e.g. to correct it).
REQUESTER_ANSWERS_ONCE = Guard(
    "requester_answers_once",
    lambda case, actor: not (getattr(actor, "username", "") == REQUESTER_ACTOR and _followed_up(case)),
    _("您已评价过本次办理结果，谢谢。"),
)
# A worker who returned a case (退单) does not take it back: the desk sends it again first (改派), and
# until then the others of the grid may take it. apply_return sets returned_by; dispatch and take clear it.
NOT_RETURNED_BY_ACTOR = Guard(
    "not_returned_by_actor",
    lambda case, actor: case.returned_by_id is None or case.returned_by_id != getattr(actor, "pk", None),
    _("您已退回该工单，须由社区受理台重新派单后才能再接单。"),
)


@dataclass(frozen=True)
class CaseAction:
    """Everything one action means, in whatever state it is taken."""

    action: Action
    apply: Callable[..., set[str]]  # cases.appliers: changes the case in memory, returns the changed fields
    # cases.appliers: what needs the database (scope checks, other rows), run by case_transition before
    # `apply`; returns the parameters to apply with.
    prepare: Callable[..., dict] | None = None
    fields: tuple[str, ...] = ()  # the action form's inputs (cases.forms.ActionForm)
    note_label: Promise = _("说明")
    note_missing: Promise = _("请填写说明。")  # when the move requires a note and none was written
    one_press: bool = False  # the case page shows a plain button instead of a form
    page: str = ""  # the URL name of the page where it is taken with a form of its own (not the case page)

    @property
    def label(self) -> str:
        return self.action.label


def _action(action, apply, fields=("note",), **more) -> CaseAction:
    return CaseAction(action=action, apply=apply, fields=fields, **more)


A = Action
ACTIONS: dict[Action, CaseAction] = {
    a.action: a
    for a in (
        _action(
            A.ACCEPT,
            appliers.apply_accept,
            ("category", "urgency", "grid", "worker", "note"),
            prepare=appliers.prepare_send,
        ),
        _action(
            A.REJECT,
            appliers.apply_reject,
            note_label=_("不予受理的理由"),
            note_missing=_("请填写不予受理的理由。"),
        ),
        _action(A.MERGE, appliers.apply_merge, ("target", "note"), prepare=appliers.prepare_merge),
        _action(
            A.DISPATCH, appliers.apply_dispatch, ("grid", "worker", "note"), prepare=appliers.prepare_send
        ),
        _action(A.TAKE, appliers.apply_take, (), one_press=True),
        _action(
            A.RETURN, appliers.apply_return, note_label=_("退单理由"), note_missing=_("请填写退单理由。")
        ),
        _action(
            A.ESCALATE,
            appliers.apply_escalate,
            note_label=_("上报理由"),
            note_missing=_("请填写上报街道的理由。"),
        ),
        _action(
            A.HAND_BACK,
            appliers.apply_nothing,
            note_label=_("处理意见"),
            note_missing=_("请填写回派的处理意见。"),
        ),
        _action(A.OPEN_CONSULTATION, appliers.apply_nothing, one_press=True),
        # Recorded with its meeting on its own page (cases.services.meeting_record).
        _action(A.RECORD_MEETING, appliers.apply_nothing, (), page="cases:meeting_new"),
        _action(
            A.PAUSE,
            appliers.apply_pause,
            note_label=_("暂停原因（如：等待诉求人补充材料）"),
            note_missing=_("请填写暂停计时的原因，如等待诉求人补充材料。"),
        ),
        _action(A.RESUME, appliers.apply_resume, one_press=True),
        _action(
            A.RESOLVE,
            appliers.apply_resolve,
            ("note", "photos"),  # photos of the work done, checked like intake photos
            note_label=_("办理结果"),
            note_missing=_("请填写办理结果。"),
        ),
        _action(
            A.FOLLOW_UP,
            appliers.apply_follow_up,
            ("resolved", "satisfaction", "note"),
            note_label=_("回访记录"),
        ),
        _action(
            A.REOPEN, appliers.apply_reopen, note_label=_("重办原因"), note_missing=_("请填写重办的原因。")
        ),
        _action(
            A.CLOSE,
            appliers.apply_close,
            ("reason", "note"),
            note_label=_("归档说明"),
            note_missing=_("请填写归档说明。"),
        ),
        _action(A.URGE, appliers.apply_urge, note_label=_("督办意见")),
        _action(A.WITHDRAW, appliers.apply_withdraw, note_label=_("撤回原因")),
        # What the requester sends while the clock waits on them (待补充材料): it resumes the clock.
        _action(
            A.SUPPLEMENT,
            appliers.apply_resume,
            ("note", "photos"),
            note_label=_("补充说明"),
            note_missing=_("请填写补充的内容。"),
        ),
    )
}


@dataclass(frozen=True)
class Move:
    action: CaseAction
    to: Status | None  # None: the case stays in its state (an event, not a move)
    who: frozenset[Hat]
    note_required: bool = False
    guard: Guard | None = None

    def apply(
        self, case: Case, *, actor, note: str, now: datetime.datetime, details: dict, **params
    ) -> set[str]:
        """Make the move on the case in memory and return the fields it changed (with its status and clock).

        Who may make it, its guard, its note and its `prepare` step are checked first by the caller:
        cases.services.case_transition for a saved case, the district generator for the ones it draws.
        """
        changed = {"status", *clock.CLOCK_FIELDS}
        # A case that leaves the handling states is no longer waiting on the requester.
        if case.paused_at is not None and self.to is not None and self.to != case.status:
            details["paused_minutes"] = int(clock.resume(case, now).total_seconds() // 60)
            changed |= {"paused_at", "pause_reason", "response_due", "resolution_due"}
        changed |= self.action.apply(case, actor=actor, note=note, now=now, details=details, **params)
        if self.to is not None:
            case.status = self.to
        clock.set_running_clock(case)
        return changed


def _move(action, to, *who, note=False, guard=None) -> Move:
    return Move(action=ACTIONS[action], to=to, who=frozenset(who), note_required=note, guard=guard)


S, H = Status, Hat
OPEN_STATES = [S.SUBMITTED, S.DISPATCHED, S.IN_PROGRESS, S.ESCALATED, S.IN_CONSULTATION, S.RESOLVED]

WORKFLOW: dict[tuple[Status, Action], Move] = {
    (state, action): _move(action, to, *who, **more)
    for state, action, to, who, more in [
        # 待受理: the desk accepts (deadlines start), rejects with a reason, or merges into an open duplicate.
        (S.SUBMITTED, A.ACCEPT, S.DISPATCHED, [H.STAFF], {}),
        (S.SUBMITTED, A.REJECT, S.CLOSED, [H.STAFF], {"note": True}),
        (S.SUBMITTED, A.MERGE, S.CLOSED, [H.STAFF], {}),
        (S.SUBMITTED, A.WITHDRAW, S.CLOSED, [H.REQUESTER], {}),  # before it is accepted, not after
        # 待接单: any worker of the grid (or the one it was sent to) takes it; the desk may send it elsewhere.
        (S.DISPATCHED, A.TAKE, S.IN_PROGRESS, [H.WORKER], {"guard": NOT_RETURNED_BY_ACTOR}),
        (S.DISPATCHED, A.DISPATCH, None, [H.STAFF], {}),
        (S.DISPATCHED, A.MERGE, S.CLOSED, [H.STAFF], {}),
        (S.DISPATCHED, A.CLOSE, S.CLOSED, [H.STAFF], {"note": True}),
        # 办理中: the handler works it; the desk may step in for an absent handler.
        (S.IN_PROGRESS, A.RETURN, S.DISPATCHED, [H.HANDLER], {"note": True}),
        (S.IN_PROGRESS, A.ESCALATE, S.ESCALATED, [H.HANDLER, H.STAFF], {"note": True}),
        (S.IN_PROGRESS, A.OPEN_CONSULTATION, S.IN_CONSULTATION, [H.HANDLER, H.STAFF], {}),
        (S.IN_PROGRESS, A.PAUSE, None, [H.HANDLER, H.STAFF], {"note": True, "guard": NOT_PAUSED}),
        (S.IN_PROGRESS, A.RESUME, None, [H.HANDLER, H.STAFF], {"guard": PAUSED}),
        (S.IN_PROGRESS, A.SUPPLEMENT, None, [H.REQUESTER], {"note": True, "guard": PAUSED}),
        (S.IN_PROGRESS, A.RESOLVE, S.RESOLVED, [H.HANDLER, H.STAFF], {"note": True}),
        (S.IN_PROGRESS, A.CLOSE, S.CLOSED, [H.STAFF], {"note": True}),
        # 已上报街道: the street resolves it or hands it back with instructions (大事不出街道).
        (S.ESCALATED, A.HAND_BACK, S.IN_PROGRESS, [H.STREET], {"note": True}),
        (S.ESCALATED, A.RESOLVE, S.RESOLVED, [H.STREET], {"note": True}),
        (S.ESCALATED, A.CLOSE, S.CLOSED, [H.STREET], {"note": True}),
        # 协商中: rounds of meetings; agreement -> resolution; no agreement -> another round or the street.
        (S.IN_CONSULTATION, A.RECORD_MEETING, None, [H.HANDLER, H.STAFF], {}),
        (S.IN_CONSULTATION, A.ESCALATE, S.ESCALATED, [H.HANDLER, H.STAFF], {"note": True}),
        (S.IN_CONSULTATION, A.PAUSE, None, [H.HANDLER, H.STAFF], {"note": True, "guard": NOT_PAUSED}),
        (S.IN_CONSULTATION, A.RESUME, None, [H.HANDLER, H.STAFF], {"guard": PAUSED}),
        (S.IN_CONSULTATION, A.SUPPLEMENT, None, [H.REQUESTER], {"note": True, "guard": PAUSED}),
        (S.IN_CONSULTATION, A.RESOLVE, S.RESOLVED, [H.HANDLER, H.STAFF], {"note": True}),
        (S.IN_CONSULTATION, A.CLOSE, S.CLOSED, [H.STAFF], {"note": True}),
        # 已办结，待回访: the desk calls the requester (or the requester answers on the tracking page, which
        # counts the same); unresolved or unsatisfied reopens, otherwise archive.
        (S.RESOLVED, A.FOLLOW_UP, None, [H.STAFF, H.REQUESTER], {"guard": REQUESTER_ANSWERS_ONCE}),
        (S.RESOLVED, A.REOPEN, S.IN_PROGRESS, [H.STAFF], {"note": True, "guard": NEEDS_REOPEN}),
        (S.RESOLVED, A.CLOSE, S.CLOSED, [H.STAFF], {"guard": FOLLOWED_UP}),
        # Leaders urge (督办) any open case: an event and a flag, not a state.
        *((state, A.URGE, None, [H.LEADER], {}) for state in OPEN_STATES),
    ]
}

# Actions a person chooses on the case page (REGISTER and MERGED_FROM are written by the services; the
# requester's own are taken on the tracking page).
USER_ACTIONS = [
    a for a in Action if a not in (Action.REGISTER, Action.MERGED_FROM, Action.WITHDRAW, Action.SUPPLEMENT)
]


def move_for(case: Case, action: str) -> Move | None:
    return WORKFLOW.get((case.status, action))
