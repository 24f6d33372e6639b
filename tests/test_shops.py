"""Shops and units in a grid (实有单位), their 门前三包 pledges, and their record of inspections and cases."""

import datetime

import factory
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from common.submissions import AlreadySubmitted
from grids.models import Role
from shops import services
from shops.models import Shop, ShopPledge
from tests.factories import BuildingFactory, GridFactory, UserFactory, assign
from tests.test_case_views import _intake_data
from visits import services as visit_services

pytestmark = pytest.mark.django_db

LICENCE = "91110000600037341L"  # a valid 统一社会信用代码 (GB 32100 check character)


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    grid = factory.SubFactory(GridFactory)
    building = factory.SubFactory(BuildingFactory, grid=factory.SelfAttribute("..grid"))
    name = factory.Sequence(lambda n: f"测试商户{n}")
    kind = Shop.Kind.CATERING
    contact_name = "马师傅"
    contact_phone = "13912345678"


def sign(shop, actor, days_ago=0, **changes) -> ShopPledge:
    data = {"frontage": "门前至人行道边缘", "signed_by": "马师傅"}
    data.update(changes)
    return services.pledge_sign(
        shop=shop, actor=actor, signed_on=timezone.localdate() - datetime.timedelta(days_ago), **data
    )


def patrol_with(grid, worker, *findings):
    return visit_services.patrol_log(
        grid=grid,
        worker=worker,
        started_at=timezone.now() - datetime.timedelta(hours=2),
        ended_at=None,
        route="滨河路金城关段",
        notes="",
        findings=list(findings),
    )


# --- models ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "valid"),
    [(LICENCE, True), ("110105012345678", True), ("91110000600037341A", False), ("12345", False)],
)
def test_licence_number_is_a_credit_code_or_an_old_registration_number(grid, number, valid):
    shop = ShopFactory.build(grid=grid, building=BuildingFactory(grid=grid), licence_number=number)
    if valid:
        shop.full_clean(exclude=["submission_token"])
    else:
        with pytest.raises(ValidationError) as caught:
            shop.full_clean(exclude=["submission_token"])
        assert "licence_number" in caught.value.message_dict


def test_shop_needs_a_building_or_an_address(grid):
    with pytest.raises(ValidationError) as caught:
        Shop(grid=grid, name="无址", kind=Shop.Kind.OTHER).full_clean(exclude=["submission_token"])
    assert "address" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Shop.objects.create(grid=grid, name="无址", kind=Shop.Kind.OTHER)


def test_shop_building_must_lie_in_its_grid(grid, other_grid):
    shop = Shop(grid=grid, building=BuildingFactory(grid=other_grid), name="错位", kind=Shop.Kind.OTHER)
    with pytest.raises(ValidationError) as caught:
        shop.full_clean(exclude=["submission_token"])
    assert "building" in caught.value.message_dict


def test_pledge_covering_no_duty_is_refused_by_the_database(grid, worker):
    shop = ShopFactory(grid=grid)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShopPledge.objects.create(
            shop=shop,
            signed_on=timezone.localdate(),
            frontage="门前",
            signed_by="马",
            recorded_by=worker,
            cleanliness=False,
            order=False,
            greenery=False,
        )


# --- services -------------------------------------------------------------------------------------------


def test_registry_keeper_registers_a_shop_with_its_phone_normalised(grid, worker):
    building = BuildingFactory(grid=grid)
    shop = services.shop_create(
        grid=grid,
        actor=worker,
        name=" 黄河食渡·牛肉面 ",
        kind=Shop.Kind.CATERING,
        building=building,
        licence_number=LICENCE.lower(),
        contact_phone="0931-8123456",
    )
    assert (shop.name, shop.licence_number, shop.contact_phone) == ("黄河食渡·牛肉面", LICENCE, "09318123456")
    assert shop.contact_phone_masked == "093****3456"


@pytest.mark.parametrize("who", ["outsider", "street_leader", "building_head"])
def test_only_the_grids_registry_keepers_register_shops(grid, other_grid, street_leader, building_head, who):
    outsider = UserFactory(username="o")
    assign(outsider, Role.GRID_WORKER, other_grid)
    actor = {"outsider": outsider, "street_leader": street_leader, "building_head": building_head}[who]
    with pytest.raises(PermissionDenied):
        services.shop_create(grid=grid, actor=actor, name="X", kind="other", address="滨河路1号")
    assert not Shop.objects.exists()


def test_shop_with_a_bad_phone_is_refused_on_its_field(grid, worker):
    with pytest.raises(ValidationError) as caught:
        services.shop_create(
            grid=grid, actor=worker, name="X", kind="other", address="滨河路1号", contact_phone="12345"
        )
    assert list(caught.value.message_dict) == ["contact_phone"]


def test_shop_form_sent_twice_saves_once(grid, worker):
    import uuid

    token = uuid.uuid4()
    first = services.shop_create(
        grid=grid, actor=worker, name="X", kind="other", address="滨河路1号", submission_token=token
    )
    with pytest.raises(AlreadySubmitted) as caught:
        services.shop_create(
            grid=grid, actor=worker, name="X", kind="other", address="滨河路1号", submission_token=token
        )
    assert caught.value.record == first
    assert Shop.objects.count() == 1


def test_closing_a_shop_keeps_it_and_refuses_a_future_date(grid, worker):
    shop = ShopFactory(grid=grid)
    with pytest.raises(ValidationError):
        services.shop_update(shop=shop, actor=worker, closed_on=timezone.localdate() + datetime.timedelta(1))
    services.shop_update(shop=shop, actor=worker, closed_on=timezone.localdate())
    shop.refresh_from_db()
    assert (shop.is_open, list(Shop.objects.open())) == (False, [])


def test_renewal_becomes_the_current_pledge_and_keeps_the_old_one(grid, worker):
    shop = ShopFactory(grid=grid)
    first = sign(shop, worker, days_ago=365, greenery=False)
    renewal = sign(shop, worker, frontage="门前及东侧花坛")
    listed = Shop.objects.with_current_pledge().get()
    assert listed.pledge_signed_on == renewal.signed_on
    assert list(shop.pledges.all()) == [renewal, first]
    assert (first.duties, renewal.duties) == (["市容环境卫生", "秩序"], ["市容环境卫生", "秩序", "绿化"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cleanliness": False, "order": False, "greenery": False}, "__all__"),
        ({"days_ago": -1}, "signed_on"),
    ],
)
def test_pledge_refuses_bad_input(grid, worker, changes, field):
    shop = ShopFactory(grid=grid)
    with pytest.raises(ValidationError) as caught:
        sign(shop, worker, **changes)
    assert field in caught.value.message_dict
    assert not ShopPledge.objects.exists()


def test_pledge_twice_the_same_day_and_on_a_closed_shop_are_refused(grid, worker):
    shop = ShopFactory(grid=grid)
    sign(shop, worker)
    with pytest.raises(ValidationError) as caught:
        sign(shop, worker)
    assert "signed_on" in caught.value.message_dict
    services.shop_update(shop=shop, actor=worker, closed_on=timezone.localdate())
    with pytest.raises(ValidationError):
        sign(shop, worker, days_ago=1)


def test_pledge_by_someone_outside_the_registry_is_refused(grid, street_leader):
    with pytest.raises(PermissionDenied):
        sign(ShopFactory(grid=grid), street_leader)


# --- pages ----------------------------------------------------------------------------------------------


def test_shop_list_shows_the_users_grids_only(client, grid, other_grid, worker):
    ShopFactory(grid=grid, name="黄河食渡·牛肉面")
    ShopFactory(grid=other_grid, name="别处的店")
    client.force_login(worker)
    html = client.get(reverse("shops:list")).content.decode()
    assert "黄河食渡·牛肉面" in html
    assert "别处的店" not in html
    assert client.get(reverse("shops:list"), {"grid": other_grid.pk}).status_code == 404


def test_shop_list_searches_by_name_and_filters_by_kind(client, grid, worker):
    ShopFactory(grid=grid, name="黄河食渡·牛肉面", kind=Shop.Kind.CATERING)
    ShopFactory(grid=grid, name="黄河食渡·便利店", kind=Shop.Kind.RETAIL)
    ShopFactory(grid=grid, name="金城关茶社", kind=Shop.Kind.CATERING)
    client.force_login(worker)

    def names(**query):
        page = client.get(reverse("shops:list"), query).context["page"]
        return [shop.name for shop in page.object_list]

    assert names(q="食渡") == ["黄河食渡·便利店", "黄河食渡·牛肉面"]
    assert names(q="食渡", kind="catering") == ["黄河食渡·牛肉面"]
    assert names(q="没有这家") == []
    assert "没有符合条件的单位" in client.get(reverse("shops:list"), {"q": "没有这家"}).content.decode()


def test_shop_list_hides_closed_shops_unless_asked(client, grid, worker):
    ShopFactory(grid=grid, name="开着的", closed_on=None)
    ShopFactory(grid=grid, name="关了的", closed_on=timezone.localdate())
    client.force_login(worker)
    assert [s.name for s in client.get(reverse("shops:list")).context["page"].object_list] == ["开着的"]
    closed = client.get(reverse("shops:list"), {"closed": "on"}).context["page"].object_list
    assert [s.name for s in closed] == ["关了的"]


def test_shop_list_paginates(client, grid, worker):
    ShopFactory.create_batch(21, grid=grid)
    client.force_login(worker)
    assert len(client.get(reverse("shops:list")).context["page"].object_list) == 20
    assert len(client.get(reverse("shops:list"), {"page": 2}).context["page"].object_list) == 1


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_shop_list_issues_the_same_queries_at_two_sizes(client, grid, staff):
    # session, user, second factor's device, the place filter's communities, the editable grids (for the
    # 登记单位 button), count, page (shops with grid, community, building and current pledge), the menu's
    # roles
    client.force_login(staff)
    url = reverse("shops:list")
    for shop in ShopFactory.create_batch(3, grid=grid):
        sign(shop, staff)
    small = _count(client, url)
    for shop in ShopFactory.create_batch(30, grid=grid, building=BuildingFactory(grid=grid)):
        sign(shop, staff)
    assert _count(client, url) == small


def test_shop_page_issues_the_same_queries_for_a_longer_record(client, grid, worker):
    shop, busy = ShopFactory(grid=grid), ShopFactory(grid=grid)
    sign(shop, worker)
    sign(busy, worker, days_ago=400)
    sign(busy, worker)
    patrol_with(grid, worker, visit_services.Finding("门前", "占道经营", shop=shop))
    patrol_with(grid, worker, *[visit_services.Finding("门前", f"问题{n}", shop=busy) for n in range(6)])
    client.force_login(worker)
    assert _count(client, reverse("shops:detail", args=[shop.pk])) == _count(
        client, reverse("shops:detail", args=[busy.pk])
    )


def test_shop_page_outside_the_scope_is_404(client, grid, other_grid, worker):
    outsider = UserFactory(username="o")
    assign(outsider, Role.GRID_WORKER, other_grid)
    shop = ShopFactory(grid=grid)
    client.force_login(outsider)
    for name in ("shops:detail", "shops:edit", "shops:pledge_new"):
        assert client.get(reverse(name, args=[shop.pk])).status_code == 404
    assert client.get(reverse("shops:new", args=[grid.pk])).status_code == 404


def test_contact_phone_is_masked_for_roles_that_may_not_reveal(client, grid, worker, building_head):
    shop = ShopFactory(grid=grid, contact_phone="13912345678")
    client.force_login(building_head)
    html = client.get(reverse("shops:detail", args=[shop.pk])).content.decode()
    assert ("139****5678" in html, "13912345678" in html) == (True, False)
    client.force_login(worker)
    assert 'href="tel:13912345678"' in client.get(reverse("shops:detail", args=[shop.pk])).content.decode()


def test_building_head_reads_shops_but_does_not_edit_them(client, grid, building_head):
    shop = ShopFactory(grid=grid)
    client.force_login(building_head)
    assert client.get(reverse("shops:detail", args=[shop.pk])).status_code == 200
    assert client.get(reverse("shops:edit", args=[shop.pk])).status_code == 403
    assert client.post(reverse("shops:pledge_new", args=[shop.pk]), {}).status_code == 403


def test_shop_create_page_registers_and_keeps_bad_input(client, grid, worker):
    building = BuildingFactory(grid=grid)
    client.force_login(worker)
    url = reverse("shops:new", args=[grid.pk])
    data = {
        "name": "黄河食渡·牛肉面",
        "kind": "catering",
        "building": building.pk,
        "address": "",
        "licence_number": "91110000600037341A",
        "contact_name": "马师傅",
        "contact_phone": "13912345678",
        "note": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["licence_number"]
    assert 'value="黄河食渡·牛肉面"' in response.content.decode()
    assert not Shop.objects.exists()
    response = client.post(url, {**data, "licence_number": LICENCE})
    shop = Shop.objects.get()
    assert response["Location"] == reverse("shops:detail", args=[shop.pk])


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "kind": "catering"},
        {"name": "X", "kind": "nonsense", "address": "滨河路1号"},
        {"name": "X", "kind": "other", "address": ""},
        {"name": "X", "kind": "other", "address": "滨河路1号", "contact_phone": "call me"},
        {"name": "X" * 500, "kind": "other", "address": "滨河路1号"},
    ],
)
def test_shop_create_page_answers_bad_input_with_errors(client, grid, worker, data):
    client.force_login(worker)
    response = client.post(reverse("shops:new", args=[grid.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Shop.objects.exists()


def test_shop_create_page_strips_control_characters(client, grid, worker):
    client.force_login(worker)
    client.post(
        reverse("shops:new", args=[grid.pk]),
        {"name": "黄河\x00食渡", "kind": "other", "address": "滨河路1号"},
    )
    assert Shop.objects.get().name == "黄河食渡"


def test_shop_edit_page_records_closing(client, grid, worker):
    shop = ShopFactory(grid=grid)
    client.force_login(worker)
    data = {
        "name": shop.name,
        "kind": shop.kind,
        "building": shop.building_id,
        "address": "",
        "licence_number": "",
        "contact_name": "马师傅",
        "contact_phone": "13912345678",
        "note": "",
        "closed_on": timezone.localdate().isoformat(),
    }
    assert client.post(reverse("shops:edit", args=[shop.pk]), data).status_code == 302
    shop.refresh_from_db()
    assert shop.closed_on == timezone.localdate()


def test_pledge_page_signs_and_refuses_a_pledge_of_no_duty(client, grid, worker):
    shop = ShopFactory(grid=grid)
    client.force_login(worker)
    url = reverse("shops:pledge_new", args=[shop.pk])
    data = {"signed_on": timezone.localdate().isoformat(), "frontage": "门前至人行道", "signed_by": "马师傅"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "至少要包一项" in response.content.decode()
    client.post(url, {**data, "cleanliness": "on", "order": "on"})
    pledge = ShopPledge.objects.get()
    assert (pledge.duties, pledge.recorded_by) == (["市容环境卫生", "秩序"], worker)
    html = client.get(reverse("shops:detail", args=[shop.pk])).content.decode()
    assert "包市容环境卫生" in html and "门前至人行道" in html


# --- inspections: the patrol finding names the shop, and its case joins the shop's record ---------------


def test_a_shops_inspection_finding_becomes_a_case_linked_to_the_shop(client, grid, worker):
    shop = ShopFactory(grid=grid, name="黄河食渡·牛肉面")
    client.force_login(worker)
    form_page = client.get(reverse("visits:patrol_new"))
    assert "黄河食渡·牛肉面" in form_page.content.decode()  # the finding's shop picker offers it
    moment = timezone.localtime(timezone.now() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("visits:patrol_new"),
        {
            "grid": grid.pk,
            "started_at": moment,
            "ended_at": "",
            "route": "滨河路金城关段",
            "notes": "",
            "findings-TOTAL_FORMS": "2",
            "findings-INITIAL_FORMS": "0",
            "findings-MIN_NUM_FORMS": "0",
            "findings-MAX_NUM_FORMS": "30",
            "findings-0-location": "黄河食渡·牛肉面门前",
            "findings-0-description": "门前堆放泔水桶，未落实门前三包",
            "findings-0-shop": shop.pk,
            "findings-1-location": "",
            "findings-1-description": "",
            "findings-1-shop": shop.pk,  # a shop alone is still a blank row
        },
    )
    finding = shop.findings.get()
    data = _intake_data(
        grid,
        channel="patrol",
        requester_mode="anonymous",
        requester_name="",
        requester_phone="",
        category="门前三包",
        description=finding.description,
        origin_finding=str(finding.pk),
    )
    client.post(reverse("cases:new") + f"?finding={finding.pk}", data)
    case = Case.objects.get()
    assert case.origin_finding.shop == shop
    shop_page = client.get(reverse("shops:detail", args=[shop.pk])).content.decode()
    assert case.number in shop_page and case.get_status_display() in shop_page
    case_page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("shops:detail", args=[shop.pk]) in case_page
    patrol_page = client.get(reverse("visits:patrol_detail", args=[finding.patrol_id])).content.decode()
    assert reverse("shops:detail", args=[shop.pk]) in patrol_page


def test_a_finding_cannot_name_a_shop_of_another_grid(grid, other_grid, worker):
    elsewhere = ShopFactory(grid=other_grid)
    with pytest.raises(ValidationError) as caught:
        patrol_with(grid, worker, visit_services.Finding("门前", "占道", shop=elsewhere))
    assert "findings" in caught.value.message_dict


def test_patrol_form_refuses_a_shop_outside_the_patrollers_grids(client, grid, other_grid, worker):
    elsewhere = ShopFactory(grid=other_grid)
    client.force_login(worker)
    moment = timezone.localtime(timezone.now() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("visits:patrol_new"),
        {
            "grid": grid.pk,
            "started_at": moment,
            "route": "滨河路",
            "findings-TOTAL_FORMS": "1",
            "findings-INITIAL_FORMS": "0",
            "findings-MIN_NUM_FORMS": "0",
            "findings-MAX_NUM_FORMS": "30",
            "findings-0-location": "门前",
            "findings-0-description": "占道",
            "findings-0-shop": elsewhere.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["shop"]


# --- the district generator -----------------------------------------------------------------------------


def test_generate_district_puts_a_few_shops_at_each_building_with_pledges():
    from io import StringIO

    from django.core.management import call_command
    from stdnum.cn import uscc

    from common.phones import normalize_phone
    from grids.models import Building
    from grids.permissions import roles_over_grid

    call_command("generate_district", households=600, seed=7, stdout=StringIO())
    shops = list(Shop.objects.select_related("building"))
    assert Building.objects.count() <= len(shops) <= 3 * Building.objects.count()
    for shop in shops:
        assert shop.building.grid_id == shop.grid_id
        assert shop.licence_number == "" or uscc.is_valid(shop.licence_number)
        assert normalize_phone(shop.contact_phone) == shop.contact_phone
    pledges = ShopPledge.objects.select_related("shop__grid", "recorded_by")
    assert pledges.exists()
    for pledge in pledges:
        assert pledge.shop.closed_on is None and pledge.signed_on <= timezone.localdate()
        assert Role.GRID_WORKER in roles_over_grid(pledge.recorded_by, pledge.shop.grid)


def test_edit_form_masks_the_phone_for_a_keeper_who_may_not_reveal_and_keeps_it(client, grid):
    part_timer = UserFactory(username="pt")
    assign(part_timer, Role.PART_TIME_GRID_WORKER, grid)
    shop = ShopFactory(grid=grid, contact_phone="13912345678")
    client.force_login(part_timer)
    url = reverse("shops:edit", args=[shop.pk])
    html = client.get(url).content.decode()
    assert ("139****5678" in html, "13912345678" in html) == (True, False)
    data = {"name": "改名", "kind": shop.kind, "building": shop.building_id, "contact_phone": "139****5678"}
    assert client.post(url, data).status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.contact_phone) == ("改名", "13912345678")
