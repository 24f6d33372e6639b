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
import operator
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models.base import ModelState
from django.utils import timezone

from cases.clock import limits_for
from cases.models import (
    Case,
    CaseEvent,
    Category,
    Channel,
    Satisfaction,
    Status,
    UnresolvedReason,
    Urgency,
    case_number,
)
from cases.workflow import WORKFLOW, Action
from common.synthetic import make_mobile, make_name
from grids.models import Grid

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
    "returned_by_id",
    "return_reason",
)
CASE_EVENT_COLUMNS = (
    "id",
    "case_id",
    "grid_id",  # the case's grid: the generator's cases never move
    "action",
    "actor_id",
    "at",
    "from_status",
    "to_status",
    "note",
    "details",
)


CASE_FIELDS = [field.attname for field in Case._meta.concrete_fields]
CASE_TIMES = [
    field.attname for field in Case._meta.concrete_fields if isinstance(field, models.DateTimeField)
]
CLOCK_VALUES = operator.attrgetter(*CASE_COLUMNS[CASE_COLUMNS.index("created_at") :])
UTC = datetime.UTC
FAR_FUTURE = datetime.datetime.max.replace(tzinfo=UTC)  # a showcase case's story runs to its stop
MICROSECOND = datetime.timedelta(microseconds=1)
NO_DETAILS = "{}"


class _Cut(Exception):
    """A case's story has reached the present (or the step a showcase case stops after)."""


class _CaseLife:
    """One case as its story unfolds: an unsaved Case and its timeline so far.

    Each step is a move of the workflow table made by the code cases.services.case_transition runs
    (cases.workflow.Move.apply, with the action's applier and cases.clock), so the row holds what the
    services would have set. `step` refuses a move the table does not allow and a step in the future, so
    whatever the story draws, the row holds what had happened by now and no more.
    """

    __slots__ = ("case", "now", "stop", "stopped", "events")

    def __init__(self, case: Case, now: datetime.datetime, stop: str = "") -> None:
        self.case, self.now, self.stop, self.stopped = case, now, stop, False
        # (action, actor id, at, from status, to status, note, details): a timeline row from its action on.
        self.events: list[tuple] = []

    def register(self, actor: int) -> None:
        """The first line, as cases.services.case_register writes it."""
        self.events.append(
            (Action.REGISTER, actor, self.case.created_at, "", Status.SUBMITTED, "", NO_DETAILS)
        )
        self.stopped = self.stop == Action.REGISTER

    def step(self, at: datetime.datetime, action: str, actor, note: str = "", **params) -> None:
        if at >= self.now or self.stopped:
            raise _Cut
        case = self.case
        before = case.status
        move = WORKFLOW.get((before, action))
        if move is None or (move.guard is not None and not move.guard.holds(case, actor)):
            raise AssertionError(f"the workflow table has no move {action} from {before} for this case")
        if move.note_required and not note:
            raise AssertionError(f"{action} from {before} needs a note")
        details: dict = {}
        move.apply(case, actor=actor, note=note, now=at, details=details, **params)
        self.events.append((action, actor.pk, at, before, case.status, note, _json(details)))
        self.stopped = action == self.stop

    def status_at(self, at: datetime.datetime) -> str:
        status = Status.SUBMITTED
        for event in self.events:
            if event[2] > at:
                break
            status = event[4]
        return status

    def shift(self, by: datetime.timedelta) -> None:
        """Move the whole story in time (a showcase case is written first, then placed before now)."""
        case = self.case
        for name in CASE_TIMES:
            value = getattr(case, name)
            if value is not None:
                setattr(case, name, value + by)
        self.events = [(*event[:2], event[2] + by, *event[3:]) for event in self.events]


_DETAILS: dict[tuple, str] = {}


def _json(details: dict) -> str:
    """A timeline line's details as the database stores them; most repeat, so each is encoded once."""
    if not details:
        return NO_DETAILS
    key = tuple(details.items())
    text = _DETAILS.get(key)
    if text is None:
        text = _DETAILS[key] = json.dumps(details)
    return text


def _moment(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, UTC)


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
        self.now_moment = district.loader.clock_now
        self.now = self.now_moment.timestamp()
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
        self.latest: dict[tuple[int, int], _CaseLife] = {}
        self.days: dict[int, datetime.date] = {}
        self.local = timezone.get_current_timezone()
        self.blank_case = {name: getattr(Case(), name) for name in CASE_FIELDS}  # each field's default

    def _limits(self, categories: list[Category]) -> dict[tuple[int, str], tuple[float, float]]:
        """Each category's and urgency's response and resolution limits in seconds, to draw times against."""
        limits = {}
        for category in categories:
            for urgency in Urgency.values:
                found = limits_for(category, urgency)
                limits[category.pk, urgency] = (
                    found.response.total_seconds(),
                    found.resolution.total_seconds(),
                )
        return limits

    def _people(self, workers: dict[int, int], desk: tuple[dict[int, int], dict[int, int]]) -> dict:
        """Each grid (unsaved, as the appliers read it) and who serves it: its worker, desk and street."""
        staff_of, leader_of = desk
        district = self.district
        user_model = get_user_model()
        users: dict[int, Any] = {}

        def user(user_id: int):
            if user_id not in users:
                users[user_id] = user_model(pk=user_id, username=district.username_of.get(user_id, ""))
            return users[user_id]

        people = {}
        for grid_id, worker in workers.items():
            code, community_id = district.grid_place[grid_id]
            people[grid_id] = (
                Grid(pk=grid_id, code=code),
                user(worker),
                user(staff_of[community_id]),
                user(leader_of[district.street_of[community_id]]),
            )
        return people

    # -- one case --------------------------------------------------------------------------------

    def add(self, created, index, category, visit_id, needs, stop="", turn=None, named=None, overdue=False):
        """Draw one case's request and story, and queue its row and its timeline."""
        rng = self.rng
        household_id, grid_id = self.households[index]
        grid, worker, staff, street = self.people[grid_id]
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
        case = self.new_case(
            grid,
            category,
            id=case_id,
            number=self.number_of(created, case_id),
            urgency=urgency,
            description=description,
            created_at=_moment(created),
        )
        life = _CaseLife(case, FAR_FUTURE if stop else self.now_moment, stop)
        life.register(creator.pk)
        topic = (grid_id, category.pk)
        try:
            if stop or not self.merged(life, created, self.latest.get(topic), staff):
                self.case_story(
                    life,
                    created,
                    category.kind,
                    category.name,
                    limit,
                    staff,
                    worker,
                    street,
                    turn=turn,
                    named=named,
                )
        except _Cut:
            pass
        if stop:
            self.place_before_now(life, overdue)
            case.number = self.number_of(case.created_at.timestamp(), case_id)
        self.latest[topic] = life
        self.case_rows.append(
            (
                case_id,
                case.number,
                channel,
                case.status,
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
                case.assigned_worker_id,
                case.handler_id,
                creator.pk,
                *self.clock_columns(case),
            )
        )
        first_event = self.ids["event"]
        if self.postgres:
            self.event_rows.extend(
                (k, case_id, grid_id, *event) for k, event in enumerate(life.events, first_event)
            )
        else:
            for k, (action, actor, at, *event) in enumerate(life.events, first_event):
                self.event_rows.append((k, case_id, grid_id, action, actor, self.when(at), *event))
        self.ids["event"] = first_event + len(life.events)
        self.ids["case"] += 1

    def new_case(self, grid: Grid, category: Category, **values) -> Case:
        """An unsaved case as the services would create it, with the grid and category the appliers read.

        Made as Django unpickles a model (a blank case's fields and a fresh state), because Case(**values)
        looks up each of its 47 fields' defaults: about 60 µs a case against 9.
        """
        case = Case.__new__(Case)
        case.__dict__.update(self.blank_case, grid_id=grid.pk, category_id=category.pk, **values)
        case._state = ModelState()
        case._state.fields_cache = {"grid": grid, "category": category}
        return case

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

    def clock_columns(self, case: Case) -> tuple:
        """The columns from created_at on: the case's times, its clock, and how it ended."""
        values = CLOCK_VALUES(case)
        if self.postgres:
            return values
        return tuple(
            self.when(value)
            if isinstance(value, datetime.datetime)
            else value // MICROSECOND
            if isinstance(value, datetime.timedelta)
            else value
            for value in values
        )

    def when(self, moment: datetime.datetime | None):
        """A time as the database takes it."""
        if moment is None or self.postgres:
            return moment
        return connection.ops.adapt_datetimefield_value(moment)

    def number_of(self, created: float, case_id: int) -> str:
        # The local date of each quarter hour, found once: every time zone's offset, and so its midnight,
        # falls on a quarter hour.
        quarter = int(created // 900)
        day = self.days.get(quarter)
        if day is None:
            day = self.days[quarter] = datetime.datetime.fromtimestamp(quarter * 900, self.local).date()
        return case_number(day, case_id)

    def merged(self, life: _CaseLife, created: float, target_life: _CaseLife | None, staff) -> bool:
        """Whether the desk merges this case into an open one about the same thing (and so it does)."""
        if target_life is None:
            return False
        rng = self.rng
        target = target_life.case
        at = _moment(created + 300 + rng.expovariate(1 / 5400))
        status = target_life.status_at(at)
        if (
            (at - target.created_at).total_seconds() > MERGE_WINDOW
            or status == Status.CLOSED
            or rng.random() >= MERGE_SHARE
        ):
            return False
        life.step(at, Action.MERGE, staff, target=target)
        # The case it joins records the merge too (cases.appliers.prepare_merge); the line goes in with
        # this chunk's timelines.
        case = life.case
        details = _json({"from": case.number})
        event = (
            self.ids["event"],
            target.pk,
            target.grid_id,
            Action.MERGED_FROM,
            staff.pk,
            self.when(at),
            status,
            status,
        )
        self.event_rows.append((*event, case.description[:200], details))
        self.ids["event"] += 1
        return True

    def place_before_now(self, life: _CaseLife, overdue: bool) -> None:
        """Move a showcase case, written from time 0, to end just long enough ago."""
        rng = self.rng
        last = life.events[-1][2].timestamp()
        due = life.case.clock_due_at
        due = None if due is None else due.timestamp()
        if due is not None and overdue:
            present = due + rng.uniform(1, 12) * 3600
        elif due is not None:
            present = last + max(0.0, due - last) * rng.uniform(0.1, 0.6)
        else:
            present = last + rng.uniform(0.5, 6) * 3600
        life.shift(datetime.timedelta(seconds=self.now - present - 60))

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
        created: float,
        kind: str,
        name: str,
        limit: tuple,
        staff,
        worker,
        street,
        *,
        turn: str | None = None,
        named: bool | None = None,
    ) -> None:
        """Take one case through the workflow table from acceptance on, drawing each turn and its time.

        Times are drawn as POSIX seconds against the case's limits; each step is made on the case by
        `life.step`. `turn` and `named` given (a showcase case) fix what is otherwise drawn, and leave out
        the turns that would close the case early.
        """
        rng, hour, step, case = self.rng, 3600.0, life.step, life.case
        response, resolution = limit[0], limit[1]
        showcase = turn is not None
        t = created + 300 + rng.expovariate(1 / (1.5 * hour))
        if not showcase and rng.random() < REJECT_SHARE:
            step(_moment(t), Action.REJECT, staff, CASE_NOTES["reject"])
            return
        if named is None:
            named = rng.random() < NAMED_WORKER_SHARE
        step(_moment(t), Action.ACCEPT, staff, worker=worker if named else None)
        accepted = t
        late = rng.random() < LATE_RESPONSE_SHARE
        taken = t + response * (rng.uniform(1.0, 2.0) if late else 0.02 + 0.7 * rng.random() ** 2)
        if not showcase and rng.random() < WITHDRAWN_SHARE:
            reason = rng.choice((UnresolvedReason.WITHDRAWN, UnresolvedReason.UNREACHABLE))
            step(_moment((t + taken) / 2), Action.CLOSE, staff, UNRESOLVED_NOTES[reason], reason=reason)
            return
        t = taken
        step(_moment(t), Action.TAKE, worker)
        if not showcase and rng.random() < RETURN_SHARE:
            t += rng.uniform(1, 8) * hour
            step(_moment(t), Action.RETURN, worker, CASE_NOTES["return"])
            # The worker who returned it takes it again only once the desk has sent it anew.
            t += rng.uniform(1, 3) * hour
            step(_moment(t), Action.DISPATCH, staff, worker=worker)
            t += rng.uniform(1, 3) * hour
            step(_moment(t), Action.TAKE, worker)

        late = rng.random() < LATE_RESOLUTION_SHARE
        done = accepted + resolution * (rng.uniform(1.0, 1.6) if late else 0.1 + 0.85 * rng.random())
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
            paused_at = _moment(t)
            step(paused_at, Action.PAUSE, worker, CASE_NOTES["pause"])
            # Whole minutes, so the timeline's record of the pause is what the deadlines moved by.
            minutes = (
                rng.randint(24 * 60, 10 * 24 * 60)
                if kind == Category.Kind.ASSISTANCE
                else rng.randint(120, 48 * 60)
            )
            step(paused_at + datetime.timedelta(minutes=minutes), Action.RESUME, worker)
            t += minutes * 60.0
            done += minutes * 60.0
        elif turn == "escalate":
            t += (done - t) * rng.uniform(0.1, 0.4)
            step(_moment(t), Action.ESCALATE, worker, CASE_NOTES["escalate"])
        elif turn == "consult":
            t += (done - t) * rng.uniform(0.1, 0.3)
            step(_moment(t), Action.OPEN_CONSULTATION, worker, CASE_NOTES["open_consultation"])
        if late and rng.random() < URGE_SHARE:
            due = case.resolution_due.timestamp()
            urged = max(t + 60, due + (done - due) * rng.uniform(0.1, 0.9))
            if urged < done:
                t = urged
                step(_moment(t), Action.URGE, street, CASE_NOTES["urge"])
        if turn == "unresolved":
            reason = rng.choice(UNRESOLVED_REASONS)
            step(_moment(done), Action.CLOSE, staff, UNRESOLVED_NOTES[reason], reason=reason)
            return
        resolver, resolution_note = worker, rng.choice(RESOLUTIONS)
        if turn == "escalate":
            if rng.random() < HAND_BACK_SHARE:
                step(_moment(t + (done - t) / 2), Action.HAND_BACK, street, CASE_NOTES["hand_back"])
            else:
                resolver, resolution_note = street, STREET_RESOLUTION
        t = done
        step(_moment(t), Action.RESOLVE, resolver, resolution_note)
        resolved_at = t

        # 回访: unresolved or unsatisfied reopens the case (once); otherwise it is archived.
        while True:
            t += rng.uniform(2, 72) * hour
            resolved = case.reopen_count > 0 or rng.random() >= NOT_RESOLVED_SHARE
            satisfaction = Satisfaction.UNSATISFIED
            if resolved:
                satisfaction = rng.choices(SATISFACTIONS, cum_weights=SATISFACTION_CUMULATIVE)[0]
                if case.reopen_count and satisfaction == Satisfaction.UNSATISFIED:
                    satisfaction = Satisfaction.BASICALLY
            step(_moment(t), Action.FOLLOW_UP, staff, resolved=resolved, satisfaction=satisfaction)
            unhappy = not resolved or satisfaction == Satisfaction.UNSATISFIED
            if unhappy and not case.reopen_count and rng.random() < REOPEN_SHARE:
                # The clock runs on from where it stood at the resolution (cases.appliers.apply_reopen):
                # the deadlines move on by the wait for the follow-up, in whole minutes as the timeline
                # records it.
                waited = int((t - resolved_at) // 60) + rng.randint(1, 30)
                t = resolved_at + waited * 60
                step(
                    case.resolved_at + datetime.timedelta(minutes=waited),
                    Action.REOPEN,
                    staff,
                    CASE_NOTES["reopen"],
                )
                t += rng.uniform(4, 72) * hour
                step(_moment(t), Action.RESOLVE, worker, rng.choice(RESOLUTIONS))
                resolved_at = t
                continue
            t += rng.uniform(60, 1800)
            if resolved:
                step(_moment(t), Action.CLOSE, staff)
            else:
                reason = rng.choice(UNRESOLVED_REASONS[:2])
                step(_moment(t), Action.CLOSE, staff, UNRESOLVED_NOTES[reason], reason=reason)
            return
