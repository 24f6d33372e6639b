"""The worker's visit pages: due list, logging, editing, correcting, visit plans, the household file."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grids.models import Role
from residents import services as resident_services
from residents.models import CareCategory, Household
from tests.factories import (
    CareEnrolmentFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    assign,
    log_visit,
)
from visits import selectors
from visits.models import Visit, VisitGift, VisitPlan, VisitRevision
from visits.services import Gift

pytestmark = pytest.mark.django_db


def local(days_ago: int = 0, hour: int = 10) -> datetime.datetime:
    """A moment `days_ago` days before today, at `hour` o'clock in the portal's time zone."""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))


def minute(moment: datetime.datetime) -> str:
    """As a datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def an_hour_ago() -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(hours=1)).replace(second=0, microsecond=0)


@pytest.fixture
def household(grid):
    return HouseholdFactory(dwelling__building__grid=grid)


@pytest.fixture
def su(household):
    return ResidentFactory(household=household, name="苏秀兰")


def enrol(household, category=CareCategory.ELDERLY_LIVING_ALONE, days_ago=60):
    return CareEnrolmentFactory(
        household=household, category=category, since=timezone.localdate() - datetime.timedelta(days=days_ago)
    )


def visit_data(
    *,
    visited_at: datetime.datetime | None = None,
    kind="wellbeing",
    condition="normal",
    residents_met=(),
    visitors=(),
    team_members=(),
    notes="",
    needs_found="",
    gifts=(),
    **extra,
) -> dict:
    """What the visit form posts: checkbox lists as repeated values, the gift rows as a formset."""
    data = {
        "visited_at": minute(visited_at or an_hour_ago()),
        "kind": kind,
        "condition": condition,
        "residents_met": [str(r.pk) for r in residents_met],
        "visitors": [str(u.pk) for u in visitors],
        "team_members": [str(m.pk) for m in team_members],
        "notes": notes,
        "needs_found": needs_found,
        "gifts-TOTAL_FORMS": "3",
        "gifts-INITIAL_FORMS": "0",
        "gifts-MIN_NUM_FORMS": "0",
        "gifts-MAX_NUM_FORMS": "10",
        **extra,
    }
    for i, (item, quantity, value) in enumerate(gifts):
        data.update({f"gifts-{i}-item": item, f"gifts-{i}-quantity": quantity, f"gifts-{i}-value": value})
    return data


def new_visit_url(household) -> str:
    return reverse("visits:new") + f"?household={household.pk}"


def due_pks(client) -> list[int]:
    response = client.get(reverse("visits:due"))
    assert response.status_code == 200
    return [row.pk for _key, _title, rows in response.context["sections"] for row in rows]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["due", "new", "detail", "edit", "correct", "plan"])
def test_anonymous_is_sent_to_login(client, household, worker, name):
    visit = log_visit(household, worker, an_hour_ago())
    urls = {
        "due": reverse("visits:due"),
        "new": new_visit_url(household),
        "detail": reverse("visits:detail", args=[visit.pk]),
        "edit": reverse("visits:edit", args=[visit.pk]),
        "correct": reverse("visits:correct", args=[visit.pk]),
        "plan": reverse("visits:plan", args=[household.pk]),
    }
    response = client.get(urls[name])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_worker_can_neither_see_nor_log_visits_outside_their_grids(client, worker, other_grid):
    foreign = HouseholdFactory(dwelling__building__grid=other_grid)
    foreign_member = ResidentFactory(household=foreign)
    colleague = UserFactory()
    assign(colleague, Role.GRID_WORKER, other_grid)
    foreign_visit = log_visit(foreign, colleague, an_hour_ago())
    client.force_login(worker)

    assert client.get(new_visit_url(foreign)).status_code == 404
    posted = client.post(
        new_visit_url(foreign), visit_data(residents_met=[foreign_member], visitors=[worker])
    )
    assert posted.status_code == 404
    assert Visit.objects.filter(household=foreign).count() == 1  # only the colleague's
    assert client.get(reverse("visits:detail", args=[foreign_visit.pk])).status_code == 404
    assert client.get(reverse("visits:edit", args=[foreign_visit.pk])).status_code == 404
    assert client.post(reverse("visits:correct", args=[foreign_visit.pk]), {"note": "x"}).status_code == 404
    assert client.get(reverse("visits:plan", args=[foreign.pk])).status_code == 404
    assert not VisitRevision.objects.exists()


def test_unknown_or_missing_household_is_404(client, worker):
    client.force_login(worker)
    assert client.get(reverse("visits:new")).status_code == 404
    assert client.get(reverse("visits:new") + "?household=abc").status_code == 404
    assert client.get(reverse("visits:new") + "?household=999999").status_code == 404


# --- logging a visit --------------------------------------------------------------------------------


def test_new_visit_form_defaults_to_now_and_me_and_ticks_nobody_as_met(client, worker, staff, household, su):
    wife = ResidentFactory(household=household, name="李秀梅")
    ResidentFactory(
        household=household, name="张德福", status="deceased", status_date=datetime.date(2019, 10, 8)
    )
    outsider = UserFactory()
    assign(outsider, Role.GRID_WORKER, GridFactory())
    client.force_login(worker)

    response = client.get(new_visit_url(household))

    assert response.status_code == 200
    form = response.context["form"]
    # The worker ticks whom they saw: a record must not claim a meeting by default.
    assert form["residents_met"].value() is None
    assert form["visitors"].value() == [worker.pk]
    assert (form["kind"].value(), form["outcome"].value(), form["condition"].value()) == (
        "wellbeing",
        "met",
        "normal",
    )
    shown = timezone.make_aware(form["visited_at"].value())  # shown in local time, to the minute
    assert datetime.timedelta(0) <= timezone.now() - shown < datetime.timedelta(minutes=2)
    offered = list(form.fields["visitors"].queryset)
    assert offered[0] == worker  # me first
    assert set(offered) == {worker, staff}
    assert [r.name for r in form.fields["residents_met"].queryset] == ["苏秀兰", "李秀梅"]
    html = response.content.decode()
    assert f'value="{su.pk}" id="id_residents_met_0">' in html
    assert f'value="{wife.pk}" id="id_residents_met_1">' in html
    assert 'type="datetime-local"' in html


def test_logging_a_visit_saves_it_and_says_so(client, worker, staff, household, su):
    client.force_login(worker)
    at = an_hour_ago()

    response = client.post(
        new_visit_url(household),
        visit_data(
            visited_at=at,
            kind="condolence",
            condition="attention",
            residents_met=[su],
            visitors=[worker, staff],
            notes="老人腿脚不便",
            needs_found="卫生间扶手松动",
            gifts=[("大米", "2", "60.00"), ("食用油", "1", "45.50")],
        ),
        follow=True,
    )

    visit = Visit.objects.get()
    # A request was found: the visit's page offers to register it (登记为诉求工单), then to go back.
    detail = reverse("visits:detail", args=[visit.pk])
    assert response.redirect_chain == [(f"{detail}?next=%2Fvisits%2Fdue%2F", 302)]
    assert "已记录对 苏秀兰 的走访。" in response.content.decode()
    assert (visit.household, visit.visited_at, visit.kind, visit.condition, visit.author) == (
        household,
        at,
        "condolence",
        "attention",
        worker,
    )
    assert (visit.notes, visit.needs_found) == ("老人腿脚不便", "卫生间扶手松动")
    assert list(visit.residents_met.all()) == [su]
    assert set(visit.visitors.all()) == {worker, staff}
    assert [(g.item, g.quantity, str(g.value)) for g in visit.gifts.order_by("id")] == [
        ("大米", 2, "60.00"),
        ("食用油", 1, "45.50"),
    ]
    assert VisitPlan.objects.get(household=household).last_visited_at == at


def test_logging_a_visit_goes_back_to_a_safe_next_only(client, worker, household, su):
    client.force_login(worker)
    file_url = reverse("household_file", args=[household.pk])
    back = client.post(new_visit_url(household) + f"&next={file_url}", visit_data(visitors=[worker]))
    assert back["Location"] == file_url
    away = client.post(new_visit_url(household) + "&next=https://example.com/", visit_data(visitors=[worker]))
    assert away["Location"] == reverse("visits:due")


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("future", "visited_at", "走访时间不能晚于现在。"),
        ("visitor_not_in_registry", "visitors", "所选走访人员不在本网格的工作人员名册中。"),
        ("no_visitor", "visitors", "请至少选择一名走访人员。"),
        ("resident_of_another_household", "residents_met", "见到的居民须是本户成员。"),
        ("gift_quantity_zero", "gifts", "慰问品“大米”的数量须大于 0。"),
        ("gift_quantity_negative", "gifts", "慰问品“大米”的数量须大于 0。"),
        ("gift_without_name", "gifts-0-item", "请填写慰问品名称。"),
        ("gift_on_a_caring_visit", "gifts", "只有慰问走访才登记慰问品。"),
    ],
)
def test_bad_visit_input_is_refused_with_a_clear_error_and_nothing_saved(
    client, worker, grid, household, su, case, field, message
):
    stranger = UserFactory()  # no role over the grid
    neighbour = ResidentFactory(household=HouseholdFactory(dwelling__building__grid=grid))
    posts = {
        "future": visit_data(visited_at=timezone.now() + datetime.timedelta(hours=2), visitors=[worker]),
        "visitor_not_in_registry": visit_data(visitors=[worker, stranger]),
        "no_visitor": visit_data(visitors=[]),
        "resident_of_another_household": visit_data(residents_met=[su, neighbour], visitors=[worker]),
        "gift_quantity_zero": visit_data(kind="condolence", visitors=[worker], gifts=[("大米", "0", "60")]),
        "gift_quantity_negative": visit_data(
            kind="condolence", visitors=[worker], gifts=[("大米", "-2", "60")]
        ),
        "gift_without_name": visit_data(kind="condolence", visitors=[worker], gifts=[("", "1", "60")]),
        "gift_on_a_caring_visit": visit_data(
            kind="wellbeing", visitors=[worker], gifts=[("大米", "1", "60")]
        ),
    }
    data = {**posts[case], "notes": "我写的走访情况"}
    client.force_login(worker)

    response = client.post(new_visit_url(household), data)

    assert response.status_code == 200
    form = response.context["form"]
    if field == "gifts":
        assert response.context["gift_errors"] == [message]
        assert response.context["show_gifts"] is True
    elif field.startswith("gifts-"):
        assert response.context["gifts"].forms[0].errors["item"] == [message]
    else:
        assert form.errors[field] == [message]
    html = response.content.decode()
    assert message in html
    assert "走访尚未保存" in html
    assert "我写的走访情况" in html  # the user's input is kept
    assert not Visit.objects.exists()
    assert not VisitGift.objects.exists()
    assert not VisitPlan.objects.filter(last_visited_at__isnull=False).exists()


def test_a_moved_out_household_cannot_be_visited(client, worker, household, su):
    resident_services.household_move_out(household=household, on=timezone.localdate())
    client.force_login(worker)
    response = client.post(new_visit_url(household), visit_data(visitors=[worker]))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["该户已迁出，不能再记录走访。"]
    assert not Visit.objects.exists()


# --- the due list -----------------------------------------------------------------------------------


def test_due_list_sorts_households_into_overdue_today_and_this_week(client, worker, grid):
    overdue, today, soon, later = (HouseholdFactory(dwelling__building__grid=grid) for _ in range(4))
    for household in (overdue, today, soon, later):
        enrol(household)  # weekly
    log_visit(overdue, worker, local(days_ago=10))  # due 3 days ago
    log_visit(today, worker, local(days_ago=7))  # due today
    log_visit(soon, worker, local(days_ago=3))  # due in 4 days
    log_visit(later, worker, local(days_ago=0, hour=0))  # due in 7 days: beyond this week
    client.force_login(worker)

    response = client.get(reverse("visits:due"))

    sections = {
        key: [(row.pk, row.days_overdue) for row in rows] for key, _t, rows in response.context["sections"]
    }
    assert sections == {"overdue": [(overdue.pk, 3)], "today": [(today.pk, 0)], "soon": [(soon.pk, -4)]}
    html = response.content.decode()
    assert "逾期 3 天" in html
    assert f'href="{new_visit_url(overdue)}"' in html


def test_due_list_is_empty_when_every_visit_is_on_time(client, worker, household):
    enrol(household)
    log_visit(household, worker, local(days_ago=0, hour=0))
    client.force_login(worker)
    response = client.get(reverse("visits:due"))
    assert due_pks(client) == []
    assert "本周没有应访的关爱对象。" in response.content.decode()


def test_due_list_never_shows_households_of_other_grids(client, worker, household, other_grid):
    foreign = HouseholdFactory(dwelling__building__grid=other_grid)
    enrol(household)
    enrol(foreign)
    client.force_login(worker)
    assert due_pks(client) == [household.pk]


def test_logging_a_visit_removes_the_household_from_the_due_list(client, worker, household, su):
    enrol(household)
    log_visit(household, worker, local(days_ago=9))
    client.force_login(worker)
    assert due_pks(client) == [household.pk]
    assert f'data-household="{household.pk}"' in client.get(reverse("visits:due")).content.decode()

    # Visited today (an hour ago, or at midnight in the first hour of the day): due again in a week.
    today = max(an_hour_ago(), local(hour=0))
    client.post(new_visit_url(household), visit_data(visited_at=today, residents_met=[su], visitors=[worker]))

    assert due_pks(client) == []
    assert f'data-household="{household.pk}"' not in client.get(reverse("visits:due")).content.decode()


def test_due_list_search_reaches_a_household_that_is_not_due(client, worker, household, su, other_grid):
    ResidentFactory(household=HouseholdFactory(dwelling__building__grid=other_grid), name="苏秀英")
    client.force_login(worker)
    response = client.get(reverse("visits:due") + "?q=苏秀")
    ResidentFactory(household=household, name="苏明")
    assert [(e["household"], e["names"]) for e in response.context["found"]] == [(household, ["苏秀兰"])]
    both = client.get(reverse("visits:due") + "?q=苏").context["found"]
    assert [(e["household"], e["names"]) for e in both] == [(household, ["苏秀兰", "苏明"])]  # one door
    assert f'href="{new_visit_url(household)}"' in response.content.decode()


def test_due_list_issues_the_same_queries_at_two_sizes(client, worker, grid):
    # session, user, the second factor's device, stale schedules, the user's grid ids, count (capped), the
    # page of households with their stored schedule, current members of the page, active enrolments of
    # the page = 9
    def fill(n):
        for _ in range(n):
            household = HouseholdFactory(dwelling__building__grid=grid)
            ResidentFactory.create_batch(2, household=household)
            enrol(household)

    client.force_login(worker)
    fill(3)
    small = count_queries(client, reverse("visits:due"))
    fill(27)
    assert len(due_pks(client)) == 30
    assert count_queries(client, reverse("visits:due")) == small == 10  # with the menu's roles


# --- one visit, editing and correcting --------------------------------------------------------------


@pytest.fixture
def visit(household, su, worker):
    return log_visit(household, worker, an_hour_ago(), residents_met=[su], notes="老人精神不错")


def age(visit, hours: int) -> None:
    """Move the time the visit was logged back, as if `hours` had passed since."""
    Visit.objects.filter(pk=visit.pk).update(created_at=timezone.now() - datetime.timedelta(hours=hours))


def test_visit_page_shows_the_visit_and_its_needs(client, worker, staff, household, su):
    visit = log_visit(
        household, worker, an_hour_ago(), residents_met=[su], condition="urgent", needs_found="下水道堵塞"
    )
    client.force_login(staff)
    response = client.get(reverse("visits:detail", args=[visit.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "下水道堵塞" in html
    assert 'class="badge text-bg-danger">紧急' in html
    assert reverse("visits:edit", args=[visit.pk]) not in html  # not the author
    assert reverse("visits:correct", args=[visit.pk]) in html


def test_author_may_edit_within_24_hours_and_the_previous_values_are_kept(client, worker, visit, su):
    client.force_login(worker)
    page = client.get(reverse("visits:detail", args=[visit.pk]))
    assert reverse("visits:edit", args=[visit.pk]) in page.content.decode()
    form = client.get(reverse("visits:edit", args=[visit.pk])).context["form"]
    assert (form["notes"].value(), form["residents_met"].value()) == ("老人精神不错", [su.pk])

    response = client.post(
        reverse("visits:edit", args=[visit.pk]),
        visit_data(
            visited_at=visit.visited_at, kind="needs", residents_met=[su], visitors=[worker], notes="改"
        ),
    )

    assert response["Location"] == reverse("visits:detail", args=[visit.pk])
    visit.refresh_from_db()
    assert (visit.kind, visit.notes) == ("needs", "改")
    revision = VisitRevision.objects.get()
    assert (revision.visit, revision.kind, revision.by) == (visit, "edit", worker)
    assert revision.before == {
        "visited_at": visit.visited_at.isoformat(),
        "kind": "wellbeing",
        "outcome": "met",
        "condition": "normal",
        "notes": "老人精神不错",
        "needs_found": "",
        "residents_met": [su.pk],
        "visitors": [worker.pk],
        "team_members": [],
        "gifts": [],
    }
    history = client.get(reverse("visits:detail", args=[visit.pk])).context["history"]
    assert [(c["label"], c["before"], c["after"]) for c in history[0]["changes"]] == [
        ("走访类型", "访民问暖", "访民问需"),
        ("走访情况", "老人精神不错", "改"),
    ]


def test_an_edit_that_leaves_the_time_as_shown_keeps_the_recorded_seconds(client, worker, household, su):
    recorded = timezone.now() - datetime.timedelta(hours=2, seconds=17)
    visit = log_visit(household, worker, recorded, residents_met=[su])
    client.force_login(worker)

    client.post(
        reverse("visits:edit", args=[visit.pk]),
        visit_data(visited_at=recorded, residents_met=[su], visitors=[worker], notes="补记"),
    )

    visit.refresh_from_db()
    assert (visit.visited_at, visit.notes) == (recorded, "补记")
    history = client.get(reverse("visits:detail", args=[visit.pk])).context["history"]
    assert [c["label"] for c in history[0]["changes"]] == ["走访情况"]


def test_author_gets_403_after_24_hours_and_is_offered_a_correction(client, worker, visit):
    age(visit, hours=25)
    client.force_login(worker)

    response = client.get(reverse("visits:edit", args=[visit.pk]))
    posted = client.post(reverse("visits:edit", args=[visit.pk]), visit_data(visitors=[worker], notes="晚改"))

    assert (response.status_code, posted.status_code) == (403, 403)
    html = response.content.decode()
    assert "已超过 24 小时，不能再修改" in html
    assert reverse("visits:correct", args=[visit.pk]) in html
    visit.refresh_from_db()
    assert visit.notes == "老人精神不错"
    assert not VisitRevision.objects.exists()


def test_someone_else_may_not_edit_the_visit(client, staff, visit):
    client.force_login(staff)
    assert client.get(reverse("visits:edit", args=[visit.pk])).status_code == 403
    posted = client.post(
        reverse("visits:edit", args=[visit.pk]), visit_data(visitors=[staff], notes="别人改")
    )
    assert posted.status_code == 403
    visit.refresh_from_db()
    assert visit.notes == "老人精神不错"


def test_a_correction_is_appended_and_the_visit_stays_as_it_was(client, staff, visit):
    age(visit, hours=30)
    before = Visit.objects.values().get(pk=visit.pk)
    client.force_login(staff)

    response = client.post(reverse("visits:correct", args=[visit.pk]), {"note": "实际见到的是老人的女儿"})

    assert response["Location"] == reverse("visits:detail", args=[visit.pk])
    assert Visit.objects.values().get(pk=visit.pk) == before
    revision = VisitRevision.objects.get()
    assert (revision.kind, revision.by, revision.note) == ("correction", staff, "实际见到的是老人的女儿")
    page = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert "实际见到的是老人的女儿" in page


def test_an_empty_correction_is_refused(client, staff, visit):
    client.force_login(staff)
    response = client.post(reverse("visits:correct", args=[visit.pk]), {"note": "  "})
    assert response.status_code == 200
    assert response.context["correction_form"].errors["note"] == ["请写明更正内容。"]
    assert not VisitRevision.objects.exists()


def test_history_lists_revisions_latest_first(client, worker, staff, visit, su):
    client.force_login(worker)
    client.post(
        reverse("visits:edit", args=[visit.pk]),
        visit_data(visited_at=visit.visited_at, condition="attention", residents_met=[su], visitors=[worker]),
    )
    client.force_login(staff)
    client.post(reverse("visits:correct", args=[visit.pk]), {"note": "补充：老人血压偏高"})
    history = client.get(reverse("visits:detail", args=[visit.pk])).context["history"]
    assert [(row["revision"].kind, row["revision"].by) for row in history] == [
        ("correction", staff),
        ("edit", worker),
    ]
    assert history[0]["changes"] == []
    assert [(c["label"], c["before"], c["after"]) for c in history[1]["changes"]] == [
        ("居民状况", "正常", "需关注"),
        ("走访情况", "老人精神不错", "—"),
    ]


# --- the visit plan ---------------------------------------------------------------------------------


def test_staff_sets_a_household_interval_with_a_reason(client, staff, household):
    enrol(household)  # weekly
    client.force_login(staff)

    response = client.post(
        reverse("visits:plan", args=[household.pk]),
        {"interval_override_days": "2", "override_reason": "每周三次送物资"},
    )

    assert response["Location"] == reverse("household_file", args=[household.pk])
    plan = VisitPlan.objects.get(household=household)
    assert (plan.interval_override_days, plan.override_reason) == (2, "每周三次送物资")
    schedule = selectors.care_schedule(Household.objects.filter(pk=household.pk)).get()
    assert schedule.interval_days == 2
    page = client.get(reverse("visits:plan", args=[household.pk]))
    assert page.context["schedule"].interval_days == 2
    assert "间隔 2 天" in page.content.decode()


def test_clearing_the_interval_returns_to_the_care_group_interval(client, staff, household):
    enrol(household)
    client.force_login(staff)
    client.post(
        reverse("visits:plan", args=[household.pk]),
        {"interval_override_days": "2", "override_reason": "送物资"},
    )
    client.post(
        reverse("visits:plan", args=[household.pk]), {"interval_override_days": "", "override_reason": ""}
    )
    plan = VisitPlan.objects.get(household=household)
    assert (plan.interval_override_days, plan.override_reason) == (None, "")
    assert selectors.care_schedule(Household.objects.filter(pk=household.pk)).get().interval_days == 7


def test_building_head_may_not_set_a_visit_plan(client, building_head, household):
    client.force_login(building_head)
    assert client.get(reverse("visits:plan", args=[household.pk])).status_code == 403
    posted = client.post(
        reverse("visits:plan", args=[household.pk]), {"interval_override_days": "2", "override_reason": "x"}
    )
    assert posted.status_code == 403
    assert not VisitPlan.objects.exists()


def test_a_household_interval_needs_a_reason(client, staff, household):
    client.force_login(staff)
    response = client.post(
        reverse("visits:plan", args=[household.pk]), {"interval_override_days": "2", "override_reason": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["override_reason"] == ["请写明为什么本户另定走访间隔。"]
    assert not VisitPlan.objects.exists()


# --- the household file -----------------------------------------------------------------------------


def test_household_file_shows_visits_latest_first_with_the_schedule(client, worker, household, su):
    enrol(household)
    middle = log_visit(household, worker, local(days_ago=9), residents_met=[su])
    latest = log_visit(household, worker, local(days_ago=8), condition="attention")
    earliest = log_visit(household, worker, local(days_ago=20))
    client.force_login(worker)

    response = client.get(reverse("household_file", args=[household.pk]))

    assert response.context["visits"] == [latest, middle, earliest]
    html = response.content.decode()
    positions = [html.index(f'data-visit="{v.pk}"') for v in (latest, middle, earliest)]
    assert positions == sorted(positions)
    due = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert f"间隔 7 天，下次应访 {due}" in html
    assert "逾期 1 天" in html
    assert 'class="badge text-bg-warning">需关注' in html
    assert f'href="{reverse("visits:new")}?household={household.pk}&amp;next=' in html
    assert reverse("visits:plan", args=[household.pk]) in html


def test_household_file_hides_the_plan_button_from_a_building_head(client, building_head, household):
    client.force_login(building_head)
    html = client.get(reverse("household_file", args=[household.pk])).content.decode()
    assert reverse("visits:plan", args=[household.pk]) not in html
    assert "还没有走访记录。" in html


def test_household_file_issues_the_same_queries_with_1_and_30_visits(client, worker, grid):
    few = HouseholdFactory(dwelling__building__grid=grid)
    many = HouseholdFactory(dwelling__building__grid=grid)
    for household, visits in ((few, 1), (many, 30)):
        member = ResidentFactory(household=household)
        enrol(household)
        for n in range(visits):
            log_visit(
                household,
                worker,
                local(days_ago=n + 1),
                residents_met=[member],
                kind="condolence",
                gifts=[Gift(item="牛奶", quantity=1, value=Decimal("50"))],
            )
    client.force_login(worker)
    assert count_queries(client, reverse("household_file", args=[few.pk])) == count_queries(
        client, reverse("household_file", args=[many.pk])
    )
