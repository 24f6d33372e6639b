"""Issue 15, item 8, the leaders: the street's inbox of escalated cases and each grid worker's workload,
with the lists behind their numbers and a fixed query count (大事不出街道率: tests/test_dashboard.py)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.measures import WORKLOAD
from cases.models import Action, Case, CaseEvent, Status
from grids.models import Role
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    assign,
    case_in,
    log_visit,
)
from tests.test_dashboard import story

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------- the street's inbox


@pytest.fixture
def street_world(db):
    """Street S: community C1 (grid A) and C2 (grid B); street T: grid X. One desk and worker per grid."""
    grid_a = GridFactory(name="甲网格")
    grid_b = GridFactory(name="乙网格", community=CommunityFactory(street=grid_a.community.street))
    grid_x = GridFactory(name="外网格")
    people = {}
    for key, grid in (("a", grid_a), ("b", grid_b), ("x", grid_x)):
        people[f"staff_{key}"] = UserFactory(username=f"staff_{key}")
        assign(people[f"staff_{key}"], Role.COMMUNITY_STAFF, grid.community)
        people[f"worker_{key}"] = UserFactory(username=f"worker_{key}", first_name=f"网格员{key}")
        assign(people[f"worker_{key}"], Role.GRID_WORKER, grid)
    people["street"] = UserFactory(username="street_s")
    assign(people["street"], Role.STREET_LEADER, grid_a.community.street)
    people["leader_a"] = UserFactory(username="leader_a")
    assign(people["leader_a"], Role.COMMUNITY_LEADER, grid_a.community)
    return {"grids": {"A": grid_a, "B": grid_b, "X": grid_x}, "people": people}


def _escalated(world, key: str, days_ago: float = 0, **register):
    people = world["people"]
    return case_in(
        "escalated",
        world["grids"][key.upper()],
        staff=people[f"staff_{key}"],
        worker=people[f"worker_{key}"],
        now=timezone.now() - datetime.timedelta(days=days_ago),
        **register,
    )


def _inbox(client, **params):
    response = client.get(reverse("cases:street_inbox"), params)
    assert response.status_code == 200
    return response


def _listed(response) -> list[int]:
    return [row.case.pk for row in response.context["rows"]]


def test_inbox_lists_the_escalated_cases_of_the_leaders_street_overdue_first(street_world, client):
    fresh = _escalated(street_world, "a", days_ago=1, description="小区路灯损坏，夜间无照明。")
    overdue = _escalated(street_world, "b", days_ago=10)
    _escalated(street_world, "x")  # another street
    people = street_world["people"]
    case_in("in_progress", street_world["grids"]["A"], staff=people["staff_a"], worker=people["worker_a"])
    client.force_login(people["street"])
    response = _inbox(client)
    assert _listed(response) == [overdue.pk, fresh.pk]
    html = response.content.decode()
    assert "超期 " in html and "小区路灯损坏" in html
    assert "已上报 1天<" in html  # how long since it was sent up, as the clocks say spans
    assert "处理说明" in html  # the escalation's reason, from its timeline line
    assert "（网格员a）" in html and "（网格员b）" in html  # and who sent it up
    # each card links to its case, and prints when it was sent up in local time (Beijing), to the minute
    assert f'href="{reverse("cases:detail", args=[fresh.pk])}"' in html
    assert timezone.localtime(fresh.escalated_at).strftime("%Y-%m-%d %H:%M") in html
    # the actions the table gives the street, and nothing else
    assert [action for action, _label, _form, _url in response.context["rows"][0].actions] == [
        "hand_back",
        "resolve",
        "close",
        "urge",
    ]


def test_inbox_card_names_the_category_place_and_handler(street_world, client):
    """Each card's category, community and grid, place (the intake's address, else the building's) and
    handler, read as values with the page's rows."""
    grid = street_world["grids"]["A"]
    building = BuildingFactory(grid=grid, address="幸福路8号楼")
    at_building = _escalated(street_world, "a", building=building)
    at_address = _escalated(street_world, "a", building=building, address="幸福路8号楼北侧空地")
    client.force_login(street_world["people"]["street"])
    response = _inbox(client)
    cards = {
        case.pk: html
        for case, html in zip(
            (row.case for row in response.context["rows"]),
            response.content.decode().split('<li class="card mb-2"')[1:],
            strict=True,
        )
    }
    for case in (at_building, at_address):
        card = cards[case.pk]
        assert f"{grid.community.name} · {grid.name}" in card
        assert '<span class="fw-semibold">环境卫生</span>' in card
        assert "网格员a" in card  # the handler
    assert "幸福路8号楼<" in cards[at_building.pk]
    assert "幸福路8号楼北侧空地" in cards[at_address.pk] and "幸福路8号楼<" not in cards[at_address.pk]


def test_inbox_shows_the_latest_escalation_of_a_case_sent_up_twice(street_world, client):
    people = street_world["people"]
    case = _escalated(street_world, "a", days_ago=2)
    case = services.case_transition(
        case=case, action="hand_back", actor=people["street"], note="请社区先协调"
    )
    case = services.case_transition(
        case=case, action="escalate", actor=people["staff_a"], note="协调未果，再次上报"
    )
    client.force_login(people["street"])
    html = _inbox(client).content.decode()
    assert "协调未果，再次上报" in html and f"（{people['staff_a'].first_name}）" in html
    assert "处理说明" not in html  # the first line's reason is not the one shown


def test_inbox_filters_by_community_and_overdue_only(street_world, client):
    fresh = _escalated(street_world, "a", days_ago=1)
    overdue_a = _escalated(street_world, "a", days_ago=10)
    overdue_b = _escalated(street_world, "b", days_ago=10)
    client.force_login(street_world["people"]["street"])
    community_a = street_world["grids"]["A"].community_id
    assert _listed(_inbox(client, community=community_a)) == [overdue_a.pk, fresh.pk]
    assert sorted(_listed(_inbox(client, clock="overdue"))) == sorted([overdue_a.pk, overdue_b.pk])
    assert _listed(_inbox(client, community=community_a, clock="overdue")) == [overdue_a.pk]


@pytest.mark.parametrize(
    "params", [{"community": "abc", "clock": "zzz", "page": "x"}, {"community": "999999"}]
)
def test_inbox_bad_filters_are_shown_as_errors_not_500(street_world, client, params):
    _escalated(street_world, "a")
    client.force_login(street_world["people"]["street"])
    response = _inbox(client, **params)
    assert response.context["form"].errors
    assert len(response.context["rows"]) == 1


def test_inbox_does_not_offer_another_streets_community(street_world, client):
    client.force_login(street_world["people"]["street"])
    response = _inbox(client, community=street_world["grids"]["X"].community_id)
    assert "community" in response.context["form"].errors


def test_inbox_names_each_communitys_street_for_a_leader_of_several_streets(street_world, client):
    """Two streets may each have a 南河社区: a leader of both tells them apart by the street."""
    grids = street_world["grids"]
    here, there = grids["A"].community, grids["X"].community
    there.name = here.name
    there.save()
    leader = street_world["people"]["street"]
    client.force_login(leader)
    html = _inbox(client).content.decode()
    assert f">{here.name}</option>" in html  # one street: the name alone
    assign(leader, Role.STREET_LEADER, there.street)
    html = _inbox(client).content.decode()
    assert f">{here.name} · {here.street.name}</option>" in html
    assert f">{there.name} · {there.street.name}</option>" in html


@pytest.mark.parametrize("who", ["worker_a", "staff_a", "leader_a"])
def test_inbox_is_for_the_street_only(street_world, client, who):
    client.force_login(street_world["people"][who])
    assert client.get(reverse("cases:street_inbox")).status_code == 403


def _act(client, case, action, query="", **fields):
    prefix = f"c{case.pk}-{action}"  # each row's forms are named apart
    data = {f"{prefix}-expected_status": fields.pop("expected_status", case.status)}
    data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    url = reverse("cases:street_act", args=[case.pk, action]) + (f"?{query}" if query else "")
    return client.post(url, data)


def test_inbox_resolves_through_the_transition_service_and_comes_back(street_world, client):
    case = _escalated(street_world, "a")
    client.force_login(street_world["people"]["street"])
    community = street_world["grids"]["A"].community_id
    response = _act(client, case, "resolve", query=f"community={community}&clock=", note="已协调城管清理。")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('cases:street_inbox')}?community={community}&clock="
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.resolution == "已协调城管清理。"
    event = CaseEvent.objects.filter(case=case).latest("at", "id")
    assert (event.action, event.from_status, event.actor) == (
        Action.RESOLVE,
        Status.ESCALATED,
        street_world["people"]["street"],
    )
    assert _listed(_inbox(client)) == []


def test_inbox_hand_back_without_instructions_is_refused_and_the_form_says_why(street_world, client):
    case = _escalated(street_world, "a")
    client.force_login(street_world["people"]["street"])
    response = _act(client, case, "hand_back", note="  ")
    assert response.status_code == 400
    assert "请填写回派的处理意见。" in response.content.decode()
    assert response.context["open_case"] == case.pk and response.context["open_action"] == "hand_back"
    case.refresh_from_db()
    assert case.status == Status.ESCALATED


def test_inbox_stale_action_changes_nothing_and_says_who_acted(street_world, client):
    case = _escalated(street_world, "a")
    other = UserFactory(username="street_2", first_name="王主任")
    assign(other, Role.STREET_LEADER, street_world["grids"]["A"].community.street)
    services.case_transition(case=case, action="hand_back", actor=other, note="请社区先行处理。")
    client.force_login(street_world["people"]["street"])
    response = _act(client, case, "resolve", expected_status="escalated", note="办结")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS


def test_inbox_actions_refuse_other_streets_and_other_actions(street_world, client):
    outside = _escalated(street_world, "x")
    inside = _escalated(street_world, "a")
    client.force_login(street_world["people"]["street"])
    assert _act(client, outside, "resolve", note="办结").status_code == 404
    assert _act(client, inside, "take").status_code == 404
    assert _act(client, inside, "nonsense").status_code == 404
    client.force_login(street_world["people"]["staff_a"])
    assert _act(client, inside, "resolve", note="办结").status_code == 403
    inside.refresh_from_db()
    assert inside.status == Status.ESCALATED


def test_inbox_draws_no_action_form_until_one_is_opened(street_world, client):
    case = _escalated(street_world, "a")
    client.force_login(street_world["people"]["street"])
    community = street_world["grids"]["A"].community_id
    html = _inbox(client, community=community).content.decode()
    url = reverse("cases:street_act", args=[case.pk, "resolve"])
    # the action is there, to open; its form is not drawn with the page
    assert f'hx-get="{url}?community={community}"' in html
    assert f'name="c{case.pk}-resolve-note"' not in html
    # opened (htmx): the form alone, posting back to the inbox as the user left it
    fragment = client.get(url, {"community": community}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert f'name="c{case.pk}-resolve-note"' in body and f'action="{url}?community={community}"' in body
    assert 'enctype="multipart/form-data"' in body  # the resolution's photos reach the server
    assert "<nav" not in body  # no page around it
    # without htmx: the inbox, with that form open
    page = client.get(url, {"community": community})
    assert page.status_code == 200
    assert (page.context["open_case"], page.context["open_action"]) == (case.pk, "resolve")
    assert f'name="c{case.pk}-resolve-note"' in page.content.decode()


def test_an_action_opened_after_the_case_left_the_inbox_says_so(street_world, client):
    case = _escalated(street_world, "a")
    client.force_login(street_world["people"]["street"])
    services.case_transition(case=case, action="resolve", actor=street_world["people"]["street"], note="办结")
    url = reverse("cases:street_act", args=[case.pk, "resolve"])
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "已不在街道待办中" in fragment and "<form" not in fragment
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:street_inbox")
    assert "已不在街道待办中" in response.content.decode()


def test_inbox_issues_the_same_queries_at_two_sizes(street_world, client, django_assert_num_queries):
    _escalated(street_world, "a", days_ago=10)
    _escalated(street_world, "b")
    client.force_login(street_world["people"]["street"])
    _inbox(client)  # warm the session
    # session, user (a street leader needs no second factor: no device); the user's assignments (may they
    # use the inbox, which streets they lead, the menu); the communities offered; the ids of the cases
    # waiting (counted and paged from them); the page's rows with their handlers and escalation lines = 6
    with django_assert_num_queries(6):
        small = _inbox(client)
    for key in "ab" * 4:
        _escalated(street_world, key, days_ago=3)
    GridFactory(community=street_world["grids"]["A"].community)
    with django_assert_num_queries(6):
        large = _inbox(client)
    assert len(small.context["rows"]) == 2 and len(large.context["rows"]) == 10


# ------------------------------------------------------------------------------------------- workload


def _ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def workload_world(street_world):
    """Grid A: worker a (full time), part-timer p, grid leader g; grid B: worker b.

    k1 accepted and taken by a 10 days ago (overdue now); k2 taken by a yesterday; k3 taken by a 5 days
    ago and resolved by a 4 days ago; k4 taken by a 40 days ago (before the period; overdue now);
    k5 taken by p 3 days ago and returned, then taken by a, returned, re-dispatched by the desk and taken by a
    again 2 days ago;
    kb taken by b yesterday. Visits: a alone twice in the period and once 40 days ago; p with a once.
    The period: the last 20 days."""
    grids, people = street_world["grids"], street_world["people"]
    grid = grids["A"]
    people["part"] = UserFactory(username="part", first_name="兼职员")
    assign(people["part"], Role.PART_TIME_GRID_WORKER, grid)
    people["grid_leader"] = UserFactory(username="gl", first_name="网格长")
    assign(people["grid_leader"], Role.GRID_LEADER, grid)
    crew = {"staff": people["staff_a"], "a": people["worker_a"], "p": people["part"]}
    cases = {
        "k1": story(grid, crew, _ago(10), ("accept", "staff", _ago(10)), ("take", "a", _ago(10))),
        "k2": story(grid, crew, _ago(1), ("accept", "staff", _ago(1)), ("take", "a", _ago(1))),
        "k3": story(
            grid,
            crew,
            _ago(5),
            ("accept", "staff", _ago(5)),
            ("take", "a", _ago(5)),
            ("resolve", "a", _ago(4)),
        ),  # fmt: skip
        "k4": story(grid, crew, _ago(40), ("accept", "staff", _ago(40)), ("take", "a", _ago(40))),
        "k5": story(
            grid,
            crew,
            _ago(3),
            ("accept", "staff", _ago(3)),
            ("take", "p", _ago(3)),
            ("return", "p", _ago(2.9)),
            ("take", "a", _ago(2.5)),
            ("return", "a", _ago(2.4)),
            (
                "dispatch",
                "staff",
                _ago(2.2),
            ),  # the desk re-dispatches first
            ("take", "a", _ago(2)),
        ),  # fmt: skip
    }
    b_crew = {"staff": people["staff_b"], "b": people["worker_b"]}
    cases["kb"] = story(grids["B"], b_crew, _ago(1), ("accept", "staff", _ago(1)), ("take", "b", _ago(1)))
    household = HouseholdFactory(dwelling__building__grid=grid)
    for days in (3, 6, 40):
        log_visit(household, people["worker_a"], _ago(days))
    log_visit(household, people["part"], _ago(2), visitors=[people["part"], people["worker_a"]])
    period = {
        "period": "custom",
        "date_from": (timezone.localdate() - datetime.timedelta(days=19)).isoformat(),
        "date_to": timezone.localdate().isoformat(),
    }
    return {**street_world, "cases": cases, "period": period}


def _figures(response) -> dict[str, dict]:
    return {row.username: row.figures for row, _cells in response.context["table"]}


def test_a_workers_lines_count_in_the_grid_they_were_written_in(workload_world):
    """A case moved to another grid after worker a took it: the take still counts in grid A (where the work
    was done), not in grid B, and the drill-down lists exactly what is counted."""
    from cases.measures import workload_by_worker, workload_drill

    grids, people, k3 = workload_world["grids"], workload_world["people"], workload_world["cases"]["k3"]
    assert set(k3.events.values_list("grid_id", flat=True)) == {grids["A"].pk}  # each line, its grid
    Case.objects.filter(pk=k3.pk).update(grid=grids["B"])
    now = timezone.now()
    start = now - datetime.timedelta(days=19)
    a = people["worker_a"].pk
    assert workload_by_worker([grids["A"].pk], start, now, now)[a]["resolved"] == 1
    assert workload_by_worker([grids["B"].pk], start, now, now).get(a, {}).get("resolved", 0) == 0
    # Counted for some workers only (a page of the table): the same figures for them, nobody else's.
    part = people["part"].pk
    assert workload_by_worker([grids["A"].pk], start, now, now, workers=[a]) == {
        a: workload_by_worker([grids["A"].pk], start, now, now)[a]
    }
    assert a not in workload_by_worker([grids["A"].pk], start, now, now, workers=[part])
    assert list(workload_drill([grids["A"].pk], "resolved", a, start, now, now)) == [k3]
    assert not workload_drill([grids["B"].pk], "resolved", a, start, now, now).exists()


def test_workload_counts_each_workers_cases_and_visits(workload_world, client):
    client.force_login(workload_world["people"]["staff_a"])
    response = client.get(reverse("dashboard:workload"), workload_world["period"])
    assert response.status_code == 200
    zero = {"held": 0, "held_overdue": 0, "taken": 0, "resolved": 0, "visits": 0}
    assert _figures(response) == {
        "worker_a": {"held": 4, "held_overdue": 2, "taken": 4, "resolved": 1, "visits": 3},
        "part": {**zero, "taken": 1, "visits": 1},
        "gl": zero,
    }
    assert [row.grids for row, _cells in response.context["table"]][0] == ["甲网格"]


def test_workload_is_shown_a_page_of_workers_at_a_time(workload_world, client, monkeypatch):
    """A street's hundreds of workers: the table pages through them, keeping scope and period."""
    from dashboard import views_workload

    monkeypatch.setattr(views_workload, "WORKERS_PAGE", 2)
    client.force_login(workload_world["people"]["staff_a"])
    first = client.get(reverse("dashboard:workload"), workload_world["period"])
    assert list(_figures(first)) == ["part", "worker_a"]  # by name: 兼职员, 网格员a, 网格长
    html = first.content.decode()
    assert (
        "1 / 2" in html and "page=2" in html and f"date_from={workload_world['period']['date_from']}" in html
    )
    second = client.get(reverse("dashboard:workload"), {**workload_world["period"], "page": "2"})
    assert list(_figures(second)) == ["gl"]
    assert _figures(second)["gl"]["taken"] == 0


def test_workload_of_each_leader_covers_the_workers_they_lead(workload_world, client):
    people = workload_world["people"]
    expected = {
        "grid_leader": {"gl", "part", "worker_a"},
        "staff_a": {"gl", "part", "worker_a"},
        "leader_a": {"gl", "part", "worker_a"},
        "street": {"gl", "part", "worker_a", "worker_b"},
    }
    for who, workers in expected.items():
        client.force_login(people[who])
        response = client.get(reverse("dashboard:workload"), workload_world["period"])
        assert set(_figures(response)) == workers, who
    for who in ("worker_a", "part"):
        client.force_login(people[who])
        assert client.get(reverse("dashboard:workload")).status_code == 403


def test_each_workload_number_links_to_exactly_the_list_behind_it(workload_world, client):
    client.force_login(workload_world["people"]["street"])
    response = client.get(reverse("dashboard:workload"), workload_world["period"])
    html = response.content.decode()
    checked = 0
    for row, cells in response.context["table"]:
        for _label, value, url, _danger in cells:
            assert f'href="{url.replace("&", "&amp;")}"' in html
            listing = client.get(url)
            assert listing.status_code == 200
            assert listing.context["page"].paginator.count == value, (row.username, url)
            checked += 1
    assert checked == 4 * (len(WORKLOAD) + 1)
    # a's cases taken in the period: k1 k2 k3 k5 (k5 once, though taken twice)
    cases = workload_world["cases"]
    a = workload_world["people"]["worker_a"]
    listing = client.get(
        reverse("dashboard:workload_cases"), {**workload_world["period"], "worker": a.pk, "measure": "taken"}
    )
    assert {case.pk for case in listing.context["page"].object_list} == {
        cases[k].pk for k in ("k1", "k2", "k3", "k5")
    }


@pytest.mark.parametrize(
    "params", [{"worker": "abc", "measure": "held"}, {"worker": "1", "measure": "zzz"}, {"measure": "held"}]
)
def test_workload_drill_down_bad_input_is_a_404(workload_world, client, params):
    client.force_login(workload_world["people"]["staff_a"])
    assert client.get(reverse("dashboard:workload_cases"), params).status_code == 404


def test_workload_drill_down_refuses_a_worker_outside_the_leaders_grids(workload_world, client):
    client.force_login(workload_world["people"]["grid_leader"])
    worker_b = workload_world["people"]["worker_b"]
    response = client.get(reverse("dashboard:workload_cases"), {"worker": worker_b.pk, "measure": "held"})
    assert response.status_code == 404


def test_workload_is_linked_from_the_dashboard(workload_world, client):
    client.force_login(workload_world["people"]["staff_a"])
    html = client.get(reverse("dashboard:index")).content.decode()
    assert reverse("dashboard:workload") in html
    assert reverse("cases:street_inbox") not in html
    client.force_login(workload_world["people"]["street"])
    html = client.get(reverse("dashboard:index")).content.decode()
    assert reverse("cases:street_inbox") in html


def test_workload_issues_the_same_queries_at_two_sizes(workload_world, client, django_assert_num_queries):
    client.force_login(workload_world["people"]["street"])
    url = reverse("dashboard:workload")
    client.get(url, workload_world["period"])  # warm the session
    # session, user (a street leader: no second factor's device), the user's assignments (may they see
    # it, the scope's streets and communities, the menu); their street's communities, then its grids
    # (dashboard.selectors.ScopeTree.read), and how many those are (for the scope select); the grids they
    # lead; the workers; cases held; take and resolve lines; visits = 11
    with django_assert_num_queries(11):
        small = client.get(url, workload_world["period"])
    grid_b = workload_world["grids"]["B"]
    people = workload_world["people"]
    for i in range(4):
        newcomer = UserFactory(username=f"new{i}")
        assign(newcomer, Role.GRID_WORKER, grid_b)
        crew = {"staff": people["staff_b"], "w": newcomer}
        story(grid_b, crew, _ago(2), ("accept", "staff", _ago(2)), ("take", "w", _ago(1)))
    with django_assert_num_queries(11):
        large = client.get(url, workload_world["period"])
    assert len(large.context["table"]) == len(small.context["table"]) + 4


def test_times_on_the_inbox_read_in_beijing_time_to_the_minute():
    from cases.templatetags.case_tags import minute

    evening_in_utc = datetime.datetime(2026, 11, 30, 20, 30, 59, tzinfo=datetime.UTC)
    assert minute(evening_in_utc) == "2026-12-01 04:30"  # Beijing is UTC+8: already the next morning
    assert minute(None) == ""


def test_the_inbox_says_how_long_ago_a_case_went_up_as_the_clocks_say_spans():
    from cases.templatetags.case_tags import since

    now = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
    assert since(now - datetime.timedelta(hours=4, minutes=15, seconds=59), now) == "4小时15分钟"
    assert since(now - datetime.timedelta(days=2, hours=3), now) == "2天3小时"
    assert since(now - datetime.timedelta(seconds=20), now) == "0分钟"
    assert since(None, now) == ""
