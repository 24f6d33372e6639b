"""The demo community's people and stories, where users will look for them: one load shared by every test.

Each test runs in a savepoint inside the module's transaction, so what a test changes is undone before the
next; loading the demo takes about ten seconds, once instead of twenty times.
"""

import datetime
import itertools
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.db.models import Max, Q
from django.test import RequestFactory
from django.utils import timezone

from cases.models import (
    SETTLED_STATUSES,
    AgreementTerm,
    Case,
    CaseEvent,
    Deliberation,
    DeliberationStatus,
    Meeting,
    Participant,
)
from cases.workflow import Action
from grids.models import (
    Assignment,
    Grid,
    Role,
    WorkTeam,
    WorkTeamMember,
)
from grids.permissions import roles_over_grid
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
from shops.models import Shop
from tests.test_demo import EXPECTED_RESIDENTS_DIGEST, residents_digest
from tooling import demo
from visits import selectors
from visits.models import Patrol, PatrolFinding, Visit, VisitGift, VisitPlan

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def _demo_loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        demo.load()
        yield
        transaction.set_rollback(True)


def test_the_same_people_on_every_machine():
    assert residents_digest() == EXPECTED_RESIDENTS_DIGEST


def _sign_in_request():
    """Signing in goes through django-axes, which keys its lockout on the request's address."""
    return RequestFactory().post("/accounts/login/")


def test_demo_accounts_sign_in_with_the_demo_password_and_hold_their_roles():
    assert demo.DEMO_PASSWORD == "demo12345"
    expected = {
        "worker": ("马晓燕", {(Role.GRID_WORKER, "JCG-01", None, None)}),
        "staff": ("张丽娟", {(Role.COMMUNITY_STAFF, None, "金城关社区", None)}),
        "leader": ("魏玲", {(Role.COMMUNITY_LEADER, None, "金城关社区", None)}),
        "street": ("杨志刚", {(Role.STREET_LEADER, None, None, "靖远路街道")}),
    }
    for username, (first_name, roles) in expected.items():
        user = authenticate(_sign_in_request(), username=username, password=demo.DEMO_PASSWORD)
        assert user is not None, username
        assert user.first_name == first_name
        assert not user.is_staff and not user.is_superuser
        held = set(user.assignments.values_list("role", "grid__code", "community__name", "street__name"))
        assert held == roles

    admin = authenticate(_sign_in_request(), username="admin", password=demo.DEMO_PASSWORD)
    assert admin is not None and admin.is_superuser and admin.is_staff
    assert not admin.assignments.exists()

    # What each of them sees: the worker one grid, staff and leader their community, the street its own.
    users = {u.username: u for u in get_user_model().objects.filter(username__in=expected)}
    visible = {
        name: set(Grid.objects.visible_to(u).values_list("code", flat=True)) for name, u in users.items()
    }
    jcg = {"JCG-01", "JCG-02", "JCG-03", "JCG-04"}
    assert visible == {"worker": {"JCG-01"}, "staff": jcg, "leader": jcg, "street": jcg}

    # Every grid has its 网格长 and 专职网格员; the team works in 金城关社区's grids.
    for grid in Grid.objects.all():
        roles = set(grid.assignments.values_list("role", flat=True))
        assert {Role.GRID_LEADER, Role.GRID_WORKER} <= roles, grid.code
    team = WorkTeam.objects.get()
    assert (team.name, team.street.name) == ("“一亲三心”工作队", "靖远路街道")
    assert set(team.members.values_list("kind", flat=True)) == set(WorkTeamMember.Kind.values)
    assert set(team.members.values_list("grid__code", flat=True)) == jcg
    assert team.members.get(name="杨志刚").user.username == "street"


def test_su_nainai_lives_alone_in_the_workers_grid_with_a_liaison_party_member():
    worker = get_user_model().objects.get(username="worker")
    su = Resident.objects.get(name="苏秀兰")
    assert (su.sex, su.birth_date, su.id_number[:6]) == ("female", datetime.date(1944, 3, 12), "620102")
    assert su.household.grid.code == "JCG-01"
    assert Assignment.objects.get(user=worker).grid == su.household.grid
    assert Household.objects.visible_to(worker).filter(pk=su.household_id).exists()
    assert [m.name for m in su.household.members.current()] == ["苏秀兰"]

    today = timezone.localdate()
    active = CareEnrolment.objects.active_on(today).filter(household=su.household)
    assert set(active.values_list("category", "resident__name")) == {
        (CareCategory.ELDERLY_LIVING_ALONE, "苏秀兰"),
        (CareCategory.VERY_OLD, "苏秀兰"),
    }

    link = LiaisonLink.objects.get(household=su.household, until__isnull=True)
    assert link.party_member.name == "高建华"
    assert link.party_member.political_status == Resident.PoliticalStatus.PARTY_MEMBER
    assert link.party_member.household.grid.code == "JCG-01"


def test_zhu_household_at_jingyuan_road_9():
    zhu = Resident.objects.get(name="朱建国")
    household = zhu.household
    assert str(household.dwelling) == "靖远路9号 2单元 302室"
    assert household.dwelling.building.address == "靖远路9号"
    assert household.grid.code == "JCG-01"
    assert household.note == "妻子患癌长期化疗，儿子在读大学"
    members = household.members.order_by("birth_date")
    assert [(m.name, m.relation_to_head, m.sex, m.status) for m in members] == [
        ("朱建国", "head", "male", "active"),
        ("李秀梅", "spouse", "female", "active"),
        ("朱浩宇", "child", "male", "active"),
    ]
    assert not household.enrolments.exists()


def test_du_is_disabled_and_zhao_lives_in_caochangjie():
    du = Resident.objects.get(name="杜志强")
    assert du.household.grid.community.name == "草场街社区"
    assert du.household.grid.community.street.name == "草场街街道"
    disabled = CareEnrolment.objects.get(resident=du, category=CareCategory.DISABLED)
    assert (disabled.disability_type, disabled.disability_grade, disabled.until) == (
        DisabilityType.PHYSICAL,
        DisabilityGrade.GRADE_2,
        None,
    )
    assert (
        CareEnrolment.objects.active_on(timezone.localdate())
        .filter(resident=du, category=CareCategory.ELDERLY_LIVING_ALONE)
        .exists()
    )
    mother = du.household.members.get(relation_to_head=Resident.Relation.PARENT)
    assert (mother.name, mother.status, mother.status_date) == (
        "王桂英",
        Resident.Status.DECEASED,
        datetime.date(2025, 2, 16),
    )

    zhao = Resident.objects.get(name="赵丽萍")
    assert zhao.sex == "female"
    assert zhao.household.grid.code == "CCJ-02"
    assert str(zhao.household.dwelling) == "草场后街21号院2号楼 1单元 602室"


def test_every_resident_has_a_valid_id_matching_birth_date_and_sex():
    residents = list(Resident.objects.all())
    assert len({r.id_number for r in residents}) == len(residents) == 359
    for r in residents:
        assert identity.normalize_id_number(r.id_number) == r.id_number
        assert identity.id_birth_date(r.id_number) == r.birth_date, r.name
        assert identity.id_sex(r.id_number) == r.sex, r.name
        if r.phone:
            assert identity.normalize_phone(r.phone) == r.phone
        assert (r.status == Resident.Status.ACTIVE) == (r.status_date is None)
    assert sum(r.id_number.startswith("620102") for r in residents) > 250


def test_every_care_category_is_enrolled_with_its_details():
    today = timezone.localdate()
    enrolments = CareEnrolment.objects.select_related("resident")
    assert set(enrolments.values_list("category", flat=True)) == set(CareCategory.values)
    assert set(enrolments.active_on(today).values_list("category", flat=True)) == set(CareCategory.values)
    for e in enrolments:
        if e.category == CareCategory.DISABLED:
            assert e.disability_type and e.disability_grade and e.resident_id
        if e.category in (CareCategory.MINIMUM_ALLOWANCE, CareCategory.EXTREME_POVERTY_SUPPORT):
            assert e.allowance_monthly_amount > Decimal(0) and e.allowance_certificate
        if e.resident_id:
            assert e.resident.household_id == e.household_id
            if e.resident.status == Resident.Status.DECEASED:
                assert e.until == e.resident.status_date
    assert set(enrolments.filter(until__isnull=False).values_list("category", flat=True)) == {
        CareCategory.VERY_OLD,
        CareCategory.EMPTY_NEST_ELDERLY,
        CareCategory.MINIMUM_ALLOWANCE,
        CareCategory.PARTY_MEMBER_IN_HARDSHIP,
    }
    assert (
        Household.objects.filter(status=Household.Status.MOVED_OUT, moved_out_on__isnull=False).count() == 2
    )
    assert Resident.objects.filter(status=Resident.Status.DECEASED).count() > 5


def test_su_nainai_is_visited_weekly_and_due_today_in_the_workers_list():
    worker = get_user_model().objects.get(username="worker")
    su = Resident.objects.get(name="苏秀兰")
    today = timezone.localdate()

    due = {h.pk: h for h in selectors.due_households(worker)}
    assert su.household_id in due
    assert due[su.household_id].interval_days == 7
    assert selectors.DueWindow(today).status(due[su.household_id].next_due) == "today"

    visits = list(su.household.visits.order_by("visited_at"))
    assert len(visits) >= 10
    assert {v.kind for v in visits} == {Visit.Kind.WELLBEING}
    days = [timezone.localtime(v.visited_at).date() for v in visits]
    assert days[-1] == today - datetime.timedelta(days=7)
    assert all(6 <= (later - earlier).days <= 8 for earlier, later in itertools.pairwise(days))
    assert all(list(v.residents_met.all()) == [su] for v in visits)
    assert all(worker in v.visitors.all() for v in visits)
    assert sum("收拾整理房间" in v.notes for v in visits) >= 3


def test_du_gets_supplies_three_times_a_week():
    du = Resident.objects.get(name="杜志强")
    plan = VisitPlan.objects.get(household=du.household)
    assert (plan.interval_override_days, plan.override_reason) == (2, "每周三次上门送生活物资")

    visits = list(du.household.visits.order_by("visited_at"))
    assert len(visits) == 24
    assert {(v.kind, v.notes) for v in visits} == {(Visit.Kind.HOME_SERVICE, "送生活物资，聊天鼓励")}
    days = [timezone.localtime(v.visited_at).date() for v in visits]
    assert {d.weekday() for d in days} == {0, 2, 4}  # Monday, Wednesday, Friday
    weeks = Counter(d.isocalendar()[:2] for d in days)
    assert max(weeks.values()) == 3 and list(weeks.values()).count(3) >= 7
    assert days[-1] >= timezone.localdate() - datetime.timedelta(days=3)
    assert all(list(v.residents_met.all()) == [du] for v in visits)

    schedule = selectors.care_schedule(Household.objects.filter(pk=du.household_id)).get()
    assert schedule.interval_days == 2


def test_zhu_family_hardship_was_found_on_a_needs_visit():
    zhu = Resident.objects.get(name="朱建国")
    visit = zhu.household.visits.get()
    assert (visit.kind, visit.condition) == (Visit.Kind.NEEDS, Visit.Condition.ATTENTION)
    assert visit.needs_found == "妻子患癌长期化疗，儿子在读大学，家庭收入难以维持，申请临时救助"
    assert visit.author.username == "worker"
    assert [u.username for u in visit.visitors.all()] == ["worker"]
    assert timezone.localdate() - timezone.localtime(visit.visited_at).date() >= datetime.timedelta(days=14)


def test_due_and_overdue_lists_look_real():
    worker = get_user_model().objects.get(username="worker")
    today = timezone.localdate()
    assert selectors.overdue_households(worker).filter(grid__code="JCG-01").exists()
    assert len(selectors.due_households(worker)) >= 4

    window = selectors.DueWindow(today)
    statuses = Counter(window.status(h.next_due) for h in selectors.care_schedule(Household.objects.all()))
    enrolled = sum(statuses.values())
    assert enrolled == 41
    assert 0.15 <= statuses["overdue"] / enrolled <= 0.25
    assert statuses["today"] and statuses["soon"] and statuses["later"]
    # Every household in care has been visited within the last three months.
    assert all(
        h.last_visited_at and today - timezone.localtime(h.last_visited_at).date() <= datetime.timedelta(90)
        for h in selectors.care_schedule(Household.objects.all())
    )


def test_every_visit_is_made_by_people_serving_its_grid_and_kept_in_the_plan():
    now = timezone.now()
    visits = Visit.objects.select_related("household__grid", "author").prefetch_related(
        "visitors", "residents_met", "team_members", "gifts"
    )
    for visit in visits:
        grid = visit.household.grid
        assert roles_over_grid(visit.author, grid), visit.pk
        assert visit.author in visit.visitors.all()
        for user in visit.visitors.all():
            assert roles_over_grid(user, grid), (visit.pk, user.username)
        assert all(r.household_id == visit.household_id for r in visit.residents_met.all())
        assert all(m.grid.community_id == grid.community_id for m in visit.team_members.all())
        assert visit.visited_at < now
        assert bool(visit.gifts.all()) == (visit.kind == Visit.Kind.CONDOLENCE)
    latest = dict(
        Visit.objects.values("household").annotate(m=Max("visited_at")).values_list("household", "m")
    )
    plans = dict(VisitPlan.objects.values_list("household", "last_visited_at"))
    # Every visited household's plan holds its latest visit; enrolled ones never visited hold none.
    assert {h: at for h, at in plans.items() if at is not None} == latest
    assert not Visit.objects.filter(household__in=[h for h, at in plans.items() if at is None]).exists()
    assert set(Visit.objects.values_list("kind", flat=True)) == set(Visit.Kind.values)


def test_condolence_visits_bring_rice_and_oil():
    condolences = Visit.objects.filter(kind=Visit.Kind.CONDOLENCE)
    assert condolences.count() >= 5
    for visit in condolences:
        gifts = {(g.item, g.quantity, g.value) for g in visit.gifts.all()}
        assert {("米", 1, Decimal("60.00")), ("食用油", 1, Decimal("80.00"))} <= gifts
        categories = set(
            CareEnrolment.objects.active_on(timezone.localdate())
            .filter(household=visit.household_id)
            .values_list("category", flat=True)
        )
        assert categories & demo.CONDOLENCE_CATEGORIES
    assert VisitGift.objects.filter(item="慰问金").exists()


def test_patrols_found_litter_and_parked_cars_around_huanghe_shidu():
    patrols = Patrol.objects.select_related("grid__community", "worker")
    assert {p.grid.community.name for p in patrols} == {"金城关社区"}
    for patrol in patrols:
        assert roles_over_grid(patrol.worker, patrol.grid)
        assert patrol.started_at < patrol.ended_at < timezone.now()
    findings = PatrolFinding.objects.filter(location__contains="黄河食渡")
    assert findings.filter(description__contains="环境卫生脏乱差").exists()
    assert findings.filter(description__contains="机动车乱停放").exists()


def test_shops_around_huanghe_shidu_pledge_and_their_inspections_became_cases():
    shops = Shop.objects.with_current_pledge().select_related("grid")
    assert {shop.grid.code for shop in shops} == {"JCG-02"}
    assert all("黄河食渡" in shop.name or shop.building_id or shop.address for shop in shops)
    noodles = shops.get(name="黄河食渡·马记牛肉面")
    # First signed a year ago, renewed after the clean-up (the patrol of 13 days ago).
    assert [p.signed_on for p in noodles.pledges.all()][0] > timezone.localdate() - datetime.timedelta(13)
    assert noodles.pledges.count() == 2
    assert shops.get(name="黄河食渡·河畔烧烤").pledge_signed_on is None
    assert shops.filter(closed_on__isnull=False).count() == 1
    # The litter the patrol found at the barbecue became the sanitation case, resolved and archived.
    litter = PatrolFinding.objects.get(shop__name="黄河食渡·河畔烧烤")
    case = Case.objects.get(origin_finding=litter)
    assert (case.category.name, case.status, case.outcome) == ("环境卫生", "closed", "resolved")
    assert PatrolFinding.objects.filter(shop=noodles, description__contains="门前三包").exists()


def timeline(case: Case) -> list[tuple[str, str, str]]:
    return list(case.events.order_by("at", "id").values_list("action", "actor__username", "to_status"))


def test_zhao_solar_heater_was_mediated_twice_and_settled():
    case = Case.objects.get(requester__name="赵丽萍")
    assert (case.grid.code, case.category.name, case.channel) == ("CCJ-02", "邻里纠纷", "walk_in")
    assert (case.status, case.outcome, case.follow_up_resolved, case.satisfaction) == (
        "closed",
        "resolved",
        True,
        "satisfied",
    )
    assert case.resolved_at <= case.resolution_due  # settled within the 15 days of a complex request
    assert timeline(case) == [
        ("register", "ccj_staff", "submitted"),
        ("accept", "ccj_staff", "dispatched"),
        ("take", "gw6", "in_progress"),
        ("open_consultation", "gw6", "in_consultation"),
        ("record_meeting", "gw6", "in_consultation"),
        ("record_meeting", "gw6", "in_consultation"),
        ("resolve", "gw6", "resolved"),
        ("follow_up", "ccj_staff", "resolved"),
        ("close", "ccj_staff", "closed"),
    ]

    first, second = case.meetings.order_by("round")
    assert [(m.round, m.outcome, m.chair) for m in (first, second)] == [
        (1, Meeting.Outcome.ADJOURNED, "马玉兰"),
        (2, Meeting.Outcome.AGREEMENT, "马玉兰"),
    ]
    assert first.held_at < second.held_at < case.resolved_at
    assert not first.terms.exists()
    for meeting in (first, second):
        roles = dict(meeting.participants.values_list("role", "organisation"))
        assert roles[Participant.Role.VOLUNTEER_LAWYER] == "法援帮帮团"
        assert {Participant.Role.REQUESTER, Participant.Role.OTHER_PARTY, Participant.Role.MEDIATOR} <= set(
            roles
        )
        assert meeting.participants.get(role=Participant.Role.REQUESTER).resident.name == "赵丽萍"
    terms = list(second.terms.order_by("due"))
    assert [(t.party, "旧太阳能热水器" in t.action) for t in terms] == [
        ("赵丽萍", True),
        ("楼顶保温层施工队", True),
    ]
    assert "安装" in terms[1].action
    assert all(t.due <= timezone.localtime(case.resolved_at).date() for t in terms)


def test_zhu_assistance_was_raised_from_the_needs_visit_and_waits_for_documents():
    zhu = Resident.objects.get(name="朱建国")
    case = Case.objects.get(requester=zhu)
    visit = zhu.household.visits.get()
    assert (case.origin_visit, case.channel, case.category.name) == (visit, "visit", "临时救助")
    assert (case.household, case.grid.code, case.created_by.username) == (zhu.household, "JCG-01", "worker")
    assert case.created_at > visit.visited_at
    assert case.description == visit.needs_found
    assert (case.status, case.handler.username) == ("in_progress", "worker")
    assert case.pause_reason.startswith("待补充材料")
    assert case.clock_state(timezone.now()) == "paused"
    assert [a for a, _u, _s in timeline(case)] == ["register", "accept", "take", "pause", "resume", "pause"]
    # The first pause moved the deadline on by its length.
    resumed = case.events.get(action=Action.RESUME)
    assert case.resolution_due == case.accepted_at + case.resolution_limit + datetime.timedelta(
        minutes=resumed.details["paused_minutes"]
    )


def test_huanghe_shidu_cases_come_from_the_patrol_and_the_repeat_call_is_merged():
    patrol_cases = Case.objects.filter(channel="patrol").select_related("origin_finding", "category")
    assert {c.category.name for c in patrol_cases} == {"环境卫生", "乱停放"}
    for case in patrol_cases:
        assert "黄河食渡" in case.origin_finding.location
        assert case.origin_finding.patrol.grid == case.grid
        assert case.created_at > case.origin_finding.patrol.ended_at
        assert case.anonymous and case.created_by.username == "gw2"
        assert (case.status, case.outcome) == ("closed", "resolved")
    sanitation = patrol_cases.get(category__name="环境卫生")
    parking = patrol_cases.get(category__name="乱停放")
    assert "机动车乱停放" in parking.origin_finding.description
    # Parking needed the traffic police: escalated, urged by the community's secretary, solved by the street.
    assert [(a, u) for a, u, _s in timeline(parking)][3:6] == [
        ("escalate", "gw2"),
        ("urge", "leader"),
        ("resolve", "street"),
    ]
    repeat = Case.objects.get(merged_into=sanitation)
    assert (repeat.channel, repeat.outcome, repeat.requester_name) == ("phone", "merged", "刘先生")
    assert sanitation.events.filter(action=Action.MERGED_FROM, details__from=repeat.number).exists()


def test_service_orders_occur_in_every_state_with_running_late_and_overdue_clocks():
    now = timezone.now()
    orders = Case.objects.filter(resident_request__isnull=True).filter(
        category__name__in=["下水疏通", "陪同就医", "送餐送药", "上门认证"]
    )
    assert Counter(orders.values_list("status", flat=True)) == {
        "submitted": 2,
        "dispatched": 3,
        "in_progress": 4,
        "escalated": 1,
        "in_consultation": 1,
        "resolved": 2,
        "closed": 7,
    }
    assert Counter(orders.filter(status="closed").values_list("outcome", "unresolved_reason")) == {
        ("resolved", ""): 4,
        ("unresolved", "unreachable"): 1,
        ("unresolved", "withdrawn"): 1,
        ("rejected", ""): 1,
    }
    clocks = Counter(case.clock_state(now) for case in orders)
    assert clocks == {"": 11, "running": 5, "warning": 2, "overdue": 2}
    dispatched = orders.filter(status="dispatched")
    assert dispatched.filter(assigned_worker__isnull=True).count() == 2
    assert dispatched.get(assigned_worker__isnull=False).assigned_worker.username == "worker"
    urged = Case.objects.filter(urge_count__gt=0, status="dispatched").get()
    assert urged.clock_state(now) == "overdue"
    assert urged.events.get(action=Action.URGE).actor.username == "leader"
    reopened = Case.objects.get(reopen_count=1)
    assert (reopened.status, reopened.handler.username, reopened.follow_up_resolved) == (
        "in_progress",
        "worker",
        False,
    )
    assert [a for a, _u, _s in timeline(reopened)][-2:] == ["follow_up", "reopen"]
    # The days spent waiting for the follow-up call do not count against the handler.
    waited = reopened.events.get(action=Action.REOPEN).details["waited_minutes"]
    assert reopened.resolution_due == reopened.accepted_at + reopened.resolution_limit + datetime.timedelta(
        minutes=waited
    )


def test_worker_and_staff_have_work_waiting():
    worker = get_user_model().objects.get(username="worker")
    staff = get_user_model().objects.get(username="staff")
    # Those residents raised themselves are test_demo.py's.
    mine = Case.objects.visible_to(worker).filter(resident_request__isnull=True)
    # 待接单 in the worker's grid (sent to the grid or to her), and her own cases in hand.
    waiting = mine.filter(status="dispatched")
    assert waiting.filter(Q(assigned_worker=None) | Q(assigned_worker=worker)).count() == 2
    assert mine.filter(status="in_progress", handler=worker).count() == 5
    desk = Case.objects.visible_to(staff).filter(resident_request__isnull=True)
    # and one each of the demo 12345 platform's work orders (waiting to be accepted, resolved)
    assert desk.filter(status="submitted").count() == 3
    assert desk.filter(status="resolved").count() == 3


def test_every_case_timeline_agrees_with_the_case():
    now = timezone.now()
    for case in Case.objects.all():
        case.full_clean()
        events = list(case.events.order_by("at", "id"))
        assert events[0].action == Action.REGISTER and events[0].at == case.created_at, case.number
        assert case.number == f"{timezone.localtime(case.created_at):%Y%m%d}{case.pk:06d}"
        assert all(e.at < now for e in events)
        assert all(earlier.to_status == later.from_status for earlier, later in itertools.pairwise(events))
        assert events[-1].to_status == case.status, case.number
        # registered by someone serving the grid, or by an outside channel's account (outside_actor)
        assert roles_over_grid(case.created_by, case.grid) or not case.created_by.is_active, case.number
    assert not CaseEvent.objects.exclude(case__in=Case.objects.all()).exists()


def test_a_year_of_deliberations_in_caochangjie_in_every_state():
    leader = get_user_model().objects.get(username="ccj_leader")
    mine = Deliberation.objects.visible_to(leader)
    assert mine.count() == Deliberation.objects.filter(community__name="草场街社区").count() == 20
    assert set(mine.values_list("status", flat=True)) == set(DeliberationStatus.values)
    assert mine.filter(status__in=SETTLED_STATUSES).count() > 10
    lane = mine.get(title__contains="特色小巷")
    garden = mine.get(title__contains="小区花园")
    assert lane.status == garden.status == DeliberationStatus.REPORTED_BACK
    assert [m.outcome for m in lane.meetings.order_by("round")] == ["adjourned", "agreement"]
    assert not AgreementTerm.objects.open().filter(meeting__deliberation__in=[lane, garden]).exists()
    now = timezone.now()
    for d in mine:
        d.full_clean()
        events = list(d.events.order_by("at", "id"))
        assert events[0].action == "gather" and events[-1].to_status == d.status, d.title
        assert all(earlier.to_status == later.from_status for earlier, later in itertools.pairwise(events))
        assert all(e.at < now for e in events)
        assert d.gathered_at > now - datetime.timedelta(days=366)


def test_the_three_lists_hold_needs_resources_and_projects_in_every_state():
    from projects.models import Need, NeedOrigin, Project, ProjectStatus, Resource

    caochang = Project.objects.filter(community__name="草场街社区")
    assert set(caochang.values_list("status", flat=True)) == set(ProjectStatus.values)
    assert {p.need.title: p.status for p in caochang if p.status == "confirmed"} == {
        "小区花园改造": "confirmed"
    }
    assert caochang.get(status="confirmed").need.closure == "done"
    assert caochang.get(status="cancelled").need.status == "open"
    assert caochang.get(status="confirmed").events.filter(action="progress").count() == 2
    needs = Need.objects.filter(community__name="草场街社区")
    assert set(needs.values_list("origin", flat=True)) == set(NeedOrigin.values)
    assert needs.filter(origin="visit", origin_visit__household__grid__community__name="草场街社区").exists()
    assert needs.get(closure="unmatched").close_reason
    providers = {r.provider.name for r in Resource.objects.filter(community__name="草场街社区")}
    assert {
        "省水利厅",
        "兰州市南北两山指挥部",
        "法援帮帮团",
        "女职工志愿服务队",
        "石榴花开邻里互助队",
    } <= providers
    assert Resource.objects.filter(community__name="草场街社区", available=False).count() == 1
    assert Project.objects.filter(community__name="金城关社区").exists()
