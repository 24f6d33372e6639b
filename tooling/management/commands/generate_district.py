"""Generate a synthetic district (streets down to residents) for benchmarks, at realistic proportions.

About 250 households per grid, 5 buildings per grid, 50 grids per community and 10 communities per
street; one household per dwelling, one to four residents per household, care enrolments for about 8%
of households and Party-member links for a few; one generated 专职网格员 per grid, one 社区工作人员 per
community and one 街道领导 per street; about two door-knock visits per household over the last half year,
most of them to the households in care, at their visit interval; and about one request (case) per
household over the last two years, each with its timeline, as far through the workflow as its age allows.
Every run adds new streets, so running it again grows the district. The big tables are loaded with
PostgreSQL COPY, their foreign keys checked once at the end; SQLite gets plain INSERTs (slow, but enough
for a small demo).

Each table has its own method on DistrictGenerator, in dependency order, so more kinds of rows can be
added one method at a time.
"""

import contextlib
import datetime
import itertools
import json
import math
import operator
import random
import time
from array import array
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
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
from grids.models import Assignment, Building, Community, Dwelling, Grid, Role, Street
from portal.synthetic import make_birth_date, make_id_number, make_mobile, make_name
from residents import identity
from residents.models import (
    CareCategory,
    CareEnrolment,
    DisabilityGrade,
    DisabilityType,
    Household,
    LiaisonLink,
    Resident,
)
from visits import services as visit_services
from visits.models import SEVERE_DISABILITY, SEVERE_DISABILITY_MAX_GRADE, Visit, VisitGift, VisitPlan
from visits.selectors import interval_by_rule

HOUSEHOLDS_PER_GRID = 250
BUILDINGS_PER_GRID = 5
GRIDS_PER_COMMUNITY = 50
COMMUNITIES_PER_STREET = 10
ENROLLED_SHARE = 0.08
LIAISON_SHARE = 0.03
MEAN_HOUSEHOLD_SIZE = 2.7  # what member_plan() gives on average
NAME_SEARCH_INDEX = "resident_name_ngrams_gin"  # residents/migrations/0002_name_search_index.py
BENCH_PASSWORD = "bench-pass"  # synthetic accounts on a throwaway benchmark database
UNUSABLE_PASSWORD = "!"  # the generated grid workers cannot sign in

# Visits: every household in care has a history at its interval over VISIT_HISTORY_DAYS; the others share
# the rest of VISITS_PER_HOUSEHOLD. The latest visit of VISIT_OVERDUE_SHARE of the households in care is
# late, so the overdue lists have work to show.
VISITS_PER_HOUSEHOLD = 2.0
VISIT_HISTORY_DAYS = 180
SHORT_INTERVAL_HISTORY_DAYS = 56  # households visited every two or three days: the last eight weeks
VISIT_OVERDUE_SHARE = 0.15
VISIT_DUE_TODAY_SHARE = 0.05
VISIT_OVERRIDE_SHARE = 0.01
VISIT_OVERRIDES = ((2, "每周三次上门送生活物资"), (3, "每周两次送餐上门"))
GIFTS = (("米", 1, "60.00"), ("食用油", 1, "80.00"))
VISIT_NOTES = {
    Visit.Kind.WELLBEING: (
        "陪老人聊天，帮忙收拾整理房间",
        "询问身体状况和饮食起居，一切正常",
        "了解家庭近况，家中一切正常",
        "检查燃气、水电使用安全",
    ),
    Visit.Kind.NEEDS: ("询问生活中的困难和需求", "征求对社区服务的意见建议"),
    Visit.Kind.POLICY_OUTREACH: (
        "宣传城乡居民医疗保险参保缴费政策",
        "讲解高龄补贴、养老服务补贴申领办法",
        "宣传防范电信网络诈骗知识",
    ),
    Visit.Kind.HOME_SERVICE: ("送生活物资，聊天鼓励", "送餐上门", "代购药品，送药上门"),
    Visit.Kind.CONDOLENCE: ("走访慰问，送去米、油",),
}
NEEDS_FOUND = ("希望社区协助预约上门体检", "卫生间水管漏水，需要上门维修", "楼道灯不亮，夜间出行不便", "")
ATTENTION_NOTES = ("近日血压偏高，已提醒就医并告知家属", "腿脚不便，近期很少下楼，需要多关注")


# Cases: about CASES_PER_HOUSEHOLD requests per household over CASE_HISTORY_DAYS, each taken through the
# workflow (cases/workflow.py) as far as the time since it came in allows: the older ones are archived, the
# recent ones wait in every open state. How long each step takes is drawn against the case's time limits
# (cases.clock): most are met, some are not, so some open cases are overdue. Half the needs found on the
# generated visits become cases raised from those visits.
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


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Names from 兰州市城关区, so pages look like the real thing.
STREET_NAMES = _words(
    "酒泉路街道 张掖路街道 雁南街道 临夏路街道 雁北街道 五泉街道 白银路街道 皋兰路街道 广武门街道 "
    "伏龙坪街道 靖远路街道 草场街街道 火车站街道 拱星墩街道 东岗街道 团结新村街道 东岗西路街道 "
    "铁路东村街道 铁路西村街道 渭源路街道 盐场路街道 嘉峪关路街道 焦家湾街道 青白石街道"
)
COMMUNITY_NAMES = _words(
    "雁园 雁滩 南河 安定门 平凉路 秦安路 金昌路 静宁路 民勤街 天水路 南昌路 定西路 中山林 八一 "
    "五泉山 皋兰山 东方红 庆阳路 永昌路 武都路 邓家花园 曹家巷 宏建 宁卧庄 东湖 大砂坪 甘南路 "
    "畅家巷 双城门 柏道路 七里河 东郊 火车站 鱼池子 拱星墩 段家滩 东部市场 红星巷 农民巷 兰园"
)
ROADS = _words(
    "靖远路 雁滩路 东岗西路 南昌路 天水南路 庆阳路 张掖路 酒泉路 皋兰路 白银路 平凉路 民主东路 "
    "静宁路 火车站东路 五泉南路 嘉峪关西路 焦家湾路 盐场路 九州大道 北滨河东路 南滨河东路 雁西路 "
    "团结路 甘南路 武都路 西津东路 定西路 金昌南路 秦安路 东方红广场"
)

H, S, C, P, G = (
    Resident.Relation.HEAD,
    Resident.Relation.SPOUSE,
    Resident.Relation.CHILD,
    Resident.Relation.PARENT,
    Resident.Relation.GRANDCHILD,
)
PARTY = (Resident.PoliticalStatus.PARTY_MEMBER, Resident.PoliticalStatus.PROBATIONARY)


def split_evenly(total: int, parts: int) -> list[int]:
    """`total` in `parts` near-equal whole shares, the larger ones first."""
    share, extra = divmod(total, parts)
    return [share + (i < extra) for i in range(parts)]


def member_plan(rng: random.Random) -> list[tuple[str, bool, int]]:
    """(relation to the head, is male, age) of each member of one household, head first."""
    male = rng.random() < 0.6
    age = rng.randint

    def couple(head_age: int) -> list[tuple[str, bool, int]]:
        return [(H, male, head_age), (S, not male, max(20, head_age + rng.randint(-5, 5)))]

    def children(head_age: int, n: int) -> list[tuple[str, bool, int]]:
        return [(C, rng.random() < 0.5, age(max(0, head_age - 40), head_age - 22)) for _ in range(n)]

    kind = rng.random()
    if kind < 0.08:  # an elderly person living alone
        return [(H, rng.random() < 0.4, age(65, 95))]
    if kind < 0.16:  # a younger adult, now and then with a sibling or a lodger
        plan = [(H, male, age(20, 59))]
        if rng.random() < 0.2:
            relation = rng.choice((Resident.Relation.SIBLING, Resident.Relation.OTHER))
            plan.append((relation, rng.random() < 0.5, age(18, 59)))
        return plan
    if kind < 0.30:  # an elderly couple whose children live elsewhere
        return couple(age(60, 90))
    if kind < 0.44:  # a couple without children at home
        return couple(age(24, 59))
    if kind < 0.84:  # parents with one or two children
        head_age = age(28, 58)
        return couple(head_age) + children(head_age, 1 + (rng.random() < 0.5))
    if kind < 0.90:  # one parent with one or two children
        head_age = age(28, 55)
        return [(H, male, head_age)] + children(head_age, 1 + (rng.random() < 0.5))
    head_age = age(50, 75)  # three generations
    if rng.random() < 0.5:
        return couple(head_age) + [
            (C, rng.random() < 0.5, head_age - age(22, 30)),
            (G, rng.random() < 0.5, age(0, max(0, head_age - 48))),
        ]
    return couple(head_age) + [
        (P, rng.random() < 0.3, min(100, head_age + age(22, 30))),
        (C, rng.random() < 0.5, age(max(0, head_age - 40), head_age - 22)),
    ]


def political_status(rng: random.Random, age: int) -> str:
    r = rng.random()
    if age >= 18 and r < 0.09:
        return Resident.PoliticalStatus.PARTY_MEMBER
    if age >= 18 and r < 0.095:
        return Resident.PoliticalStatus.PROBATIONARY
    if age >= 18 and r < 0.098:
        return Resident.PoliticalStatus.DEMOCRATIC_PARTY
    if 14 <= age <= 28 and r < 0.45:
        return Resident.PoliticalStatus.LEAGUE_MEMBER
    return Resident.PoliticalStatus.MASSES


def phone_for(rng: random.Random, age: int) -> str:
    share = 0.0 if age < 12 else 0.3 if age < 18 else 0.6 if age >= 80 else 0.95
    return make_mobile(rng) if rng.random() < share else ""


# The tables written row by row in bulk; their foreign keys are checked once at the end of a run.
BULK_TABLES = (
    Dwelling._meta.db_table,
    Household._meta.db_table,
    Resident._meta.db_table,
    CareEnrolment._meta.db_table,
    LiaisonLink._meta.db_table,
    Visit._meta.db_table,
    Visit.visitors.through._meta.db_table,
    Visit.residents_met.through._meta.db_table,
    VisitGift._meta.db_table,
    VisitPlan._meta.db_table,
    Case._meta.db_table,
    CaseEvent._meta.db_table,
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


class DistrictGenerator:
    """Adds one synthetic district's rows to the database, table by table."""

    def __init__(self, *, households: int, seed: int, street_name: str | None, out):
        self.households_wanted = households
        self.street_name = street_name
        self.out = out
        self.postgres = connection.vendor == "postgresql"
        self.today = timezone.localdate()
        # What auto_now(_add) would store, adapted once for the database at hand.
        self.clock_now = timezone.now()
        self.now = connection.ops.adapt_datetimefield_value(self.clock_now)
        self.added: dict[type[models.Model], int] = {}
        # What later tables need to know of earlier ones: a community's street, a grid's code and
        # community, a building's address, the needs found on visits (which may become cases).
        self.street_of: dict[int, int] = {}
        self.grid_place: dict[int, tuple[str, int]] = {}
        self.address_of: dict[int, str] = {}
        self.username_of: dict[int, str] = {}
        self.needs_visits: list[tuple[int, int, float, str]] = []
        first_street_id = self.next_id(Street)
        # A new seed per run, so a second run does not repeat the first run's people.
        self.rng = random.Random(f"{seed}-{first_street_id}")

    # -- writing ---------------------------------------------------------------------------------

    def next_id(self, model: type[models.Model]) -> int:
        """The first free id of a table; ids are assigned here so rows can refer to each other."""
        if self.postgres:
            with connection.cursor() as cursor:
                # No other writer may take ids between here and the end of this run.
                cursor.execute(f"LOCK TABLE {model._meta.db_table} IN EXCLUSIVE MODE")
        return (model.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1

    def insert_select(self, model: type[models.Model], sql: str, params: list) -> None:
        """Rows made by the database from rows already there (INSERT ... SELECT); ids from the sequence."""
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count = cursor.rowcount
        self.added[model] = self.added.get(model, 0) + count

    def insert(self, model: type[models.Model], columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        """Write rows (ids included) with COPY on PostgreSQL, INSERT elsewhere; then move the id sequence."""
        table = model._meta.db_table
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
                batch = list(rows)
                cursor.executemany(sql, batch)
                count = len(batch)
            for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)
        self.added[model] = self.added.get(model, 0) + count

    # -- one method per table --------------------------------------------------------------------

    def streets(self, count: int) -> list[int]:
        taken = set(Street.objects.values_list("name", flat=True))
        if self.street_name:
            wanted = [self.street_name] + [f"{self.street_name}{k}" for k in range(2, count + 1)]
            if clash := taken.intersection(wanted):
                raise CommandError(
                    f"Street {sorted(clash)[0]!r} already exists; choose another --street-name."
                )
        else:
            pool = [name for name in STREET_NAMES if name not in taken]
            pool += [f"第{k}街道" for k in range(1, len(taken) + count + 1) if f"第{k}街道" not in taken]
            wanted = pool[:count]
        first = self.next_id(Street)
        ids = list(range(first, first + count))
        self.insert(Street, ("id", "name"), zip(ids, wanted, strict=True))
        return ids

    def communities(self, street_ids: list[int], count: int) -> list[int]:
        rows = []
        next_id = self.next_id(Community)
        for street_id, n in zip(street_ids, split_evenly(count, len(street_ids)), strict=True):
            for k in range(n):
                name = COMMUNITY_NAMES[k % len(COMMUNITY_NAMES)] + "社区"
                if k >= len(COMMUNITY_NAMES):
                    name += str(k // len(COMMUNITY_NAMES) + 1)
                rows.append((next_id + len(rows), street_id, name))
        self.insert(Community, ("id", "street_id", "name"), rows)
        self.street_of.update((community_id, street_id) for community_id, street_id, _name in rows)
        return [row[0] for row in rows]

    def grids(self, community_ids: list[int], count: int) -> list[int]:
        rows = []
        next_id = self.next_id(Grid)
        for community_id, n in zip(community_ids, split_evenly(count, len(community_ids)), strict=True):
            for k in range(n):
                grid_id = next_id + len(rows)
                # The id makes the code unique across runs; the name is what the grid is called locally.
                rows.append((grid_id, community_id, f"BG{grid_id:06d}", f"第{k + 1}网格"))
        self.insert(Grid, ("id", "community_id", "code", "name"), rows)
        self.grid_place.update((grid_id, (code, community_id)) for grid_id, community_id, code, _name in rows)
        return [row[0] for row in rows]

    def buildings(self, grid_ids: list[int], households: list[int]) -> list[tuple[int, int, int]]:
        """Buildings of each grid; returns (building id, grid id, number of dwellings) per building."""
        rows, plan = [], []
        next_id = self.next_id(Building)
        for grid_id, grid_households in zip(grid_ids, households, strict=True):
            road = self.rng.choice(ROADS)
            first_number = self.rng.randrange(1, 200, 2)
            for k, dwellings in enumerate(split_evenly(grid_households, BUILDINGS_PER_GRID)):
                if dwellings:
                    building_id = next_id + len(rows)
                    rows.append((building_id, grid_id, f"{road}{first_number + 2 * k}号"))
                    plan.append((building_id, grid_id, dwellings))
                    self.address_of[building_id] = rows[-1][2]
        self.insert(Building, ("id", "grid_id", "address"), rows)
        return plan

    def dwellings(self, buildings: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
        """Flats numbered by entrance, floor and door (1单元 302室); returns (dwelling id, grid id)."""
        plan = []
        next_id = self.next_id(Dwelling)

        def rows():
            for building_id, grid_id, count in buildings:
                for i in range(count):
                    unit, floor, door = i // 18 + 1, i % 18 // 2 + 1, i % 2 + 1
                    dwelling_id = next_id + len(plan)
                    plan.append((dwelling_id, grid_id))
                    yield (dwelling_id, building_id, str(unit), f"{floor}{door:02d}")

        self.insert(Dwelling, ("id", "building_id", "unit", "room"), rows())
        return plan

    def households(self, dwellings: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """One active household per dwelling, in the dwelling's grid; returns (household id, grid id)."""
        first = self.next_id(Household)
        plan = [(first + i, grid_id) for i, (_dwelling_id, grid_id) in enumerate(dwellings)]
        rows = (
            (household_id, dwelling_id, grid_id, Household.Status.ACTIVE, None, "", self.now, self.now)
            for (household_id, grid_id), (dwelling_id, _) in zip(plan, dwellings, strict=True)
        )
        columns = (
            "id",
            "dwelling_id",
            "grid_id",
            "status",
            "moved_out_on",
            "note",
            "created_at",
            "updated_at",
        )
        self.insert(Household, columns, rows)
        return plan

    def residents(self, households: list[tuple[int, int]]) -> list[list[tuple[int, int, bool]]]:
        """Members of each household; returns (resident id, age, is a Party member) for each one."""
        rng, today = self.rng, self.today
        taken = set(Resident.objects.values_list("id_number", flat=True).iterator(chunk_size=50_000))
        members: list[list[tuple[int, int, bool]]] = []
        next_id = self.next_id(Resident)

        def unique_id_number(birth: datetime.date, male: bool) -> tuple[datetime.date, str]:
            # 4 region codes x 500 sequence numbers per birth date and sex; on a clash draw again,
            # and after many clashes move the birthday a day back.
            for attempt in range(1000):
                day = birth - datetime.timedelta(days=attempt // 20)
                number = make_id_number(day, male, rng)
                if number not in taken:
                    taken.add(number)
                    return day, number
            raise CommandError("Could not find a free ID number; the district is too dense.")

        def rows():
            nonlocal next_id
            for household_id, grid_id in households:
                residence = rng.choices(Resident.ResidenceType.values, weights=(78, 14, 8))[0]
                surname = None
                people = []
                for relation, male, age in member_plan(rng):
                    birth, id_number = unique_id_number(make_birth_date(rng, age, age, today), male)
                    # Children and grandchildren take the head's surname, spouses and parents their own.
                    name = make_name(male, rng, surname if relation in (C, G) else None)
                    surname = surname or name[0]
                    status = political_status(rng, age)
                    people.append((next_id, age, status in PARTY))
                    yield (
                        next_id,
                        household_id,
                        grid_id,
                        name,
                        id_number,
                        identity.MALE if male else identity.FEMALE,
                        birth,
                        phone_for(rng, age),
                        relation,
                        status,
                        residence,
                        Resident.Status.ACTIVE,
                        None,
                        self.now,
                        self.now,
                    )
                    next_id += 1
                members.append(people)

        columns = (
            "id",
            "household_id",
            "grid_id",
            "name",
            "id_number",
            "sex",
            "birth_date",
            "phone",
            "relation_to_head",
            "political_status",
            "residence_type",
            "status",
            "status_date",
            "created_at",
            "updated_at",
        )
        # Building the name-search GIN index from scratch costs about half as much per row as updating it
        # row by row (1.3 million residents: 11 s against 22 s), so drop it when the table more than doubles.
        rebuild = self.postgres and len(households) * MEAN_HOUSEHOLD_SIZE > len(taken)
        with index_dropped(NAME_SEARCH_INDEX) if rebuild else contextlib.nullcontext():
            self.insert(Resident, columns, rows())
        return members

    def care_enrolments(
        self, households: list[tuple[int, int]], members: list[list[tuple[int, int, bool]]]
    ) -> dict[int, tuple[str, int | None]]:
        """About 8% of households in one care category each, chosen from what the household is.

        Returns, for each household enrolled today, its visit-interval rule and the resident enrolled.
        """
        rng = self.rng
        rows = []
        active: dict[int, tuple[str, int | None]] = {}
        next_id = self.next_id(CareEnrolment)
        for (household_id, _grid_id), people in zip(households, members, strict=True):
            if rng.random() >= ENROLLED_SHARE:
                continue
            ages = [age for _id, age, _party in people]
            choices = [CareCategory.DISABLED, CareCategory.MINIMUM_ALLOWANCE]
            if len(people) == 1 and ages[0] >= 60:
                choices += [CareCategory.ELDERLY_LIVING_ALONE] * 4 + [CareCategory.EXTREME_POVERTY_SUPPORT]
            if len(people) == 2 and min(ages) >= 60:
                choices += [CareCategory.EMPTY_NEST_ELDERLY] * 3 + [CareCategory.BEREAVED_PARENTS]
            if max(ages) >= 80:
                choices += [CareCategory.VERY_OLD] * 2
            if any(party for _id, _age, party in people):
                choices.append(CareCategory.PARTY_MEMBER_IN_HARDSHIP)
            category = rng.choice(choices)

            # Household-wide categories name no one; the rest name the person, enrolled in their lifetime.
            resident_id, years = None, 12
            if category in (CareCategory.ELDERLY_LIVING_ALONE, CareCategory.DISABLED):
                resident_id, age, _party = rng.choice(people)
                years = min(years, age)
            elif category == CareCategory.VERY_OLD:
                resident_id, age = next((rid, age) for rid, age, _party in people if age >= 80)
                years = min(years, age - 80)
            elif category == CareCategory.PARTY_MEMBER_IN_HARDSHIP:
                resident_id = next(rid for rid, _age, party in people if party)

            disability_type, disability_grade = "", None
            if category == CareCategory.DISABLED:
                disability_type = rng.choice(DisabilityType.values)
                disability_grade = rng.choice(DisabilityGrade.values)
            amount, certificate = None, ""
            if category == CareCategory.MINIMUM_ALLOWANCE:
                amount = Decimal(rng.randrange(45_000, 90_000, 500)) / 100
                certificate = f"LB{rng.randrange(10**8):08d}"
            elif category == CareCategory.EXTREME_POVERTY_SUPPORT:
                amount = Decimal(rng.randrange(90_000, 130_000, 500)) / 100
                certificate = f"TK{rng.randrange(10**8):08d}"

            since = self.today - datetime.timedelta(days=rng.randrange(years * 365 + 1))
            until = None
            if rng.random() < 0.1:  # an enrolment that has ended
                until = min(self.today, since + datetime.timedelta(days=rng.randrange(0, 3 * 365)))
            if until is None or until >= self.today:
                severe = disability_grade is not None and disability_grade <= SEVERE_DISABILITY_MAX_GRADE
                active[household_id] = (SEVERE_DISABILITY if severe else category, resident_id)
            rows.append(
                (
                    next_id + len(rows),
                    household_id,
                    resident_id,
                    category,
                    since,
                    until,
                    disability_type,
                    disability_grade,
                    amount,
                    certificate,
                    "",
                    self.now,
                )
            )
        columns = (
            "id",
            "household_id",
            "resident_id",
            "category",
            "since",
            "until",
            "disability_type",
            "disability_grade",
            "allowance_monthly_amount",
            "allowance_certificate",
            "note",
            "created_at",
        )
        self.insert(CareEnrolment, columns, rows)
        return active

    def liaison_links(
        self, households: list[tuple[int, int]], members: list[list[tuple[int, int, bool]]]
    ) -> None:
        """A few households of each grid linked to a Party member living in the same grid."""
        rng = self.rng
        party_by_grid: dict[int, list[tuple[int, int]]] = {}
        for (household_id, grid_id), people in zip(households, members, strict=True):
            party_by_grid.setdefault(grid_id, []).extend(
                (rid, household_id) for rid, _a, party in people if party
            )
        rows = []
        next_id = self.next_id(LiaisonLink)
        for household_id, grid_id in households:
            candidates = party_by_grid.get(grid_id)
            if not candidates or rng.random() >= LIAISON_SHARE:
                continue
            party_member_id, home = rng.choice(candidates)
            if home != household_id:
                since = self.today - datetime.timedelta(days=rng.randrange(0, 5 * 365))
                rows.append((next_id + len(rows), party_member_id, household_id, since, None))
        self.insert(LiaisonLink, ("id", "party_member_id", "household_id", "since", "until"), rows)

    def grid_workers(self, grid_ids: list[int]) -> dict[int, int]:
        """One 专职网格员 per grid (gw_<grid id>, no usable password); returns user id by grid id."""
        return self.accounts("gw_", Role.GRID_WORKER, "grid_id", grid_ids)

    def desk_accounts(self, community_ids: list[int], street_ids: list[int]) -> tuple[dict, dict]:
        """Who accepts and follows up cases: one 社区工作人员 per community (cs_<community id>), and one
        街道领导 per street (sl_<street id>) who takes escalated cases and urges late ones."""
        staff = self.accounts("cs_", Role.COMMUNITY_STAFF, "community_id", community_ids)
        leaders = self.accounts("sl_", Role.STREET_LEADER, "street_id", street_ids)
        return staff, leaders

    def accounts(self, prefix: str, role: str, level: str, place_ids: list[int]) -> dict[int, int]:
        """A user without a usable password holding `role` at each place; returns user id by place id."""
        user_model = get_user_model()
        taken = set(user_model.objects.filter(username__startswith=prefix).values_list("username", flat=True))
        first = self.next_id(user_model)
        users, rows = {}, []
        for place_id in place_ids:
            username = f"{prefix}{place_id}"
            while username in taken:
                username += "_"
            user_id = first + len(rows)
            users[place_id] = user_id
            self.username_of[user_id] = username
            name = make_name(self.rng.random() < 0.4, self.rng)
            rows.append((user_id, UNUSABLE_PASSWORD, False, username, name, "", "", False, True, self.now))
        columns = (
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        )
        self.insert(user_model, columns, rows)
        first = self.next_id(Assignment)
        levels = ("grid_id", "community_id", "street_id")
        self.insert(
            Assignment,
            ("id", "user_id", "role", *levels),
            (
                (
                    first + i,
                    users[place_id],
                    role,
                    *(place_id if column == level else None for column in levels),
                )
                for i, place_id in enumerate(place_ids)
            ),
        )
        return users

    def visits(
        self,
        households: list[tuple[int, int]],
        members: list[list[tuple[int, int, bool]]],
        enrolled: dict[int, tuple[str, int | None]],
        workers: dict[int, int],
    ) -> tuple[array, array, dict[int, tuple[int, str]]]:
        """About VISITS_PER_HOUSEHOLD visits per household, each by its grid's worker.

        Households in care are visited at their interval; the rest of the visits fall on other households
        at random days. Returns the (visit id, resident met) pairs and the households given their own
        interval, for the tables that follow.
        """
        rng, postgres = self.rng, self.postgres
        intervals = interval_by_rule()
        adapt = connection.ops.adapt_datetimefield_value
        # Midnight of each day back from today, in the portal's time zone: due dates are counted in it.
        midnight = [
            timezone.make_aware(
                datetime.datetime.combine(self.today - datetime.timedelta(days=d), datetime.time())
            )
            for d in range(VISIT_HISTORY_DAYS + 1)
        ]
        minutes = [datetime.timedelta(minutes=m) for m in range(8 * 60 + 30, 17 * 60 + 30)]
        met_visits, met_residents = array("q"), array("q")
        overrides: dict[int, tuple[int, str]] = {}
        first_id = next_id = self.next_id(Visit)
        wellbeing, needs, policy = Visit.Kind.WELLBEING, Visit.Kind.NEEDS, Visit.Kind.POLICY_OUTREACH
        normal, attention, urgent = Visit.Condition.NORMAL, Visit.Condition.ATTENTION, Visit.Condition.URGENT

        def row(household_id: int, grid_id: int, days_ago: int, kind: str, met: int | None, condition: str):
            nonlocal next_id
            visited_at = midnight[days_ago] + rng.choice(minutes)
            notes, needs_found = rng.choice(VISIT_NOTES[kind]), ""
            if kind == needs:
                needs_found = rng.choice(NEEDS_FOUND)
                if needs_found:
                    self.needs_visits.append((next_id, household_id, visited_at.timestamp(), needs_found))
            if condition != normal:
                notes = rng.choice(ATTENTION_NOTES)
            if met is not None:
                met_visits.append(next_id)
                met_residents.append(met)
            next_id += 1
            if not postgres:
                visited_at = adapt(visited_at)
            return (
                next_id - 1,
                household_id,
                visited_at,
                kind,
                condition,
                notes,
                needs_found,
                workers[grid_id],
                self.now,
                self.now,
            )

        def condition_of() -> str:
            roll = rng.random()
            return normal if roll < 0.89 else attention if roll < 0.99 else urgent

        def rows():
            in_care = [
                (h, g, people) for (h, g), people in zip(households, members, strict=True) if h in enrolled
            ]
            for household_id, grid_id, people in in_care:
                rule, resident_id = enrolled[household_id]
                interval = intervals[rule]
                if rng.random() < VISIT_OVERRIDE_SHARE:
                    overrides[household_id] = rng.choice(VISIT_OVERRIDES)
                    interval = overrides[household_id][0]
                history = SHORT_INTERVAL_HISTORY_DAYS if interval <= 3 else VISIT_HISTORY_DAYS
                roll = rng.random()
                if roll < VISIT_OVERDUE_SHARE:
                    days_ago = interval + rng.randint(1, max(3, interval // 2))
                elif roll < VISIT_OVERDUE_SHARE + VISIT_DUE_TODAY_SHARE or interval == 1:
                    days_ago = interval
                else:
                    days_ago = rng.randint(1, interval - 1)
                met = resident_id or people[0][0]
                while days_ago <= history:
                    if household_id in overrides:
                        kind = Visit.Kind.HOME_SERVICE
                    else:
                        roll = rng.random()
                        kind = (
                            wellbeing
                            if roll < 0.55
                            else needs
                            if roll < 0.7
                            else policy
                            if roll < 0.8
                            else Visit.Kind.HOME_SERVICE
                            if roll < 0.95
                            else Visit.Kind.CONDOLENCE
                        )
                    yield row(household_id, grid_id, days_ago, kind, met, condition_of())
                    days_ago += max(1, round(interval * rng.uniform(0.85, 1.15)))
            # The rest of the visits, spread over the other households.
            others = [
                (h, g, people)
                for (h, g), people in zip(households, members, strict=True)
                if h not in enrolled
            ]
            wanted = round(VISITS_PER_HOUSEHOLD * len(households)) - (next_id - first_id)
            mean = max(wanted, 0) / max(len(others), 1)
            for household_id, grid_id, people in others:
                count = int(rng.expovariate(1 / mean) + 0.5) if mean else 0
                for _ in range(count):
                    roll = rng.random()
                    kind = wellbeing if roll < 0.35 else needs if roll < 0.6 else policy
                    met = people[0][0] if rng.random() < 0.6 else None
                    condition = normal if rng.random() < 0.95 else attention
                    yield row(household_id, grid_id, rng.randint(1, VISIT_HISTORY_DAYS), kind, met, condition)

        columns = (
            "id",
            "household_id",
            "visited_at",
            "kind",
            "condition",
            "notes",
            "needs_found",
            "author_id",
            "created_at",
            "updated_at",
        )
        self.insert(Visit, columns, rows())
        self.first_visit_id = first_id
        return met_visits, met_residents, overrides

    def visit_visitors(self) -> None:
        """Who went on each visit: its author, the grid's worker."""
        self.insert_select(
            Visit.visitors.through,
            "INSERT INTO visits_visit_visitors (visit_id, user_id) "
            "SELECT id, author_id FROM visits_visit WHERE id >= %s",
            [self.first_visit_id],
        )

    def visit_residents_met(self, visits: array, residents: array) -> None:
        first = self.next_id(Visit.residents_met.through)
        self.insert(
            Visit.residents_met.through,
            ("id", "visit_id", "resident_id"),
            ((first + i, v, r) for i, (v, r) in enumerate(zip(visits, residents, strict=True))),
        )

    def visit_gifts(self) -> None:
        """Rice and oil brought on each condolence visit."""
        for item, quantity, value in GIFTS:
            self.insert_select(
                VisitGift,
                "INSERT INTO visits_visitgift (visit_id, item, quantity, value) "
                "SELECT id, %s, %s, %s FROM visits_visit WHERE id >= %s AND kind = %s",
                [item, quantity, Decimal(value), self.first_visit_id, Visit.Kind.CONDOLENCE],
            )

    def visit_plans(self, overrides: dict[int, tuple[int, str]]) -> None:
        """Each visited household's plan: the time of its latest visit, and its own interval if it has one."""
        self.insert_select(
            VisitPlan,
            "INSERT INTO visits_visitplan (household_id, interval_override_days, override_reason, "
            "last_visited_at) SELECT household_id, NULL, '', MAX(visited_at) FROM visits_visit "
            "WHERE id >= %s GROUP BY household_id",
            [self.first_visit_id],
        )
        for (days, reason), household_ids in _group_by_value(overrides).items():
            for start in range(0, len(household_ids), 10_000):
                VisitPlan.objects.filter(household_id__in=household_ids[start : start + 10_000]).update(
                    interval_override_days=days, override_reason=reason
                )
        # Store each plan's schedule the way the portal does after every visit.
        visit_services.schedule_refresh(households=Household.objects.filter(enrolments__isnull=False))

    def cases(
        self,
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
        rng = self.rng
        categories = list(Category.objects.filter(active=True).order_by("sort_order", "id"))
        if not categories:
            return
        now = self.clock_now.timestamp()
        staff_of, leader_of = desk
        building_of = [b for building_id, _grid, count in buildings for b in [building_id] * count]
        first_household = households[0][0]

        # When each case came in (working hours of the last two years, or just after a visit found the
        # need), and about what; then in that order, so the ids and numbers run with the dates.
        seeds: list[tuple[float, int, Category, int | None, str]] = []
        by_name = {category.name: category for category in categories}
        for visit_id, household_id, visited_at, needs in self.needs_visits:
            category = by_name.get(NEEDS_CATEGORY.get(needs, ""))
            if category and rng.random() < VISIT_CASE_SHARE:
                created = min(visited_at + rng.uniform(600, 3 * 3600), now - 60)
                seeds.append((created, household_id - first_household, category, visit_id, needs))
        midnight = [
            timezone.make_aware(
                datetime.datetime.combine(self.today - datetime.timedelta(days=d), datetime.time())
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

        postgres, adapt = self.postgres, connection.ops.adapt_datetimefield_value
        utc, local, fromtimestamp = (
            datetime.UTC,
            timezone.get_current_timezone(),
            datetime.datetime.fromtimestamp,
        )

        def when(seconds: float | None):
            if seconds is None:
                return None
            return fromtimestamp(seconds, utc) if postgres else adapt(fromtimestamp(seconds, utc))

        limits = {}
        for category in categories:
            for urgency in Urgency.values:
                found = limits_for(category, urgency)
                limits[category.pk, urgency] = (
                    found.response.total_seconds(),
                    found.resolution.total_seconds(),
                    found.response if postgres else int(found.response.total_seconds() * 10**6),
                    found.resolution if postgres else int(found.resolution.total_seconds() * 10**6),
                )
        channels = {
            kind: (list(weights), list(itertools.accumulate(weights.values())))
            for kind, weights in CHANNEL_WEIGHTS.items()
        }
        # Who serves each grid, and what the timeline records when a case is sent to it or to its worker.
        people = {}
        for grid_id, worker in workers.items():
            code, community_id = self.grid_place[grid_id]
            people[grid_id] = (
                worker,
                staff_of[community_id],
                leader_of[self.street_of[community_id]],
                json.dumps({"grid": code, "worker": ""}),
                json.dumps({"grid": code, "worker": self.username_of[worker]}),
            )
        case_rows: list[tuple] = []
        event_rows: list[tuple] = []
        ids = {"case": self.next_id(Case), "event": self.next_id(CaseEvent)}
        # The latest case of each grid and category: a repeat of it within days is merged into it.
        latest: dict[tuple[int, int], tuple[int, _CaseLife, str]] = {}

        days: dict[int, str] = {}

        def number_of(created: float, case_id: int) -> str:
            # The local date of each quarter hour, formatted once: every time zone's offset, and so its
            # midnight, falls on a quarter hour.
            quarter = int(created // 900)
            if quarter not in days:
                days[quarter] = f"{fromtimestamp(quarter * 900, local):%Y%m%d}"
            return f"{days[quarter]}{case_id:06d}"

        def merged(life: _CaseLife, target: tuple | None, staff: int, case_id: int, description: str) -> bool:
            """Whether the desk merges this case into an open one about the same thing (and so it does)."""
            if target is None:
                return False
            target_id, target_life, target_number = target
            at = life.created + 300 + rng.expovariate(1 / 5400)
            status = target_life.status_at(at)
            if (
                at - target_life.created > MERGE_WINDOW
                or status == Status.CLOSED
                or rng.random() >= MERGE_SHARE
            ):
                return False
            life.event(at, Action.MERGE, staff, Status.CLOSED, details=f'{{"into": "{target_number}"}}')
            life.closed_at, life.outcome, life.merged_into = at, Outcome.MERGED, target_id
            # The case it joins records the merge too; the line goes in with this chunk's timelines.
            note = description[:200]
            details = f'{{"from": "{number_of(life.created, case_id)}"}}'
            event_rows.append(
                (ids["event"], target_id, Action.MERGED_FROM, staff, when(at), status, status, note, details)
            )
            ids["event"] += 1
            return True

        def place_before_now(life: _CaseLife, overdue: bool) -> None:
            """Move a showcase case, written from time 0, to end just long enough ago."""
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
            life.shift(now - present - 60)

        def add_case(
            created, index, category, visit_id, needs, stop="", turn=None, named=None, overdue=False
        ):
            household_id, grid_id = households[index]
            worker, staff, street, accept, accept_named = people[grid_id]
            kind = category.kind
            if visit_id:
                channel = Channel.VISIT
            else:
                names, cumulative = channels.get(kind, channels[Category.Kind.PROBLEM])
                channel = rng.choices(names, cum_weights=cumulative)[0]
            creator = worker if channel in (Channel.VISIT, Channel.PATROL) else staff
            resident, name, phone, anonymous = None, "", "", False
            roll = rng.random()
            if channel == Channel.PATROL or (channel == Channel.HOTLINE and roll < 0.2):
                anonymous = True  # nobody to name: found on patrol, or a hotline caller who gave no name
            elif channel == Channel.HOTLINE and roll < 0.5:
                name, phone = make_name(rng.random() < 0.5, rng), make_mobile(rng)
            else:
                resident = rng.choice(members[index])[0]
            at_home = kind != Category.Kind.PROBLEM or category.name in HOME_PROBLEMS
            building = building_of[index]
            urgency = category.default_urgency
            if rng.random() < MORE_URGENT_SHARE:
                urgency = MORE_URGENT[urgency]
            limit = limits[category.pk, urgency]
            description = needs or rng.choice(CASE_DESCRIPTIONS.get(category.name, OTHER_DESCRIPTION))
            case_id = ids["case"]
            life = _CaseLife(created, math.inf if stop else now, stop)
            life.event(created, Action.REGISTER, creator)
            topic = (grid_id, category.pk)
            try:
                if stop or not merged(life, latest.get(topic), staff, case_id, description):
                    self.case_story(
                        life,
                        kind,
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
                place_before_now(life, overdue)
            number = number_of(life.created, case_id)
            latest[topic] = (case_id, life, number)

            if life.paused_at is None and life.status == Status.DISPATCHED:
                due, span = life.response_due, limit[0]
            elif life.paused_at is None and life.status in HANDLING_STATUSES:
                due, span = life.resolution_due, limit[1]
            else:
                due = span = None
            accepted = life.accepted_at is not None
            case_rows.append(
                (
                    case_id,
                    number,
                    channel,
                    life.status,
                    resident,
                    name,
                    phone,
                    anonymous,
                    grid_id,
                    building,
                    household_id if at_home else None,
                    self.address_of[building],
                    category.pk,
                    urgency,
                    description,
                    visit_id,
                    None,
                    life.assigned,
                    life.handler,
                    creator,
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
            )
            first_event = ids["event"]
            for k, (at, action, actor, before, after, note, details) in enumerate(life.events, first_event):
                event_rows.append((k, case_id, action, actor, when(at), before, after, note, details))
            ids["event"] = first_event + len(life.events)
            ids["case"] += 1

        def flush():
            self.insert(Case, CASE_COLUMNS, case_rows)
            self.insert(CaseEvent, CASE_EVENT_COLUMNS, event_rows)
            case_rows.clear()
            event_rows.clear()

        first_grid = households[0][1]
        in_first_grid = [i for i, (_h, grid_id) in enumerate(households) if grid_id == first_grid]
        for seed in seeds:
            add_case(*seed)
            if len(case_rows) >= CASE_CHUNK:
                flush()
        del seeds
        # The showcase: open cases in every state in the first grid of this run.
        for stop, turn, named, overdue in SHOWCASE:
            category = by_name.get("下水疏通", categories[0])
            if turn == "consult":
                category = by_name.get("邻里纠纷", category)
            elif turn == "pause":
                category = by_name.get("临时救助", category)
            add_case(0.0, rng.choice(in_first_grid), category, None, "", stop, turn, named, overdue)
        flush()

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

    def bench_users(self) -> None:
        """bench_worker and bench_staff in the first street; bench_street leads every street.

        bench_street's scope grows with each run, so its name search covers the whole district.
        """
        street = Street.objects.order_by("id").first()
        community = Community.objects.filter(street=street).order_by("id").first()
        grid = Grid.objects.filter(community=community).order_by("id").first()
        places = [
            ("bench_worker", Role.GRID_WORKER, {"grid": grid}),
            ("bench_staff", Role.COMMUNITY_STAFF, {"community": community}),
        ] + [("bench_street", Role.STREET_LEADER, {"street": s}) for s in Street.objects.order_by("id")]
        for username, role, place in places:
            user, created = get_user_model().objects.get_or_create(username=username)
            if created:
                user.set_password(BENCH_PASSWORD)
                user.save(update_fields=["password"])
            if role != Role.STREET_LEADER and Assignment.objects.filter(user=user, role=role).exists():
                continue
            Assignment.objects.get_or_create(user=user, role=role, **place)

    # -- the whole run ---------------------------------------------------------------------------

    def run(self) -> None:
        """Every table in dependency order, at the proportions at the top of this module."""
        n_grids = math.ceil(self.households_wanted / HOUSEHOLDS_PER_GRID)
        n_communities = math.ceil(n_grids / GRIDS_PER_COMMUNITY)
        n_streets = math.ceil(n_communities / COMMUNITIES_PER_STREET)
        per_grid = split_evenly(self.households_wanted, n_grids)
        if self.postgres:
            # Check each COPY's foreign keys when it ends rather than at commit: a bad row fails here
            # (also inside a test's transaction), and the index rebuild finds no checks pending.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        street_ids = self.streets(n_streets)
        community_ids = self.communities(street_ids, n_communities)
        grid_ids = self.grids(community_ids, n_grids)
        buildings = self.buildings(grid_ids, per_grid)
        keys = foreign_keys_dropped(*BULK_TABLES) if self.postgres else contextlib.nullcontext()
        with keys:
            dwellings = self.step("dwellings", self.dwellings, buildings)
            households = self.step("households", self.households, dwellings)
            members = self.step("residents", self.residents, households)
            enrolled = self.step("care enrolments", self.care_enrolments, households, members)
            self.step("liaison links", self.liaison_links, households, members)
            workers = self.step("grid workers", self.grid_workers, grid_ids)
            desk = self.desk_accounts(community_ids, street_ids)
            met, residents, overrides = self.step(
                "visits", self.visits, households, members, enrolled, workers
            )
            self.step("visit visitors", self.visit_visitors)
            self.step("residents met", self.visit_residents_met, met, residents)
            self.step("visit gifts", self.visit_gifts)
            self.step("visit plans", self.visit_plans, overrides)
            self.step("cases", self.cases, households, members, buildings, workers, desk)
            del members
            started = time.perf_counter()
        self.out.write(f"  {'foreign keys':<18} {time.perf_counter() - started:7.1f} s")
        self.bench_users()

    def step(self, label: str, function, *args):
        started = time.perf_counter()
        result = function(*args)
        self.out.write(f"  {label:<18} {time.perf_counter() - started:7.1f} s")
        return result


def _group_by_value(mapping: dict) -> dict:
    """{value: [keys with that value]}."""
    groups: dict = {}
    for key, value in mapping.items():
        groups.setdefault(value, []).append(key)
    return groups


@contextlib.contextmanager
def index_dropped(name: str):
    """Drop a PostgreSQL index for the duration of a bulk load, then rebuild it from its own definition."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        row = cursor.fetchone()
        if row:
            cursor.execute(f"DROP INDEX {name}")
    yield
    if row:
        with connection.cursor() as cursor:
            cursor.execute(row[0])


@contextlib.contextmanager
def foreign_keys_dropped(*tables: str):
    """Drop the foreign keys of PostgreSQL tables for a bulk load, then add them back from their definitions.

    Checking each row's keys as it is copied costs more than the copy itself (about 3 of 7 seconds for
    the cases of 50,000 households); adding a key back checks every row in one join.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY conrelid, conname",
            [list(tables)],
        )
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


class Command(BaseCommand):
    help = "Add a synthetic district of N households (with streets, grids and residents) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, required=True, help="How many households to add.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument("--street-name", help="Name of the (first) new street; must not exist yet.")

    def handle(self, *args, households: int, seed: int, street_name: str | None, **options):
        if households < 1:
            raise CommandError("--households must be at least 1.")
        started = time.perf_counter()
        with transaction.atomic():
            generator = DistrictGenerator(
                households=households, seed=seed, street_name=street_name, out=self.stdout
            )
            generator.run()
        with connection.cursor() as cursor:
            for model in generator.added:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Generated {households:,} households in {elapsed:.1f} s.")
        self.stdout.write(f"{'table':<28} {'added':>10} {'total':>10}")
        for model, added in generator.added.items():
            total = model.objects.count()
            self.stdout.write(f"{model._meta.db_table:<28} {added:>10,} {total:>10,}")
