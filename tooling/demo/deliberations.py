"""The demo's community deliberations (居民议事) in 草场街社区 (data/deliberations.toml).

Each topic is gathered and walked through the deliberation table by cases.services_deliberations, at
times counted back from the moment the demo is loaded, so its timeline is the one the portal would write;
its meetings are recorded like a case's consultation rounds and their agreed terms confirmed done.
"""

import datetime
from collections import Counter

from django.utils import timezone

from cases import services as case_services
from cases import services_deliberations
from cases.models import AgreementTerm, Deliberation, DeliberationAction, DeliberationStatus

from .common import data

COMMUNITY = "草场街社区"
# Where each state lies along the table; a topic is walked up to its own.
ORDER = [
    DeliberationStatus.GATHERED,
    DeliberationStatus.FIXED,
    DeliberationStatus.DELIBERATED,
    DeliberationStatus.DECIDED,
    DeliberationStatus.CARRIED_OUT,
    DeliberationStatus.REPORTED_BACK,
]


class DeliberationWriter:
    def __init__(self, grids: dict, communities: dict, users: dict, counts: Counter) -> None:
        self.grids = grids
        self.community = communities[COMMUNITY]
        self.users = users
        self.counts = counts
        self.now = timezone.now()
        self.defaults = data("deliberations")["defaults"]
        self.staff = users["ccj_staff"]

    def at(self, days_ago: float) -> datetime.datetime:
        """A time `days_ago` days back, never later than a few minutes ago."""
        return self.now - datetime.timedelta(days=max(days_ago, 0.01))

    def play(self, topic: dict) -> Deliberation:
        d = self.defaults
        start = topic["days_ago"]
        deliberation = services_deliberations.deliberation_gather(
            topic=services_deliberations.Topic(
                community=self.community,
                grid=self.grids[topic["grid"]] if "grid" in topic else None,
                title=topic["title"],
                description=topic["description"],
                suggestions="\n".join(topic.get("suggestions", [])),
            ),
            actor=self.users[topic["by"]],
            now=self.at(start),
        )
        self.counts["deliberations"] += 1
        state = DeliberationStatus(topic["state"])
        if state == DeliberationStatus.DROPPED:
            return self.move(
                deliberation, DeliberationAction.DROP, start - d["fix_after"], topic["drop_reason"]
            )
        reach = ORDER.index(state)
        if reach >= 1:
            deliberation = self.move(deliberation, DeliberationAction.FIX, start - d["fix_after"])
        last = start - d["fix_after"]
        if reach >= 2:
            meetings = topic.get("meetings") or [
                {
                    "outcome": "agreement",
                    "minutes": "各方到场协商，达成一致。",
                    "terms": topic.get("terms", []),
                }
            ]
            for i, meeting in enumerate(meetings):
                last = start - d["meeting_after"] - 7 * i
                self.meeting(deliberation, last, meeting)
        if reach >= 3:
            deliberation = self.move(
                deliberation, DeliberationAction.DECIDE, last - d["decide_after"], topic["decision"]
            )
            if not topic.get("open_terms"):
                for term in AgreementTerm.objects.filter(meeting__deliberation=deliberation):
                    case_services.agreement_term_done(
                        term=term, actor=self.staff, note="已完成", now=self.at(last - d["terms_done_after"])
                    )
        if reach >= 4:
            deliberation = self.move(
                deliberation, DeliberationAction.CARRY_OUT, last - d["carry_out_after"], topic["carried_out"]
            )
        if reach >= 5:
            deliberation = self.move(
                deliberation,
                DeliberationAction.REPORT_BACK,
                last - d["report_back_after"],
                topic["report_back"],
            )
        return deliberation

    def move(self, deliberation, action, days_ago, note: str = "") -> Deliberation:
        return services_deliberations.deliberation_transition(
            deliberation=deliberation,
            action=action,
            actor=self.users["ccj_leader"],
            note=note,
            now=self.at(days_ago),
        )

    def meeting(self, deliberation, days_ago: float, meeting: dict) -> None:
        d = self.defaults
        held = self.at(days_ago)
        day = timezone.localdate(held)
        record = case_services.MeetingRecord(
            held_at=held - datetime.timedelta(hours=2),
            place=d["place"],
            chair=d["chair"],
            question=deliberation.title,
            minutes=meeting["minutes"],
            outcome=meeting["outcome"],
            participants=[
                case_services.ParticipantEntry(
                    role=p["role"], name=p["name"], organisation=p.get("organisation", "")
                )
                for p in d["participants"]
            ],
            terms=[
                case_services.TermEntry(party=party, action=action, due=day + datetime.timedelta(days=due))
                for party, action, due in meeting["terms"]
            ],
        )
        services_deliberations.deliberation_meeting_record(
            deliberation=deliberation, actor=self.users["ccj_leader"], record=record, now=held
        )
        self.counts["deliberation_meetings"] += 1


def load_deliberations(grids: dict, communities: dict, users: dict, counts: Counter) -> None:
    """A year of deliberations in 草场街社区, including the 特色小巷 and the 小区花园, in every state."""
    writer = DeliberationWriter(grids, communities, users, counts)
    for topic in data("deliberations")["deliberation"]:
        writer.play(topic)
