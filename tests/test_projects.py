"""三项清单 (issue 16, item 4): needs, resources and projects.

A project moves only along its table (every state x action x role, against a table written out here, not
read from projects.workflow); a need never drops silently (matched, or closed with a reason); two moves at
once: one wins and the other is told who acted; a need found at a visit or in a case goes on the list in one
step keeping its origin; scoping (404 outside the community); the lists' query counts at two sizes.
"""

import datetime
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grids.models import Role
from projects import services
from projects.models import (
    Need,
    NeedClosure,
    NeedOrigin,
    NeedStatus,
    Project,
    ProjectAction,
    ProjectEvent,
    ProjectStatus,
    Resource,
)
from tests.factories import HouseholdFactory, UserFactory, assign, case_in, log_visit
from volunteers.models import PartnerUnit, VolunteerTeam

pytestmark = pytest.mark.django_db


# --- helpers (also used by tests/test_access_matrix.py) -------------------------------------------------


def unit_in(community, name="省水利厅") -> PartnerUnit:
    return PartnerUnit.objects.get_or_create(community=community, name=name)[0]


def team_in(community, name="法援帮帮团") -> VolunteerTeam:
    return VolunteerTeam.objects.get_or_create(community=community, name=name)[0]


def need_in(community, actor, title="独居老人陪诊", **more) -> Need:
    data = services.NeedInput(community=community, title=title, kind=more.pop("kind", "elderly_care"))
    return services.need_register(data=data, actor=actor, **more)


def resource_in(community, actor, *, team=False, title="陪诊志愿服务") -> Resource:
    provider = {"team": team_in(community)} if team else {"partner_unit": unit_in(community)}
    data = services.ResourceInput(community=community, kind="escort", title=title, **provider)
    return services.resource_create(data=data, actor=actor)


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def claim_params(community) -> dict:
    return {"claimant": unit_in(community), "owner_name": "王主任", "deadline": in_days(14)}


# The moves that bring a new project to each state (all the desk's).
PATH_TO = {
    ProjectStatus.PROPOSED: [],
    ProjectStatus.CLAIMED: [ProjectAction.CLAIM],
    ProjectStatus.IN_PROGRESS: [ProjectAction.CLAIM, ProjectAction.START],
    ProjectStatus.AWAITING_CONFIRMATION: [ProjectAction.CLAIM, ProjectAction.START, ProjectAction.SUBMIT],
    ProjectStatus.CONFIRMED: [
        ProjectAction.CLAIM,
        ProjectAction.START,
        ProjectAction.SUBMIT,
        ProjectAction.CONFIRM,
    ],
    ProjectStatus.CANCELLED: [ProjectAction.CANCEL],
}


def params_for(action: str, community) -> dict:
    return claim_params(community) if action == ProjectAction.CLAIM else {}


def project_in(state: str, community, staff, *, title="独居老人陪诊") -> Project:
    need = need_in(community, staff, title=title)
    project = services.project_match(need=need, resource=resource_in(community, staff), actor=staff)
    for action in PATH_TO[state]:
        project = services.project_transition(
            project=project, action=action, actor=staff, note="说明", **params_for(action, community)
        )
    return project


# --- a project moves only along its table ---------------------------------------------------------------

S, A = ProjectStatus, ProjectAction
DESK, GRID = "desk", "grid"
# Written out by hand from the issue: who may take which action in which state (and nothing else).
ALLOWED = {
    (S.PROPOSED, A.CLAIM): {DESK},
    (S.PROPOSED, A.CANCEL): {DESK},
    (S.CLAIMED, A.START): {DESK},
    (S.CLAIMED, A.PROGRESS): {DESK, GRID},
    (S.CLAIMED, A.CANCEL): {DESK},
    (S.IN_PROGRESS, A.PROGRESS): {DESK, GRID},
    (S.IN_PROGRESS, A.SUBMIT): {DESK},
    (S.IN_PROGRESS, A.CANCEL): {DESK},
    (S.AWAITING_CONFIRMATION, A.CONFIRM): {DESK},
    (S.AWAITING_CONFIRMATION, A.RETURN): {DESK},
    (S.AWAITING_CONFIRMATION, A.CANCEL): {DESK},
}
WHERE_TO = {
    A.CLAIM: S.CLAIMED,
    A.START: S.IN_PROGRESS,
    A.SUBMIT: S.AWAITING_CONFIRMATION,
    A.CONFIRM: S.CONFIRMED,
    A.RETURN: S.IN_PROGRESS,
    A.CANCEL: S.CANCELLED,
}
# role -> (the role, the level it is held at, the hat the table knows it by)
ROLES = {
    "community_staff": (Role.COMMUNITY_STAFF, "community", DESK),
    "community_leader": (Role.COMMUNITY_LEADER, "community", DESK),
    "grid_worker": (Role.GRID_WORKER, "grid", GRID),
    "grid_leader": (Role.GRID_LEADER, "grid", GRID),
    "building_head": (Role.BUILDING_HEAD, "grid", None),
    "street_leader": (Role.STREET_LEADER, "street", None),
}
USER_ACTIONS = [a for a in ProjectAction if a != ProjectAction.MATCH]


@pytest.mark.parametrize("state", list(ProjectStatus))
@pytest.mark.parametrize("action", USER_ACTIONS)
def test_project_moves_only_along_its_table(grid, staff, state, action):
    project = project_in(state, grid.community, staff)
    places = {"community": grid.community, "grid": grid, "street": grid.community.street}
    for name, (role, level, hat) in ROLES.items():
        user = UserFactory(username=f"u-{name}")
        assign(user, role, places[level])
        allowed = hat in ALLOWED.get((state, action), set())
        events = project.events.count()
        sid = transaction.savepoint_create()
        try:
            moved = services.project_transition(
                project=project,
                action=action,
                actor=user,
                note="说明",
                expected_status=state,
                **params_for(action, grid.community),
            )
        except services.ProjectActionRefused:
            assert not allowed, f"{name} refused {action} in {state}"
        else:
            assert allowed, f"{name} allowed {action} in {state}"
            assert moved.status == WHERE_TO.get(action, state)
            assert Project.objects.get(pk=project.pk).events.count() == events + 1
        transaction.savepoint_rollback(sid)


def test_an_outsider_and_a_user_without_a_role_move_nothing(grid, other_grid, staff):
    project = project_in(S.PROPOSED, grid.community, staff)
    outsider = UserFactory(username="other")
    assign(outsider, Role.COMMUNITY_STAFF, other_grid.community)
    for user in (outsider, UserFactory(username="nobody")):
        with pytest.raises(services.ProjectActionRefused):
            services.project_transition(
                project=project, action="claim", actor=user, **claim_params(grid.community)
            )
    assert Project.objects.get(pk=project.pk).status == S.PROPOSED


def test_a_move_the_table_requires_a_note_for_is_refused_without_one(grid, staff):
    project = project_in(S.IN_PROGRESS, grid.community, staff)
    for action in (A.PROGRESS, A.SUBMIT, A.CANCEL):
        with pytest.raises(ValidationError):
            services.project_transition(project=project, action=action, actor=staff, note="  ")
    assert project.events.count() == 3  # match, claim, start


def test_claim_needs_a_claimant_owner_and_deadline_in_the_database_too(grid, staff):
    project = project_in(S.PROPOSED, grid.community, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(status=S.CLAIMED)


def test_claim_is_refused_while_the_resource_is_unavailable(grid, staff):
    project = project_in(S.PROPOSED, grid.community, staff)
    Resource.objects.filter(pk=project.resource_id).update(available=False)
    with pytest.raises(ValidationError):
        services.project_transition(
            project=project, action="claim", actor=staff, **claim_params(grid.community)
        )


# --- a need never drops silently ------------------------------------------------------------------------


def test_a_need_cannot_be_closed_without_a_reason(grid, staff):
    need = need_in(grid.community, staff)
    with pytest.raises(ValidationError):
        services.need_close(need=need, actor=staff, reason="   ")
    assert Need.objects.get(pk=need.pk).status == NeedStatus.OPEN
    # Nor behind the service's back: the database refuses an unmatched closure without a reason.
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.filter(pk=need.pk).update(
            status=NeedStatus.CLOSED, closure=NeedClosure.UNMATCHED, closed_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.CLOSED)


def test_a_need_closed_with_a_reason_keeps_it(grid, staff):
    need = services.need_close(need=need_in(grid.community, staff), actor=staff, reason="居民已自行解决")
    need.refresh_from_db()
    assert (need.status, need.closure, need.close_reason) == ("closed", "unmatched", "居民已自行解决")


def test_a_matched_need_is_not_closed_directly(grid, staff):
    project = project_in(S.CLAIMED, grid.community, staff)
    with pytest.raises(services.ProjectConflict):
        services.need_close(need=project.need, actor=staff, reason="不需要了")


def test_only_the_desk_closes_a_need(grid, staff, worker):
    need = need_in(grid.community, worker)
    with pytest.raises(PermissionDenied):
        services.need_close(need=need, actor=worker, reason="不需要了")


def test_the_close_page_without_a_reason_keeps_the_need_open(client, grid, staff):
    need = need_in(grid.community, staff)
    client.force_login(staff)
    response = client.post(reverse("projects:need_close", args=[need.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "关闭原因" in response.content.decode()
    assert Need.objects.get(pk=need.pk).status == NeedStatus.OPEN


def test_a_need_follows_its_project_matched_confirmed_or_open_again(grid, staff):
    confirmed = project_in(S.CONFIRMED, grid.community, staff)
    confirmed.need.refresh_from_db()
    assert (confirmed.need.status, confirmed.need.closure) == ("closed", "done")
    cancelled = project_in(S.CANCELLED, grid.community, staff, title="楼道灯维修")
    cancelled.need.refresh_from_db()
    assert cancelled.need.status == NeedStatus.OPEN
    assert cancelled.cancel_reason == "说明"
    # The need is free for another match; only one live project per need.
    again = services.project_match(need=cancelled.need, resource=cancelled.resource, actor=staff)
    assert again.status == S.PROPOSED
    with pytest.raises(services.ProjectConflict):
        services.project_match(need=cancelled.need, resource=cancelled.resource, actor=staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(
            community=grid.community,
            need=cancelled.need,
            resource=cancelled.resource,
            title="x",
            created_by=staff,
        )


def test_a_need_is_matched_only_with_an_available_resource_of_its_community(grid, other_grid, staff):
    need = need_in(grid.community, staff)
    other_staff = UserFactory(username="os")
    assign(other_staff, Role.COMMUNITY_STAFF, other_grid.community)
    elsewhere = resource_in(other_grid.community, other_staff)
    with pytest.raises(ValidationError):
        services.project_match(need=need, resource=elsewhere, actor=staff)
    assert Need.objects.get(pk=need.pk).status == NeedStatus.OPEN


def test_a_resource_is_offered_by_exactly_one_unit_or_team(grid, staff):
    community = grid.community
    both = services.ResourceInput(
        community=community,
        kind="venue",
        title="活动室",
        partner_unit=unit_in(community),
        team=team_in(community),
    )
    with pytest.raises(ValidationError):
        services.resource_create(data=both, actor=staff)
    resource = resource_in(community, staff, team=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.filter(pk=resource.pk).update(partner_unit=unit_in(community))


# --- one step from a visit or a case, keeping the origin ------------------------------------------------


def test_a_need_found_at_a_visit_goes_on_the_list_in_one_step(client, grid, worker):
    household = HouseholdFactory(dwelling__building__grid=grid)
    visit = log_visit(
        household, worker, timezone.now() - datetime.timedelta(hours=1), needs_found="希望有人陪同去医院复查"
    )
    client.force_login(worker)
    assert (
        f"{reverse('projects:need_new')}?visit={visit.pk}"
        in client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    )
    form = client.get(reverse("projects:need_new"), {"visit": visit.pk})
    assert "希望有人陪同去医院复查" in form.content.decode()
    response = client.post(
        reverse("projects:need_new") + f"?visit={visit.pk}",
        {"kind": "elderly_care", "title": "陪同就医", "description": "希望有人陪同去医院复查"},
    )
    need = Need.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "projects:need_detail", args=[need.pk]
    )
    assert (need.origin, need.origin_visit, need.origin_case) == (NeedOrigin.VISIT, visit, None)
    assert (need.community, need.grid) == (grid.community, grid)
    assert reverse("visits:detail", args=[visit.pk]) in client.get(response["Location"]).content.decode()


def test_a_need_found_in_a_case_goes_on_the_list_in_one_step(client, grid, staff, worker):
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    client.force_login(staff)
    assert (
        f"{reverse('projects:need_new')}?case={case.pk}"
        in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    )
    response = client.post(
        reverse("projects:need_new") + f"?case={case.pk}", {"kind": "environment", "title": "楼道改造"}
    )
    assert response.status_code == 302
    need = Need.objects.get()
    assert (need.origin, need.origin_case, need.origin_visit, need.grid) == (
        NeedOrigin.CASE,
        case,
        None,
        grid,
    )


def test_a_need_from_a_visit_outside_the_scope_is_404(client, grid, other_grid, worker):
    outsider = UserFactory(username="ow")
    assign(outsider, Role.GRID_WORKER, other_grid)
    visit = log_visit(HouseholdFactory(dwelling__building__grid=other_grid), outsider, timezone.now())
    client.force_login(worker)
    assert client.get(reverse("projects:need_new"), {"visit": visit.pk}).status_code == 404
    assert client.get(reverse("projects:need_new"), {"case": "abc"}).status_code == 404


def test_a_need_raised_in_a_deliberation_goes_on_the_list_in_one_step(client, grid, staff):
    from tests.test_deliberations import gather

    topic = gather(grid.community, staff, title="16号院空地建小区花园", description="楼间空地杂草丛生。")
    client.force_login(staff)
    detail = client.get(reverse("cases:deliberation_detail", args=[topic.pk])).content.decode()
    assert f"{reverse('projects:need_new')}?deliberation={topic.pk}" in detail
    form = client.get(reverse("projects:need_new"), {"deliberation": topic.pk}).content.decode()
    assert "16号院空地建小区花园" in form and "楼间空地杂草丛生。" in form
    response = client.post(
        reverse("projects:need_new") + f"?deliberation={topic.pk}",
        {"kind": "environment", "title": "小区花园"},
    )
    assert response.status_code == 302
    need = Need.objects.get()
    # the deliberation's community is the place; a community-wide topic names no grid
    assert (need.origin, need.origin_deliberation, need.origin_visit, need.origin_case) == (
        NeedOrigin.DELIBERATION,
        topic,
        None,
        None,
    )
    assert (need.community, need.grid) == (grid.community, None)
    page = client.get(response["Location"]).content.decode()
    assert reverse("cases:deliberation_detail", args=[topic.pk]) in page


def test_a_need_from_a_deliberation_outside_the_scope_is_404(client, grid, other_grid, staff):
    from tests.test_deliberations import gather

    outsider = UserFactory(username="od")
    assign(outsider, Role.COMMUNITY_STAFF, other_grid.community)
    elsewhere = gather(other_grid.community, outsider)
    client.force_login(staff)
    assert client.get(reverse("projects:need_new"), {"deliberation": elsewhere.pk}).status_code == 404
    assert client.get(reverse("projects:need_new"), {"deliberation": "9" * 30}).status_code == 404
    assert not Need.objects.exists()


def test_a_need_names_one_origin_and_a_deliberation_of_its_own_community(grid, other_grid, staff, worker):
    from tests.test_deliberations import gather

    outsider = UserFactory(username="od2")
    assign(outsider, Role.COMMUNITY_STAFF, other_grid.community)
    elsewhere = gather(other_grid.community, outsider)
    data = services.NeedInput(community=grid.community, title="花园", kind="environment")
    with pytest.raises(ValidationError):
        services.need_register(data=data, actor=staff, deliberation=elsewhere)
    mine = gather(grid.community, staff)
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    with pytest.raises(ValidationError):
        services.need_register(data=data, actor=staff, deliberation=mine, case=case)
    need = services.need_register(data=data, actor=staff, deliberation=mine)
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.filter(pk=need.pk).update(origin=NeedOrigin.DIRECT)


def test_the_origin_names_its_record_in_the_database(grid, staff):
    need = need_in(grid.community, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.filter(pk=need.pk).update(origin=NeedOrigin.VISIT)


def test_a_double_tap_saves_one_need(client, grid, staff):
    client.force_login(staff)
    data = {
        "community": grid.community.pk,
        "kind": "other",
        "title": "小区花园",
        "submission_token": "6f1c1c52-6c8a-4d1e-9f55-3b0b2f0e5a11",
    }
    first = client.post(reverse("projects:need_new"), data)
    assert first.status_code == 302, first.content.decode()[-3000:]
    second = client.post(reverse("projects:need_new"), data)
    assert first["Location"] == second["Location"]
    assert Need.objects.count() == 1


# --- pages: scoping, bad input, actions ----------------------------------------------------------------


def test_pages_outside_the_community_are_404(client, grid, other_grid, staff):
    project = project_in(S.CLAIMED, grid.community, staff)
    outsider = UserFactory(username="ol")
    assign(outsider, Role.COMMUNITY_LEADER, other_grid.community)
    client.force_login(outsider)
    for name, pk in (
        ("projects:need_detail", project.need_id),
        ("projects:resource_detail", project.resource_id),
        ("projects:project_detail", project.pk),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404
    for name in ("projects:need_list", "projects:resource_list", "projects:project_list"):
        response = client.get(reverse(name))
        assert project.title not in response.content.decode()


def test_bad_input_redraws_the_form_and_changes_nothing(client, grid, staff):
    client.force_login(staff)
    response = client.post(reverse("projects:need_new"), {"community": "x", "kind": "nope", "title": ""})
    assert response.status_code == 400
    assert Need.objects.count() == 0
    project = project_in(S.PROPOSED, grid.community, staff)
    url = reverse("projects:project_act", args=[project.pk, "claim"])
    response = client.post(
        url,
        {
            "claim-expected_status": "proposed",
            "claim-claimant": "unit:999999",
            "claim-deadline": "2025-13-40",
        },
    )
    assert response.status_code == 400
    assert Project.objects.get(pk=project.pk).status == S.PROPOSED
    assert client.post(reverse("projects:project_act", args=[project.pk, "fly"])).status_code == 404
    for name in ("projects:need_list", "projects:project_list", "projects:resource_list"):
        assert client.get(reverse(name), {"community": "x", "status": "??", "page": "-1"}).status_code == 200


def test_the_project_page_claims_and_a_stale_form_is_told_who_acted(client, grid, staff):
    staff.first_name = "李娟"
    staff.save(update_fields=["first_name"])
    project = project_in(S.PROPOSED, grid.community, staff)
    client.force_login(staff)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert 'id="action-claim"' in page and 'id="action-confirm"' not in page
    unit = unit_in(grid.community)
    data = {
        "claim-expected_status": "proposed",
        "claim-claimant": f"unit:{unit.pk}",
        "claim-owner_name": "王主任",
        "claim-deadline": in_days(10).isoformat(),
        "claim-note": "电话认领",
    }
    url = reverse("projects:project_act", args=[project.pk, "claim"])
    assert client.post(url, data).status_code == 302
    project.refresh_from_db()
    assert (project.status, project.claimant_unit, project.owner_name) == (S.CLAIMED, unit, "王主任")
    response = client.post(url, data, follow=True)
    assert "李娟" in response.content.decode()
    assert project.events.count() == 2


# --- two moves at once: one wins ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_moves_at_once_one_wins_and_the_other_is_told(grid, staff):
    staff.first_name = "李娟"
    staff.save(update_fields=["first_name"])
    colleague = UserFactory(username="s2", first_name="马建国")
    assign(colleague, Role.COMMUNITY_LEADER, grid.community)
    project = project_in(S.AWAITING_CONFIRMATION, grid.community, staff)
    barrier = threading.Barrier(2, timeout=15)
    outcomes: dict = {}

    def press(user_id: int, action: str) -> None:
        try:
            user = get_user_model().objects.get(pk=user_id)
            page = Project.objects.get(pk=project.pk)
            barrier.wait()
            services.project_transition(
                project=page, action=action, actor=user, note="意见", expected_status=page.status
            )
            outcomes[action] = "moved"
        except services.ProjectConflict as conflict:
            outcomes[action] = conflict
        except Exception as error:  # handed to the test, not lost with the thread
            outcomes[action] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=press, args=(staff.pk, "confirm")),
        threading.Thread(target=press, args=(colleague.pk, "return")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    winners = [a for a, outcome in outcomes.items() if outcome == "moved"]
    losers = [outcome for outcome in outcomes.values() if outcome != "moved"]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert isinstance(losers[0], services.ProjectConflict)
    project.refresh_from_db()
    assert project.status == WHERE_TO[winners[0]]
    assert ProjectEvent.objects.filter(project=project, action__in=["confirm", "return"]).count() == 1


# --- the lists keep their query count -------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _fill(community, staff, n: int) -> None:
    for i in range(n):
        project_in([S.PROPOSED, S.CLAIMED, S.CANCELLED][i % 3], community, staff, title=f"需求{i}")
        resource_in(community, staff, team=bool(i % 2), title=f"资源{i}")


@pytest.mark.parametrize("name", ["projects:need_list", "projects:resource_list", "projects:project_list"])
def test_the_lists_issue_the_same_queries_at_two_sizes(client, grid, staff, name):
    # session, user, device, the scope's communities (filter choices), the page's count, the page's rows
    # (with their joins), the menu's roles; the resource list asks once more: may the user add.
    client.force_login(staff)
    _fill(grid.community, staff, 2)
    small = _count(client, reverse(name))
    _fill(grid.community, staff, 12)
    assert _count(client, reverse(name)) == small
