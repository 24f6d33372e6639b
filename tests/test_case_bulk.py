"""Bulk actions on the desk and the case list: each case through the workflow table, all or none."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent
from grids.models import Role
from tests.factories import UserFactory, assign, case_in

pytestmark = pytest.mark.django_db


def _events(*cases: Case) -> int:
    return CaseEvent.objects.filter(case__in=cases).count()


def _bulk(client, cases, action, **more):
    data = {"cases": [c.pk for c in cases], "action": action, "next": reverse("cases:desk"), **more}
    return client.post(reverse("cases:bulk"), data, follow=True)


def test_bulk_dispatch_accepts_and_redispatches_each_case_with_one_event_each(client, grid, staff, worker):
    submitted = case_in("submitted", grid, staff=staff, worker=worker)
    dispatched = case_in("dispatched", grid, staff=staff, worker=worker)
    before = _events(submitted, dispatched)
    client.force_login(staff)
    response = _bulk(client, [submitted, dispatched], "dispatch", worker=worker.pk)
    assert "已对 2 件工单执行“改派”。" in response.content.decode()
    submitted.refresh_from_db()
    dispatched.refresh_from_db()
    assert (submitted.status, submitted.assigned_worker) == ("dispatched", worker)
    assert (dispatched.status, dispatched.assigned_worker) == ("dispatched", worker)
    assert _events(submitted, dispatched) == before + 2
    assert list(CaseEvent.objects.filter(case=submitted).values_list("action", flat=True)) == [
        "register",
        "accept",
    ]


def test_bulk_dispatch_with_one_case_that_cannot_move_moves_nothing_and_names_it(client, grid, staff, worker):
    submitted = case_in("submitted", grid, staff=staff, worker=worker)
    dispatched = case_in("dispatched", grid, staff=staff, worker=worker)
    taken = case_in("in_progress", grid, staff=staff, worker=worker)
    rows = {c.pk: Case.objects.filter(pk=c.pk).values().get() for c in (submitted, dispatched, taken)}
    before = _events(submitted, dispatched, taken)
    client.force_login(staff)
    html = _bulk(client, [submitted, dispatched, taken], "dispatch", worker=worker.pk).content.decode()
    assert "没有工单被改动" in html
    assert f"{taken.number}：您不能对“办理中”的工单执行“改派”。" in html
    assert submitted.number not in html.split("没有工单被改动")[1].split("</div>")[0]
    assert {c.pk: Case.objects.filter(pk=c.pk).values().get() for c in (submitted, dispatched, taken)} == rows
    assert _events(submitted, dispatched, taken) == before


def test_bulk_dispatch_to_a_worker_of_another_grid_names_each_case(client, grid, other_grid, staff, worker):
    stranger = UserFactory(username="stranger")
    assign(stranger, Role.GRID_WORKER, other_grid)
    cases = [case_in("dispatched", grid, staff=staff, worker=worker) for _ in range(2)]
    client.force_login(staff)
    html = _bulk(client, cases, "dispatch", worker=stranger.pk).content.decode()
    # The worker is not among the choices (the desk's grids' workers only): the form says so.
    assert "没有工单被改动" not in html
    assert all(Case.objects.get(pk=c.pk).assigned_worker_id is None for c in cases)


def test_bulk_urge_by_a_leader_and_archive_by_the_desk(client, grid, staff, worker, street_leader):
    open_cases = [case_in(state, grid, staff=staff, worker=worker) for state in ("dispatched", "in_progress")]
    client.force_login(street_leader)
    _bulk(client, open_cases, "urge", note="本周内办结")
    assert [Case.objects.get(pk=c.pk).urge_count for c in open_cases] == [1, 1]

    followed = []
    for _ in range(2):
        case = case_in("resolved", grid, staff=staff, worker=worker)
        services.case_transition(
            case=case, action="follow_up", actor=staff, resolved=True, satisfaction="satisfied"
        )
        followed.append(case)
    not_called = case_in("resolved", grid, staff=staff, worker=worker)
    client.force_login(staff)
    html = _bulk(client, [*followed, not_called], "close").content.decode()
    assert f"{not_called.number}：请先回访诉求人，再归档。" in html
    assert {Case.objects.get(pk=c.pk).status for c in followed} == {"resolved"}
    _bulk(client, followed, "close")
    assert [(c.status, c.outcome) for c in Case.objects.filter(pk__in=[c.pk for c in followed])] == [
        ("closed", "resolved"),
        ("closed", "resolved"),
    ]


def test_bulk_archive_refuses_a_case_not_followed_up_state(client, grid, staff, worker):
    dispatched = case_in("dispatched", grid, staff=staff, worker=worker)
    client.force_login(staff)
    html = _bulk(client, [dispatched], "close", reason="withdrawn", note="撤回").content.decode()
    assert f"{dispatched.number}：只能批量归档已办结并回访的工单。" in html
    assert Case.objects.get(pk=dispatched.pk).status == "dispatched"


def test_bulk_refuses_a_worker_and_hides_cases_outside_the_scope(client, grid, other_grid, staff, worker):
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    client.force_login(worker)
    assert _bulk(client, [case], "dispatch").status_code == 403
    outsider = UserFactory(username="outsider")
    assign(outsider, Role.COMMUNITY_STAFF, other_grid.community)
    client.force_login(outsider)
    assert _bulk(client, [case], "dispatch").status_code == 404


def test_desk_and_list_offer_checkboxes_to_the_desk_only(client, grid, staff, worker):
    case = case_in("submitted", grid, staff=staff, worker=worker)
    client.force_login(staff)
    for url in (reverse("cases:desk"), reverse("cases:list")):
        html = client.get(url).content.decode()
        assert f'name="cases" value="{case.pk}" form="bulk-form"' in html
        assert 'id="bulk-form"' in html
    client.force_login(worker)
    assert 'id="bulk-form"' not in client.get(reverse("cases:list")).content.decode()
