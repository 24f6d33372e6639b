"""The project workflow in one table, after the case workflow's shape (cases/workflow.py).

Each action has one record (`Step`: what it does to the project in memory, what it does to the project's
need, its form's fields, its note's label and message, one press or a form). Each move (`Move`: state x
action) names its step, the state it leads to (None: an event on the timeline, no move), the hats that may
make it, whether a note is required, and its guard. projects.services.project_transition applies the table
and is the only code that moves a saved project; projects.permissions reads it to say what a user may do
now, and the project page shows exactly that.

Hats (who acts), over the project's community:
  STAFF  社区工作人员 / 社区党委书记: match, record the claim the unit or team made (by phone, in person),
         start, submit the result, confirm it for the community, send it back, cancel
  GRID   网格长 / 专职 / 兼职网格员 of the community's grids: progress notes from the ground

    待认领 --claim--> 已认领 --start--> 实施中 --submit--> 待确认 --confirm--> 已完成
                         \\progress       \\progress    <--return--/
    any live state --cancel (reason)--> 已撤销, and the need is open again
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grids.roles import CASE_WORKER_ROLES, DESK_ROLES

from .models import NeedStatus, Project, ProjectAction, ProjectStatus


class Hat(StrEnum):
    STAFF = "staff"
    GRID = "grid"


HAT_ROLES: dict[Hat, frozenset[str]] = {Hat.STAFF: DESK_ROLES, Hat.GRID: CASE_WORKER_ROLES}


@dataclass(frozen=True)
class Guard:
    """A condition beyond the state, with what the user is told when it does not hold."""

    key: str
    holds: Callable[[Project], bool]
    message: Promise


RESOURCE_AVAILABLE = Guard(
    "resource_available",
    lambda project: project.resource.available,
    _("该资源已标记为暂不可提供，请先更新资源或撤销后重新匹配。"),
)


# --- appliers: what a step does to the project in memory; each returns the fields it changed ------------


def _nothing(project: Project, *, note: str, now: datetime.datetime, **params: Any) -> set[str]:
    return set()


def _claim(project: Project, *, note: str, now: datetime.datetime, **params: Any) -> set[str]:
    claimant = params["claimant"]
    project.claimant_unit, project.claimant_team = (
        (claimant, None) if claimant._meta.model_name == "partnerunit" else (None, claimant)
    )
    project.owner = params.get("owner")
    project.owner_name = (params.get("owner_name") or "").strip()
    project.deadline = params["deadline"]
    return {"claimant_unit", "claimant_team", "owner", "owner_name", "deadline"}


def _submit(project: Project, *, note: str, now: datetime.datetime, **params: Any) -> set[str]:
    project.result = note
    return {"result"}


def _confirm(project: Project, *, note: str, now: datetime.datetime, **params: Any) -> set[str]:
    project.confirmed_at = now
    return {"confirmed_at"}


def _cancel(project: Project, *, note: str, now: datetime.datetime, **params: Any) -> set[str]:
    project.cancel_reason = note
    return {"cancel_reason"}


@dataclass(frozen=True)
class Step:
    """Everything one action means, in whatever state it is taken."""

    action: ProjectAction
    apply: Callable[..., set[str]]
    fields: tuple[str, ...] = ("note",)  # the action form's inputs (projects.forms.ProjectActionForm)
    note_label: Promise = _("说明")
    note_missing: Promise = _("请填写说明。")
    one_press: bool = False
    need_becomes: NeedStatus | None = None  # what the project's need becomes (a closed need: done)

    @property
    def label(self) -> str:
        return str(self.action.label)


A = ProjectAction
STEPS: dict[str, Step] = {
    step.action: step
    for step in (
        Step(
            A.CLAIM,
            _claim,
            ("claimant", "owner", "owner_name", "deadline", "note"),
            note_label=_("认领说明（如：电话认领，联系人）"),
        ),
        Step(A.START, _nothing, (), one_press=True),
        Step(A.PROGRESS, _nothing, note_label=_("进展情况"), note_missing=_("请填写进展情况。")),
        Step(A.SUBMIT, _submit, note_label=_("实施结果"), note_missing=_("请填写实施结果。")),
        Step(A.RETURN, _nothing, note_label=_("退回原因"), note_missing=_("请填写退回补做的原因。")),
        Step(A.CONFIRM, _confirm, note_label=_("确认意见"), need_becomes=NeedStatus.CLOSED),
        Step(
            A.CANCEL,
            _cancel,
            note_label=_("撤销原因"),
            note_missing=_("请填写撤销的原因。"),
            need_becomes=NeedStatus.OPEN,
        ),
    )
}


@dataclass(frozen=True)
class Move:
    step: Step
    to: ProjectStatus | None  # None: an event on the timeline; the project stays where it is
    who: frozenset[Hat]
    note_required: bool = False
    guard: Guard | None = None


def _move(action, to, who, note=False, guard=None) -> Move:
    return Move(step=STEPS[action], to=to, who=frozenset(who), note_required=note, guard=guard)


S, H = ProjectStatus, Hat
LIVE = [S.PROPOSED, S.CLAIMED, S.IN_PROGRESS, S.AWAITING_CONFIRMATION]

# (state, action, where to, who, what more: note required, guard)
TABLE: list[tuple[Any, ...]] = [
    # 待认领: a unit or team takes it on (the desk records who, the owner and the deadline).
    (S.PROPOSED, A.CLAIM, S.CLAIMED, [H.STAFF], {"guard": RESOURCE_AVAILABLE}),
    # 已认领 / 实施中: work starts; anyone following it notes progress.
    (S.CLAIMED, A.START, S.IN_PROGRESS, [H.STAFF], {}),
    (S.CLAIMED, A.PROGRESS, None, [H.STAFF, H.GRID], {"note": True}),
    (S.IN_PROGRESS, A.PROGRESS, None, [H.STAFF, H.GRID], {"note": True}),
    (S.IN_PROGRESS, A.SUBMIT, S.AWAITING_CONFIRMATION, [H.STAFF], {"note": True}),
    # 待确认: the community confirms the result (the need is met and closes) or sends it back.
    (S.AWAITING_CONFIRMATION, A.CONFIRM, S.CONFIRMED, [H.STAFF], {}),
    (S.AWAITING_CONFIRMATION, A.RETURN, S.IN_PROGRESS, [H.STAFF], {"note": True}),
    # Any live project may be cancelled with a reason: its need is open again, never dropped.
    *((state, A.CANCEL, S.CANCELLED, [H.STAFF], {"note": True}) for state in LIVE),
]
WORKFLOW: dict[tuple[str, str], Move] = {
    (state, action): _move(action, to, who, **more) for state, action, to, who, more in TABLE
}

# The actions a person takes on the project page, in this order (match is the need page's).
USER_ACTIONS = [a for a in ProjectAction if a != ProjectAction.MATCH]


def move_for(project: Project, action: str) -> Move | None:
    return WORKFLOW.get((project.status, action))
