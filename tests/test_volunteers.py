"""Volunteers and activities: hours add up, capacity holds, attendance rules, scoping and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.volunteer_factories import activity_in, attended, volunteer_in
from volunteers import selectors, services
from volunteers.models import ActivitySignUp
from volunteers.services import Attendance, SignUpRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def community(grid):
    return grid.community


def _past(community, staff, days_ago, hours=3, **fields):
    start = timezone.now() - datetime.timedelta(days=days_ago)
    return activity_in(community, staff, start=start, hours=hours, **fields)


# --- hours add up -----------------------------------------------------------------------------------


def test_yearly_total_is_the_sum_of_attendance_records(community, staff):
    volunteer = volunteer_in(community)
    year = timezone.localdate().year
    this_year = [Decimal("2.5"), Decimal("3"), Decimal("1.25")]
    for n, hours in enumerate(this_year):
        attended(_activity_this_year(community, staff, n), volunteer, hours)
    last_year = activity_in(community, staff, start=timezone.make_aware(datetime.datetime(year - 1, 6, 1, 9)))
    attended(last_year, volunteer, Decimal("2"))
    absent = _activity_this_year(community, staff, 9)
    ActivitySignUp.objects.create(activity=absent, volunteer=volunteer, attended=False)

    by_year = {row.year: row.hours for row in selectors.hours_by_year(volunteer)}
    assert by_year == {year: sum(this_year), year - 1: Decimal("2")}
    assert selectors.hours_in_year(volunteer, year) == sum(this_year)


def _activity_this_year(community, staff, n):
    year = timezone.localdate().year
    start = timezone.make_aware(datetime.datetime(year, 1, 1 + n, 9))
    return activity_in(community, staff, start=start, title=f"活动{n}")


def _signed(activity, *volunteers):
    return [ActivitySignUp.objects.create(activity=activity, volunteer=v) for v in volunteers]


def test_attendance_credits_only_attendees_and_defaults_to_the_activity_length(community, staff):
    activity = _past(community, staff, 1, hours=3)
    came, absent, partly = (volunteer_in(community, name) for name in ("甲", "乙", "丙"))
    rows = _signed(activity, came, absent, partly)
    services.attendance_take(
        activity=activity,
        actor=staff,
        lines=[
            Attendance(rows[0].pk, True),
            Attendance(rows[1].pk, False, Decimal("2")),
            Attendance(rows[2].pk, True, Decimal("1.5")),
        ],
    )
    got = {row.volunteer.name: (row.attended, row.hours) for row in ActivitySignUp.objects.all()}
    assert got == {"甲": (True, Decimal("3.00")), "乙": (False, Decimal("0")), "丙": (True, Decimal("1.50"))}
    assert selectors.hours_in_year(absent, timezone.localdate(activity.starts_at).year) == 0


@pytest.mark.parametrize("hours", [Decimal("-1"), Decimal("3.01"), Decimal("10")])
def test_hours_neither_negative_nor_longer_than_the_activity(community, staff, hours):
    activity = _past(community, staff, 1, hours=3)
    (row,) = _signed(activity, volunteer_in(community))
    with pytest.raises(ValidationError):
        services.attendance_take(activity=activity, actor=staff, lines=[Attendance(row.pk, True, hours)])
    row.refresh_from_db()
    assert row.attended is None and row.hours == 0


def test_database_refuses_negative_hours_and_hours_without_attendance(community, staff):
    activity = _past(community, staff, 1)
    volunteer = volunteer_in(community)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivitySignUp.objects.create(activity=activity, volunteer=volunteer, attended=True, hours=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivitySignUp.objects.create(activity=activity, volunteer=volunteer, attended=False, hours=2)


def test_attendance_of_another_activity_is_refused(community, staff):
    activity = _past(community, staff, 1)
    other = _past(community, staff, 2, title="别的活动")
    (row,) = _signed(other, volunteer_in(community))
    with pytest.raises(ValidationError):
        services.attendance_take(activity=activity, actor=staff, lines=[Attendance(row.pk, True)])


def test_attendance_before_the_day_is_refused(community, staff):
    activity = activity_in(community, staff, start=timezone.now() + datetime.timedelta(days=3))
    (row,) = _signed(activity, volunteer_in(community))
    with pytest.raises(ValidationError):
        services.attendance_take(activity=activity, actor=staff, lines=[Attendance(row.pk, True)])


# --- capacity --------------------------------------------------------------------------------------


def test_a_full_activity_refuses_one_more_with_a_clear_message(community, staff):
    activity = activity_in(community, staff, capacity=2)
    for name in ("甲", "乙"):
        services.activity_sign_up(activity=activity, volunteer=volunteer_in(community, name), actor=staff)
    with pytest.raises(SignUpRefused) as refused:
        services.activity_sign_up(activity=activity, volunteer=volunteer_in(community, "丙"), actor=staff)
    assert "名额已满" in refused.value.message and "丙" in refused.value.message
    assert activity.sign_ups.count() == 2


def test_signing_up_twice_or_after_the_end_or_elsewhere_is_refused(community, staff, other_grid):
    activity = activity_in(community, staff)
    volunteer = volunteer_in(community)
    services.activity_sign_up(activity=activity, volunteer=volunteer, actor=staff)
    with pytest.raises(SignUpRefused, match="已报名"):
        services.activity_sign_up(activity=activity, volunteer=volunteer, actor=staff)
    with pytest.raises(SignUpRefused, match="已结束"):
        services.activity_sign_up(activity=_past(community, staff, 2), volunteer=volunteer, actor=staff)
    with pytest.raises(SignUpRefused, match="本社区"):
        services.activity_sign_up(
            activity=activity, volunteer=volunteer_in(other_grid.community, "外社区"), actor=staff
        )


def test_only_keepers_sign_up_and_take_attendance(community, staff, worker):
    activity = activity_in(community, staff)
    with pytest.raises(PermissionDenied):
        services.activity_sign_up(activity=activity, volunteer=volunteer_in(community), actor=worker)


def test_cancel_frees_the_place_but_not_after_attendance(community, staff):
    activity = activity_in(community, staff, capacity=1)
    first = services.activity_sign_up(activity=activity, volunteer=volunteer_in(community, "甲"), actor=staff)
    services.activity_sign_up_cancel(sign_up=first, actor=staff)
    services.activity_sign_up(activity=activity, volunteer=volunteer_in(community, "乙"), actor=staff)
    past = _past(community, staff, 1)
    (row,) = _signed(past, volunteer_in(community, "丙"))
    services.attendance_take(activity=past, actor=staff, lines=[Attendance(row.pk, True)])
    with pytest.raises(SignUpRefused):
        services.activity_sign_up_cancel(sign_up=row, actor=staff)


def test_team_hours_are_the_hours_at_its_activities(community, staff):
    from tests.volunteer_factories import team_in

    team = team_in(community)
    one = volunteer_in(community, "甲")
    attended(_past(community, staff, 3, team=team), one, Decimal("2"))
    attended(_past(community, staff, 4, team=team, title="第二次"), one, Decimal("1.5"))
    attended(_past(community, staff, 5, title="别队"), one, Decimal("4"))
    assert selectors.team_hours(team) == Decimal("3.5")


# --- two people take the last place at the same moment (PostgreSQL, a connection each) ----------------


def _sign_up_in_thread(activity_id, volunteer_id, actor_id, barrier, outcomes):
    import django.db
    from django.contrib.auth import get_user_model

    from volunteers.models import Activity, Volunteer

    try:
        activity = Activity.objects.get(pk=activity_id)
        volunteer = Volunteer.objects.get(pk=volunteer_id)
        actor = get_user_model().objects.get(pk=actor_id)
        barrier.wait()
        services.activity_sign_up(activity=activity, volunteer=volunteer, actor=actor)
        outcomes[volunteer.name] = "signed"
    except SignUpRefused as refused:
        outcomes[volunteer.name] = refused.message
    except Exception as error:  # handed to the test, not lost with the thread
        outcomes[volunteer_id] = error
    finally:
        django.db.connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_taking_the_last_place_at_once_exactly_one_wins(grid, staff):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    community = grid.community
    for round_ in range(4):
        activity = activity_in(community, staff, capacity=2, title=f"陪诊暖心服务{round_}")
        services.activity_sign_up(
            activity=activity, volunteer=volunteer_in(community, f"先到{round_}"), actor=staff
        )
        racers = [volunteer_in(community, f"甲{round_}"), volunteer_in(community, f"乙{round_}")]
        barrier = threading.Barrier(2, timeout=15)
        outcomes: dict = {}
        threads = [
            threading.Thread(target=_sign_up_in_thread, args=(activity.pk, v.pk, staff.pk, barrier, outcomes))
            for v in racers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=15)
        assert sorted(outcomes) == sorted(v.name for v in racers), outcomes
        results = list(outcomes.values())
        assert results.count("signed") == 1, outcomes
        (refusal,) = [result for result in results if result != "signed"]
        assert "名额已满" in refusal, outcomes
        assert activity.sign_ups.count() == 2


# --- pages: scoping, service record, query counts, bad input ---------------------------------------


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _fill_activities(community, staff, volunteers, n):
    from tests.volunteer_factories import team_in

    team = team_in(community, f"服务队{n}")
    for i in range(n):
        activity = _past(community, staff, i + 1, title=f"活动{n}-{i}", team=team)
        activity.partner_units.set([])
        for volunteer in volunteers:
            attended(activity, volunteer, Decimal("1"))


def test_activities_list_and_volunteer_page_keep_their_query_counts(client, grid, staff):
    from django.urls import reverse

    community = grid.community
    volunteer = volunteer_in(community)
    others = [volunteer_in(community, f"志愿者{i}") for i in range(3)]
    client.force_login(staff)
    list_url = reverse("volunteers:activities") + "?when=past"
    page_url = reverse("volunteers:volunteer_detail", args=[volunteer.pk])
    _fill_activities(community, staff, [volunteer, *others], 2)
    small = (_count(client, list_url), _count(client, page_url))
    _fill_activities(community, staff, [volunteer, *others], 15)
    assert (_count(client, list_url), _count(client, page_url)) == small


def test_another_communitys_records_are_404(client, grid, other_grid, staff):
    from django.urls import reverse

    from volunteers.models import PartnerUnit, ReportingMember, VolunteerTeam

    elsewhere = other_grid.community
    volunteer = volunteer_in(elsewhere)
    activity = activity_in(elsewhere, staff)
    unit = PartnerUnit.objects.create(community=elsewhere, name="外单位")
    team = VolunteerTeam.objects.create(community=elsewhere, name="外队")
    member = ReportingMember.objects.create(name="外党员", grid=other_grid, reported_on=timezone.localdate())
    client.force_login(staff)
    for name, pk in [
        ("volunteer_detail", volunteer.pk),
        ("volunteer_edit", volunteer.pk),
        ("activity_detail", activity.pk),
        ("attendance", activity.pk),
        ("unit_detail", unit.pk),
        ("team_detail", team.pk),
        ("member_detail", member.pk),
    ]:
        assert client.get(reverse(f"volunteers:{name}", args=[pk])).status_code == 404, name
    listed = client.get(reverse("volunteers:volunteers")).content.decode()
    assert volunteer.name not in listed


def test_phones_are_masked_on_the_pages(client, grid, staff):
    from django.urls import reverse

    volunteer = volunteer_in(grid.community, phone="13912345678")
    client.force_login(staff)
    page = client.get(reverse("volunteers:volunteer_detail", args=[volunteer.pk])).content.decode()
    assert "139****5678" in page and "13912345678" not in page


def test_attendance_page_with_bad_hours_keeps_the_input_and_credits_nothing(client, grid, staff):
    from django.urls import reverse

    activity = _past(grid.community, staff, 0, hours=2)
    rows = _signed(activity, volunteer_in(grid.community, "甲"), volunteer_in(grid.community, "乙"))
    client.force_login(staff)
    url = reverse("volunteers:attendance", args=[activity.pk])
    for bad in ("abc", "NaN", "-1", "2.5", "9" * 12):
        response = client.post(url, {f"attended-{rows[0].pk}": "on", f"hours-{rows[0].pk}": bad})
        assert response.status_code == 200, bad
        assert bad[:10] in response.content.decode()
    assert not ActivitySignUp.objects.filter(attended__isnull=False).exists()
    response = client.post(url, {f"attended-{rows[0].pk}": "on", f"hours-{rows[0].pk}": ""})
    assert response.status_code == 302
    got = {row.volunteer.name: (row.attended, row.hours) for row in ActivitySignUp.objects.all()}
    assert got == {"甲": (True, Decimal("2.00")), "乙": (False, Decimal("0"))}


def test_activity_form_bad_input_is_a_form_error(client, grid, staff):
    from django.urls import reverse

    client.force_login(staff)
    start = timezone.localtime() + datetime.timedelta(days=1)
    response = client.post(
        reverse("volunteers:activity_new"),
        {
            "community": grid.community_id,
            "title": "陪诊",
            "kind": "volunteer_service",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "place": "卫生站",
            "capacity": "-3",
        },
    )
    assert response.status_code == 200
    assert "结束时间须晚于开始时间" in response.content.decode()
    assert "陪诊" in response.content.decode()


def test_full_activity_page_tells_staff_why(client, grid, staff):
    from django.urls import reverse

    activity = activity_in(grid.community, staff, capacity=1)
    services.activity_sign_up(activity=activity, volunteer=volunteer_in(grid.community, "甲"), actor=staff)
    late = volunteer_in(grid.community, "乙")
    client.force_login(staff)
    response = client.post(
        reverse("volunteers:sign_up", args=[activity.pk]), {"volunteer": late.pk}, follow=True
    )
    assert "名额已满" in response.content.decode()


def test_a_full_activity_offers_no_sign_up_box_and_says_why(client, grid, staff):
    from django.urls import reverse

    activity = activity_in(grid.community, staff, capacity=1)
    volunteer_in(grid.community, "乙")
    client.force_login(staff)
    url = reverse("volunteers:activity_detail", args=[activity.pk])
    sign_up = reverse("volunteers:sign_up", args=[activity.pk])
    assert sign_up in client.get(url).text  # a place left: the box is there
    services.activity_sign_up(activity=activity, volunteer=volunteer_in(grid.community, "甲"), actor=staff)
    page = client.get(url).text
    assert sign_up not in page
    assert "名额已满：取消一位的报名后才能再报名。" in page


def test_a_visit_and_a_consultation_join_the_volunteers_service_record(client, grid, staff, worker):
    from django.urls import reverse

    from cases import services as case_services
    from tests.factories import HouseholdFactory, case_in
    from tests.test_case_meetings import an_hour_ago, in_days
    from tests.test_visit_views import visit_data

    volunteer = volunteer_in(grid.community, "法援律师")
    household = HouseholdFactory(dwelling__building__grid=grid)
    client.force_login(worker)
    response = client.post(
        reverse("visits:new") + f"?household={household.pk}",
        visit_data(visitors=[worker], volunteers=[str(volunteer.pk)]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = case_in("in_consultation", grid, staff=staff, worker=worker)
    case_services.meeting_record(
        case=case,
        actor=worker,
        record=case_services.MeetingRecord(
            held_at=an_hour_ago(),
            place="社区议事厅",
            chair="孙调解员",
            question="漏水",
            minutes="协商。",
            outcome="agreement",
            participants=[
                case_services.ParticipantEntry(role="requester", name="赵女士"),
                case_services.ParticipantEntry(role="volunteer_lawyer", name="法援律师", volunteer=volunteer),
            ],
            terms=[case_services.TermEntry(party="楼上", action="修管", due=in_days(7))],
        ),
        expected_status="in_consultation",
    )
    client.force_login(staff)
    page = client.get(reverse("volunteers:volunteer_detail", args=[volunteer.pk])).content.decode()
    assert household.grid.name in page.split("随同走访")[1]
    assert "暂无" not in page.split("参加的协商")[1].split("</ul>")[0]
