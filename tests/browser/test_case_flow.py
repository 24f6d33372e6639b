"""赵女士's request from the desk to the archive, in the browser: intake, 接单, two consultation rounds,
the resolution, a satisfied follow-up call, closed. Screenshots at each step.

赵女士 (赵丽萍) lives in 草场街社区 as the seed article tells, so its desk (`ccj_staff`, 蒋敏) registers the
request and the grid worker of her grid CCJ-02 (`gw6`, 冯佳欣) takes it.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from cases import services
from cases.models import Case
from grids.models import Grid
from tests.factories import register_case
from tooling.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="菜单")).to_be_visible()


def act(page, label: str, note: str = "") -> None:
    """Open an action's form on the case page, write the note, confirm."""
    page.locator("details > summary", has_text=label).click()
    form = page.locator("details[open] form")
    if note:
        form.locator("textarea").fill(note)
    form.get_by_role("button", name=f"确认{label}").click()


def record_round(page, *, held_at, outcome: str, minutes: str, terms=()) -> None:
    page.get_by_role("link", name="记录协商会议").click()
    expect(page.get_by_role("heading", name="轮协商")).to_be_visible()
    page.get_by_label("会议时间").fill(held_at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("地点").fill("草场街社区议事厅")
    page.get_by_label("主持人").fill("人民调解员 王海")
    page.get_by_label("议题", exact=True).fill("楼顶保温施工碰倒太阳能热水器，如何赔偿")
    names = page.locator("input[name^='participants-'][name$='-name']")
    wanted = [
        ("requester", "赵丽萍", ""),
        ("other_party", "刘工", "保温施工队"),
        ("volunteer_lawyer", "陈律师", "法援帮帮团"),
        ("mediator", "王海", ""),
    ]
    filled = {names.nth(i).input_value() for i in range(names.count())}
    free = [i for i in range(names.count()) if not names.nth(i).input_value()]
    for role, name, organisation in [w for w in wanted if w[1] not in filled][: len(free)]:
        index = free.pop(0)
        page.locator(f"select[name='participants-{index}-role']").select_option(role)
        page.locator(f"input[name='participants-{index}-name']").fill(name)
        page.locator(f"input[name='participants-{index}-organisation']").fill(organisation)
    page.get_by_label("会议记录").fill(minutes)
    page.locator("label[for][class*='btn']", has_text=outcome).click()
    for index, (party, action, due) in enumerate(terms):
        page.locator(f"input[name='terms-{index}-party']").fill(party)
        page.locator(f"input[name='terms-{index}-action']").fill(action)
        page.locator(f"input[name='terms-{index}-due']").fill(due.isoformat())
    page.get_by_role("button", name="保存协商记录").click()


def test_zhao_request_from_intake_to_archive(live_server, page, shot, chinese_font):
    call_command("load_demo", verbosity=0)
    base = live_server.url
    before = set(Case.objects.values_list("pk", flat=True))

    # 1. The desk registers 赵女士's request: find her in the registry, pick the category, accept.
    log_in(page, base, "ccj_staff")
    page.goto(f"{base}/cases/new/")
    expect(page.get_by_role("heading", name="登记诉求")).to_be_visible()
    page.get_by_label("来源渠道").select_option("walk_in")
    page.get_by_label("查找居民（姓名、地址或手机尾号）").fill("赵丽萍")
    page.locator("[data-pick-resident]", has_text="赵丽萍").first.click()
    expect(page.locator("#requester-chosen")).to_contain_text("赵丽萍")
    expect(page.locator("select[name=grid]")).not_to_have_value("")
    page.get_by_label("事项类别").fill("邻里纠纷")
    page.get_by_label("诉求内容").fill(
        "自家楼顶的太阳能热水器被人掀翻，怀疑是保温层施工所致，希望社区协商处理。"
    )
    shot(page, "20-case-intake-phone")
    page.get_by_role("button", name="登记", exact=True).click()
    duplicate = page.get_by_role("button", name="不是同一件事，仍作为新诉求登记")
    if duplicate.is_visible():
        duplicate.click()
    expect(page.locator(".alert-success")).to_contain_text("待接单")
    case = Case.objects.exclude(pk__in=before).get()
    assert (case.requester.name, case.status, case.grid.code) == ("赵丽萍", "dispatched", "CCJ-02")
    shot(page, "21-case-registered-phone")

    # 2. The grid worker finds it in 我的工单 and takes it.
    log_in(page, base, "gw6")
    page.goto(f"{base}/cases/queue/")
    page.get_by_role("link", name=case.number).click()
    page.get_by_role("button", name="接单").click()
    expect(page.locator(".alert-success")).to_contain_text("接单")
    shot(page, "22-case-taken-phone")

    # 3. The parties disagree: open a consultation, two rounds, the second reaches an agreement.
    page.get_by_role("button", name="发起协商").click()
    now = timezone.localtime()
    record_round(
        page,
        held_at=now - datetime.timedelta(days=2),
        outcome="未达成",
        minutes="施工方认为热水器原本老化；律师解释施工方的注意义务，双方同意再议。",
    )
    expect(page.locator(".alert-success")).to_be_visible()
    record_round(
        page,
        held_at=now - datetime.timedelta(hours=3),
        outcome="达成协议",
        minutes="经调解员劝解，双方同意：赵女士提供另一台旧太阳能，施工方负责维修并安装。",
        terms=[
            ("赵丽萍", "提供另一台旧太阳能热水器", now.date() + datetime.timedelta(days=3)),
            ("保温施工队", "维修并在楼顶安装热水器", now.date() + datetime.timedelta(days=7)),
        ],
    )
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_role("link", name="协议书")).to_be_visible()
    shot(page, "23-case-consultation-phone")

    # 4. The agreement carried out: the worker records the resolution.
    act(page, "办结", "施工方已维修并安装热水器，赵女士试用正常。")
    expect(page.locator(".alert-success")).to_contain_text("办结")
    shot(page, "24-case-resolved-phone")

    # 5. The desk calls 赵女士 back: resolved and satisfied; the case is archived.
    log_in(page, base, "ccj_staff")
    page.goto(f"{base}/cases/{case.pk}/")
    page.locator("details > summary", has_text="回访").click()
    form = page.locator("details[open] form")
    form.get_by_label("已解决").check()
    form.get_by_label("满意", exact=True).check()
    form.locator("textarea").fill("赵女士对处理结果表示满意。")
    form.get_by_role("button", name="确认回访").click()
    expect(page.locator(".alert-success")).to_contain_text("回访")
    page.locator("details > summary", has_text="归档").click()
    page.locator("details[open] form").get_by_role("button", name="确认归档").click()
    expect(page.locator(".alert-success")).to_contain_text("归档")
    shot(page, "25-case-closed-phone")

    case.refresh_from_db()
    assert (case.status, case.outcome, case.satisfaction) == ("closed", "resolved", "satisfied")
    assert [m.outcome for m in case.meetings.order_by("round")] == ["none", "agreement"]
    assert case.meetings.get(round=2).terms.count() == 2
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [
        "register",
        "accept",
        "take",
        "open_consultation",
        "record_meeting",
        "record_meeting",
        "resolve",
        "follow_up",
        "close",
    ]


def test_worker_registers_a_request_with_an_open_duplicate_and_is_not_stuck(
    live_server, page, shot, chinese_font
):
    """A grid worker meets an open duplicate at intake: they may look at it or register anew, never merge
    (the desk's move), and the form is never left holding a refused choice."""
    call_command("load_demo", verbosity=0)
    base = live_server.url
    grid = Grid.objects.get(code="CCJ-02")
    desk = get_user_model().objects.get(username="ccj_staff")
    first = register_case(
        grid,
        desk,
        category="环境卫生",
        description="单元门口垃圾堆积，无人清运。",
        requester=services.Requester(name="邻居"),
    )
    before = set(Case.objects.values_list("pk", flat=True))

    log_in(page, base, "gw6")
    page.goto(f"{base}/cases/new/")
    page.get_by_label("其他人员").check()
    page.get_by_label("姓名", exact=True).fill("孙先生")
    page.locator("select[name=grid]").select_option(str(grid.pk))
    page.get_by_label("事项类别").fill("环境卫生")
    page.get_by_label("诉求内容").fill("单元门口的垃圾又堆起来了。")
    page.get_by_role("button", name="登记", exact=True).click()

    box = page.locator("#duplicates")
    expect(box).to_contain_text(first.number)
    expect(box.get_by_role("button", name="合并到此工单")).to_have_count(0)
    expect(box.get_by_role("link", name="查看该工单").first).to_be_visible()
    shot(page, "26-case-intake-duplicate-worker-phone")
    box.get_by_role("button", name="仍作为新诉求登记").click()

    expect(page.locator(".alert-success")).to_contain_text("已登记工单")
    case = Case.objects.exclude(pk__in=before).get()
    assert (case.status, case.created_by.username, case.merged_into) == ("submitted", "gw6", None)
