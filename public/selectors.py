"""What a requester sees of their own case on the tracking page, in residents' words.

Only what the community answered them: the state, the dates, the reasons and results written for them.
Never who handled it, never a staff member's name or phone, nothing of another resident; numbers that
look like a phone or an ID number in a staff member's text are masked before they are shown.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.models import Action, Case, Outcome, Satisfaction, Status, UnresolvedReason
from cases.permissions import may
from common.logging import ID_NUMBER, PHONE
from common.phones import mask_phone

from .services import requester_actor


def without_numbers(text: str) -> str:
    """The text with phone numbers masked (138****5678) and ID numbers hidden: what looks like one to the
    log filter (common.logging's patterns) looks like one here."""
    text = ID_NUMBER.sub("******", text)
    return PHONE.sub(lambda m: mask_phone(m.group().removeprefix("+").removeprefix("86")), text)


@dataclass(frozen=True)
class Line:
    label: str | Promise
    at: datetime.datetime
    text: str = ""


@dataclass
class Tracked:
    case: Case
    stage: str | Promise
    explanation: str | Promise
    tone: str  # a Bootstrap colour for the stage's badge
    lines: list[Line] = field(default_factory=list)
    waiting_for: str = ""  # what the community asked them for, while the clock waits on them
    can_withdraw: bool = False
    can_supplement: bool = False
    can_rate: bool = False


def _stage(case: Case) -> tuple[Promise, Promise, str]:
    if case.status == Status.SUBMITTED:
        return _("已提交"), _("社区将尽快受理，请留意查询链接。"), "secondary"
    if case.status == Status.DISPATCHED:
        return _("已受理"), _("社区已受理，正在安排网格员办理。"), "info"
    if case.status in (Status.IN_PROGRESS, Status.IN_CONSULTATION) and case.paused_at is not None:
        return _("待您补充材料"), _("社区需要您补充情况，请在下方补充。"), "warning"
    if case.status == Status.IN_PROGRESS:
        return _("办理中"), _("网格员正在办理。"), "primary"
    if case.status == Status.IN_CONSULTATION:
        return _("协商办理中"), _("社区正在组织有关各方协商。"), "primary"
    if case.status == Status.ESCALATED:
        return _("街道协调办理中"), _("社区已提请街道协调办理。"), "primary"
    if case.status == Status.RESOLVED:
        if case.followed_up_at is None:
            return _("已办结，请评价"), _("请告诉我们问题是否解决、您是否满意。"), "success"
        return _("已办结"), _("感谢您的评价。"), "success"
    closed: dict[str, tuple[Promise, Promise, str]] = {
        Outcome.RESOLVED: (_("已办结"), _("本诉求已办结归档。"), "success"),
        Outcome.UNRESOLVED: (_("已结束"), _("本诉求已结束办理。"), "secondary"),
        Outcome.MERGED: (_("已合并办理"), _("社区已将本诉求与同一事项的诉求合并办理。"), "secondary"),
        Outcome.REJECTED: (_("未予受理"), _("社区未予受理本诉求，原因见下方。"), "secondary"),
        Outcome.WITHDRAWN: (_("已撤回"), _("您已撤回本诉求。"), "secondary"),
    }
    return closed.get(case.outcome, (_("已结束"), _("本诉求已结束办理。"), "secondary"))


# The timeline lines a requester sees, with what each says to them; the others (dispatch, returns,
# hand-backs, urging, meetings) are the staff's own.
_SHOWN: dict[str, tuple[Promise, bool]] = {
    Action.REGISTER: (_("您提交了诉求"), False),
    Action.ACCEPT: (_("社区已受理"), False),
    Action.TAKE: (_("网格员已接单"), False),
    Action.ESCALATE: (_("已提请街道协调"), False),
    Action.OPEN_CONSULTATION: (_("社区组织协商"), False),
    Action.PAUSE: (_("社区请您补充"), True),
    Action.SUPPLEMENT: (_("您补充了材料"), True),
    Action.RESOLVE: (_("办理结果"), True),
    Action.REOPEN: (_("社区重新办理"), False),
    Action.REJECT: (_("未予受理的理由"), True),
    Action.MERGE: (_("已合并办理"), False),
    Action.WITHDRAW: (_("您撤回了诉求"), True),
}


def tracked(case: Case) -> Tracked:
    """The requester's view of their case (two queries: the timeline, and the channel's account)."""
    stage, explanation, tone = _stage(case)
    view = Tracked(case=case, stage=stage, explanation=explanation, tone=tone)
    for event in case.events.order_by("at", "id"):
        if event.action == Action.FOLLOW_UP:
            details = event.details or {}
            answer = _("已解决") if details.get("resolved") else _("未解决")
            rating = Satisfaction(details["satisfaction"]).label if details.get("satisfaction") else ""
            view.lines.append(Line(_("回访评价"), event.at, f"{answer} · {rating}"))
        elif event.action == Action.CLOSE:
            reason = UnresolvedReason(case.unresolved_reason).label if case.unresolved_reason else ""
            view.lines.append(Line(_("归档"), event.at, str(reason)))
        elif event.action in _SHOWN:
            shown, with_text = _SHOWN[event.action]
            view.lines.append(Line(shown, event.at, without_numbers(event.note) if with_text else ""))
    if case.paused_at is not None:
        view.waiting_for = without_numbers(case.pause_reason)
    actor = requester_actor()
    view.can_withdraw = may(actor, case, Action.WITHDRAW)
    view.can_supplement = may(actor, case, Action.SUPPLEMENT)
    view.can_rate = may(actor, case, Action.FOLLOW_UP)
    return view
