"""The 12345 platform's Open311 GeoReport v2 API: every endpoint in JSON and XML, keys, throttle, log,
malformed payloads, scope, repeated order ids, query counts."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from cases import services as case_services
from cases.models import Case, Category, Channel, Status
from hotline.models import ApiCall, WorkOrder
from tests.factories import BuildingFactory, CommunityFactory, GridFactory, StreetFactory
from tests.hotline_helpers import FIELDS_OF_A_REQUEST, make_key, order_data, post_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(db):
    return Category.objects.get(name="环境卫生")


@pytest.fixture
def platform(grid):
    return make_key(grid.community)


def _get(client, name, key, *args, **params):
    return client.get(reverse(f"open311:{name}", args=list(args)), params, HTTP_X_API_KEY=key)


# --- services ------------------------------------------------------------------------------------------


def test_services_json_lists_the_active_categories_with_the_spec_fields(client, platform, category):
    _, key = platform
    Category.objects.filter(name="邻里纠纷").update(active=False)
    response = _get(client, "services", key, "json")
    assert response.status_code == 200
    services = response.json()
    names = {s["service_name"] for s in services}
    assert "环境卫生" in names and "邻里纠纷" not in names
    assert set(services[0]) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    env = next(s for s in services if s["service_name"] == "环境卫生")
    assert env["service_code"] == str(category.pk) and env["metadata"] is True and env["type"] == "realtime"


def test_services_xml_has_the_spec_elements(client, platform, category):
    _, key = platform
    response = _get(client, "services", key, "xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "services"
    first = root.find("service")
    assert [child.tag for child in first] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("metadata") == "true"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_service_definition_has_its_attributes(client, platform, category, fmt):
    _, key = platform
    response = _get(client, "service_definition", key, str(category.pk), fmt)
    assert response.status_code == 200
    if fmt == "json":
        definition = response.json()
        assert definition["service_code"] == str(category.pk)
        order_id = definition["attributes"][0]
        assert set(order_id) == {
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        }
        assert (order_id["code"], order_id["required"]) == ("order_id", True)
        assert {v["key"] for v in definition["attributes"][1]["values"]} == {
            "emergency",
            "urgent",
            "general",
            "complex",
        }
    else:
        root = ET.fromstring(response.content)
        assert root.tag == "service_definition"
        assert root.findtext("service_code") == str(category.pk)
        attribute = root.find("attributes/attribute")
        assert attribute.findtext("code") == "order_id" and attribute.findtext("required") == "true"
        assert len(root.findall("attributes/attribute[2]/values/value")) == 4


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_a_404_in_the_error_shape(client, platform, fmt):
    _, key = platform
    response = _get(client, "service_definition", key, "999999", fmt)
    assert response.status_code == 404
    if fmt == "json":
        assert response.json() == [{"code": 404, "description": "未找到。"}]
    else:
        assert ET.fromstring(response.content).findtext("error/code") == "404"


# --- POST requests --------------------------------------------------------------------------------------


def test_a_work_order_becomes_a_hotline_case_waiting_for_acceptance(client, platform, grid, category):
    api_client, key = platform
    building = BuildingFactory(grid=grid)
    response = post_order(client, key, grid, category, address_id=f"{grid.code}:{building.pk}")
    assert response.status_code == 201
    [created] = response.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    case = Case.objects.get(number=created["service_request_id"])
    assert (case.channel, case.status, case.grid, case.building) == (
        Channel.HOTLINE,
        Status.SUBMITTED,
        grid,
        building,
    )
    assert (case.requester_name, case.requester_phone, case.address) == (
        "王女士",
        "13800005678",
        "滨河路12号楼下",
    )
    assert case.created_by == api_client.actor
    order = WorkOrder.objects.get(case=case)
    assert (order.client, order.order_id, order.address_id) == (
        api_client,
        "GD20261201001",
        f"{grid.code}:{building.pk}",
    )


def test_a_work_order_posted_in_xml_answers_in_xml(client, platform, grid, category):
    _, key = platform
    response = post_order(client, key, grid, category, fmt="xml")
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text == Case.objects.get().number


def test_a_work_order_as_a_json_object_is_taken_too(client, platform, grid, category):
    _, key = platform
    body = order_data(grid, category, lat=36.06)
    response = client.post(
        reverse("open311:requests", args=["json"]),
        json.dumps(body),
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 201
    assert str(WorkOrder.objects.get().lat) == "36.060000"


def test_the_key_may_come_as_the_spec_api_key_parameter(client, platform, grid, category):
    _, key = platform
    response = client.post(
        reverse("open311:requests", args=["json"]), {**order_data(grid, category), "api_key": key}
    )
    assert response.status_code == 201


def test_a_repeated_order_id_returns_the_same_request_and_makes_no_second_case(
    client, platform, grid, category
):
    _, key = platform
    first = post_order(client, key, grid, category)
    again = post_order(client, key, grid, category, description="再次派单")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert Case.objects.count() == 1


def test_the_same_order_id_from_another_platform_is_its_own_case(client, platform, grid, category):
    _, key = platform
    _, other_key = make_key(grid.community, name="区级平台")
    post_order(client, key, grid, category)
    assert post_order(client, other_key, grid, category).status_code == 201
    assert Case.objects.count() == 2


LONG = "长" * 2001


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"service_code": ""}, "缺少必填字段：service_code。"),
        ({"attribute[order_id]": ""}, "缺少必填字段：attribute[order_id]。"),
        ({"address_id": ""}, "缺少必填字段：address_id。"),
        ({"description": "   "}, "缺少必填字段：description。"),
        ({"service_code": "999999"}, "未知的 service_code。"),
        ({"service_code": "环境卫生"}, "未知的 service_code。"),
        ({"service_code": "-1"}, "未知的 service_code。"),
        ({"address_id": "NOWHERE-99"}, "address_id 不是本密钥范围内的网格编号。"),
        ({"address_id": "{grid}:abc"}, "address_id 中的楼栋编号应为数字。"),
        ({"address_id": "{grid}:99999999"}, "address_id 中的楼栋不在该网格内。"),
        ({"lat": "north"}, "lat 应为数字。"),
        ({"lat": "91"}, "lat 超出范围。"),
        ({"long": "-181"}, "long 超出范围。"),
        ({"lat": "NaN"}, "lat 超出范围。"),
        ({"lat": "1e999999"}, "lat 超出范围。"),
        ({"description": LONG}, "description 超过 2000 个字符。"),
        ({"attribute[order_id]": "x" * 65}, "attribute[order_id] 超过 64 个字符。"),
        ({"attribute[order_id]": "工单1"}, "attribute[order_id] 只能含字母、数字和 . _ : -。"),
        ({"description": "垃圾\x00未清运"}, "description 含有控制字符。"),
        ({"last_name": "王\x1b[31m"}, "last_name 含有控制字符。"),
        ({"phone": "call me"}, "phone 格式错误。"),
        ({"attribute[urgency]": "asap"}, "attribute[urgency] 不是可选的紧急程度。"),
        ({"address_string": "路" * 201}, "address_string 超过 200 个字符。"),
    ],
)
def test_a_malformed_work_order_is_a_400_in_the_error_shape(
    client, platform, grid, category, changes, message
):
    _, key = platform
    changes = {name: value.replace("{grid}", grid.code) for name, value in changes.items()}
    response = post_order(client, key, grid, category, **changes)
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": message}]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "body",
    ["not json", "[1, 2]", '{"service_code": {"nested": 1}}', '{"description": true}', "\xff\xfe"],
)
def test_a_malformed_json_body_is_a_400(client, platform, body):
    _, key = platform
    response = client.post(
        reverse("open311:requests", args=["json"]),
        body.encode("latin-1"),
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


def test_a_malformed_work_order_in_xml_gets_the_xml_error_shape(client, platform, grid, category):
    _, key = platform
    response = post_order(client, key, grid, category, fmt="xml", service_code="")
    assert response.status_code == 400
    root = ET.fromstring(response.content)
    assert (root.tag, root.findtext("error/code")) == ("errors", "400")
    assert root.findtext("error/description") == "缺少必填字段：service_code。"


def test_a_place_outside_the_keys_community_is_refused(client, platform, grid, category):
    _, key = platform
    elsewhere = GridFactory()  # another community
    response = post_order(client, key, grid, category, address_id=elsewhere.code)
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_a_street_key_places_work_orders_in_any_grid_of_its_street(client, grid, category):
    _, key = make_key(grid.community.street)
    neighbour = GridFactory(community=CommunityFactory(street=grid.community.street))
    assert post_order(client, key, neighbour, category).status_code == 201
    assert Case.objects.get().grid == neighbour


# --- GET requests -----------------------------------------------------------------------------------------


def _sent(client, key, grid, category, n, start=0):
    return [
        post_order(client, key, grid, category, **{"attribute[order_id]": f"GD{start + i:05d}"}).json()[0][
            "service_request_id"
        ]
        for i in range(n)
    ]


def test_get_requests_json_has_the_spec_fields_and_no_personal_data(client, platform, grid, category):
    _, key = platform
    [number] = _sent(client, key, grid, category, 1)
    response = _get(client, "requests", key, "json")
    assert response.status_code == 200
    [row] = response.json()
    assert set(row) == FIELDS_OF_A_REQUEST
    assert (row["service_request_id"], row["status"], row["status_notes"]) == (number, "open", "已受理")
    assert (row["service_code"], row["service_name"]) == (str(category.pk), "环境卫生")
    assert row["agency_responsible"] == grid.community.name
    assert (row["address_id"], row["lat"], row["long"]) == (grid.code, 36.061, 103.834)
    assert "13800005678" not in response.text and "王女士" not in response.text


def test_get_requests_xml_has_the_spec_elements(client, platform, grid, category):
    _, key = platform
    _sent(client, key, grid, category, 2)
    response = _get(client, "requests", key, "xml")
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 2
    assert {child.tag for child in requests[0]} == FIELDS_OF_A_REQUEST
    assert requests[0].findtext("status") == "open"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_one_request_by_its_id(client, platform, grid, category, fmt):
    _, key = platform
    [number] = _sent(client, key, grid, category, 1)
    response = _get(client, "request", key, number, fmt)
    assert response.status_code == 200
    if fmt == "json":
        [row] = response.json()
        assert set(row) == FIELDS_OF_A_REQUEST and row["service_request_id"] == number
    else:
        assert ET.fromstring(response.content).findtext("request/service_request_id") == number


def test_the_status_follows_the_case(client, platform, grid, category, staff, worker):
    _, key = platform
    [number] = _sent(client, key, grid, category, 1)
    case = Case.objects.get(number=number)
    for action, actor in (("accept", staff), ("take", worker)):
        case = case_services.case_transition(case=case, action=action, actor=actor, note="处理")
    assert _get(client, "request", key, number, "json").json()[0]["status_notes"] == "办理中"
    case = case_services.case_transition(case=case, action="resolve", actor=worker, note="已清运")
    row = _get(client, "request", key, number, "json").json()[0]
    assert (row["status"], row["status_notes"]) == ("open", "已办结：已清运")
    case_services.case_transition(
        case=case, action="follow_up", actor=staff, resolved=True, satisfaction="satisfied"
    )
    case_services.case_transition(case=Case.objects.get(pk=case.pk), action="close", actor=staff)
    row = _get(client, "request", key, number, "json").json()[0]
    assert (row["status"], row["status_notes"]) == ("closed", "已回访（已解决）：已清运")
    assert row["expected_datetime"] is not None


def test_get_requests_filters(client, platform, grid, category, staff):
    _, key = platform
    numbers = _sent(client, key, grid, category, 3)
    other = Category.objects.get(name="邻里纠纷")
    post_order(client, key, grid, other, **{"attribute[order_id]": "GD-other"})
    case_services.case_transition(
        case=Case.objects.get(number=numbers[0]), action="reject", actor=staff, note="非本社区事项"
    )

    def ids(**params):
        return sorted(r["service_request_id"] for r in _get(client, "requests", key, "json", **params).json())

    assert ids(service_request_id=f"{numbers[1]},{numbers[2]}") == sorted(numbers[1:])
    assert ids(service_code=str(category.pk)) == sorted(numbers)
    assert ids(status="closed") == [numbers[0]]
    assert len(ids(status="open")) == 3
    assert ids(start_date="2000-01-01T00:00:00Z", end_date="2000-12-31T00:00:00Z") == []
    assert len(ids(start_date="2000-01-01")) == 4


@pytest.mark.parametrize(
    "params",
    [
        {"status": "pending"},
        {"start_date": "yesterday"},
        {"end_date": "2026-13-45"},
        {"service_code": "abc"},
        {"service_request_id": "a\x00b"},
    ],
)
def test_bad_filters_are_a_400(client, platform, params):
    _, key = platform
    response = _get(client, "requests", key, "json", **params)
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


def test_a_key_reads_only_its_own_work_orders(client, platform, grid, category, staff):
    _, key = platform
    _, neighbour_key = make_key(grid.community, name="另一平台")
    [number] = _sent(client, key, grid, category, 1)
    desk_case = case_services.case_register(
        intake=case_services.Intake(
            channel=Channel.HOTLINE,
            grid=grid,
            category=category,
            urgency="general",
            description="来电",
            requester=case_services.Requester(anonymous=True),
        ),
        actor=staff,
    )
    assert _get(client, "requests", neighbour_key, "json").json() == []
    assert _get(client, "request", neighbour_key, number, "json").status_code == 404
    assert _get(client, "request", key, desk_case.number, "json").status_code == 404


def test_another_streets_key_sees_nothing_of_this_street(client, platform, grid, category):
    _, key = platform
    [number] = _sent(client, key, grid, category, 1)
    _, far_key = make_key(StreetFactory())
    assert _get(client, "requests", far_key, "json").json() == []
    response = _get(client, "request", far_key, number, "xml")
    assert response.status_code == 404
    assert ET.fromstring(response.content).findtext("error/code") == "404"
    assert post_order(client, far_key, grid, category, **{"attribute[order_id]": "X1"}).status_code == 400


def test_get_requests_issues_the_same_queries_at_two_sizes(
    client, platform, grid, category, django_assert_num_queries
):
    _, key = platform
    _sent(client, key, grid, category, 2)
    # the key (with its account), the throttle's count, the work orders with their cases, categories,
    # grids, communities and buildings in one query, the call's log row = 4
    with django_assert_num_queries(4):
        small = _get(client, "requests", key, "json")
    _sent(client, key, grid, category, 10, start=100)
    with django_assert_num_queries(4):
        large = _get(client, "requests", key, "json")
    assert (len(small.json()), len(large.json())) == (2, 12)


# --- keys, throttle, log ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_wrong_key_is_a_401_and_recorded(client, platform, fmt):
    api_client, key = platform
    forged = f"{api_client.key_prefix}.not-the-secret"
    response = client.get(
        reverse("open311:services", args=[fmt]), HTTP_X_API_KEY=forged, REMOTE_ADDR="10.2.3.4"
    )
    assert response.status_code == 401
    if fmt == "json":
        assert response.json() == [{"code": 401, "description": "缺少或无效的 api_key。"}]
    else:
        assert ET.fromstring(response.content).findtext("error/code") == "401"
    call = ApiCall.objects.get()
    assert (call.client, call.key_prefix, call.method, call.status, call.remote_addr) == (
        None,
        api_client.key_prefix,
        "GET",
        401,
        "10.2.3.4",
    )
    assert call.path == f"/open311/v2/services.{fmt}"


def test_no_key_is_a_401_and_recorded(client, db):
    response = client.get(reverse("open311:requests", args=["json"]))
    assert response.status_code == 401
    assert ApiCall.objects.get().status == 401


def test_a_revoked_key_is_a_403_and_recorded(client, platform, grid, category, street_leader):
    from hotline import services

    api_client, key = platform
    services.client_revoke(client=api_client, by=street_leader)
    response = post_order(client, key, grid, category)
    assert response.status_code == 403
    assert response.json() == [{"code": 403, "description": "该 api_key 已吊销。"}]
    call = ApiCall.objects.get()
    assert (call.client, call.status, call.method) == (api_client, 403, "POST")
    assert not Case.objects.exists()


def test_every_good_call_is_recorded_with_its_key(client, platform):
    api_client, key = platform
    _get(client, "services", key, "json")
    call = ApiCall.objects.get()
    assert (call.client, call.key_prefix, call.status) == (api_client, api_client.key_prefix, 200)


def test_a_flood_is_refused_with_429(client, platform, settings):
    settings.HOTLINE_CALLS_PER_MINUTE = 5
    _, key = platform
    answers = [_get(client, "services", key, "json").status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2
    refused = _get(client, "services", key, "xml")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert ET.fromstring(refused.content).findtext("error/code") == "429"
    assert ApiCall.objects.filter(status=429).count() == 3


def test_another_keys_flood_does_not_throttle_this_key(client, platform, grid, settings):
    settings.HOTLINE_CALLS_PER_MINUTE = 2
    _, key = platform
    _, other = make_key(grid.community, name="另一平台")
    for _ in range(3):
        _get(client, "services", other, "json")
    assert _get(client, "services", key, "json").status_code == 200


def test_an_unknown_format_is_a_404(client, platform):
    _, key = platform
    assert _get(client, "services", key, "csv").status_code == 404


def test_the_openapi_document_is_served_without_a_key_and_the_docs_load_nothing_from_outside(client, db):
    document = client.get(reverse("open311:openapi-json"))
    assert document.status_code == 200
    assert "/open311/v2/requests.{fmt}" in document.json()["paths"]
    page = client.get(reverse("open311:openapi-view"))
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
