"""The community deliberation (居民议事) workflow in one table, like the case workflow (cases/workflow.py).

征集 (gathered) → 确定议题 (fixed) → 议事 (deliberated: one or more meetings) → 形成决议 (decided) →
执行 (carried out) → 公示反馈 (reported back); a topic not taken up is dropped (不予立项) with a reason.

Each action has one record (`DeliberationStep`: label, the field its note is written to, the time it
stamps, the note's label and the message when it is missing, its own page); each move (`Move`: state x
action) names its step, its target state, the hats that may make it, whether a note is required and its
guard. The hats and their roles are the case workflow's (`Hat`, `HAT_ROLES`), worn over the
deliberation's community instead of a case's grid (cases.permissions.deliberation_hats):
  STAFF   社区工作人员 / 社区党委书记 of the community: fix, hold meetings, decide, carry out, report back
  WORKER  网格长 / 专职 / 兼职网格员 of one of its grids: propose (gather) topics
Everyone else who serves the community (street leaders, building heads …) reads.
cases.services_deliberations.deliberation_transition applies the table and is the only code that moves a
saved deliberation; the district generator walks the same table.
"""

import datetime
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import AgreementTerm, Deliberation, DeliberationAction, DeliberationStatus, Meeting
from .workflow import Guard, Hat


@dataclass(frozen=True)
class DeliberationStep:
    """Everything one action means, in whatever state it is taken."""

    action: DeliberationAction
    writes: str = ""  # the deliberation's field the note is stored in (besides the timeline)
    stamps: str = ""  # the time field set when the move reaches its state
    note_label: Promise = _("说明")
    note_missing: Promise = _("请填写说明。")
    page: str = ""  # the URL name of its own page (a meeting has a form of its own)

    @property
    def label(self) -> str:
        return str(self.action.label)


A = DeliberationAction
STEPS: dict[DeliberationAction, DeliberationStep] = {
    s.action: s
    for s in (
        DeliberationStep(A.GATHER),
        DeliberationStep(A.FIX, stamps="fixed_at", note_label=_("确定议题的说明（可选）")),
        # Recorded with its meeting on its own page (services_deliberations.deliberation_meeting_record).
        DeliberationStep(A.RECORD_MEETING, stamps="deliberated_at", page="cases:deliberation_meeting_new"),
        DeliberationStep(
            A.DECIDE,
            writes="decision",
            stamps="decided_at",
            note_label=_("决议内容"),
            note_missing=_("请写明形成的决议。"),
        ),
        DeliberationStep(
            A.CARRY_OUT,
            writes="carried_out_note",
            stamps="carried_out_at",
            note_label=_("执行情况"),
            note_missing=_("请写明决议的执行情况。"),
        ),
        DeliberationStep(
            A.REPORT_BACK,
            writes="report_back",
            stamps="reported_at",
            note_label=_("向居民公示反馈的内容"),
            note_missing=_("请填写向居民公示反馈的内容。"),
        ),
        DeliberationStep(
            A.DROP,
            writes="drop_reason",
            stamps="dropped_at",
            note_label=_("不予立项的理由"),
            note_missing=_("请填写不予立项的理由。"),
        ),
    )
}


def _has_agreement(deliberation: Deliberation) -> bool:
    return Meeting.objects.filter(
        deliberation=deliberation, outcome__in=(Meeting.Outcome.AGREEMENT, Meeting.Outcome.PARTIAL)
    ).exists()


def _terms_done(deliberation: Deliberation) -> bool:
    return not AgreementTerm.objects.open().filter(meeting__deliberation=deliberation).exists()


# A decision rests on a meeting that agreed on something ...
HAS_AGREEMENT = Guard(
    "has_agreement",
    lambda d, _actor: _has_agreement(d),
    _("还没有达成协议的议事会，不能形成决议。请先记录议事会。"),
)
# ... and is carried out when every agreed term has been confirmed done.
TERMS_DONE = Guard(
    "terms_done",
    lambda d, _actor: _terms_done(d),
    _("还有未完成的协议条款，请逐条确认完成后再标记执行完毕。"),
)


@dataclass(frozen=True)
class Move:
    step: DeliberationStep
    to: DeliberationStatus
    who: frozenset[Hat]
    note_required: bool = False
    guard: Guard | None = None

    def apply(self, deliberation: Deliberation, *, note: str, now: datetime.datetime) -> set[str]:
        """Make the move in memory; the fields it changed (who may, guard and note: the caller's)."""
        changed = {"status"}
        if self.step.writes and note:
            setattr(deliberation, self.step.writes, note)
            changed.add(self.step.writes)
        # A later meeting keeps the time of the first.
        if self.step.stamps and getattr(deliberation, self.step.stamps) is None:
            setattr(deliberation, self.step.stamps, now)
            changed.add(self.step.stamps)
        deliberation.status = self.to
        return changed


S, H = DeliberationStatus, Hat

_ROWS: list[tuple[DeliberationStatus | None, DeliberationAction, DeliberationStatus, list[Hat], dict]] = [
    # A new topic: grid workers bring what residents say; the desk gathers too (None: not yet saved).
    (None, A.GATHER, S.GATHERED, [H.STAFF, H.WORKER], {}),
    # 征集: the community fixes the topic, or declines it with a reason.
    (S.GATHERED, A.FIX, S.FIXED, [H.STAFF], {}),
    (S.GATHERED, A.DROP, S.DROPPED, [H.STAFF], {"note_required": True}),
    # 确定议题: the first meeting, or still declined.
    (S.FIXED, A.RECORD_MEETING, S.DELIBERATED, [H.STAFF], {}),
    (S.FIXED, A.DROP, S.DROPPED, [H.STAFF], {"note_required": True}),
    # 议事: more meetings, until one agrees and the decision is written.
    (S.DELIBERATED, A.RECORD_MEETING, S.DELIBERATED, [H.STAFF], {}),
    (S.DELIBERATED, A.DECIDE, S.DECIDED, [H.STAFF], {"note_required": True, "guard": HAS_AGREEMENT}),
    # 形成决议 → 执行 → 公示反馈.
    (S.DECIDED, A.CARRY_OUT, S.CARRIED_OUT, [H.STAFF], {"note_required": True, "guard": TERMS_DONE}),
    (S.CARRIED_OUT, A.REPORT_BACK, S.REPORTED_BACK, [H.STAFF], {"note_required": True}),
]
WORKFLOW: dict[tuple[DeliberationStatus | None, DeliberationAction], Move] = {
    (state, action): Move(step=STEPS[action], to=to, who=frozenset(who), **more)
    for state, action, to, who, more in _ROWS
}

# What a person chooses on the deliberation's page (gathering is the new-topic form).
USER_ACTIONS = [a for a in DeliberationAction if a != A.GATHER]


def move_for(status: str | None, action: str) -> Move | None:
    """The table's move for a deliberation in `status` (None: not yet saved) and this action, if any."""
    return WORKFLOW.get((status or None, action))  # type: ignore[arg-type]  # a str is its TextChoices' key
