"""Cases (诉求 / 工单) and their timelines, each taken through the workflow as far as its age allows.

About CASES_PER_HOUSEHOLD requests per household over CASE_HISTORY_DAYS, each taken through the workflow
(cases/workflow.py) as far as the time since it came in allows: the older ones are archived, the recent
ones wait in every open state. How long each step takes is drawn against the case's time limits
(cases.clock): most are met, some are not, so some open cases are overdue. Half the needs found on the
generated visits become cases raised from those visits.
"""

import datetime
import itertools
import json
import math
import operator

from django.db import connection
from django.utils import timezone

from cases.clock import WARNING_SHARE, limits_for
from cases.models import (
    HANDLING_STATUSES,
    Case,
    CaseEvent,
    Category,
    Channel,
    Outcome,
    Satisfaction,
    Status,
    UnresolvedReason,
    Urgency,
)
from cases.workflow import Action
from common.synthetic import make_mobile, make_name

from .district import District

CASES_PER_HOUSEHOLD = 1.0
CASE_HISTORY_DAYS = 730
CASE_CHUNK = 25_000  # cases written per COPY with their timelines, so memory stays flat at any size
VISIT_CASE_SHARE = 0.5
CATEGORY_WEIGHTS = {
    "下水疏通": 12,
    "陪同就医": 7,
    "送餐送药": 9,
    "上门认证": 8,
    "临时救助": 3,
    "环境卫生": 12,
    "乱停放": 8,
    "市容秩序": 5,
    "门前三包": 4,
    "邻里纠纷": 5,
    "房屋设施": 9,
    "水电气暖": 6,
    "安全隐患": 3,
    "政策咨询": 9,
}
OTHER_CATEGORY_WEIGHT = 3  # a category staff added in the admin
CHANNEL_WEIGHTS = {
    Category.Kind.SERVICE: {
        Channel.PHONE: 35,
        Channel.WALK_IN: 20,
        Channel.VISIT: 20,
        Channel.ONLINE: 15,
        Channel.HOTLINE: 10,
    },
    Category.Kind.ASSISTANCE: {Channel.VISIT: 50, Channel.WALK_IN: 40, Channel.PHONE: 10},
    Category.Kind.PROBLEM: {
        Channel.PATROL: 25,
        Channel.PHONE: 25,
        Channel.HOTLINE: 25,
        Channel.WALK_IN: 10,
        Channel.ONLINE: 10,
        Channel.VISIT: 5,
    },
}
HOME_PROBLEMS = frozenset({"房屋设施", "邻里纠纷", "水电气暖"})  # other problems are about a public place
NEEDS_CATEGORY = {
    "希望社区协助预约上门体检": "陪同就医",
    "卫生间水管漏水，需要上门维修": "房屋设施",
    "楼道灯不亮，夜间出行不便": "房屋设施",
}
MORE_URGENT = {
    Urgency.COMPLEX: Urgency.GENERAL,
    Urgency.GENERAL: Urgency.URGENT,
    Urgency.URGENT: Urgency.EMERGENCY,
    Urgency.EMERGENCY: Urgency.EMERGENCY,
}
MORE_URGENT_SHARE = 0.08
# The turns a case takes (shares of all cases, or of those that reach the step).
REJECT_SHARE = 0.02
MERGE_SHARE = 0.5  # of the cases with an open case of the same category in the grid from the last 3 days
MERGE_WINDOW = 3 * 24 * 3600  # seconds
WITHDRAWN_SHARE = 0.01  # closed unresolved before anyone took them
NAMED_WORKER_SHARE = 0.25  # dispatched to the worker by name rather than to the grid
RETURN_SHARE = 0.02
LATE_RESPONSE_SHARE = 0.06
LATE_RESOLUTION_SHARE = 0.08
URGE_SHARE = 0.4  # of the late ones
ESCALATE_SHARE = {Category.Kind.SERVICE: 0.01, Category.Kind.ASSISTANCE: 0.02, Category.Kind.PROBLEM: 0.04}
HAND_BACK_SHARE = 0.4  # of the escalated ones: the street sends them back with instructions
CONSULT_SHARE = {"邻里纠纷": 0.5}
CONSULT_SHARE_PROBLEM = 0.01
PAUSE_SHARE = {Category.Kind.ASSISTANCE: 0.6}
PAUSE_SHARE_OTHER = 0.02
UNRESOLVED_SHARE = 0.01  # closed unresolved while in hand
NOT_RESOLVED_SHARE = 0.03  # follow-ups that find the problem still there
SATISFACTION_WEIGHTS = {Satisfaction.SATISFIED: 84, Satisfaction.BASICALLY: 12, Satisfaction.UNSATISFIED: 4}
REOPEN_SHARE = 0.6  # of the unresolved or unsatisfied follow-ups (a case is reopened at most once)
# The first grid of each run gets these open cases, registered just long enough ago to stand where the
# comment says, so that its worker's queue and the case pages have rows at any district size:
# (the action the case stops after, the turn it takes, dispatched to the worker by name, overdue).
SHOWCASE = (
    ("register", "", False, False),  # 待受理
    ("accept", "", False, False),  # 待接单, sent to the grid
    ("accept", "", True, True),  # 待接单, sent to the worker, overdue
    ("take", "", False, False),  # 办理中
    ("take", "", True, True),  # 办理中, overdue
    ("pause", "pause", False, False),  # 办理中, waiting for documents
    ("escalate", "escalate", False, False),  # 已上报街道
    ("open_consultation", "consult", False, False),  # 协商中
    ("resolve", "", False, False),  # 已办结，待回访
)
CASE_DESCRIPTIONS = {
    "下水疏通": (
        "厨房下水堵塞，洗菜池污水反溢，请上门疏通",
        "卫生间地漏返水，下水很慢",
        "楼道公共下水管道堵塞",
    ),
    "陪同就医": ("老人需要到医院复查，子女不在身边，请网格员陪同", "独居老人行动不便，需要陪同就医配药"),
    "送餐送药": ("老人腿脚不便，请帮忙送餐上门", "常用药快吃完了，请帮忙代购并送药上门"),
    "上门认证": ("老人行动不便，申请上门办理养老金领取资格认证", "高龄老人申请上门办理高龄补贴资格认证"),
    "临时救助": (
        "家人患重病，医疗开支大，家庭生活困难，申请临时救助",
        "突发意外，家庭收入中断，申请临时救助",
    ),
    "环境卫生": ("小区垃圾清运不及时，垃圾桶满溢", "楼道堆放杂物，卫生脏乱", "沿街餐饮垃圾堆放在人行道旁"),
    "乱停放": ("机动车占用人行道和消防通道", "电动车在单元门口乱停放，影响通行"),
    "市容秩序": ("沿街商户占道经营", "小广告乱贴乱画，影响市容"),
    "门前三包": ("商户门前油污未清理，未落实“门前三包”",),
    "邻里纠纷": ("楼上漏水殃及楼下，双方对维修费用有争议", "邻居装修噪音扰民，自行协商未果"),
    "房屋设施": ("楼道灯不亮，夜间出行不便", "单元门门禁损坏", "顶楼屋面漏水"),
    "水电气暖": ("家中停水，请帮忙联系处理", "暖气不热，室温过低"),
    "安全隐患": ("楼道内电动车充电，存在火灾隐患", "小区树木倾斜，有倒伏危险"),
    "政策咨询": ("咨询高龄补贴申领办法", "咨询城乡居民医保缴费政策"),
}
OTHER_DESCRIPTION = ("居民反映问题，请社区协助处理",)
RESOLUTIONS = ("已上门处理完毕，诉求人确认", "已协调相关单位处理完毕", "已按诉求办理完毕并告知诉求人")
STREET_RESOLUTION = "街道协调相关职能部门处理完毕"
CASE_NOTES = {
    "reject": "不属于社区受理范围，已告知诉求人办理渠道",
    "return": "临时有紧急任务，无法按时上门，退回重新派单",
    "escalate": "超出社区职权，需街道协调相关部门处理",
    "hand_back": "已协调相关部门，请社区跟进落实",
    "pause": "待补充材料：诉求人正在准备相关证明",
    "reopen": "回访诉求人反映问题仍未解决，重新办理",
    "urge": "超期未办结，请尽快办理",
    "open_consultation": "约双方当事人到社区协商",
}
UNRESOLVED_NOTES = {
    UnresolvedReason.OUTSIDE_POWER: "超出社区职权，已告知诉求人向有关部门反映",
    UnresolvedReason.UNREACHABLE: "多次联系不上诉求人",
    UnresolvedReason.WITHDRAWN: "诉求人撤回诉求",
}
UNRESOLVED_REASONS = (
    UnresolvedReason.OUTSIDE_POWER,
    UnresolvedReason.UNREACHABLE,
    UnresolvedReason.WITHDRAWN,
)
SATISFACTIONS = list(SATISFACTION_WEIGHTS)
SATISFACTION_CUMULATIVE = list(itertools.accumulate(SATISFACTION_WEIGHTS.values()))
FOLLOW_UP_DETAILS = {
    (resolved, satisfaction): json.dumps({"resolved": resolved, "satisfaction": satisfaction})
    for resolved in (True, False)
    for satisfaction in Satisfaction.values
}
CASE_COLUMNS = (
    "id",
    "number",
    "channel",
    "status",
    "requester_id",
    "requester_name",
    "requester_phone",
    "anonymous",
    "grid_id",
    "building_id",
    "household_id",
    "address",
    "category_id",
    "urgency",
    "description",
    "origin_visit_id",
    "origin_finding_id",
    "assigned_worker_id",
    "handler_id",
    "created_by_id",
    "created_at",
    "accepted_at",
    "response_limit",
    "resolution_limit",
    "response_due",
    "resolution_due",
    "clock_warn_at",
    "clock_due_at",
    "paused_at",
    "pause_reason",
    "first_taken_at",
    "taken_at",
    "escalated_at",
    "resolution",
    "resolved_at",
    "followed_up_at",
    "follow_up_resolved",
    "satisfaction",
    "reopen_count",
    "urge_count",
    "last_urged_at",
    "closed_at",
    "outcome",
    "unresolved_reason",
    "merged_into_id",
)
CASE_EVENT_COLUMNS = (
    "id",
    "case_id",
    "action",
    "actor_id",
    "at",
    "from_status",
    "to_status",
    "note",
    "details",
)


class _Cut(Exception):
    """A case's story has reached the present (or the step a showcase case stops after)."""


class _CaseLife:
    """One case as its story unfolds: the fields cases.services would have set, and its timeline so far.

    Times are POSIX seconds. `event` refuses a step in the future, so whatever the story draws, the row
    holds what had happened by now and no more.
    """

    __slots__ = (
        "now",
        "stop",
        "stopped",
        "created",
        "status",
        "events",
        "accepted_at",
        "response_due",
        "resolution_due",
        "paused_at",
        "pause_reason",
        "assigned",
        "handler",
        "first_taken_at",
        "taken_at",
        "escalated_at",
        "resolution",
        "resolved_at",
        "followed_up_at",
        "follow_up_resolved",
        "satisfaction",
        "reopen_count",
        "urge_count",
        "last_urged_at",
        "closed_at",
        "outcome",
        "unresolved_reason",
        "merged_into",
    )
    TIMES = (
        "created",
        "accepted_at",
        "response_due",
        "resolution_due",
        "paused_at",
        "first_taken_at",
        "taken_at",
        "escalated_at",
        "resolved_at",
        "followed_up_at",
        "last_urged_at",
        "closed_at",
    )

    def __init__(self, created: float, now: float, stop: str = "") -> None:
        self.now, self.stop, self.stopped = now, stop, False
        self.created = created
        self.status = Status.SUBMITTED
        self.events: list[tuple] = []
        self.accepted_at = self.response_due = self.resolution_due = self.paused_at = None
        self.pause_reason = self.resolution = self.satisfaction = self.outcome = self.unresolved_reason = ""
        self.assigned = self.handler = self.merged_into = None
        self.first_taken_at = self.taken_at = self.escalated_at = self.resolved_at = None
        self.followed_up_at = self.follow_up_resolved = self.last_urged_at = self.closed_at = None
        self.reopen_count = self.urge_count = 0

    def event(self, at: float, action: str, actor: int, to: str = "", note: str = "", details: str = "{}"):
        if at >= self.now or self.stopped:
            raise _Cut
        before = self.status
        self.status = to or before
        self.events.append((at, action, actor, before, self.status, note, details))
        self.stopped = action == self.stop

    def status_at(self, at: float) -> str:
        status = Status.SUBMITTED
        for event in self.events:
            if event[0] > at:
                break
            status = event[4]
        return status

    def shift(self, seconds: float) -> None:
        """Move the whole story in time (a showcase case is written first, then placed before now)."""
        for name in self.TIMES:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value + seconds)
        self.events = [(event[0] + seconds, *event[1:]) for event in self.events]


def _take(life: _CaseLife, at: float, worker: int) -> None:
    life.event(at, Action.TAKE, worker, Status.IN_PROGRESS)
    life.handler = life.assigned = worker
    life.taken_at = at
    if life.first_taken_at is None:
        life.first_taken_at = at


def _resolve(life: _CaseLife, at: float, actor: int, note: str) -> None:
    life.event(at, Action.RESOLVE, actor, Status.RESOLVED, note)
    life.resolution, life.resolved_at = note, at
    life.followed_up_at = life.follow_up_resolved = None
    life.satisfaction = ""


def _close_unresolved(life: _CaseLife, at: float, staff: int, reason: str) -> None:
    life.event(at, Action.CLOSE, staff, Status.CLOSED, UNRESOLVED_NOTES[reason], f'{{"reason": "{reason}"}}')
    life.closed_at, life.outcome, life.unresolved_reason = at, Outcome.UNRESOLVED, reason


def cases(
    district: District,
    households: list[tuple[int, int]],
    members: list[list[tuple[int, int, bool]]],
    buildings: list[tuple[int, int, int]],
    workers: dict[int, int],
    desk: tuple[dict[int, int], dict[int, int]],
) -> None:
    """About CASES_PER_HOUSEHOLD cases per household with their timelines; see the constants above.

    Cases are numbered in the order they came in, as the services number them (local date and id).
    Each is registered by the grid's worker (visits, patrols) or the community's desk, accepted and
    followed up by the desk, handled by the grid's worker, and escalated to or urged by the street.
    """
    categories = list(Category.objects.filter(active=True).order_by("sort_order", "id"))
    if not categories:
        return
    seeds = _seeds(district, households, categories)
    writer = _CaseWriter(district, households, members, buildings, workers, desk, categories)
    for seed in seeds:
        writer.add(*seed)
        if len(writer.case_rows) >= CASE_CHUNK:
            writer.flush()
    del seeds
    writer.showcase()
    writer.flush()


def _seeds(
    district: District, households: list[tuple[int, int]], categories: list[Category]
) -> list[tuple[float, int, Category, int | None, str]]:
    """When each case came in and about what, in that order, so the ids and numbers run with the dates.

    Working hours of the last two years, or just after a visit found the need. Each is (POSIX time,
    index of the household, category, the visit it was raised from, the needs that visit found).
    """
    rng = district.rng
    now = district.loader.clock_now.timestamp()
    first_household = households[0][0]
    seeds: list[tuple[float, int, Category, int | None, str]] = []
    by_name = {category.name: category for category in categories}
    for visit_id, household_id, visited_at, needs in district.needs_visits:
        category = by_name.get(NEEDS_CATEGORY.get(needs, ""))
        if category and rng.random() < VISIT_CASE_SHARE:
            created = min(visited_at + rng.uniform(600, 3 * 3600), now - 60)
            seeds.append((created, household_id - first_household, category, visit_id, needs))
    midnight = [
        timezone.make_aware(
            datetime.datetime.combine(district.today - datetime.timedelta(days=d), datetime.time())
        ).timestamp()
        for d in range(CASE_HISTORY_DAYS + 1)
    ]
    weights = [CATEGORY_WEIGHTS.get(c.name, OTHER_CATEGORY_WEIGHT) for c in categories]
    wanted = max(0, round(CASES_PER_HOUSEHOLD * len(households)) - len(seeds))
    n_households = len(households)
    for category in rng.choices(categories, weights, k=wanted):
        created = midnight[rng.randrange(CASE_HISTORY_DAYS + 1)] + rng.uniform(7.5 * 3600, 21 * 3600)
        if created >= now:
            created = now - rng.uniform(60, 3 * 3600)
        seeds.append((created, rng.randrange(n_households), category, None, ""))
    seeds.sort(key=operator.itemgetter(0))
    return seeds


class _CaseWriter:
    """Writes one run's cases and their timelines, chunk by chunk, as each case's story is drawn."""

    def __init__(
        self,
        district: District,
        households: list[tuple[int, int]],
        members: list[list[tuple[int, int, bool]]],
        buildings: list[tuple[int, int, int]],
        workers: dict[int, int],
        desk: tuple[dict[int, int], dict[int, int]],
        categories: list[Category],
    ) -> None:
        self.district, self.rng = district, district.rng
        self.households, self.members, self.categories = households, members, categories
        self.by_name = {category.name: category for category in categories}
        self.now = district.loader.clock_now.timestamp()
        self.postgres = district.loader.postgres
        self.building_of = [b for building_id, _grid, count in buildings for b in [building_id] * count]
        self.limits = self._limits(categories)
        self.channels = {
            kind: (list(weights), list(itertools.accumulate(weights.values())))
            for kind, weights in CHANNEL_WEIGHTS.items()
        }
        self.people = self._people(workers, desk)
        self.case_rows: list[tuple] = []
        self.event_rows: list[tuple] = []
        self.ids = {"case": district.loader.next_id(Case), "event": district.loader.next_id(CaseEvent)}
        # The latest case of each grid and category: a repeat of it within days is merged into it.
        self.latest: dict[tuple[int, int], tuple[int, _CaseLife, str]] = {}
        self.days: dict[int, str] = {}

    def _limits(self, categories: list[Category]) -> dict[tuple[int, str], tuple]:
        """Each category's and urgency's limits: in seconds, and as the database stores durations."""
        limits = {}
        for category in categories:
            for urgency in Urgency.values:
                found = limits_for(category, urgency)
                limits[category.pk, urgency] = (
                    found.response.total_seconds(),
                    found.resolution.total_seconds(),
                    found.response if self.postgres else int(found.response.total_seconds() * 10**6),
                    found.resolution if self.postgres else int(found.resolution.total_seconds() * 10**6),
                )
        return limits

    def _people(self, workers: dict[int, int], desk: tuple[dict[int, int], dict[int, int]]) -> dict:
        """Who serves each grid, and what the timeline records when a case is sent to it or to its worker."""
        staff_of, leader_of = desk
        district = self.district
        people = {}
        for grid_id, worker in workers.items():
            code, community_id = district.grid_place[grid_id]
            people[grid_id] = (
                worker,
                staff_of[community_id],
                leader_of[district.street_of[community_id]],
                json.dumps({"grid": code, "worker": ""}),
                json.dumps({"grid": code, "worker": district.username_of[worker]}),
            )
        return people

    # -- one case --------------------------------------------------------------------------------

    def add(self, created, index, category, visit_id, needs, stop="", turn=None, named=None, overdue=False):
        """Draw one case's request and story, and queue its row and its timeline."""
        rng = self.rng
        household_id, grid_id = self.households[index]
        worker, staff, street, accept, accept_named = self.people[grid_id]
        channel = self.channel(category, visit_id)
        creator = worker if channel in (Channel.VISIT, Channel.PATROL) else staff
        requester = self.requester(channel, index)
        at_home = category.kind != Category.Kind.PROBLEM or category.name in HOME_PROBLEMS
        building = self.building_of[index]
        urgency = category.default_urgency
        if rng.random() < MORE_URGENT_SHARE:
            urgency = MORE_URGENT[urgency]
        limit = self.limits[category.pk, urgency]
        description = needs or rng.choice(CASE_DESCRIPTIONS.get(category.name, OTHER_DESCRIPTION))
        case_id = self.ids["case"]
        life = _CaseLife(created, math.inf if stop else self.now, stop)
        life.event(created, Action.REGISTER, creator)
        topic = (grid_id, category.pk)
        try:
            if stop or not self.merged(life, self.latest.get(topic), staff, case_id, description):
                self.case_story(
                    life,
                    category.kind,
                    category.name,
                    limit,
                    staff,
                    worker,
                    street,
                    accept=accept,
                    accept_named=accept_named,
                    turn=turn,
                    named=named,
                )
        except _Cut:
            pass
        if stop:
            self.place_before_now(life, overdue)
        number = self.number_of(life.created, case_id)
        self.latest[topic] = (case_id, life, number)
        self.case_rows.append(
            (
                case_id,
                number,
                channel,
                life.status,
                *requester,
                grid_id,
                building,
                household_id if at_home else None,
                self.district.address_of[building],
                category.pk,
                urgency,
                description,
                visit_id,
                None,
                life.assigned,
                life.handler,
                creator,
                *self.clock_columns(life, limit),
            )
        )
        first_event = self.ids["event"]
        for k, (at, action, actor, before, after, note, details) in enumerate(life.events, first_event):
            self.event_rows.append((k, case_id, action, actor, self.when(at), before, after, note, details))
        self.ids["event"] = first_event + len(life.events)
        self.ids["case"] += 1

    def channel(self, category: Category, visit_id: int | None) -> str:
        if visit_id:
            return Channel.VISIT
        names, cumulative = self.channels.get(category.kind, self.channels[Category.Kind.PROBLEM])
        return self.rng.choices(names, cum_weights=cumulative)[0]

    def requester(self, channel: str, index: int) -> tuple[int | None, str, str, bool]:
        """(resident id, name, phone, anonymous) of who asked."""
        rng = self.rng
        roll = rng.random()
        if channel == Channel.PATROL or (channel == Channel.HOTLINE and roll < 0.2):
            return None, "", "", True  # nobody to name: found on patrol, or a hotline caller who gave no name
        if channel == Channel.HOTLINE and roll < 0.5:
            return None, make_name(rng.random() < 0.5, rng), make_mobile(rng), False
        return rng.choice(self.members[index])[0], "", "", False

    def clock_columns(self, life: "_CaseLife", limit: tuple) -> tuple:
        """The columns from created_at on: the case's times, its clock, and how it ended."""
        if life.paused_at is None and life.status == Status.DISPATCHED:
            due, span = life.response_due, limit[0]
        elif life.paused_at is None and life.status in HANDLING_STATUSES:
            due, span = life.resolution_due, limit[1]
        else:
            due = span = None
        accepted = life.accepted_at is not None
        when = self.when
        return (
            when(life.created),
            when(life.accepted_at),
            limit[2] if accepted else None,
            limit[3] if accepted else None,
            when(life.response_due),
            when(life.resolution_due),
            None if due is None else when(due - span * (1 - WARNING_SHARE)),
            when(due),
            when(life.paused_at),
            life.pause_reason,
            when(life.first_taken_at),
            when(life.taken_at),
            when(life.escalated_at),
            life.resolution,
            when(life.resolved_at),
            when(life.followed_up_at),
            life.follow_up_resolved,
            life.satisfaction,
            life.reopen_count,
            life.urge_count,
            when(life.last_urged_at),
            when(life.closed_at),
            life.outcome,
            life.unresolved_reason,
            life.merged_into,
        )

    def when(self, seconds: float | None):
        """A POSIX time as the database takes it."""
        if seconds is None:
            return None
        moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        return moment if self.postgres else connection.ops.adapt_datetimefield_value(moment)

    def number_of(self, created: float, case_id: int) -> str:
        # The local date of each quarter hour, formatted once: every time zone's offset, and so its
        # midnight, falls on a quarter hour.
        quarter = int(created // 900)
        if quarter not in self.days:
            local = timezone.get_current_timezone()
            self.days[quarter] = f"{datetime.datetime.fromtimestamp(quarter * 900, local):%Y%m%d}"
        return f"{self.days[quarter]}{case_id:06d}"

    def merged(
        self, life: "_CaseLife", target: tuple | None, staff: int, case_id: int, description: str
    ) -> bool:
        """Whether the desk merges this case into an open one about the same thing (and so it does)."""
        if target is None:
            return False
        rng = self.rng
        target_id, target_life, target_number = target
        at = life.created + 300 + rng.expovariate(1 / 5400)
        status = target_life.status_at(at)
        if at - target_life.created > MERGE_WINDOW or status == Status.CLOSED or rng.random() >= MERGE_SHARE:
            return False
        life.event(at, Action.MERGE, staff, Status.CLOSED, details=f'{{"into": "{target_number}"}}')
        life.closed_at, life.outcome, life.merged_into = at, Outcome.MERGED, target_id
        # The case it joins records the merge too; the line goes in with this chunk's timelines.
        note = description[:200]
        details = f'{{"from": "{self.number_of(life.created, case_id)}"}}'
        self.event_rows.append(
            (
                self.ids["event"],
                target_id,
                Action.MERGED_FROM,
                staff,
                self.when(at),
                status,
                status,
                note,
                details,
            )
        )
        self.ids["event"] += 1
        return True

    def place_before_now(self, life: "_CaseLife", overdue: bool) -> None:
        """Move a showcase case, written from time 0, to end just long enough ago."""
        rng = self.rng
        last = life.events[-1][0]
        due = None
        if life.paused_at is None and life.status == Status.DISPATCHED:
            due = life.response_due
        elif life.paused_at is None and life.status in HANDLING_STATUSES:
            due = life.resolution_due
        if due is not None and overdue:
            present = due + rng.uniform(1, 12) * 3600
        elif due is not None:
            present = last + max(0.0, due - last) * rng.uniform(0.1, 0.6)
        else:
            present = last + rng.uniform(0.5, 6) * 3600
        life.shift(self.now - present - 60)

    def flush(self) -> None:
        self.district.loader.insert(Case, CASE_COLUMNS, self.case_rows)
        self.district.loader.insert(CaseEvent, CASE_EVENT_COLUMNS, self.event_rows)
        self.case_rows.clear()
        self.event_rows.clear()

    def showcase(self) -> None:
        """Open cases in every state in the first grid of this run (SHOWCASE)."""
        first_grid = self.households[0][1]
        in_first_grid = [i for i, (_h, grid_id) in enumerate(self.households) if grid_id == first_grid]
        for stop, turn, named, overdue in SHOWCASE:
            category = self.by_name.get("下水疏通", self.categories[0])
            if turn == "consult":
                category = self.by_name.get("邻里纠纷", category)
            elif turn == "pause":
                category = self.by_name.get("临时救助", category)
            self.add(0.0, self.rng.choice(in_first_grid), category, None, "", stop, turn, named, overdue)

    # -- the workflow, step by step ----------------------------------------------------------------

    def case_story(
        self,
        life: _CaseLife,
        kind: str,
        name: str,
        limit: tuple,
        staff: int,
        worker: int,
        street: int,
        *,
        accept: str,
        accept_named: str,
        turn: str | None = None,
        named: bool | None = None,
    ) -> None:
        """Take one case through the workflow table from acceptance on, drawing each turn and its time.

        `turn` and `named` given (a showcase case) fix what is otherwise drawn, and leave out the turns
        that would close the case early.
        """
        rng, hour = self.rng, 3600.0
        response, resolution = limit[0], limit[1]
        showcase = turn is not None
        t = life.created + 300 + rng.expovariate(1 / (1.5 * hour))
        if not showcase and rng.random() < REJECT_SHARE:
            life.event(t, Action.REJECT, staff, Status.CLOSED, CASE_NOTES["reject"])
            life.closed_at, life.outcome = t, Outcome.REJECTED
            return
        if named is None:
            named = rng.random() < NAMED_WORKER_SHARE
        life.event(t, Action.ACCEPT, staff, Status.DISPATCHED, details=accept_named if named else accept)
        life.accepted_at, life.response_due, life.resolution_due = t, t + response, t + resolution
        life.assigned = worker if named else None
        late = rng.random() < LATE_RESPONSE_SHARE
        taken = t + response * (rng.uniform(1.0, 2.0) if late else 0.02 + 0.7 * rng.random() ** 2)
        if not showcase and rng.random() < WITHDRAWN_SHARE:
            reason = rng.choice((UnresolvedReason.WITHDRAWN, UnresolvedReason.UNREACHABLE))
            _close_unresolved(life, (t + taken) / 2, staff, reason)
            return
        t = taken
        _take(life, t, worker)
        if not showcase and rng.random() < RETURN_SHARE:
            t += rng.uniform(1, 8) * hour
            life.event(t, Action.RETURN, worker, Status.DISPATCHED, CASE_NOTES["return"])
            life.handler = life.assigned = life.taken_at = None
            t += rng.uniform(1, 6) * hour
            _take(life, t, worker)

        late = rng.random() < LATE_RESOLUTION_SHARE
        done = life.accepted_at + resolution * (rng.uniform(1.0, 1.6) if late else 0.1 + 0.85 * rng.random())
        done = max(done, t + 600)
        if turn is None:
            roll = rng.random()
            shares = (
                ("escalate", ESCALATE_SHARE.get(kind, 0)),
                (
                    "consult",
                    CONSULT_SHARE.get(name, CONSULT_SHARE_PROBLEM if kind == Category.Kind.PROBLEM else 0),
                ),
                ("pause", PAUSE_SHARE.get(kind, PAUSE_SHARE_OTHER)),
                ("unresolved", UNRESOLVED_SHARE),
            )
            turn = ""
            for choice, share in shares:
                if roll < share:
                    turn = choice
                    break
                roll -= share
        if turn == "pause":
            t += (done - t) * rng.uniform(0.1, 0.5)
            life.event(t, Action.PAUSE, worker, note=CASE_NOTES["pause"])
            life.paused_at, life.pause_reason = t, CASE_NOTES["pause"]
            # Whole minutes, so the timeline's record of the pause is what the deadlines moved by.
            minutes = (
                rng.randint(24 * 60, 10 * 24 * 60)
                if kind == Category.Kind.ASSISTANCE
                else rng.randint(120, 48 * 60)
            )
            paused = minutes * 60.0
            t += paused
            life.event(t, Action.RESUME, worker, details=f'{{"paused_minutes": {minutes}}}')
            life.paused_at, life.pause_reason = None, ""
            life.response_due += paused
            life.resolution_due += paused
            done += paused
        elif turn == "escalate":
            t += (done - t) * rng.uniform(0.1, 0.4)
            life.event(t, Action.ESCALATE, worker, Status.ESCALATED, CASE_NOTES["escalate"])
            life.escalated_at = t
        elif turn == "consult":
            t += (done - t) * rng.uniform(0.1, 0.3)
            life.event(
                t, Action.OPEN_CONSULTATION, worker, Status.IN_CONSULTATION, CASE_NOTES["open_consultation"]
            )
        if late and rng.random() < URGE_SHARE:
            urged = max(t + 60, life.resolution_due + (done - life.resolution_due) * rng.uniform(0.1, 0.9))
            if urged < done:
                t = urged
                life.event(t, Action.URGE, street, note=CASE_NOTES["urge"])
                life.urge_count, life.last_urged_at = life.urge_count + 1, t
        if turn == "unresolved":
            _close_unresolved(life, done, staff, rng.choice(UNRESOLVED_REASONS))
            return
        resolver, resolution_note = worker, rng.choice(RESOLUTIONS)
        if turn == "escalate":
            if rng.random() < HAND_BACK_SHARE:
                life.event(
                    t + (done - t) / 2, Action.HAND_BACK, street, Status.IN_PROGRESS, CASE_NOTES["hand_back"]
                )
            else:
                resolver, resolution_note = street, STREET_RESOLUTION
        t = done
        _resolve(life, t, resolver, resolution_note)

        # 回访: unresolved or unsatisfied reopens the case (once); otherwise it is archived.
        while True:
            t += rng.uniform(2, 72) * hour
            resolved = life.reopen_count > 0 or rng.random() >= NOT_RESOLVED_SHARE
            satisfaction = Satisfaction.UNSATISFIED
            if resolved:
                satisfaction = rng.choices(SATISFACTIONS, cum_weights=SATISFACTION_CUMULATIVE)[0]
                if life.reopen_count and satisfaction == Satisfaction.UNSATISFIED:
                    satisfaction = Satisfaction.BASICALLY
            life.event(t, Action.FOLLOW_UP, staff, details=FOLLOW_UP_DETAILS[resolved, satisfaction])
            life.followed_up_at, life.follow_up_resolved, life.satisfaction = t, resolved, satisfaction
            unhappy = not resolved or satisfaction == Satisfaction.UNSATISFIED
            if unhappy and not life.reopen_count and rng.random() < REOPEN_SHARE:
                # The clock runs on from where it stood at the resolution (cases.services): the deadlines
                # move on by the wait for the follow-up, in whole minutes as the timeline records it.
                waited = (int((t - life.resolved_at) // 60) + rng.randint(1, 30)) * 60
                t = life.resolved_at + waited
                details = f'{{"waited_minutes": {waited // 60}}}'
                life.event(t, Action.REOPEN, staff, Status.IN_PROGRESS, CASE_NOTES["reopen"], details)
                life.reopen_count, life.resolved_at, life.taken_at = 1, None, t
                life.response_due += waited
                life.resolution_due += waited
                t += rng.uniform(4, 72) * hour
                _resolve(life, t, worker, rng.choice(RESOLUTIONS))
                continue
            t += rng.uniform(60, 1800)
            if resolved:
                life.event(t, Action.CLOSE, staff, Status.CLOSED)
                life.closed_at, life.outcome = t, Outcome.RESOLVED
            else:
                _close_unresolved(life, t, staff, rng.choice(UNRESOLVED_REASONS[:2]))
            return
