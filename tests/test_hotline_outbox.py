"""Answering back to the 12345 platform: the outbox rows written with each move, their delivery with
retries and backoff to a local test server, the desk's page, the key pages, the case page's block."""

import datetime
import http.server
import json
import threading

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, Category
from grids.models import Role
from hotline import services
from hotline.models import MAX_ATTEMPTS, ApiClient, Update, key_digest
from tests.factories import UserFactory, assign
from tests.hotline_helpers import make_key, post_order

pytestmark = pytest.mark.django_db


class _Platform(http.server.BaseHTTPRequestHandler):
    answer = 200
    received: list

    def do_POST(self):  # noqa: N802 (the handler's own name)
        length = int(self.headers["Content-Length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(self.answer)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def platform_server():
    """A local HTTP server in a thread standing for the platform; set `.answer` to 500 to make it fail."""
    handler = type("Handler", (_Platform,), {"received": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.handler = handler
    server.url = f"http://127.0.0.1:{server.server_address[1]}/feedback"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def category(db):
    return Category.objects.get(name="环境卫生")


@pytest.fixture
def ordered(client, grid, category, platform_server):
    """A case that came from the platform's work order, with its key."""
    api_client, key = make_key(grid.community, callback_url=platform_server.url)
    number = post_order(client, key, grid, category).json()[0]["service_request_id"]
    return Case.objects.get(number=number)


def act(case, action, actor, **params):
    return case_services.case_transition(
        case=Case.objects.get(pk=case.pk), action=action, actor=actor, note="处理说明", **params
    )


# --- the outbox rows ------------------------------------------------------------------------------------


def test_each_move_the_platform_follows_writes_exactly_one_update(ordered, staff, worker):
    act(ordered, "accept", staff)
    assert not Update.objects.exists()  # accepting is not one of the four
    act(ordered, "take", worker)
    act(ordered, "resolve", worker)
    act(ordered, "follow_up", staff, resolved=True, satisfaction="satisfied")
    act(ordered, "close", staff)
    kinds = list(Update.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["taken", "resolved", "followed_up", "closed"]
    last = Update.objects.order_by("id").last()
    assert last.payload == {
        "update_id": last.pk,
        "service_request_id": ordered.number,
        "order_id": "GD20261201001",
        "event": "closed",
        "status": "closed",
        "platform_status": "已回访",
        "status_notes": "已回访（已解决）：处理说明",
        "updated_datetime": timezone.localtime(last.event.at).isoformat(),
    }
    assert "13800005678" not in json.dumps(list(Update.objects.values_list("payload", flat=True)))


def test_a_rejected_work_order_writes_its_closing_update(ordered, staff):
    act(ordered, "reject", staff)
    [update] = Update.objects.all()
    assert (update.kind, update.payload["status"], update.payload["status_notes"]) == (
        "closed",
        "closed",
        "已办结（不予受理）",
    )


def test_a_rolled_back_move_writes_no_update(ordered, staff, worker):
    act(ordered, "accept", staff)
    with pytest.raises(RuntimeError), transaction.atomic():
        act(ordered, "take", worker)
        assert Update.objects.count() == 1  # written with the move ...
        raise RuntimeError("the request failed after the move")
    assert not Update.objects.exists()  # ... and gone with it
    assert Case.objects.get(pk=ordered.pk).status == "dispatched"


def test_cases_not_from_a_work_order_write_no_update(grid, staff, worker):
    from tests.factories import case_in

    case_in("resolved", grid, staff=staff, worker=worker)
    assert not Update.objects.exists()


def test_the_delivery_is_asked_for_once_the_move_commits(
    ordered, staff, worker, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    act(ordered, "accept", staff)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        act(ordered, "take", worker)
    assert len(callbacks) == 1
    job = DBTaskResult.objects.get()
    assert job.task_path == "hotline.tasks.deliver_update"
    assert job.args_kwargs["args"] == [Update.objects.get().pk]


# --- delivery -----------------------------------------------------------------------------------------


def test_a_working_platform_gets_the_update_and_it_is_delivered(ordered, staff, worker, platform_server):
    act(ordered, "accept", staff)
    act(ordered, "take", worker)
    update = Update.objects.get()
    services.update_deliver(update_id=update.pk)
    update.refresh_from_db()
    assert (update.state, update.attempts, update.last_error, update.next_attempt_at) == (
        "delivered",
        1,
        "",
        None,
    )
    assert platform_server.handler.received == [update.payload]
    assert services.update_deliver(update_id=update.pk) is None  # delivered once


def test_a_failing_platform_is_retried_with_backoff_until_given_up(ordered, staff, worker, platform_server):
    platform_server.handler.answer = 500
    act(ordered, "accept", staff)
    act(ordered, "take", worker)
    update = Update.objects.get()
    now = timezone.now()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        update = services.update_deliver(update_id=update.pk, now=now)
        assert (update.state, update.last_error) == ("failing", "HTTP 500")
        if update.next_attempt_at is not None:
            waits.append(update.next_attempt_at - now)
    assert waits == [datetime.timedelta(minutes=2**i) for i in range(MAX_ATTEMPTS - 1)]
    assert update.gave_up and update.next_attempt_at is None
    assert len(platform_server.handler.received) == MAX_ATTEMPTS
    platform_server.handler.answer = 200
    services.update_retry(update=update, by=staff)
    update = services.update_deliver(update_id=update.pk)
    assert update.state == "delivered"


def test_the_worker_task_queues_the_next_try_at_its_backoff_time(ordered, staff, worker, platform_server):
    from django_tasks_db.models import DBTaskResult

    from hotline.tasks import deliver_update

    platform_server.handler.answer = 500
    act(ordered, "accept", staff)
    act(ordered, "take", worker)
    update = Update.objects.get()
    assert deliver_update.call(update.pk) == "failing"
    update.refresh_from_db()
    job = DBTaskResult.objects.get()
    assert job.run_after == update.next_attempt_at
    assert update.attempts == 1


def test_a_platform_without_a_callback_url_is_failing(client, grid, category, staff, worker):
    _, key = make_key(grid.community)
    case = Case.objects.get(number=post_order(client, key, grid, category).json()[0]["service_request_id"])
    act(case, "accept", staff)
    act(case, "take", worker)
    update = services.update_deliver(update_id=Update.objects.get().pk)
    assert (update.state, update.last_error) == ("failing", "ValueError: 未配置回传地址")


# --- the desk's page --------------------------------------------------------------------------------------


def test_the_desk_sees_a_failing_update_and_retries_it(client, ordered, staff, worker, platform_server):
    platform_server.handler.answer = 500
    act(ordered, "accept", staff)
    act(ordered, "take", worker)
    update = services.update_deliver(update_id=Update.objects.get().pk)
    client.force_login(staff)
    page = client.get(reverse("hotline:updates"), {"state": "failing"})
    assert page.status_code == 200
    assert list(page.context["page"].object_list) == [update]
    assert f'data-update="{update.pk}" data-state="failing"' in page.text
    assert "HTTP 500" in page.text
    assert (
        list(client.get(reverse("hotline:updates"), {"state": "delivered"}).context["page"].object_list) == []
    )
    response = client.post(reverse("hotline:update_retry", args=[update.pk]))
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.next_attempt_at <= timezone.now()


def test_the_desk_sees_a_delivered_update(client, ordered, staff, worker):
    act(ordered, "accept", staff)
    act(ordered, "take", worker)
    services.update_deliver(update_id=Update.objects.get().pk)
    client.force_login(staff)
    page = client.get(reverse("hotline:updates"), {"state": "delivered"})
    assert len(page.context["page"].object_list) == 1
    assert 'data-state="delivered"' in page.text


def test_another_communitys_desk_sees_none_and_cannot_retry(client, ordered, staff, worker):
    from tests.factories import CommunityFactory

    act(ordered, "accept", staff)
    act(ordered, "take", worker)
    outsider = UserFactory(username="other-staff")
    assign(outsider, Role.COMMUNITY_STAFF, CommunityFactory())
    client.force_login(outsider)
    assert list(client.get(reverse("hotline:updates")).context["page"].object_list) == []
    assert client.post(reverse("hotline:update_retry", args=[Update.objects.get().pk])).status_code == 404


def test_grid_workers_have_no_update_desk(client, worker):
    client.force_login(worker)
    assert client.get(reverse("hotline:updates")).status_code == 403


def test_the_update_list_issues_the_same_queries_at_two_sizes(
    client, grid, category, staff, worker, platform_server, django_assert_num_queries
):
    _, key = make_key(grid.community, callback_url=platform_server.url)

    def fill(n, start):
        for i in range(n):
            number = post_order(
                client, key, grid, category, **{"attribute[order_id]": f"F{start + i}"}
            ).json()[0]["service_request_id"]
            case = Case.objects.get(number=number)
            act(case, "accept", staff)
            act(case, "take", worker)

    fill(2, 0)
    client.force_login(staff)
    url = reverse("hotline:updates")
    # session, user, the second factor's device, the menu's roles, the page's count, the page's rows = 6
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200
    fill(5, 100)
    with django_assert_num_queries(6):
        assert len(client.get(url).context["page"].object_list) == 7


# --- the case page's block --------------------------------------------------------------------------------


def test_the_case_page_loads_the_12345_block_by_url(client, ordered, staff, worker):
    act(ordered, "accept", staff)
    act(ordered, "take", worker)
    client.force_login(staff)
    url = reverse("hotline:case_updates", args=[ordered.pk])
    assert f'hx-get="{url}"' in client.get(reverse("cases:detail", args=[ordered.pk])).text
    block = client.get(url, headers={"HX-Request": "true"})
    assert "GD20261201001" in block.text and "已接单" in block.text and "待推送" in block.text
    assert "<html" not in block.text


def test_the_case_block_is_not_found_outside_the_users_grids(client, ordered, other_grid):
    outsider = UserFactory(username="far")
    assign(outsider, Role.GRID_WORKER, other_grid)
    client.force_login(outsider)
    assert client.get(reverse("hotline:case_updates", args=[ordered.pk])).status_code == 404


# --- the key pages ------------------------------------------------------------------------------------------


def test_a_key_made_on_the_page_is_shown_once_and_only_its_digest_kept(client, grid, street_leader):
    client.force_login(street_leader)
    response = client.post(
        reverse("hotline:client_new"),
        {
            "name": "兰州12345",
            "scope": f"community:{grid.community_id}",
            "callback_url": "https://12345.example/cb",
        },
    )
    assert response.status_code == 200
    key = response.context["key"]
    client_row = ApiClient.objects.get()
    assert key in response.text
    assert (client_row.key_hash, client_row.key_prefix) == (key_digest(key), key.split(".")[0])
    assert key not in json.dumps(list(ApiClient.objects.values()), default=str)
    assert (client_row.community, client_row.created_by) == (grid.community, street_leader)
    assert not client_row.actor.is_active and not client_row.actor.has_usable_password()
    listing = client.get(reverse("hotline:clients"))
    assert client_row.key_prefix in listing.text and key not in listing.text


def test_a_street_leader_cannot_make_a_key_for_another_street(client, grid, street_leader):
    from tests.factories import StreetFactory

    far = StreetFactory()
    client.force_login(street_leader)
    response = client.post(reverse("hotline:client_new"), {"name": "x", "scope": f"street:{far.pk}"})
    assert response.status_code == 200 and "key" not in response.context
    assert not ApiClient.objects.exists()


def test_revoking_asks_first_then_refuses_the_key(client, grid, street_leader, category):
    api_client, key = make_key(grid.community)
    client.force_login(street_leader)
    url = reverse("hotline:client_revoke", args=[api_client.pk])
    assert "确认吊销" in client.get(url).text
    assert ApiClient.objects.get().revoked_at is None
    assert client.post(url).status_code == 302
    api_client.refresh_from_db()
    assert (api_client.revoked_by, api_client.revoked_at is not None) == (street_leader, True)
    client.logout()
    assert post_order(client, key, grid, category).status_code == 403


def test_another_streets_leader_does_not_find_the_key(client, grid):
    from tests.factories import StreetFactory

    api_client, _ = make_key(grid.community)
    other = UserFactory(username="far-leader")
    assign(other, Role.STREET_LEADER, StreetFactory())
    client.force_login(other)
    assert client.get(reverse("hotline:client_revoke", args=[api_client.pk])).status_code == 404
    assert list(client.get(reverse("hotline:clients")).context["clients"]) == []


def test_the_management_command_makes_lists_and_revokes_keys(grid):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "hotline_key", "create", "--name", "市12345", "--street", grid.community.street.name, stdout=out
    )
    key = out.getvalue().rsplit(" ", 1)[1].strip()
    client_row = ApiClient.objects.get()
    assert client_row.key_hash == key_digest(key)
    out = StringIO()
    call_command("hotline_key", "list", stdout=out)
    assert client_row.key_prefix in out.getvalue() and key not in out.getvalue()
    call_command("hotline_key", "revoke", client_row.key_prefix, stdout=StringIO())
    assert ApiClient.objects.get().revoked_at is not None


# --- the status mapping ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "resolved_hours_ago", "followed_up_hours_ago", "platform", "open311"),
    [
        ("submitted", None, None, "已受理", "open"),
        ("dispatched", None, None, "已受理", "open"),
        ("in_progress", None, None, "办理中", "open"),
        ("escalated", None, None, "办理中", "open"),
        ("in_consultation", None, None, "办理中", "open"),
        ("resolved", 2, None, "已办结", "open"),
        ("resolved", 2, 1, "已回访", "open"),
        # resolved again after a follow-up that reopened it: not followed up yet
        ("resolved", 1, 5, "已办结", "open"),
        ("closed", 2, 1, "已回访", "closed"),
        ("closed", None, None, "已办结", "closed"),  # rejected or merged before any resolution
    ],
)
def test_the_status_mapping(status, resolved_hours_ago, followed_up_hours_ago, platform, open311):
    from hotline.models import open311_status, platform_status

    now = timezone.now()

    def ago(hours):
        return None if hours is None else now - datetime.timedelta(hours=hours)

    case = Case(status=status, resolved_at=ago(resolved_hours_ago), followed_up_at=ago(followed_up_hours_ago))
    assert (str(platform_status(case).label), open311_status(case)) == (platform, open311)
