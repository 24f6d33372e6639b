"""A menu per role (issue 15, item 6): the items each role's work needs, in the order it uses them.

The menu only leads; each page still checks its own permission (tests/test_access_matrix.py): here every
item a role is shown must also open for it, and the pages it is not shown stay closed to it.
"""

import re

import pytest
from django.urls import reverse

from grids.models import Role
from tests.factories import UserFactory, assign

pytestmark = pytest.mark.django_db


def _labels(text: str) -> list[str]:
    return text.split()


WORKER = "我的工作台 我的工单 我的走访 巡查 居民查询 户籍台账 走访记录 居民议事 网格 实有单位"
MENUS = {
    Role.GRID_WORKER: _labels(WORKER),
    Role.PART_TIME_GRID_WORKER: _labels(WORKER),
    Role.GRID_LEADER: _labels(WORKER + " 网格员工作量"),
    Role.GRID_INSTRUCTOR: _labels("我的工作台 我的走访 居民查询 户籍台账 走访记录 网格 巡查"),
    Role.BUILDING_HEAD: _labels("我的工作台 我的走访 居民查询 户籍台账 走访记录 网格"),
    Role.COMMUNITY_STAFF: _labels(
        "受理台 诉求工单 居民议事 三项清单 居民查询 户籍台账 走访记录 逾期未访 网格 实有单位 志愿服务 志愿者"
        " 数据看板 网格员工作量"
    ),
    Role.COMMUNITY_LEADER: _labels(
        "数据看板 诉求工单 居民议事 三项清单 逾期未访 网格员工作量 走访记录 居民查询 户籍台账 网格 实有单位"
        " 志愿服务 审计日志 受理台 志愿者"
    ),
    Role.STREET_LEADER: _labels(
        "数据看板 街道待办 诉求工单 居民议事 三项清单 逾期未访 网格员工作量 走访记录 居民查询 户籍台账 网格"
        " 实有单位 志愿服务 审计日志"
    ),
}

# A page left out of a role's menu that the role may not open at all still refuses it: the menu only leads.
NOT_FOR = {
    Role.BUILDING_HEAD: ["audit:list", "admin:index"],
    Role.GRID_WORKER: ["audit:list", "admin:index"],
    Role.COMMUNITY_STAFF: ["audit:list", "admin:index"],
}


def _menu(response) -> list[tuple[str, str]]:
    nav = re.search(r'<ul class="navbar-nav me-auto">(.*?)</ul>', response.content.decode(), re.S).group(1)
    return re.findall(r'<a class="nav-link[^"]*"(?: aria-current="page")? href="([^"]+)">([^<]+)</a>', nav)


LEVEL = {Role.COMMUNITY_STAFF: "community", Role.COMMUNITY_LEADER: "community", Role.STREET_LEADER: "street"}


def _user_with(role, grid):
    user = UserFactory(username=f"u-{role}")
    places = {"community": grid.community, "street": grid.community.street}
    assign(user, role, places.get(LEVEL.get(role, "grid"), grid))
    return user


@pytest.mark.parametrize("role", list(MENUS))
def test_each_role_sees_its_menu_in_its_order_and_every_item_opens(client, grid, role):
    client.force_login(_user_with(role, grid))
    menu = _menu(client.get(reverse("grids:list")))
    assert [label for _href, label in menu] == MENUS[role]
    for href, label in menu:
        assert client.get(href).status_code in (200, 302), label


@pytest.mark.parametrize("role", list(NOT_FOR))
def test_pages_left_out_of_a_menu_stay_closed(client, grid, role):
    client.force_login(_user_with(role, grid))
    for name in NOT_FOR[role]:
        assert client.get(reverse(name)).status_code in (302, 403), name


def test_the_current_page_is_marked(client, worker):
    client.force_login(worker)
    response = client.get(reverse("visits:due"))
    assert f'<a class="nav-link active" aria-current="page" href="{reverse("visits:due")}">' in (
        response.content.decode()
    )


def test_a_superuser_sees_every_page_and_the_admin(client, db):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    labels = [label for _href, label in _menu(client.get(reverse("grids:list")))]
    assert labels[0] == "数据看板" and labels[-2:] == ["审计日志", "系统管理"]


def test_a_user_without_a_role_sees_the_grid_list_only(client, db):
    client.force_login(UserFactory(username="nobody"))
    assert [label for _href, label in _menu(client.get(reverse("grids:list")))] == ["网格"]
