"""The residents' own channel (线上): raising a request from a poster's link, following it through the
private tracking link, sending what was asked for, rating it, withdrawing it; what the page never shows;
throttling; the staff's posters."""

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from cases import services as case_services
from cases.models import Action, Case, CaseAttachment, Category, Channel, Outcome, Status
from grids.models import Role
from notifications.models import Kind, Notification
from public import services
from public.models import PlaceLink, ResidentRequest
from tests.factories import BuildingFactory, UserFactory, assign

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def _png(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


@pytest.fixture
def building(grid):
    return BuildingFactory(grid=grid, address="滨河路 12 号楼")


@pytest.fixture
def poster(grid, building):
    return services.place_link_for(grid=grid, building=building)


def _form(**changes):
    data = {
        "category": Category.objects.get(name="环境卫生").pk,
        "description": "3单元楼道堆放杂物，影响通行。",
        "name": "王女士",
        "phone": PHONE,
        "consent": "on",
        "address": "3单元门口",
    }
    data.update(changes)
    return data


def _raise(client, poster, **changes):
    response = client.post(reverse("public:raise", args=[poster.code]), _form(**changes))
    return response


def _track_url(response) -> str:
    match = re.search(r'href="(http://testserver(/q/t/[^"/]+/))"', response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(2)


def _raised(client, poster, **changes) -> tuple[Case, str]:
    response = _raise(client, poster, **changes)
    assert response.status_code == 200
    return Case.objects.latest("id"), _track_url(response)


def test_a_resident_raises_a_request_that_waits_on_the_desk_as_online(client, poster, grid, building, staff):
    response = client.get(reverse("public:raise", args=[poster.code]))
    assert response.status_code == 200
    assert "滨河路 12 号楼" in response.content.decode()
    assert "临时救助" not in response.content.decode()  # not in the catalogue's resident-facing part

    case, url = _raised(client, poster)
    assert (case.status, case.channel, case.grid, case.building) == (
        Status.SUBMITTED,
        Channel.ONLINE,
        grid,
        building,
    )
    assert (case.requester_name, case.requester_phone, case.address) == ("王女士", PHONE, "3单元门口")
    assert case.number in _raise_page_text(client, url)
    # The desk hears of it at once, and finds it on its desk like any request.
    assert Notification.objects.filter(recipient=staff, case=case, kind=Kind.NEW_REQUEST).exists()
    client.force_login(staff)
    assert case.number in client.get(reverse("cases:desk")).content.decode()


def _raise_page_text(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert (
        response["Referrer-Policy"] == "same-origin"
    )  # not "no-referrer": its POSTs would send Origin: null
    assert "no-store" in response["Cache-Control"]
    return response.content.decode()


def test_the_token_is_stored_only_as_its_digest(client, poster):
    case, url = _raised(client, poster)
    token = url.split("/")[-2]
    stored = ResidentRequest.objects.get(case=case)
    assert token not in {stored.token_digest, stored.phone_digest, stored.address_digest}
    assert stored.token_digest == services.token_digest(token)
    assert PHONE not in stored.phone_digest


@pytest.mark.parametrize("how", ["number", "wrong", "id", "truncated"])
def test_only_the_private_link_opens_a_request(client, poster, how):
    case, url = _raised(client, poster)
    token = url.split("/")[-2]
    other = {"number": case.number, "wrong": "x" * len(token), "id": str(case.pk), "truncated": token[:-1]}[
        how
    ]
    assert client.get(reverse("public:track", args=[other])).status_code == 404
    assert client.post(reverse("public:track_act", args=[other, "withdraw"])).status_code == 404


def test_a_grid_poster_lets_the_resident_choose_a_building_of_that_grid_only(
    client, grid, other_grid, building
):
    link = services.place_link_for(grid=grid)
    elsewhere = BuildingFactory(grid=other_grid)
    page = client.get(reverse("public:raise", args=[link.code])).content.decode()
    assert building.address in page and elsewhere.address not in page
    response = _raise(client, link, building=elsewhere.pk)
    assert response.status_code == 200 and "form" in response.content.decode()
    assert not Case.objects.exists()
    case, _url = _raised(client, link, building=building.pk)
    assert case.building == building


def test_the_tracking_page_shows_the_communitys_answers_and_leaks_nothing(
    client, poster, grid, staff, worker
):
    worker.first_name, worker.username = "张网格", "grid-worker-zhang"
    worker.save()
    staff.username = "desk-staff-li"
    staff.save()
    other = case_services.case_register(
        intake=case_services.Intake(
            channel=Channel.WALK_IN,
            grid=grid,
            category=Category.objects.get(name="环境卫生"),
            urgency="general",
            description="邻居赵先生反映的另一件事",
            requester=case_services.Requester(name="赵先生", phone="13700007777"),
        ),
        actor=staff,
    )
    case, url = _raised(client, poster)
    for action, actor, extra in [
        ("accept", staff, {}),
        ("take", worker, {}),
        (
            "resolve",
            worker,
            {"note": "已清理楼道杂物。有事请联系网格员 13811112222，身份证 620102199001011234。"},
        ),
    ]:
        case = case_services.case_transition(case=case, action=action, actor=actor, **extra)
    page = _raise_page_text(client, url)
    assert "已清理楼道杂物" in page
    assert "138****2222" in page
    for leak in [
        "13811112222",
        "620102199001011234",
        "张网格",
        worker.username,
        staff.username,
        "赵先生",
        "13700007777",
        other.number,
        "邻居赵先生",
    ]:
        assert leak not in page, leak


def test_the_residents_text_is_escaped_on_every_page(client, poster, staff):
    case, url = _raised(
        client, poster, description="<script>alert(1)</script><img src=x onerror=alert(2)>", name="<b>王</b>"
    )
    assert "<script>alert(1)" not in _raise_page_text(client, url)
    client.force_login(staff)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "<b>王</b>" not in page


def test_sending_what_was_asked_for_resumes_the_clock(client, poster, staff, worker):
    case, url = _raised(client, poster)
    case = case_services.case_transition(case=case, action="accept", actor=staff)
    case = case_services.case_transition(case=case, action="take", actor=worker)
    case = case_services.case_transition(case=case, action="pause", actor=worker, note="请拍一张堆物的照片")
    page = _raise_page_text(client, url)
    assert "待您补充材料" in page and "请拍一张堆物的照片" in page

    token = url.split("/")[-2]
    empty = client.post(reverse("public:track_act", args=[token, "supplement"]), {"note": " "})
    assert empty.status_code == 400
    assert Case.objects.get(pk=case.pk).paused_at is not None

    response = client.post(
        reverse("public:track_act", args=[token, "supplement"]), {"note": "照片见附件", "photos": [_png()]}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.paused_at is None and case.clock_due_at is not None
    last = case.events.order_by("-id").first()
    assert (last.action, last.note) == (Action.SUPPLEMENT, "照片见附件")
    assert CaseAttachment.objects.filter(case=case).count() == 1
    assert Notification.objects.filter(recipient=worker, case=case, kind=Kind.SUPPLEMENTED, text="").exists()
    # Not waiting any more: nothing more to send.
    again = client.post(
        reverse("public:track_act", args=[token, "supplement"]), {"note": "再补充"}, follow=True
    )
    assert "办理情况已有变化" in again.content.decode()
    assert case.events.filter(action=Action.SUPPLEMENT).count() == 1


@pytest.mark.parametrize(
    ("resolved", "satisfaction", "reopens"),
    [
        ("yes", "satisfied", False),
        ("yes", "unsatisfied", True),
        ("no", "basically", True),
    ],
)
def test_the_requesters_rating_counts_as_the_desks_follow_up(
    client, poster, staff, worker, resolved, satisfaction, reopens
):
    case, url = _raised(client, poster)
    for action, actor in [("accept", staff), ("take", worker)]:
        case = case_services.case_transition(case=case, action=action, actor=actor)
    case = case_services.case_transition(case=case, action="resolve", actor=worker, note="已清理。")
    token = url.split("/")[-2]
    assert "请评价办理结果" in _raise_page_text(client, url)
    response = client.post(
        reverse("public:track_act", args=[token, "rate"]),
        {"resolved": resolved, "satisfaction": satisfaction, "note": "谢谢"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.followed_up_at is not None
    assert (case.follow_up_resolved, case.satisfaction) == (resolved == "yes", satisfaction)
    assert Notification.objects.filter(recipient=staff, case=case, kind=Kind.RATED).exists()
    # The desk goes on as after its own call: reopen after a bad answer, else archive.
    from cases.permissions import may

    assert may(staff, case, "reopen") is reopens
    assert may(staff, case, "close") is True
    # Once per resolution: a second rating is refused and changes nothing.
    before = case.events.count()
    client.post(
        reverse("public:track_act", args=[token, "rate"]), {"resolved": "no", "satisfaction": "unsatisfied"}
    )
    case.refresh_from_db()
    assert (case.satisfaction, case.events.count()) == (satisfaction, before)
    assert "请评价办理结果" not in _raise_page_text(client, url)


def test_a_rating_without_answers_is_refused_with_the_form_kept(client, poster, staff, worker):
    case, url = _raised(client, poster)
    for action, actor in [("accept", staff), ("take", worker)]:
        case = case_services.case_transition(case=case, action=action, actor=actor)
    case_services.case_transition(case=case, action="resolve", actor=worker, note="已清理。")
    token = url.split("/")[-2]
    response = client.post(reverse("public:track_act", args=[token, "rate"]), {"note": "不满意的地方"})
    assert response.status_code == 400
    assert "不满意的地方" in response.content.decode()
    assert Case.objects.get(pk=case.pk).followed_up_at is None


def test_a_request_is_withdrawn_before_it_is_accepted_not_after(client, poster, staff):
    case, url = _raised(client, poster)
    token = url.split("/")[-2]
    assert "撤回诉求" in _raise_page_text(client, url)
    response = client.post(reverse("public:track_act", args=[token, "withdraw"]), {"note": "已自行解决"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.CLOSED, Outcome.WITHDRAWN)
    assert "已撤回" in _raise_page_text(client, url)

    accepted, url2 = _raised(client, poster, description="另一件事：路灯不亮。")
    case_services.case_transition(case=accepted, action="accept", actor=staff)
    token2 = url2.split("/")[-2]
    assert "撤回诉求" not in _raise_page_text(client, url2)
    response = client.post(reverse("public:track_act", args=[token2, "withdraw"]), follow=True)
    assert "办理情况已有变化" in response.content.decode()
    assert Case.objects.get(pk=accepted.pk).status == Status.DISPATCHED


def test_one_phone_raises_at_most_three_a_day(client, poster):
    for n in range(services.PER_PHONE_PER_DAY):
        _raised(client, poster, description=f"第 {n} 件")
    response = _raise(client, poster, description="第四件事")
    page = response.content.decode()
    assert response.status_code == 200 and "一天内最多提交" in page
    assert "第四件事" in page  # the form is kept
    assert Case.objects.count() == services.PER_PHONE_PER_DAY
    # Written another way, the same number is the same phone.
    response = _raise(client, poster, phone="139-1234-5678", description="第五件事")
    assert "一天内最多提交" in response.content.decode()
    assert Case.objects.count() == services.PER_PHONE_PER_DAY


def test_one_network_address_raises_at_most_ten_an_hour(client, poster):
    for n in range(services.PER_ADDRESS_PER_HOUR):
        _raised(client, poster, phone=f"1391234{n:04d}")
    response = _raise(client, poster, phone="13600000000")
    assert "提交过于频繁" in response.content.decode()
    assert Case.objects.count() == services.PER_ADDRESS_PER_HOUR


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "12345"}, "电话号码无效"),
        ({"name": "  "}, "这个字段是必填项"),
        ({"description": ""}, "这个字段是必填项"),
        ({"consent": ""}, "请勾选同意"),
        ({"category": "999999"}, "选择一个有效的选项"),
        ({"description": "x" * 1001}, "1000"),
    ],
)
def test_wrong_input_is_refused_with_the_form_kept(client, poster, changes, message):
    response = _raise(client, poster, **changes)
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert "王女士" in page or changes.get("name")
    assert not Case.objects.exists()


def test_a_staff_only_category_is_refused(client, poster):
    response = _raise(client, poster, category=Category.objects.get(name="临时救助").pk)
    assert "选择一个有效的选项" in response.content.decode()
    assert not Case.objects.exists()


def test_photos_are_checked_and_counted_and_their_loss_is_said(client, poster):
    too_many = [_png(f"p{n}.png") for n in range(services.PHOTOS_PER_REQUEST + 1)]
    response = _raise(client, poster, photos=too_many)
    assert "最多上传 3 张照片" in response.content.decode()
    assert "未保存，请重新选择" in response.content.decode()
    fake = io.BytesIO(b"not an image")
    fake.name = "fake.jpg"
    response = _raise(client, poster, photos=[fake])
    assert "不是照片" in response.content.decode()
    assert not Case.objects.exists()
    case, _url = _raised(client, poster, photos=[_png()])
    assert CaseAttachment.objects.filter(case=case).count() == 1


def test_a_form_sent_twice_saves_once(client, poster):
    data = _form(submission_token="7b0c6a9e-1f0e-4d8f-9a53-1a2b3c4d5e6f")
    url = reverse("public:raise", args=[poster.code])
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 200
    assert Case.objects.count() == 1
    assert "未重复提交" in second.content.decode()
    assert "/q/t/" not in second.content.decode()  # the tracking link is shown once


def test_an_unknown_poster_code_is_a_404(client):
    assert client.get(reverse("public:raise", args=["nope"])).status_code == 404


def test_posters_are_printed_by_those_serving_the_grid(client, grid, other_grid, building, worker):
    client.force_login(worker)
    page = client.get(reverse("public:poster_grid", args=[grid.pk])).content.decode()
    link = PlaceLink.objects.get(grid=grid, building=None)
    assert f"/q/r/{link.code}/" in page and "<svg" in page and building.address in page
    page = client.get(reverse("public:poster_building", args=[building.pk])).content.decode()
    assert f"/q/r/{PlaceLink.objects.get(building=building).code}/" in page
    # Printing again keeps the same link (posters already on the walls still work).
    client.get(reverse("public:poster_grid", args=[grid.pk]))
    assert PlaceLink.objects.filter(grid=grid, building=None).count() == 1
    assert client.get(reverse("public:poster_grid", args=[other_grid.pk])).status_code == 404
    outsider = UserFactory()
    assign(outsider, Role.GRID_WORKER, other_grid)
    client.force_login(outsider)
    assert client.get(reverse("public:poster_building", args=[building.pk])).status_code == 404


def test_the_poster_qr_code_holds_the_link(client, grid, worker):
    client.force_login(worker)
    client.get(reverse("public:poster_grid", args=[grid.pk]))
    link = PlaceLink.objects.get(grid=grid, building=None)
    assert len(link.code) >= 12
    other = services.place_link_for(grid=grid, building=BuildingFactory(grid=grid))
    assert other.code != link.code


def test_the_desk_is_offered_the_open_duplicate_of_a_residents_request(client, poster, grid, building, staff):
    earlier = case_services.case_register(
        intake=case_services.Intake(
            channel=Channel.WALK_IN,
            grid=grid,
            building=building,
            category=Category.objects.get(name="环境卫生"),
            urgency="general",
            description="楼道堆物，来访反映。",
            requester=case_services.Requester(name="李女士", phone="13800001234"),
        ),
        actor=staff,
    )
    case, _url = _raised(client, poster)
    client.force_login(staff)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'name="merge-target"' in page and f'value="{earlier.pk}"' in page
    response = client.post(
        reverse("cases:act", args=[case.pk, "merge"]),
        {"merge-target": earlier.pk, "merge-expected_status": "submitted", "merge-note": ""},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.outcome, case.merged_into) == (Outcome.MERGED, earlier)
    # The resident reads that it is handled together with another, and nothing of the other.
    client.logout()
    page = _raise_page_text(client, _url)
    assert "已合并办理" in page and earlier.number not in page and "李女士" not in page
