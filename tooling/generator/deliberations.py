"""Community deliberations (居民议事) at scale: about DELIBERATIONS_PER_COMMUNITY topics per community over
the last year, each walked through the deliberation table as far as its drawn state, with its meetings,
their participants and agreed terms, and its timeline.

Each step looks up its move in cases.deliberation_workflow.WORKFLOW (a move the table does not allow, or
one the community's desk may not make, stops the run) and runs `Move.apply` on an unsaved Deliberation,
as the transition service does; the rows are then written in bulk (COPY on PostgreSQL).
"""

import datetime
import json

from cases.deliberation_workflow import WORKFLOW
from cases.models import (
    AgreementTerm,
    Deliberation,
    DeliberationAction,
    DeliberationEvent,
    DeliberationStatus,
    Meeting,
    Participant,
)
from cases.workflow import Hat

from .district import District

DELIBERATIONS_PER_COMMUNITY = 20
HISTORY_DAYS = 365
S, A = DeliberationStatus, DeliberationAction
# Where a topic stands today, by weight: most of a year's topics are settled (the seed: 20 meetings, more
# than 10 problems solved), a few still in hand, few dropped.
STATE_WEIGHTS = {
    S.REPORTED_BACK: 35,
    S.CARRIED_OUT: 12,
    S.DECIDED: 8,
    S.DELIBERATED: 12,
    S.FIXED: 10,
    S.GATHERED: 15,
    S.DROPPED: 8,
}
PATHS = {
    S.GATHERED: [],
    S.DROPPED: [A.DROP],
    S.FIXED: [A.FIX],
    S.DELIBERATED: [A.FIX, A.RECORD_MEETING],
    S.DECIDED: [A.FIX, A.RECORD_MEETING, A.DECIDE],
    S.CARRIED_OUT: [A.FIX, A.RECORD_MEETING, A.DECIDE, A.CARRY_OUT],
    S.REPORTED_BACK: [A.FIX, A.RECORD_MEETING, A.DECIDE, A.CARRY_OUT, A.REPORT_BACK],
}
TOPICS = [
    "背街小巷改造",
    "小区花园建设",
    "楼道堆物清理",
    "电动车充电棚",
    "停车秩序",
    "二次供水水箱清洗",
    "助餐点选址",
    "加装电梯",
    "广场舞音量",
    "快递柜设置",
    "垃圾分类督导",
    "屋顶防水维修",
]
NOTES = {
    A.FIX: "",
    A.DROP: "不属于社区公共事务，已告知居民办理渠道。",
    A.DECIDE: "经议事会协商形成决议。",
    A.CARRY_OUT: "决议事项已落实。",
    A.REPORT_BACK: "结果已在公示栏和居民群公示。",
}
PEOPLE = [
    ("resident_representative", "居民代表"),
    ("party_member", "在职党员"),
    ("partner_unit", "共建单位"),
    ("staff", "社区工作人员"),
]


def deliberations(district: District, community_ids: list[int], desk: tuple[dict, dict]) -> None:
    """Deliberations of every community, made by its desk (cs_<community>), with their meetings."""
    staff_of, _street_leaders = desk
    loader, rng = district.loader, district.rng
    now = loader.clock_now
    ids = {
        model: loader.next_id(model)
        for model in (Deliberation, DeliberationEvent, Meeting, Participant, AgreementTerm)
    }
    rows: dict = {model: [] for model in ids}
    states, weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())

    def next_id(model) -> int:
        return ids[model] + len(rows[model])

    for community_id in community_ids:
        actor_id = staff_of[community_id]
        for state in rng.choices(states, weights, k=DELIBERATIONS_PER_COMMUNITY):
            gathered = now - datetime.timedelta(days=rng.uniform(1, HISTORY_DAYS))
            d_id = next_id(Deliberation)
            deliberation = Deliberation(
                pk=d_id,
                community_id=community_id,
                title=f"{rng.choice(TOPICS)}（第{rng.randrange(1, 99)}号议题）",
                description="居民反映的问题，征集议题。",
                suggestions="居民代表意见",
                created_by_id=actor_id,
                gathered_at=gathered,
            )
            events = [(A.GATHER, "", S.GATHERED, gathered, "", {})]
            at = gathered
            span = (now - gathered) / (len(PATHS[state]) + 1)
            for action in PATHS[state]:
                move = WORKFLOW[(deliberation.status, action)]
                if Hat.STAFF not in move.who:  # pragma: no cover (the desk makes every move here)
                    raise RuntimeError(f"the desk may not {action}")
                at = at + span * rng.uniform(0.3, 1.0)
                from_status, details = deliberation.status, {}
                if action == A.RECORD_MEETING:
                    meeting_id = next_id(Meeting)
                    rows[Meeting].append(
                        (
                            meeting_id,
                            None,
                            d_id,
                            1,
                            at,
                            "社区议事厅",
                            "社区书记",
                            deliberation.title,
                            "各方到场协商。",
                            "agreement",
                            actor_id,
                            at,
                        )
                    )
                    for role, name in PEOPLE:
                        rows[Participant].append((next_id(Participant), meeting_id, role, name, "", None))
                    done = state in (S.CARRIED_OUT, S.REPORTED_BACK)
                    due = (at + datetime.timedelta(days=30)).date()
                    rows[AgreementTerm].append(
                        (
                            next_id(AgreementTerm),
                            meeting_id,
                            "社区",
                            "落实议定事项",
                            due,
                            at if done else None,
                            actor_id if done else None,
                            "已完成" if done else "",
                        )
                    )
                    details = {"round": 1, "outcome": "agreement"}
                note = NOTES.get(action, "")
                move.apply(deliberation, note=note, now=at)
                events.append((action, from_status, deliberation.status, at, note, details))
            rows[Deliberation].append(
                (
                    d_id,
                    community_id,
                    None,
                    deliberation.title,
                    deliberation.description,
                    deliberation.suggestions,
                    deliberation.status,
                    actor_id,
                    gathered,
                    deliberation.fixed_at,
                    deliberation.deliberated_at,
                    deliberation.decided_at,
                    deliberation.carried_out_at,
                    deliberation.reported_at,
                    deliberation.dropped_at,
                    deliberation.decision,
                    deliberation.carried_out_note,
                    deliberation.report_back,
                    deliberation.drop_reason,
                    None,
                )
            )
            for action, from_status, to_status, when, note, details in events:
                rows[DeliberationEvent].append(
                    (
                        next_id(DeliberationEvent),
                        d_id,
                        action,
                        actor_id,
                        when,
                        from_status,
                        to_status,
                        note,
                        json.dumps(details),
                    )
                )
    loader.insert(
        Deliberation,
        (
            "id",
            "community_id",
            "grid_id",
            "title",
            "description",
            "suggestions",
            "status",
            "created_by_id",
            "gathered_at",
            "fixed_at",
            "deliberated_at",
            "decided_at",
            "carried_out_at",
            "reported_at",
            "dropped_at",
            "decision",
            "carried_out_note",
            "report_back",
            "drop_reason",
            "submission_token",
        ),
        rows[Deliberation],
    )
    loader.insert(
        DeliberationEvent,
        ("id", "deliberation_id", "action", "actor_id", "at", "from_status", "to_status", "note", "details"),
        rows[DeliberationEvent],
    )
    loader.insert(
        Meeting,
        (
            "id",
            "case_id",
            "deliberation_id",
            "round",
            "held_at",
            "place",
            "chair",
            "question",
            "minutes",
            "outcome",
            "recorded_by_id",
            "recorded_at",
        ),
        rows[Meeting],
    )
    loader.insert(
        Participant, ("id", "meeting_id", "role", "name", "organisation", "resident_id"), rows[Participant]
    )
    loader.insert(
        AgreementTerm,
        ("id", "meeting_id", "party", "action", "due", "done_at", "done_by_id", "done_note"),
        rows[AgreementTerm],
    )
