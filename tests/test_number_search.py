"""Searching by a full ID number or phone is a reveal-level action (issue 14, findings 3 and 10).

Only roles that may reveal search by a full number, at most FULL_NUMBER_SEARCHES_PER_HOUR times an hour,
and each search is recorded; others search by the last four digits. A full number never travels in a URL:
the search form posts, and the page it leads to names the search by a token.
"""

import datetime
import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from grids.models import Role
from residents import services
from residents.models import ExportRecord, RevealRecord
from residents.selectors import ResidentFilters
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, assign
from tests.test_ledger import export_rows

pytestmark = pytest.mark.django_db

NUMBER, PHONE = "620102194403051243", "13893215678"
SEARCH = reverse("residents:search")


@pytest.fixture
def resident(grid):
    return ResidentFactory(
        household=HouseholdFactory(dwelling__building__grid=grid),
        name="苏秀兰",
        id_number=NUMBER,
        birth_date=datetime.date(1944, 3, 5),
        sex="female",
        phone=PHONE,
    )


@pytest.fixture
def building_head(grid):
    user = UserFactory(username="bh")
    assign(user, Role.BUILDING_HEAD, grid)
    return user


def search(client, q: str, **filters):
    """Submit the search form as the browser does (POST), then follow it to its page."""
    return client.post(SEARCH, {"q": q, **filters}, follow=True)


def found(response) -> list[str]:
    return [r.name for r in response.context["page"].object_list]


def searches_of(user) -> list[tuple]:
    return list(
        RevealRecord.objects.filter(user=user, reason=RevealRecord.SEARCH)
        .order_by("at", "id")
        .values_list("field", "resident__name")
    )


# --- finding 3: who may search by a full number, how often, and the record ------------------------------


@pytest.mark.parametrize("q", [NUMBER, PHONE, "138 9321 5678", "0931-8123456"])
def test_a_role_that_may_not_reveal_cannot_confirm_a_full_number(client, building_head, resident, q):
    client.force_login(building_head)
    response = search(client, q)
    assert found(response) == []
    assert "只能按号码后四位查询" in response.content.decode()
    assert not RevealRecord.objects.exists()


def test_a_role_that_may_not_reveal_still_searches_by_the_last_four_digits(client, building_head, resident):
    client.force_login(building_head)
    assert found(search(client, "1243")) == ["苏秀兰"]
    assert found(search(client, "5678")) == ["苏秀兰"]


@pytest.mark.parametrize(
    ("q", "field"), [(NUMBER, "id_number"), (PHONE, "phone"), ("138-9321-5678", "phone")]
)
def test_a_reveal_role_finds_a_full_number_and_the_search_is_recorded(client, worker, resident, q, field):
    client.force_login(worker)
    response = search(client, q)
    assert found(response) == ["苏秀兰"]
    assert searches_of(worker) == [(field, "苏秀兰")]
    record = RevealRecord.objects.get()
    assert record.at >= timezone.now() - datetime.timedelta(minutes=1)


def test_a_search_that_finds_nobody_is_recorded_too(client, worker, resident):
    client.force_login(worker)
    assert found(search(client, "13893210000")) == []
    assert searches_of(worker) == [("phone", None)]


def test_a_full_number_is_found_only_in_the_grids_where_the_user_may_reveal(client, resident, grid):
    # A grid worker of another grid of the same community, and a building head of this one.
    sibling = HouseholdFactory(dwelling__building__grid__community=grid.community).grid
    user = UserFactory(username="mixed")
    assign(user, Role.GRID_WORKER, sibling)
    assign(user, Role.BUILDING_HEAD, grid)
    client.force_login(user)
    assert found(search(client, "1243")) == ["苏秀兰"]
    assert found(search(client, NUMBER)) == []


def test_ten_thousand_guesses_are_stopped_by_the_throttle(client, worker, resident):
    """The attack of finding 3: the masked phone 138****5678 walked through its 10,000 middle digits."""
    client.force_login(worker)
    limit = services.FULL_NUMBER_SEARCHES_PER_HOUR
    guesses = (f"138{middle:04d}5678" for middle in range(10_000))
    answers = [search(client, guess) for guess, _ in zip(guesses, range(limit + 5), strict=False)]

    assert all(found(a) == [] for a in answers)  # 0000..0034: none is 9321
    refused = [a for a in answers if "最多按完整号码查询" in a.content.decode()]
    assert len(refused) == 5 and answers[limit - 1] not in refused
    assert len(searches_of(worker)) == limit
    # The right guess, now, is refused as well: the throttle holds whatever the number.
    assert found(search(client, PHONE)) == []
    # An hour later (the records are what is counted) the user may search again.
    RevealRecord.objects.update(at=timezone.now() - datetime.timedelta(hours=1, minutes=1))
    assert found(search(client, PHONE)) == ["苏秀兰"]


def test_the_throttle_counts_searches_not_the_residents_they_found(worker, grid):
    for name in ("甲", "乙"):  # one phone shared by two members of a household
        ResidentFactory(household=HouseholdFactory(dwelling__building__grid=grid), name=name, phone=PHONE)
    for _ in range(services.FULL_NUMBER_SEARCHES_PER_HOUR):
        filters = services.full_number_search(user=worker, filters=ResidentFilters(q=PHONE))
        assert len(filters.number_ids or ()) == 2
    assert RevealRecord.objects.count() == 2 * services.FULL_NUMBER_SEARCHES_PER_HOUR
    with pytest.raises(services.NumberSearchRefused):
        services.full_number_search(user=worker, filters=ResidentFilters(q=PHONE))


def test_a_number_cut_short_gets_a_message_not_an_empty_list(client, worker, resident):
    client.force_login(worker)
    response = search(client, "1389321")
    assert found(response) == []
    assert "号码不完整" in response.content.decode()


def test_the_other_searches_through_the_service_are_the_search_page_s(worker, resident):
    # The due list's and the intake's searches go through the same selectors: an unresolved full number
    # finds nobody there.
    from residents.selectors import search_residents

    assert list(search_residents(worker, ResidentFilters(q=NUMBER))) == []


# --- finding 10: no full number in a URL, a log or an export record --------------------------------------


def test_the_full_number_search_leaves_no_number_in_any_url(client, worker, resident, caplog):
    client.force_login(worker)
    caplog.set_level(logging.DEBUG)
    response = client.post(SEARCH, {"q": PHONE})
    assert response.status_code == 302
    location = response["Location"]
    assert PHONE not in location and "n=" in location

    page = client.get(location)
    html = page.content.decode()
    assert found(page) == ["苏秀兰"]
    assert PHONE not in html  # the masked number only, in the note and in the row
    assert "138****5678" in html
    assert PHONE not in caplog.text


def test_the_token_page_pages_and_comes_back(client, worker, grid):
    for i in range(25):
        ResidentFactory(
            household=HouseholdFactory(dwelling__building__grid=grid), name=f"同号{i}", phone=PHONE
        )
    client.force_login(worker)
    location = client.post(SEARCH, {"q": PHONE})["Location"]

    first = client.get(location)
    second = client.get(location + "&page=2")
    assert len(found(first)) == 20 and len(found(second)) == 5
    assert "page=2" in first.content.decode() and PHONE not in first.content.decode()
    # Back on the first page (the back button): the same results, no new search recorded.
    assert found(client.get(location)) == found(first)
    assert len({record.at for record in RevealRecord.objects.all()}) == 1


def test_a_token_belongs_to_the_session_that_searched(client, worker, resident, grid):
    client.force_login(worker)
    location = client.post(SEARCH, {"q": PHONE})["Location"]
    other = UserFactory(username="w2")
    assign(other, Role.GRID_WORKER, grid)
    client.force_login(other)  # a new session
    assert found(client.get(location)) == []


def test_a_full_number_in_the_url_is_not_searched(client, worker, resident):
    client.force_login(worker)
    response = client.get(SEARCH, {"q": NUMBER})
    assert found(response) == []
    assert "完整号码不能通过网址查询" in response.content.decode()
    assert not RevealRecord.objects.exists()


def test_a_text_search_posts_and_lands_on_its_usual_get_page(client, worker, resident, grid):
    client.force_login(worker)
    response = client.post(SEARCH, {"q": "秀兰", "grid": grid.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(SEARCH + "?")
    assert found(client.get(response["Location"])) == ["苏秀兰"]


def test_the_export_of_a_full_number_search_uses_its_token_and_records_it_masked(client, worker, resident):
    client.force_login(worker)
    location = client.post(SEARCH, {"q": NUMBER})["Location"]
    page = client.get(location)
    export_link = reverse("residents:ledger_export") + "?" + page.context["export_query"]
    assert NUMBER not in export_link

    rows = export_rows(client.get(export_link))
    assert [r[5] for r in rows[1:]] == ["苏秀兰"]
    record = ExportRecord.objects.get()
    assert NUMBER not in str(record.filters)
    assert record.filters["number"] == "620102********1243"


def test_the_export_refuses_a_full_number_in_its_url_and_records_nothing(client, worker, resident):
    client.force_login(worker)
    response = client.get(reverse("residents:ledger_export"), {"q": NUMBER})
    assert response.status_code == 302 and NUMBER not in response["Location"]
    assert not ExportRecord.objects.exists()


def test_the_export_record_masks_a_number_in_its_filters():
    assert ResidentFilters(q=NUMBER).as_dict()["q"] == "620102********1243"
    assert ResidentFilters(q=PHONE).as_dict()["q"] == "138****5678"
    assert ResidentFilters(q="5678").as_dict()["q"] == "5678"


def test_the_requester_lookup_posts_and_is_a_reveal_level_search(client, worker, building_head, resident):
    url = reverse("cases:requester_search")
    client.force_login(building_head)
    assert client.get(url, {"q": "苏"}).status_code == 405
    refused = client.post(url, {"q": PHONE})
    assert "苏秀兰" not in refused.content.decode() and "只能按号码后四位查询" in refused.content.decode()
    assert "苏秀兰" in client.post(url, {"q": "5678"}).content.decode()

    client.force_login(worker)
    assert "苏秀兰" in client.post(url, {"q": PHONE}).content.decode()
    assert searches_of(worker) == [("phone", "苏秀兰")]


def test_the_due_list_search_refuses_a_full_number(client, worker, resident):
    client.force_login(worker)
    response = client.get(reverse("visits:due"), {"q": PHONE})
    assert response.context["found"] is None
    assert "完整号码请在“居民查询”中查找" in response.content.decode()
    assert not RevealRecord.objects.exists()
