"""The benchmark district generator and the timing headers `make bench` reads."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from grids.models import Assignment, Building, Community, Dwelling, Grid, Role, Street
from grids.permissions import roles_over_grid
from portal.middleware import ServerTimingMiddleware
from residents import identity
from residents.models import ALLOWANCE_CATEGORIES, CareCategory, CareEnrolment, Household, Resident
from visits import selectors
from visits.models import Visit, VisitGift, VisitPlan

N = 600  # 3 grids of 200 households, 5 buildings each, in one community of one street


def generate(households: int = N, **options) -> str:
    out = StringIO()
    call_command("generate_district", households=households, seed=7, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
