"""Honest visits (issue 15): a knock with nobody home, whom the worker ticks as met, the condition filter,
a request found at the door offered as a case, and the signal other apps hear a visit by."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import VisitHistory
from residents.models import CareCategory, ExportRecord, Household
from tests.factories import CareEnrolmentFactory, HouseholdFactory, ResidentFactory, edit_visit, log_visit
from tests.test_visit_views import an_hour_ago, local, new_visit_url, visit_data
from visits import selectors, signals
from visits.measures import coverage_by, coverage_drill
from visits.models import Visit, VisitPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(grid):
    return HouseholdFactory(dwelling__building__grid=grid)


@pytest.fixture
def su(household):
    return ResidentFactory(household=household, name="苏秀兰")


@pytest.fixture
def overdue(household, su, worker):
    """苏秀兰's household: living alone (weekly), last visited ten days ago, so due three days ago."""
    CareEnrolmentFactory(
        household=household,
        resident=su,
        category=CareCategory.ELDERLY_LIVING_ALONE,
        since=timezone.localdate() - datetime.timedelta(days=60),
    )
    log_visit(household, worker, local(days_ago=10), residents_met=[su])
    return household


def plan(household) -> VisitPlan:
    return VisitPlan.objects.get(household=household)


def coverage(household) -> tuple[int, int]:
    counts = coverage_by([household.grid_id], "grid", timezone.localdate())
    return counts[household.grid_id]


# --- a knock with nobody home -------------------------------------------------------------------------


def test_a_knock_with_nobody_home_leaves_the_household_due_and_out_of_coverage(overdue, worker):
    today = timezone.localdate()
    due_before = plan(overdue).next_due
    assert due_before == today - datetime.timedelta(days=3)
    assert coverage(overdue) == (1, 0)

    knock = log_visit(overdue, worker, an_hour_ago(), outcome="no_answer")

    assert knock.outcome == Visit.Outcome.NO_ANSWER
    assert (knock.visited_at, list(knock.visitors.all())) == (an_hour_ago(), [worker])  # who knocked, when
    assert (plan(overdue).last_visited_at, plan(overdue).next_due) == (local(days_ago=10), due_before)
    assert [h.pk for h in selectors.due_households(worker, today)] == [overdue.pk]
    assert coverage(overdue) == (1, 0)
    miss = coverage_drill(Household.objects.filter(grid=overdue.grid), "miss", today)
    assert list(miss) == [overdue]

    # The next knock finds her at home: that visit counts.
    log_visit(overdue, worker, an_hour_ago(), residents_met=list(overdue.members.all()))
    assert plan(overdue).next_due > today
    assert coverage(overdue) == (1, 1)


def test_only_visits_where_someone_answered_count(overdue, worker):
    knock = log_visit(overdue, worker, an_hour_ago(), outcome="no_answer")
    assert list(Visit.objects.filter(household=overdue).counted()) == [
        Visit.objects.get(household=overdue, outcome="met")
    ]
    assert knock not in Visit.objects.counted()


def test_editing_a_visit_into_a_knock_with_nobody_home_puts_the_household_back_on_the_due_list(
    overdue, su, worker
):
    visit = log_visit(overdue, worker, an_hour_ago(), residents_met=[su])
    assert plan(overdue).next_due > timezone.localdate()
    edit_visit(visit, worker, outcome="no_answer", residents_met=[])
    assert plan(overdue).next_due == timezone.localdate() - datetime.timedelta(days=3)


def test_the_form_records_a_knock_with_nobody_ticked_and_says_the_household_stays_due(
    client, overdue, worker
):
    client.force_login(worker)
    response = client.post(
        new_visit_url(overdue), visit_data(outcome="no_answer", visitors=[worker]), follow=True
    )
    assert response.redirect_chain == [(reverse("visits:due"), 302)]
    assert "已记录敲门：无人应答。该户仍在应访之列" in response.content.decode()
    knock = Visit.objects.get(outcome="no_answer")
    assert (knock.household, knock.author, list(knock.residents_met.all())) == (overdue, worker, [])
    due = [(key, row.pk) for key, _title, rows in response.context["sections"] for row in rows]
    assert due == [("overdue", overdue.pk)]  # still overdue, not moved on by the knock


def test_a_knock_with_nobody_home_cannot_claim_anyone_met(client, household, su, worker):
    client.force_login(worker)
    response = client.post(
        new_visit_url(household), visit_data(outcome="no_answer", residents_met=[su], visitors=[worker])
    )
    assert response.status_code == 200
    assert response.context["form"].errors["residents_met"] == ["无人应答时不能勾选见到的居民。"]
    assert not Visit.objects.exists()


def test_a_visit_where_someone_answered_keeps_the_rules_on_residents_met(client, household, su, worker):
    """With someone at home the residents' list is checked as before: only members, none required."""
    client.force_login(worker)
    neighbour = ResidentFactory(household=HouseholdFactory(dwelling__building__grid=household.grid))
    refused = client.post(new_visit_url(household), visit_data(residents_met=[neighbour], visitors=[worker]))
    assert refused.context["form"].errors["residents_met"] == ["见到的居民须是本户成员。"]
    client.post(new_visit_url(household), visit_data(residents_met=[su], visitors=[worker]))
    assert [(v.outcome, list(v.residents_met.all())) for v in Visit.objects.all()] == [("met", [su])]


def test_a_form_without_the_outcome_records_a_visit_and_a_wrong_one_is_an_error(client, household, worker):
    client.force_login(worker)
    assert client.post(new_visit_url(household), visit_data(visitors=[worker])).status_code == 302
    assert Visit.objects.get().outcome == "met"
    wrong = client.post(new_visit_url(household), visit_data(outcome="gone", visitors=[worker]))
    assert wrong.status_code == 200 and "outcome" in wrong.context["form"].errors
    assert Visit.objects.count() == 1


def test_knocks_with_nobody_home_are_marked_in_the_history_list_page_and_export(
    client, overdue, su, worker, staff
):
    knock = log_visit(overdue, worker, an_hour_ago(), outcome="no_answer")
    met = Visit.objects.get(household=overdue, outcome="met")
    client.force_login(worker)

    file_html = client.get(reverse("household_file", args=[overdue.pk])).content.decode()
    assert f'data-visit="{knock.pk}" data-outcome="no_answer"' in file_html
    assert f'data-visit="{met.pk}" data-outcome="met"' in file_html
    assert (
        file_html.count('<span class="badge text-bg-secondary" data-outcome="no_answer">无人应答</span>') == 1
    )

    detail = client.get(reverse("visits:detail", args=[knock.pk])).content.decode()
    assert "无人应答" in detail and "（不计为完成走访）" in detail
    assert "无人应答" not in client.get(reverse("visits:detail", args=[met.pk])).content.decode()

    listed = client.get(reverse("visits:list")).content.decode()
    assert listed.count('data-outcome="no_answer"') == 1

    from tests.test_visit_records import _sheet_rows

    rows = _sheet_rows(client.get(reverse("visits:export")))
    column = rows[0].index("走访结果")
    assert sorted(row[column] for row in rows[1:]) == ["无人应答", "有人应答"]


def test_the_edit_history_shows_a_change_of_outcome(client, household, su, worker):
    visit = log_visit(household, worker, an_hour_ago(), residents_met=[su])
    client.force_login(worker)
    data = visit_data(visited_at=visit.visited_at, outcome="no_answer", visitors=[worker])
    assert client.post(reverse("visits:edit", args=[visit.pk]), data).status_code == 302
    history = client.get(reverse("visits:detail", args=[visit.pk])).context["history"]
    changes = {(c["label"], c["before"], c["after"]) for c in history[0]["changes"]}
    assert ("走访结果", "有人应答", "无人应答") in changes


def test_the_audit_history_keeps_the_outcome(household, worker):
    knock = log_visit(household, worker, an_hour_ago(), outcome="no_answer")
    assert list(VisitHistory.objects.filter(pgh_obj_id=knock.pk).values_list("outcome", flat=True)) == [
        "no_answer"
    ]


# --- the visits list by 居民状况 ------------------------------------------------------------------------


def test_visit_list_filters_by_condition_in_pages_and_export(client, household, worker):
    for minutes in range(21):  # a page holds 20
        log_visit(household, worker, an_hour_ago() - datetime.timedelta(minutes=minutes), condition="urgent")
    log_visit(household, worker, an_hour_ago(), condition="normal")
    client.force_login(worker)

    first = client.get(reverse("visits:list"), {"condition": "urgent"})

    assert first.context["page"].paginator.count == 21
    assert {v.condition for v in first.context["page"].object_list} == {"urgent"}
    assert 'href="?condition=urgent&amp;page=2"' in first.content.decode()
    second = client.get(reverse("visits:list"), {"condition": "urgent", "page": 2})
    assert [v.condition for v in second.context["page"].object_list] == ["urgent"]

    from tests.test_visit_records import _sheet_rows

    export = _sheet_rows(client.get(reverse("visits:export"), {"condition": "urgent"}))
    assert [row[export[0].index("居民状况")] for row in export[1:]] == ["紧急"] * 21
    assert ExportRecord.objects.get().filters["condition"] == "urgent"
    wrong = client.get(reverse("visits:list"), {"condition": "fine"})
    assert wrong.status_code == 200 and "condition" in wrong.context["form"].errors


# --- a request found at the door ----------------------------------------------------------------------


def test_saving_a_visit_with_a_request_found_offers_to_register_it(client, household, su, worker):
    client.force_login(worker)
    file_url = reverse("household_file", args=[household.pk])
    response = client.post(
        new_visit_url(household) + f"&next={file_url}",
        visit_data(residents_met=[su], visitors=[worker], needs_found="卫生间扶手松动"),
        follow=True,
    )
    visit = Visit.objects.get()
    detail = reverse("visits:detail", args=[visit.pk])
    assert response.redirect_chain == [(f"{detail}?next={file_url.replace('/', '%2F')}", 302)]
    html = response.content.decode()
    assert "已记录对 苏秀兰 的走访。" in html
    assert f'href="{reverse("cases:new")}?visit={visit.pk}"' in html
    assert f'href="{file_url}"' in html  # 完成，返回

    form = client.get(reverse("cases:new"), {"visit": visit.pk}).context["form"]
    assert (form.initial["channel"], form.initial["requester"], form.initial["description"]) == (
        "visit",
        su.pk,
        "卫生间扶手松动",
    )
    assert (form.initial["grid"], form.initial["building"]) == (
        household.grid,
        household.dwelling.building_id,
    )


def test_a_visit_without_a_request_goes_back_as_before(client, household, su, worker):
    client.force_login(worker)
    response = client.post(new_visit_url(household), visit_data(residents_met=[su], visitors=[worker]))
    assert response["Location"] == reverse("visits:due")


def test_the_intake_form_gives_nothing_from_a_visit_of_another_grid(client, worker, other_grid):
    from grids.models import Role
    from tests.factories import UserFactory, assign

    colleague = UserFactory()
    assign(colleague, Role.GRID_WORKER, other_grid)
    foreign = HouseholdFactory(dwelling__building__grid=other_grid)
    visit = log_visit(foreign, colleague, an_hour_ago(), needs_found="下水不通")
    client.force_login(worker)
    assert client.get(reverse("cases:new"), {"visit": visit.pk}).status_code == 404
    assert client.get(reverse("visits:detail", args=[visit.pk])).status_code == 404


# --- the signal for apps above visits -----------------------------------------------------------------


def test_visit_recorded_is_sent_once_with_the_visit_and_its_people_saved(household, su, worker):
    heard = []

    def receiver(sender, visit, **kwargs):
        heard.append((visit.pk, [r.pk for r in visit.residents_met.all()], visit.condition))

    signals.visit_recorded.connect(receiver)
    try:
        visit = log_visit(household, worker, an_hour_ago(), residents_met=[su], condition="urgent")
    finally:
        signals.visit_recorded.disconnect(receiver)
    assert heard == [(visit.pk, [su.pk], "urgent")]


def test_the_signal_is_sent_inside_the_visits_transaction(household, worker):
    def receiver(sender, visit, **kwargs):
        raise RuntimeError("the alert could not be written")

    signals.visit_recorded.connect(receiver)
    try:
        with pytest.raises(RuntimeError):
            log_visit(household, worker, an_hour_ago())
    finally:
        signals.visit_recorded.disconnect(receiver)
    assert not Visit.objects.exists()
