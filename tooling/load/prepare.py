"""Who the simulated users are: accounts of the generated district, their places, and the pages' paths.

The generator makes one 专职网格员 per grid (gw_<grid id>), one 社区工作人员 per community (cs_<community
id>) and one 街道领导 per street (sl_<street id>), all without a usable password (tooling.generator.places).
For the communities the load uses, this gives those accounts the bench's password (BENCH_PASSWORD: a
throwaway database) and adds a 兼职网格员 to each grid used (lw_<grid id>), so two people may press 接单 on
the same case as in a real grid; and raises a resident's request per grid through the residents' own
service, whose tracking page the simulated residents read. Everything here may run again on a reused
database: what exists is kept.
"""

import re
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import command_context, history_off
from cases import services as case_services
from cases.models import Category
from dashboard.selectors import last_month
from grids.models import Assignment, Grid, Role
from public import services as public_services
from tooling.generator.places import BENCH_PASSWORD

COMMUNITIES = 40  # communities whose desk and grids the load uses (fewer if the district has fewer)
GRIDS_PER_COMMUNITY = 4
TRACKED_REQUESTS = 40


def _generated(role: str, prefix: str, level: str) -> dict[int, str]:
    """Username by place id of the generator's accounts holding `role`."""
    rows = Assignment.objects.filter(role=role, user__username__startswith=prefix).order_by(f"{level}_id")
    return dict(rows.values_list(f"{level}_id", "user__username"))


def pool() -> dict:
    """The accounts the simulated users sign in with, the places they act in, and the pages' paths."""
    desks = _generated(Role.COMMUNITY_STAFF, "cs_", "community")
    workers = _generated(Role.GRID_WORKER, "gw_", "grid")
    leaders = _generated(Role.STREET_LEADER, "sl_", "street")
    grids_by_community: dict[int, list[int]] = defaultdict(list)
    for grid_id, community_id in (
        Grid.objects.filter(pk__in=list(workers)).order_by("id").values_list("id", "community")
    ):
        if len(grids_by_community[community_id]) < GRIDS_PER_COMMUNITY:
            grids_by_community[community_id].append(grid_id)
    communities = [c for c in desks if c in grids_by_community][:COMMUNITIES]
    if not communities:
        raise SystemExit("The database has no generated district (run the generator first).")
    street_of = dict(
        Grid.objects.filter(community__in=communities).values_list("community", "community__street")
    )

    # Workers in pairs of one grid, the grids taken a community at a time, so that however many users
    # there are, the pairs spread over the communities whose desks feed them.
    grids = [
        grids_by_community[c][k]
        for k in range(GRIDS_PER_COMMUNITY)
        for c in communities
        if k < len(grids_by_community[c])
    ]
    part_timers = _part_time_workers(grids)
    streets = list(dict.fromkeys(street_of[c] for c in communities))
    accounts = {
        "workers": [
            {"username": username, "grid": grid}
            for grid in grids
            for username in (workers[grid], part_timers[grid])
        ],
        "desk": [{"username": desks[c], "community": c, "grids": grids_by_community[c]} for c in communities],
        "leaders": [{"username": leaders[s], "street": s} for s in streets if s in leaders],
    }
    _set_password([a["username"] for role in accounts.values() for a in role])
    tokens = _tracked_requests(
        grids[:TRACKED_REQUESTS], desks, dict(Grid.objects.values_list("id", "community"))
    )
    return {
        **accounts,
        "password": BENCH_PASSWORD,
        "tracking": [reverse("public:track", args=[token]) for token in tokens],
        "paths": _paths(),
    }


@transaction.atomic
def _part_time_workers(grids: list[int]) -> dict[int, str]:
    """A 兼职网格员 for each grid (lw_<grid id>), made once."""
    users = get_user_model().objects
    names = {}
    with command_context("load"), history_off():
        for grid_id in grids:
            user, created = users.get_or_create(
                username=f"lw_{grid_id}", defaults={"first_name": "兼职网格员"}
            )
            if created:
                Assignment.objects.create(user=user, role=Role.PART_TIME_GRID_WORKER, grid_id=grid_id)
            names[grid_id] = user.username
    return names


@transaction.atomic
def _set_password(usernames: list[str]) -> None:
    # One hash for all: made-up accounts on a throwaway database, and hashing each would take a minute.
    with command_context("load"), history_off():
        get_user_model().objects.filter(username__in=usernames).update(password=make_password(BENCH_PASSWORD))


def _tracked_requests(grids: list[int], desks: dict[int, str], community_of: dict[int, int]) -> list[str]:
    """A resident's request in each grid, raised through its poster and accepted by the desk; tokens."""
    tokens = []
    users = get_user_model().objects
    for k, grid_id in enumerate(grids):
        token = f"load-tracking-token-not-secret-{grid_id:08d}"
        if public_services.case_for_token(token) is None:
            case = public_services.request_raise(
                place=public_services.place_link_for(grid=Grid.objects.get(pk=grid_id)),
                intake=public_services.ResidentIntake(
                    category=Category.objects.get(name="房屋设施"),
                    description="楼道声控灯坏了。",
                    name="王女士",
                    phone=f"139{grid_id % 10**8:08d}",
                ),
                remote_address=f"198.18.{k // 250}.{k % 250 + 1}",  # the throttle counts by address
                token=token,
            ).case
            desk = users.get(username=desks[community_of[grid_id]])
            case_services.case_transition(case=case, action="accept", actor=desk)
        tokens.append(token)
    return tokens


def _paths() -> dict[str, str]:
    """The pages' paths (reversed here, so the locustfile holds no URL), `{...}` filled there."""
    month = last_month(timezone.localdate())
    period = f"period=custom&date_from={month.first.isoformat()}&date_to={month.last.isoformat()}"
    case = reverse("cases:detail", args=[0])
    return {
        "login": reverse("login"),
        "home": reverse("home"),
        "bell": reverse("notifications:bell"),
        "notifications": reverse("notifications:list"),
        "due": reverse("visits:due"),
        "visit_new": reverse("visits:new") + "?household={household}",
        "visit_new_link": re.escape(reverse("visits:new")) + r"\?household=(\d+)",
        "queue": reverse("cases:queue"),
        "desk": reverse("cases:desk"),
        "desk_resolved": reverse("cases:desk") + "?state=resolved",
        "case_new": reverse("cases:new"),
        "case_list": reverse("cases:list"),
        "case": case.replace("0", "{id}"),
        "case_act": reverse("cases:act", args=[0, "take"]).replace("0", "{id}").replace("take", "{action}"),
        "case_link": 'href="' + re.escape(case).replace("0", r"(\d+)") + '"',
        "case_location": re.escape(case).replace("0", r"\d+"),
        "dashboard": reverse("dashboard:index"),
        "dashboard_month": reverse("dashboard:index") + "?scope=street:{street}&" + period,
        "workload_month": reverse("dashboard:workload") + "?scope=street:{street}&" + period,
        "street_inbox": reverse("cases:street_inbox"),
        "overdue": reverse("visits:overdue"),
    }
