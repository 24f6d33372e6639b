"""The top menu: each role sees the items its work needs, in the order it uses them.

A menu is a convenience, not a guard: every page checks its own permission whatever the menu shows. A
user holding several roles gets the menu of their widest role (the one home sends them to: leader, desk,
grid worker, other grid roles), followed by what their other roles add, each item once.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grids.permissions import user_roles
from grids.roles import (
    CASE_WORKER_ROLES,
    DESK_ROLES,
    GRID_ROLES,
    LEADER_ROLES,
    PATROL_ROLES,
    WORKLOAD_ROLES,
    Role,
)


@dataclass(frozen=True)
class Item:
    url_name: str
    label: str | Promise


HOME = Item("home", _("我的工作台"))
QUEUE = Item("cases:queue", _("我的工单"))
DUE = Item("visits:due", _("我的走访"))
PATROLS = Item("visits:patrols", _("巡查"))
SEARCH = Item("residents:search", _("居民查询"))
HOUSEHOLDS = Item("residents:household_list", _("户籍台账"))
VISITS = Item("visits:list", _("走访记录"))
OVERDUE = Item("visits:overdue", _("逾期未访"))
GRIDS = Item("grids:list", pgettext_lazy("navigation", "网格"))
SHOPS = Item("shops:list", _("实有单位"))
DESK = Item("cases:desk", _("受理台"))
CASES = Item("cases:list", _("诉求工单"))
DELIBERATIONS = Item("cases:deliberation_list", _("居民议事"))
LISTS = Item("projects:need_list", _("三项清单"))
DASHBOARD = Item("dashboard:index", _("数据看板"))
AUDIT = Item("audit:list", _("审计日志"))
STREET_INBOX = Item("cases:street_inbox", _("街道待办"))
WORKLOAD = Item("dashboard:workload", _("网格员工作量"))
ADMIN = Item("admin:index", _("系统管理"))
ACTIVITIES = Item("volunteers:activities", _("志愿服务"))
VOLUNTEERS = Item("volunteers:volunteers", _("志愿者"))

# Each kind of work's menu, in the order the work uses it.
LEADER_MENU = (
    DASHBOARD, CASES, DELIBERATIONS, LISTS, OVERDUE, WORKLOAD, VISITS, SEARCH, HOUSEHOLDS, GRIDS, SHOPS,
    ACTIVITIES, AUDIT,
)  # fmt: skip
STREET_MENU = (
    DASHBOARD, STREET_INBOX, CASES, DELIBERATIONS, LISTS, OVERDUE, WORKLOAD, VISITS, SEARCH, HOUSEHOLDS,
    GRIDS, SHOPS, ACTIVITIES, AUDIT,
)  # fmt: skip
DESK_MENU = (
    DESK, CASES, DELIBERATIONS, LISTS, SEARCH, HOUSEHOLDS, VISITS, OVERDUE, GRIDS, SHOPS, ACTIVITIES,
    VOLUNTEERS, DASHBOARD,
)  # fmt: skip
# Grid workers bring residents' topics to the community's deliberations (征集议题).
CASE_WORKER_MENU = (HOME, QUEUE, DUE, PATROLS, SEARCH, HOUSEHOLDS, VISITS, DELIBERATIONS, GRIDS, SHOPS)
# Grid instructors and building heads knock on doors and read their grid; they take no cases.
VISITOR_MENU = (HOME, DUE, SEARCH, HOUSEHOLDS, VISITS, GRIDS)
PATROL_ITEMS = (PATROLS,)
WORKLOAD_ITEMS = (WORKLOAD,)
SUPERUSER_MENU = (
    DASHBOARD, STREET_INBOX, DESK, CASES, DELIBERATIONS, LISTS, OVERDUE, WORKLOAD, VISITS, SEARCH,
    HOUSEHOLDS, GRIDS, SHOPS, ACTIVITIES, VOLUNTEERS, AUDIT, ADMIN,
)  # fmt: skip


def menu_for(user) -> list[Item]:
    """The menu items of the user's roles, widest role first, each item once."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(SUPERUSER_MENU)
    roles = user_roles(user)
    parts: list[tuple[Item, ...]] = []
    if Role.STREET_LEADER in roles:
        parts.append(STREET_MENU)
    if roles & LEADER_ROLES:
        parts.append(LEADER_MENU)
    if roles & DESK_ROLES:
        parts.append(DESK_MENU)
    if roles & CASE_WORKER_ROLES:
        parts.append(CASE_WORKER_MENU)
    if roles & GRID_ROLES:
        parts.append(VISITOR_MENU)
    if roles & PATROL_ROLES:
        parts.append(PATROL_ITEMS)
    if roles & WORKLOAD_ROLES:
        parts.append(WORKLOAD_ITEMS)
    items: list[Item] = []
    for part in parts:
        items.extend(item for item in part if item not in items)
    return items or [GRIDS]
