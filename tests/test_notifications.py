"""站内通知 (issue 15, item 5): who is told of what, in the action's transaction; the reminders derived at
read time; the bell and the list, scoped and at a fixed query count; the desk's 紧急 visits."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, Status
from cases.signals import case_transitioned
from grids.models import Role
from notifications import selectors, services
from notifications.models import Kind, Notification, VisitAlert
from residents.models import CareCategory
from tests.factories import (
    CareEnrolmentFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    assign,
    case_in,
    log_visit,
    register_case,
)
from visits.models import Visit
from visits.signals import visit_recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_2(grid):
    user = UserFactory(username="w2")
    assign(user, Role.GRID_WORKER, grid)
    return user


@pytest.fixture
def grid_leader(grid):
    user = UserFactory(username="gl")
    assign(user, Role.GRID_LEADER, grid)
    return user


@pytest.fixture
def staff_2(grid):
    user = UserFactory(username="s2")
    assign(user, Role.COMMUNITY_STAFF, grid.community)
    return user


def told(kind=None, **about) -> dict[str, str]:
    """Who was told what: username -> kind."""
    rows = Notification.objects.filter(**about)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return dict(rows.values_list("recipient__username", "kind"))


def act(case, action, actor, **params) -> Case:
    return case_services.case_transition(case=case, action=action, actor=actor, note="说明文字", **params)


def an_hour_ago():
    return timezone.now() - datetime.timedelta(hours=1)


# --- who is told of a case's move ---------------------------------------------------------------------


def test_a_case_dispatched_to_the_grid_tells_its_workers_not_the_desk(
    grid, staff, worker, worker_2, grid_leader
):
    case = register_case(grid, staff)
    act(case, "accept", staff)
    assert told(case=case) == {"w": "dispatched", "w2": "dispatched", "gl": "dispatched"}


def test_a_case_sent_to_one_worker_tells_only_that_worker(grid, staff, worker, worker_2):
    case = register_case(grid, staff)
    act(case, "accept", staff, worker=worker_2)
    assert told(case=case) == {"w2": "dispatched"}
    notification = Notification.objects.get(case=case)
    assert (notification.actor, notification.text) == (staff, "说明文字")


def test_a_returned_case_tells_the_desk_with_the_reason(grid, staff, staff_2, worker):
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    Notification.objects.all().delete()
    act(case, "return", worker)
    assert told(case=case) == {"s": "returned", "s2": "returned"}
    assert set(Notification.objects.values_list("text", flat=True)) == {"说明文字"}


def test_an_escalated_case_tells_the_street_and_a_hand_back_the_handler_and_desk(
    grid, staff, worker, street_leader
):
    case = case_in("escalated", grid, staff=staff, worker=worker)
    assert told(Kind.ESCALATED, case=case) == {"sl": "escalated"}
    act(case, "hand_back", street_leader)
    assert told(Kind.HANDED_BACK, case=case) == {"w": "handed_back", "s": "handed_back"}


def test_an_urged_case_tells_its_handler_and_the_desk_not_the_leader_who_urged(grid, staff, worker):
    leader = UserFactory(username="cl")
    assign(leader, Role.COMMUNITY_LEADER, grid.community)
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    act(case, "urge", leader)
    assert told(Kind.URGED, case=case) == {"w": "urged", "s": "urged"}


def test_moves_nobody_needs_to_hear_of_tell_nobody(grid, staff, worker):
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    before = Notification.objects.count()
    act(case, "pause", worker)
    act(case, "resume", worker)
    act(case, "resolve", worker)
    assert Notification.objects.count() == before


def test_a_move_that_rolls_back_leaves_no_notification(grid, staff, worker):
    """The signal is sent inside the move's transaction: a failure after it undoes the notification too."""
    case = register_case(grid, staff)

    def fail_after_the_notification(sender, **kwargs):
        assert Notification.objects.filter(case=kwargs["case"]).exists()  # written, not yet committed
        raise RuntimeError("the action fails after its notification was written")

    case_transitioned.connect(fail_after_the_notification)
    try:
        with pytest.raises(RuntimeError):
            act(case, "accept", staff)
    finally:
        case_transitioned.disconnect(fail_after_the_notification)
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert Notification.objects.filter(case=case).count() == 0


# --- the 紧急 visit -----------------------------------------------------------------------------------


@pytest.fixture
def household(grid):
    household = HouseholdFactory(dwelling__building__grid=grid)
    ResidentFactory(household=household)
    return household


def test_an_urgent_visit_alerts_the_desk_and_the_grid_leader_at_once(
    household, worker, worker_2, staff, staff_2, grid_leader, street_leader
):
    visit = log_visit(household, worker, an_hour_ago(), condition="urgent")
    assert told(visit=visit) == {"s": "urgent_visit", "s2": "urgent_visit", "gl": "urgent_visit"}
    alert = VisitAlert.objects.get(visit=visit)
    assert (alert.grid, alert.acknowledged_at) == (household.grid, None)
    assert list(selectors.open_visit_alerts(staff)) == [alert]
    assert list(selectors.open_visit_alerts(worker_2)) == []  # not the desk


def test_a_visit_that_is_not_urgent_alerts_nobody(household, worker, staff):
    log_visit(household, worker, an_hour_ago(), condition="attention")
    assert (Notification.objects.count(), VisitAlert.objects.count()) == (0, 0)


def test_an_urgent_visit_that_rolls_back_leaves_no_alert(household, worker, staff):
    def fail(sender, **kwargs):
        raise RuntimeError("the visit fails after its alert was written")

    visit_recorded.connect(fail)
    try:
        with pytest.raises(RuntimeError):
            log_visit(household, worker, an_hour_ago(), condition="urgent")
    finally:
        visit_recorded.disconnect(fail)
    assert (Visit.objects.count(), VisitAlert.objects.count(), Notification.objects.count()) == (0, 0, 0)


def test_one_acknowledgement_handles_the_alert_for_the_whole_desk(
    household, worker, staff, staff_2, grid_leader
):
    visit = log_visit(household, worker, an_hour_ago(), condition="urgent")
    alert = VisitAlert.objects.get(visit=visit)
    services.visit_alert_acknowledge(alert=alert, by=staff_2)
    alert.refresh_from_db()
    assert alert.acknowledged_by == staff_2 and alert.acknowledged_at is not None
    assert list(selectors.open_visit_alerts(staff)) == []
    unread = Notification.objects.filter(visit=visit, read_at__isnull=True)
    assert list(unread.values_list("recipient__username", flat=True)) == ["gl"]  # the leader reads it himself
    first = alert.acknowledged_at
    services.visit_alert_acknowledge(alert=alert, by=staff)  # a second press keeps the first
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (staff_2, first)


def test_only_the_desk_acknowledges(household, worker, grid_leader):
    visit = log_visit(household, worker, an_hour_ago(), condition="urgent")
    with pytest.raises(PermissionDenied):
        services.visit_alert_acknowledge(alert=VisitAlert.objects.get(visit=visit), by=grid_leader)


def test_the_desk_block_shows_the_alert_until_acknowledged(client, household, worker, staff):
    visit = log_visit(household, worker, an_hour_ago(), condition="urgent")
    alert = VisitAlert.objects.get(visit=visit)
    client.force_login(staff)
    block = client.get(reverse("notifications:visit_alerts"), headers={"HX-Request": "true"})
    assert "确认已知悉" in block.text and str(household.dwelling) in block.text
    assert "<html" not in block.text  # the fragment, not a page
    desk = client.get(reverse("cases:desk"))
    assert reverse("notifications:visit_alerts") in desk.text
    url = reverse("notifications:visit_alert_acknowledge", args=[alert.pk])
    after = client.post(url, headers={"HX-Request": "true"})
    assert after.status_code == 200 and "确认已知悉" not in after.text
    assert VisitAlert.objects.get(pk=alert.pk).acknowledged_by == staff


def test_acknowledging_outside_ones_grids_is_not_found(client, household, worker, other_grid):
    visit = log_visit(household, worker, an_hour_ago(), condition="urgent")
    outsider = UserFactory(username="out")
    assign(outsider, Role.COMMUNITY_STAFF, other_grid.community)
    client.force_login(outsider)
    alert = VisitAlert.objects.get(visit=visit)
    assert client.post(reverse("notifications:visit_alert_acknowledge", args=[alert.pk])).status_code == 404
    assert client.post(reverse("notifications:visit_alert_acknowledge", args=[999999])).status_code == 404
    assert VisitAlert.objects.get(pk=alert.pk).acknowledged_at is None


# --- reminders derived at read time -------------------------------------------------------------------


def counts(user, now=None) -> dict[str, int]:
    bell = selectors.bell(user, now)
    return {"unread": bell.unread, **{reminder.key: n for reminder, n in bell.reminders}}


def test_a_case_of_mine_counts_from_its_warning_until_it_is_resolved(grid, staff, worker):
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    Notification.objects.all().delete()
    assert counts(worker, case.clock_warn_at - datetime.timedelta(minutes=1)) == {"unread": 0}
    assert counts(worker, case.clock_warn_at) == {"unread": 0, "cases_due": 1}  # 临期
    assert counts(worker, case.clock_due_at + datetime.timedelta(days=1)) == {"unread": 0, "cases_due": 1}
    act(case, "resolve", worker)
    assert counts(worker, case.clock_due_at + datetime.timedelta(days=1)) == {"unread": 0}


def test_a_case_sent_to_me_counts_while_i_have_not_taken_it(grid, staff, worker, worker_2):
    case = register_case(grid, staff)
    case = act(case, "accept", staff, worker=worker)
    late = case.clock_due_at + datetime.timedelta(minutes=1)
    assert counts(worker, late) == {"unread": 1, "cases_due": 1}
    assert counts(worker_2, late) == {"unread": 0}


def test_follow_ups_waiting_count_for_the_desk_only(grid, staff, worker):
    case_in("resolved", grid, staff=staff, worker=worker)
    Notification.objects.all().delete()
    assert counts(staff) == {"unread": 0, "follow_ups": 1}
    assert counts(worker) == {"unread": 0}


def test_my_overdue_care_households_count_for_the_grid_roles(grid, worker, staff, household):
    CareEnrolmentFactory(
        household=household,
        resident=household.members.first(),
        category=CareCategory.VERY_OLD,
        since=timezone.localdate() - datetime.timedelta(days=30),
    )
    assert counts(worker) == {"unread": 0, "households_overdue": 1}
    assert counts(staff) == {"unread": 0}  # the desk is not told of every grid's visits
    log_visit(household, worker, an_hour_ago())
    assert counts(worker) == {"unread": 0}


def test_agreement_terms_due_count_for_the_desk_until_done(grid, staff, worker):
    from cases.models import AgreementTerm
    from cases.selectors import TERM_DUE_WITHIN
    from tests.test_case_meetings import in_days, record

    case = case_in("in_consultation", grid, staff=staff, worker=worker)
    record(case, staff)
    Notification.objects.all().delete()
    term = AgreementTerm.objects.get(meeting__case=case)
    term.due = timezone.localdate() + TERM_DUE_WITHIN + datetime.timedelta(days=1)
    term.save(update_fields=["due"])
    assert counts(staff) == {"unread": 0}  # not due yet
    term.due = in_days(-1)
    term.save(update_fields=["due"])
    assert counts(staff) == {"unread": 0, "terms_due": 1}
    assert counts(worker) == {"unread": 0}
    AgreementTerm.objects.filter(pk=term.pk).update(done_at=timezone.now(), done_by=staff)
    assert counts(staff) == {"unread": 0}


def test_a_superuser_has_no_reminders_for_the_whole_district(grid, staff, worker):
    admin = UserFactory(username="admin", is_superuser=True)
    case_in("resolved", grid, staff=staff, worker=worker)
    assert counts(admin) == {"unread": 0}


# --- the list, marking read, scope --------------------------------------------------------------------


def test_the_list_shows_only_my_notifications_newest_first(client, grid, staff, worker, worker_2):
    first = act(register_case(grid, staff), "accept", staff, worker=worker)
    second = act(register_case(grid, staff), "accept", staff, worker=worker)
    act(register_case(grid, staff, description="别人的"), "accept", staff, worker=worker_2)
    client.force_login(worker)
    page = client.get(reverse("notifications:list"))
    assert page.status_code == 200
    assert [n.case for n in page.context["page"].object_list] == [second, first]
    assert "2 条未读" in page.text


def test_opening_a_notification_marks_it_read_and_goes_to_its_case(client, grid, staff, worker):
    case = act(register_case(grid, staff), "accept", staff, worker=worker)
    notification = Notification.objects.get(recipient=worker)
    client.force_login(worker)
    response = client.post(reverse("notifications:read", args=[notification.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_read_stays_on_this_site(client, grid, staff, worker):
    act(register_case(grid, staff), "accept", staff, worker=worker)
    notification = Notification.objects.get(recipient=worker)
    client.force_login(worker)
    url = reverse("notifications:read", args=[notification.pk])
    assert client.post(url, {"next": "https://evil.example/"})["Location"] == reverse("notifications:list")
    assert client.post(url, {"next": "/notifications/?page=2"})["Location"] == "/notifications/?page=2"


def test_nobody_marks_anothers_notification(client, grid, staff, worker, worker_2):
    act(register_case(grid, staff), "accept", staff, worker=worker)
    notification = Notification.objects.get(recipient=worker)
    admin = UserFactory(username="admin", is_superuser=True)
    for other in (worker_2, staff, admin):
        client.force_login(other)
        assert client.post(reverse("notifications:read", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_marks_only_mine(client, grid, staff, worker, worker_2):
    for _ in range(3):
        act(register_case(grid, staff), "accept", staff)
    client.force_login(worker)
    assert client.post(reverse("notifications:read_all")).status_code == 302
    assert Notification.objects.filter(recipient=worker, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=worker_2, read_at__isnull=True).count() == 3


def test_a_user_moved_off_a_grid_no_longer_reads_its_notifications(client, grid, other_grid, staff, worker):
    act(register_case(grid, staff), "accept", staff, worker=worker)
    worker.assignments.all().delete()
    assign(worker, Role.GRID_WORKER, other_grid)
    assert counts(worker)["unread"] == 0
    client.force_login(worker)
    assert list(client.get(reverse("notifications:list")).context["page"].object_list) == []


def test_the_bell_shows_the_count_in_the_top_bar(client, grid, staff, worker):
    for _ in range(2):
        act(register_case(grid, staff), "accept", staff)
    client.force_login(worker)
    page = client.get(reverse("cases:queue")).text
    # The page draws the bell without its count and loads it once the page has arrived.
    assert f'hx-get="{reverse("notifications:bell")}" hx-trigger="load"' in page
    assert "data-bell-count" not in page
    bell = client.get(reverse("notifications:bell"), headers={"HX-Request": "true"}).text
    assert "data-bell-count>2</span>" in bell
    assert "hx-get" not in bell  # loaded once, not again and again


def test_the_notification_list_draws_its_bell_with_the_count(client, grid, staff, worker):
    for _ in range(3):
        act(register_case(grid, staff), "accept", staff)
    client.force_login(worker)
    page = client.get(reverse("notifications:list")).text
    assert "data-bell-count>3</span>" in page
    assert reverse("notifications:bell") not in page


# --- query counts -------------------------------------------------------------------------------------


def _fill(grid, staff, worker, n: int) -> None:
    """n notifications for the worker (n cases sent to the grid), and n cases in hand past their warning."""
    for _ in range(n):
        act(register_case(grid, staff), "accept", staff)
        case_in("in_progress", grid, staff=staff, worker=worker)


def test_the_list_issues_the_same_queries_at_two_sizes(
    client, grid, staff, worker, django_assert_num_queries
):
    client.force_login(worker)
    url = reverse("notifications:list")
    # session, user, the second factor's device, the menu's roles, enrolment dates come (visits' schedule),
    # the bell's counts (unread and every reminder, one query), the page's count, the page's rows = 8
    _fill(grid, staff, worker, 3)
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200
    _fill(grid, staff, worker, 27)
    with django_assert_num_queries(8):
        page = client.get(url)
    assert page.context["page"].paginator.count == 60


def test_a_list_of_visits_notifications_reads_their_households_in_one_query_at_any_size(
    client, grid, staff, worker, django_assert_num_queries
):
    """A visit's household, dwelling and building come in one query of their own, sent when the page
    holds a visit's notification: the same number at two sizes."""
    households = [HouseholdFactory(dwelling__building__grid=grid) for _ in range(25)]
    for household in households[:3]:
        log_visit(household, worker, an_hour_ago(), condition="urgent")
    client.force_login(staff)
    url = reverse("notifications:list")
    # session, user, the second factor's device, the menu's roles, the bell's counts (a desk has no care
    # households of its own: no schedule to bring up to date), the page's count, the page's rows, and the
    # visits with their households, dwellings and buildings = 8
    with django_assert_num_queries(8):
        small = client.get(url)
    assert str(households[0].dwelling) in small.text
    for household in households[3:]:
        log_visit(household, worker, an_hour_ago(), condition="urgent")
    with django_assert_num_queries(8):
        large = client.get(url)
    assert large.context["page"].paginator.count == 25
    assert str(households[-1].dwelling) in large.text  # the newest first


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_bell_costs_a_page_no_query_and_itself_the_same_whatever_the_data(
    client, grid, staff, worker, django_assert_num_queries
):
    client.force_login(worker)
    _fill(grid, staff, worker, 3)
    with CaptureQueriesContext(connection) as page:
        assert client.get(reverse("visits:patrols")).status_code == 200
    assert not any("notifications_notification" in q["sql"] for q in page)
    # session, user, the second factor's device, the roles (which reminders apply), enrolment dates come
    # (visits' schedule), the unread count and every reminder in one query = 6
    url = reverse("notifications:bell")
    with django_assert_num_queries(6):
        small = client.get(url).text
    _fill(grid, staff, worker, 27)
    with django_assert_num_queries(6):
        large = client.get(url).text
    assert "data-bell-count>6</span>" in small  # 3 sent to the grid, 3 of mine past their warning
    assert "data-bell-count>60</span>" in large


def test_a_reminder_for_roles_the_user_does_not_hold_is_not_asked(client, grid, staff, worker):
    client.force_login(worker)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("notifications:bell"))
    bell_query = next(q["sql"] for q in queries if "notifications_notification" in q["sql"])
    assert "followed_up_at" not in bell_query  # the desk's 待回访: a worker holds no desk role
    assert "visits_visitplan" in bell_query or "residents_careenrolment" in bell_query  # their households


def test_a_fragment_does_not_count_the_bell(client, grid, staff, worker):
    _fill(grid, staff, worker, 2)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("notifications:visit_alerts"), headers={"HX-Request": "true"})
    assert not any("notifications_notification" in q["sql"] for q in queries)


def test_the_second_factor_pages_draw_no_bell(client, worker):
    # The bell's request from a page shown before the second factor would itself be sent to that page,
    # and htmx would draw the whole page where the bell is.
    client.force_login(worker, verified=False)  # a grid worker must enrol before any other page
    page = client.get(reverse("accounts:enrol"))
    assert page.status_code == 200
    assert reverse("notifications:bell") not in page.text
    client.force_login(worker)
    assert reverse("notifications:bell") in client.get(reverse("home")).text
