"""The benchmark district generator and the timing headers `make bench` reads."""

import datetime
import itertools
import re
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from cases.clock import limits_for, set_running_clock
from cases.models import Case, CaseEvent, Category, Channel, Outcome, Status, case_number
from cases.workflow import HAT_ROLES, WORKFLOW, Action
from grids.models import Assignment, Building, Community, Dwelling, Grid, Role, Street
from grids.permissions import roles_over_grid
from portal.middleware import ServerTimingMiddleware
from residents import identity
from residents.models import ALLOWANCE_CATEGORIES, CareCategory, CareEnrolment, Household, Resident
from tooling.generator.cases import SHOWCASE, _CaseLife, _Cut
from visits import selectors
from visits.models import Visit, VisitGift, VisitPlan

N = 600  # 3 grids of 200 households, 5 buildings each, in one community of one street


def generate(households: int = N, **options) -> str:
    out = StringIO()
    call_command("generate_district", households=households, seed=7, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_generate_district_builds_the_places_in_proportion():
    generate()

    assert Street.objects.count() == 1
    assert Community.objects.count() == 1
    assert Grid.objects.count() == 3
    assert Building.objects.count() == 15
    assert Dwelling.objects.count() == N
    assert Household.objects.count() == N
    assert sorted(Household.objects.values("grid").annotate(n=Count("id")).values_list("n", flat=True)) == [
        200,
        200,
        200,
    ]


@pytest.mark.django_db
def test_generate_district_puts_each_household_in_its_dwellings_grid():
    generate()

    assert Household.objects.exclude(grid=F("dwelling__building__grid")).count() == 0
    assert Resident.objects.exclude(grid=F("household__grid")).count() == 0
    assert Dwelling.objects.annotate(n=Count("households")).exclude(n=1).count() == 0
    assert Household.objects.exclude(status=Household.Status.ACTIVE).count() == 0


@pytest.mark.django_db
def test_generate_district_gives_every_household_one_head_and_up_to_four_members():
    generate()

    sizes = Household.objects.annotate(n=Count("members")).values_list("n", flat=True)
    heads = Resident.objects.filter(relation_to_head=Resident.Relation.HEAD)
    assert set(sizes) <= {1, 2, 3, 4}
    assert heads.count() == N
    assert heads.values("household").distinct().count() == N


@pytest.mark.django_db
def test_generate_district_id_numbers_are_valid_and_agree_with_birth_date_and_sex():
    generate()

    residents = list(Resident.objects.values_list("id_number", "birth_date", "sex"))
    assert len(residents) > N
    for id_number, birth_date, sex in residents:
        assert identity.normalize_id_number(id_number) == id_number
        assert identity.id_birth_date(id_number) == birth_date
        assert identity.id_sex(id_number) == sex


@pytest.mark.django_db
def test_generate_district_enrolments_follow_their_categorys_rules():
    generate()

    enrolments = list(CareEnrolment.objects.select_related("resident"))
    assert enrolments  # about 8% of 600 households
    for enrolment in enrolments:
        enrolment.full_clean()  # disability details, allowance fields, resident in the household
        if enrolment.category == CareCategory.DISABLED:
            assert enrolment.resident is not None
        if enrolment.resident is not None:
            assert enrolment.since >= enrolment.resident.birth_date
        if enrolment.category not in ALLOWANCE_CATEGORIES:
            assert enrolment.allowance_monthly_amount is None


@pytest.mark.django_db
def test_generate_district_second_run_adds_a_new_street_and_n_households():
    generate()
    first_codes = set(Grid.objects.values_list("code", flat=True))

    generate()

    assert Household.objects.count() == 2 * N
    assert Street.objects.count() == 2
    assert Grid.objects.count() == 6
    assert first_codes < set(Grid.objects.values_list("code", flat=True))
    assert Household.objects.exclude(grid=F("dwelling__building__grid")).count() == 0
    assert Resident.objects.exclude(grid=F("household__grid")).count() == 0


@pytest.mark.django_db
def test_generate_district_refuses_a_street_name_in_use():
    generate(street_name="测试街道")

    with pytest.raises(CommandError, match="测试街道"):
        generate(street_name="测试街道")
    assert Household.objects.count() == N


@pytest.mark.django_db
def test_generate_district_creates_the_bench_users_once():
    generate()
    generate()

    street = Street.objects.order_by("id").first()
    assignments = {
        a.user.username: a
        for a in Assignment.objects.select_related("user", "grid__community")
        .exclude(role=Role.STREET_LEADER)
        .filter(user__username__startswith="bench_")
    }
    assert set(assignments) == {"bench_worker", "bench_staff"}
    assert assignments["bench_worker"].role == Role.GRID_WORKER
    assert assignments["bench_worker"].grid.community.street == street
    assert assignments["bench_staff"].role == Role.COMMUNITY_STAFF
    assert assignments["bench_staff"].community.street == street
    # The street leader leads every street, so the district-wide search grows with the district.
    led = Assignment.objects.filter(user__username="bench_street", role=Role.STREET_LEADER)
    assert sorted(led.values_list("street", flat=True)) == sorted(Street.objects.values_list("pk", flat=True))
    assert Street.objects.count() == 2
    assignments["bench_street"] = led.first()
    for username in assignments:
        assert get_user_model().objects.get(username=username).check_password("bench-pass")


@pytest.mark.django_db
def test_generate_district_keeps_the_name_search_index():
    if connection.vendor != "postgresql":
        pytest.skip("the name-search index exists on PostgreSQL only")
    generate()

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'resident_name_ngrams_gin'")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
def test_generate_district_gives_each_grid_a_worker_who_cannot_sign_in():
    generate()

    for grid in Grid.objects.all():
        worker = get_user_model().objects.get(username=f"gw_{grid.pk}")
        assert worker.first_name and not worker.has_usable_password()
        assert set(worker.assignments.values_list("role", "grid")) == {(Role.GRID_WORKER, grid.pk)}


@pytest.mark.django_db
def test_generate_district_visits_are_made_by_the_grids_people():
    generate()

    visits = Visit.objects.count()
    assert 1.5 * N <= visits <= 2.5 * N  # about two per household
    assert set(Visit.objects.values_list("kind", flat=True)) == set(Visit.Kind.values)
    assert not Visit.objects.filter(visited_at__gte=timezone.now()).exists()
    assert Visit.visitors.through.objects.count() == visits
    users = get_user_model().objects.in_bulk()
    grids = Grid.objects.in_bulk()
    authors = set(Visit.objects.values_list("author", "household__grid").distinct())
    visitors = set(Visit.visitors.through.objects.values_list("user", "visit__household__grid").distinct())
    assert visitors == authors
    for user_id, grid_id in authors:
        assert roles_over_grid(users[user_id], grids[grid_id]), (user_id, grid_id)
    met = Visit.residents_met.through.objects
    assert met.exists()
    assert not met.exclude(resident__household=F("visit__household")).exists()
    assert list(VisitGift.objects.values_list("visit__kind", flat=True).distinct()) == [Visit.Kind.CONDOLENCE]


@pytest.mark.django_db
def test_generate_district_visit_plans_hold_each_households_latest_visit():
    generate()

    visited = Visit.objects.values("household").distinct().count()
    assert VisitPlan.objects.filter(last_visited_at__isnull=False).count() == visited
    stale = (
        VisitPlan.objects.filter(last_visited_at__isnull=False)
        .annotate(latest=Max("household__visits__visited_at"))
        .exclude(last_visited_at=F("latest"))
    )
    assert not stale.exists()
    # The plans without a visit are those of enrolled households nobody has visited yet.
    assert not VisitPlan.objects.filter(
        last_visited_at__isnull=True, household__visits__isnull=False
    ).exists()
    assert VisitPlan.objects.filter(interval_override_days__isnull=False).count() < visited / 10


@pytest.mark.django_db
def test_generate_district_households_in_care_are_on_the_visit_schedule():
    generate()

    today = timezone.localdate()
    in_care = CareEnrolment.objects.active_on(today).values("household").distinct().count()
    schedule = list(selectors.care_schedule(Household.objects.all(), today))
    assert len(schedule) == in_care > 0
    assert all(h.last_visited_at is not None for h in schedule)  # every household in care was visited
    window = selectors.DueWindow(today)
    overdue = sum(window.status(h.next_due) == "overdue" for h in schedule)
    assert 0.05 <= overdue / len(schedule) <= 0.35
    street = get_user_model().objects.get(username="bench_street")
    assert selectors.overdue_households(street).count() == overdue
    assert sum(row["overdue"] for row in selectors.overdue_by_grid(street)) == overdue
    worker = get_user_model().objects.get(username="bench_worker")
    assert selectors.due_households(worker).exists()


@pytest.mark.django_db
def test_server_timing_middleware_adds_headers_to_a_page_without_queries(client, settings):
    settings.MIDDLEWARE = ["portal.middleware.ServerTimingMiddleware", *settings.MIDDLEWARE]

    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert re.fullmatch(r"app;dur=\d+\.\d{2}", response["Server-Timing"])
    assert response["X-Query-Count"] == "0"  # anonymous, no session yet: nothing to read


@pytest.mark.django_db
def test_server_timing_middleware_counts_the_requests_queries():
    def two_queries(request):
        list(Street.objects.all())
        Street.objects.create(name="计数街道")
        return HttpResponse()

    response = ServerTimingMiddleware(two_queries)(RequestFactory().get("/"))

    assert response["X-Query-Count"] == "2"


@pytest.mark.django_db(transaction=True)
def test_server_timing_middleware_leaves_out_connection_set_up():
    def one_query_on_a_new_connection(request):
        connection.close()  # the next query opens a connection and looks up type handlers first
        list(Street.objects.all())
        return HttpResponse()

    response = ServerTimingMiddleware(one_query_on_a_new_connection)(RequestFactory().get("/"))

    assert response["X-Query-Count"] == "1"


@pytest.mark.django_db
def test_generate_district_stores_the_schedule_the_rule_computes():
    from visits.selectors import care_schedule

    generate()

    live = dict(care_schedule(Household.objects.all()).values_list("pk", "next_due"))
    stored = dict(VisitPlan.objects.filter(next_due__isnull=False).values_list("household", "next_due"))
    assert len(live) > 0
    assert stored == live


# Cases -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_generate_district_cases_about_one_per_household_in_every_state():
    generate()

    cases = Case.objects.all()
    # One per household, and the showcase of open cases in the first grid.
    assert cases.count() == N + len(SHOWCASE)
    statuses = Counter(cases.values_list("status", flat=True))
    assert set(statuses) == set(Status.values)
    assert statuses[Status.CLOSED] > 0.9 * cases.count()  # two years of cases: most are long archived
    outcomes = Counter(cases.filter(status=Status.CLOSED).values_list("outcome", flat=True))
    # 已撤回 is a resident's own move on the tracking page; the generator draws no residents' requests.
    assert set(outcomes) == set(Outcome.values) - {Outcome.WITHDRAWN}
    assert outcomes[Outcome.RESOLVED] > 0.85 * statuses[Status.CLOSED]
    assert set(cases.exclude(outcome=Outcome.UNRESOLVED).values_list("unresolved_reason", flat=True)) == {""}
    assert set(cases.values_list("category__name", flat=True)) == set(
        Category.objects.values_list("name", flat=True)
    )
    assert set(cases.values_list("channel", flat=True)) == set(Channel.values)
    now = timezone.now()
    clocks = Counter(case.clock_state(now) for case in cases.exclude(status=Status.CLOSED))
    assert clocks["overdue"] and clocks["running"] and clocks["paused"]
    assert not cases.filter(created_at__gte=now).exists()
    created = list(cases.order_by("id").values_list("created_at", flat=True))[:N]
    assert created == sorted(created)  # numbered in the order they came in
    assert min(created) < now - datetime.timedelta(days=600)


@pytest.mark.django_db
def test_generate_district_case_fields_follow_the_clock_and_the_workflow():
    generate()

    for case in Case.objects.select_related("category").prefetch_related("events"):
        events = list(case.events.all())
        assert events[0].action == Action.REGISTER and events[0].at == case.created_at, case.number
        assert case.number == f"{timezone.localtime(case.created_at):%Y%m%d}{case.pk:06d}"
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert all(a.to_status == b.from_status for a, b in itertools.pairwise(events)), case.number
        assert events[-1].to_status == case.status
        for event in events[1:]:
            if event.action == Action.MERGED_FROM:
                continue
            move = WORKFLOW[event.from_status, event.action]
            assert event.to_status == (move.to or event.from_status), (case.number, event.action)
        # Deadlines as cases.clock fixes them at acceptance.
        if case.accepted_at is None:
            assert case.response_due is case.clock_due_at is None
            continue
        limits = limits_for(case.category, case.urgency)
        # Moved on by each pause and by the wait for the follow-up before a reopening.
        moved = sum(e.details.get("paused_minutes", 0) + e.details.get("waited_minutes", 0) for e in events)
        assert (case.response_limit, case.resolution_limit) == (limits.response, limits.resolution)
        assert case.response_due == case.accepted_at + limits.response + datetime.timedelta(minutes=moved)
        assert case.resolution_due - case.response_due == limits.resolution - limits.response
        clock_now = (case.clock_due_at, case.clock_warn_at)
        set_running_clock(case)
        assert (case.clock_due_at, case.clock_warn_at) == clock_now, case.number


@pytest.mark.django_db
def test_generate_district_cases_are_handled_by_the_people_serving_their_grid():
    generate()

    users = get_user_model().objects.in_bulk()
    grids = Grid.objects.in_bulk()
    pairs = set(
        CaseEvent.objects.exclude(action__in=[Action.REGISTER, Action.MERGED_FROM]).values_list(
            "actor", "case__grid", "from_status", "action"
        )
    )
    for actor, grid, from_status, action in pairs:
        roles = roles_over_grid(users[actor], grids[grid])
        allowed = set().union(*(HAT_ROLES[hat] for hat in WORKFLOW[from_status, action].who))
        assert roles & allowed, (users[actor].username, from_status, action)
    for case in Case.objects.exclude(handler=None).select_related("handler"):
        assert case.handler.username == f"gw_{case.grid_id}"
        assert case.assigned_worker_id in (None, case.handler_id)
    for user_id, grid_id in set(Case.objects.values_list("created_by", "grid")):
        assert roles_over_grid(users[user_id], grids[grid_id])
    assert set(Case.objects.values_list("created_by__username", flat=True)) == {
        *(f"gw_{g}" for g in grids),
        f"cs_{Community.objects.get().pk}",
    }


@pytest.mark.django_db
def test_generate_district_cases_from_visits_and_merges_name_their_origin():
    generate()

    from_visits = Case.objects.filter(origin_visit__isnull=False).select_related("origin_visit")
    assert from_visits.exists()
    for case in from_visits:
        assert case.channel == Channel.VISIT and case.household_id == case.origin_visit.household_id
        assert case.description == case.origin_visit.needs_found
        assert case.origin_visit.visited_at < case.created_at
    merged = Case.objects.filter(outcome=Outcome.MERGED).select_related("merged_into")
    assert merged.exists()
    for case in merged:
        target = case.merged_into
        assert (target.grid_id, target.category_id) == (case.grid_id, case.category_id)
        assert target.created_at < case.created_at
        assert target.events.filter(action=Action.MERGED_FROM, details__from=case.number).exists()
    patrol = Case.objects.filter(channel=Channel.PATROL)
    assert patrol.exists() and not patrol.exclude(anonymous=True).exists()


@pytest.mark.django_db
def test_generate_district_bench_worker_has_cases_waiting_in_the_queue():
    generate()

    worker = get_user_model().objects.get(username="bench_worker")
    grid = worker.assignments.get().grid
    mine = Case.objects.filter(grid=grid)
    assert mine.filter(status=Status.DISPATCHED).count() >= 2
    assert mine.filter(status=Status.IN_PROGRESS).count() >= 3
    assert mine.annotate(n=Count("events")).filter(n__gte=4).exists()


@pytest.mark.django_db
def test_generate_district_restores_the_foreign_keys_it_drops():
    if connection.vendor != "postgresql":
        pytest.skip("foreign keys are dropped for the load on PostgreSQL only")

    def foreign_keys():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' ORDER BY 1, 2"
            )
            return cursor.fetchall()

    before = foreign_keys()
    generate()
    assert foreign_keys() == before
    assert any(table == "cases_caseevent" for table, _name, _definition in before)


def test_case_number_is_the_local_date_and_the_id_in_six_digits():
    assert case_number(datetime.date(2026, 3, 5), 42) == "20260305000042"
    assert case_number(datetime.date(2026, 12, 31), 1234567) == "202612311234567"


@pytest.mark.django_db
def test_generator_case_life_makes_only_the_workflows_moves_with_its_appliers_and_clock():
    category = Category.objects.get(name="下水疏通")  # urgent: 24 hours to take, 72 to resolve
    grid = Grid(pk=1, code="G001")
    user = get_user_model()
    worker, staff = user(pk=2, username="gw_1"), user(pk=3, username="cs_1")
    hour = datetime.timedelta(hours=1)
    registered = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    case = Case(id=7, grid=grid, category=category, urgency=category.default_urgency, created_at=registered)
    life = _CaseLife(case, registered + 30 * 24 * hour)
    life.register(staff.pk)

    with pytest.raises(AssertionError):
        life.step(registered + hour, Action.TAKE, worker)  # not before it is accepted
    with pytest.raises(AssertionError):
        life.step(registered + hour, Action.REJECT, staff)  # not without a reason
    life.step(registered + hour, Action.ACCEPT, staff, worker=worker)
    life.step(registered + 2 * hour, Action.TAKE, worker)
    with pytest.raises(AssertionError):
        life.step(registered + 3 * hour, Action.RESUME, worker)  # the guard: it is not paused
    life.step(registered + 3 * hour, Action.PAUSE, worker, "等待诉求人补充材料")
    life.step(registered + 5 * hour, Action.RESUME, worker)
    with pytest.raises(_Cut):
        life.step(registered + 31 * 24 * hour, Action.RESOLVE, worker, "已处理")  # after now

    assert [event[:2] + event[3:5] for event in life.events] == [
        (Action.REGISTER, staff.pk, "", Status.SUBMITTED),
        (Action.ACCEPT, staff.pk, Status.SUBMITTED, Status.DISPATCHED),
        (Action.TAKE, worker.pk, Status.DISPATCHED, Status.IN_PROGRESS),
        (Action.PAUSE, worker.pk, Status.IN_PROGRESS, Status.IN_PROGRESS),
        (Action.RESUME, worker.pk, Status.IN_PROGRESS, Status.IN_PROGRESS),
    ]
    assert life.events[1][6] == '{"grid": "G001", "worker": "gw_1"}'
    assert life.events[4][6] == '{"paused_minutes": 120}'
    assert (case.status, case.handler_id, case.assigned_worker_id) == (Status.IN_PROGRESS, 2, 2)
    assert (case.accepted_at, case.taken_at, case.paused_at) == (
        registered + hour,
        registered + 2 * hour,
        None,
    )
    assert case.resolution_due == registered + hour + 72 * hour + 2 * hour
    assert case.clock_due_at == case.resolution_due
    assert case.clock_warn_at == case.resolution_due - 14.4 * hour  # at 80% of the 72 hours


@pytest.mark.django_db
def test_generate_district_walks_each_communitys_deliberations_along_their_table():
    from cases.deliberation_workflow import WORKFLOW as DELIBERATION_WORKFLOW
    from cases.models import Deliberation, DeliberationEvent, Meeting
    from tooling.generator.deliberations import DELIBERATIONS_PER_COMMUNITY

    generate()
    community = Community.objects.get()
    staff = get_user_model().objects.get(username=f"cs_{community.pk}")
    deliberations = Deliberation.objects.filter(community=community)
    assert deliberations.count() == DELIBERATIONS_PER_COMMUNITY
    now = timezone.now()
    for d in deliberations:
        d.full_clean(exclude=["submission_token"])
        events = list(d.events.order_by("at", "id"))
        assert events[0].action == "gather" and events[-1].to_status == d.status
        for event in events[1:]:
            move = DELIBERATION_WORKFLOW[(event.from_status, event.action)]
            assert (move.to, event.actor) == (event.to_status, staff)
        assert [e.at for e in events] == sorted(e.at for e in events) and events[-1].at <= now
        assert d.meetings.count() == (1 if d.deliberated_at else 0)
    assert not DeliberationEvent.objects.exclude(deliberation__in=deliberations).exists()
    assert (
        Meeting.objects.filter(case__isnull=True).count()
        == deliberations.exclude(deliberated_at=None).count()
    )


@pytest.mark.django_db
def test_generate_district_gives_each_community_volunteers_activities_and_honest_hours():
    from volunteers.models import Activity, ActivitySignUp, PartnerUnit, ReportingMember, Volunteer

    generate()
    community = Community.objects.get()
    assert PartnerUnit.objects.filter(community=community).count() == 5
    assert ReportingMember.objects.filter(grid__community=community).count() == 2 * Grid.objects.count()
    volunteers = Volunteer.objects.filter(community=community)
    kinds = Counter(
        "resident" if v.resident_id else "member" if v.reporting_member_id else "outsider" for v in volunteers
    )
    assert kinds["resident"] == 40 and kinds["outsider"] == 10 and kinds["member"] > 0
    # A resident volunteer carries the resident's name, and lives in the community.
    for v in volunteers.filter(resident__isnull=False).select_related("resident__household__grid"):
        assert v.name == v.resident.name and v.resident.household.grid.community_id == community.pk
    now = timezone.now()
    activities = Activity.objects.filter(community=community)
    assert activities.count() == 24
    for activity in activities.prefetch_related("sign_ups"):
        activity.full_clean(exclude=["submission_token"])
        sign_ups = list(activity.sign_ups.all())
        assert activity.capacity is None or len(sign_ups) <= activity.capacity
        for sign_up in sign_ups:
            assert sign_up.hours <= activity.duration_hours
            assert sign_up.hours == 0 or sign_up.attended
            # Attendance is taken only for activities already held.
            assert (sign_up.attended is None) == (activity.ends_at > now)
    assert ActivitySignUp.objects.filter(attended=True, hours__gt=0).exists()


@pytest.mark.django_db
def test_generate_district_walks_each_project_along_its_table_and_drops_no_need():
    from projects.models import Need, NeedClosure, NeedStatus, Project, ProjectStatus
    from projects.workflow import WORKFLOW as PROJECT_WORKFLOW

    generate()
    community = Community.objects.get()
    staff = get_user_model().objects.get(username=f"cs_{community.pk}")
    needs = Need.objects.filter(community=community)
    assert needs.count() == 15
    for need in needs.prefetch_related("projects__events"):
        need.full_clean(exclude=["submission_token"])
        projects = list(need.projects.all())
        live = [p for p in projects if p.status not in (ProjectStatus.CONFIRMED, ProjectStatus.CANCELLED)]
        if need.status == NeedStatus.CLOSED:
            # Closed: its project was confirmed, or it was closed unmatched with a reason.
            done = [p for p in projects if p.status == ProjectStatus.CONFIRMED]
            assert bool(done) == (need.closure == NeedClosure.DONE)
            assert need.closure == NeedClosure.DONE or need.close_reason
        else:
            assert (need.status == NeedStatus.MATCHED) == bool(live)
        for project in projects:
            project.full_clean(exclude=["submission_token"])
            events = list(project.events.order_by("at", "id"))
            assert events[0].action == "match" and events[-1].to_status == project.status
            for event in events[1:]:
                move = PROJECT_WORKFLOW[(event.from_status, event.action)]
                assert (move.to or event.from_status, event.actor) == (event.to_status, staff)
    assert set(Project.objects.values_list("status", flat=True)) <= set(ProjectStatus.values)
