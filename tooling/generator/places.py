"""Streets, communities, grids, buildings and dwellings, and the accounts that serve them."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from common.synthetic import make_name
from grids.models import Assignment, Building, Community, Dwelling, Grid, Role, Street

from .district import District

HOUSEHOLDS_PER_GRID = 250
BUILDINGS_PER_GRID = 5
GRIDS_PER_COMMUNITY = 50
COMMUNITIES_PER_STREET = 10
BENCH_PASSWORD = "bench-pass"  # synthetic accounts on a throwaway benchmark database
UNUSABLE_PASSWORD = "!"  # the generated grid workers cannot sign in


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Names from 兰州市城关区, so pages look like the real thing.
STREET_NAMES = _words(
    "酒泉路街道 张掖路街道 雁南街道 临夏路街道 雁北街道 五泉街道 白银路街道 皋兰路街道 广武门街道 "
    "伏龙坪街道 靖远路街道 草场街街道 火车站街道 拱星墩街道 东岗街道 团结新村街道 东岗西路街道 "
    "铁路东村街道 铁路西村街道 渭源路街道 盐场路街道 嘉峪关路街道 焦家湾街道 青白石街道"
)
COMMUNITY_NAMES = _words(
    "雁园 雁滩 南河 安定门 平凉路 秦安路 金昌路 静宁路 民勤街 天水路 南昌路 定西路 中山林 八一 "
    "五泉山 皋兰山 东方红 庆阳路 永昌路 武都路 邓家花园 曹家巷 宏建 宁卧庄 东湖 大砂坪 甘南路 "
    "畅家巷 双城门 柏道路 七里河 东郊 火车站 鱼池子 拱星墩 段家滩 东部市场 红星巷 农民巷 兰园"
)
ROADS = _words(
    "靖远路 雁滩路 东岗西路 南昌路 天水南路 庆阳路 张掖路 酒泉路 皋兰路 白银路 平凉路 民主东路 "
    "静宁路 火车站东路 五泉南路 嘉峪关西路 焦家湾路 盐场路 九州大道 北滨河东路 南滨河东路 雁西路 "
    "团结路 甘南路 武都路 西津东路 定西路 金昌南路 秦安路 东方红广场"
)


def split_evenly(total: int, parts: int) -> list[int]:
    """`total` in `parts` near-equal whole shares, the larger ones first."""
    share, extra = divmod(total, parts)
    return [share + (i < extra) for i in range(parts)]


# -- places --------------------------------------------------------------------------------------


def streets(district: District, count: int, street_name: str | None) -> list[int]:
    taken = set(Street.objects.values_list("name", flat=True))
    if street_name:
        wanted = [street_name] + [f"{street_name}{k}" for k in range(2, count + 1)]
        if clash := taken.intersection(wanted):
            raise CommandError(f"Street {sorted(clash)[0]!r} already exists; choose another --street-name.")
    else:
        pool = [name for name in STREET_NAMES if name not in taken]
        pool += [f"第{k}街道" for k in range(1, len(taken) + count + 1) if f"第{k}街道" not in taken]
        wanted = pool[:count]
    first = district.loader.next_id(Street)
    ids = list(range(first, first + count))
    district.loader.insert(Street, ("id", "name"), zip(ids, wanted, strict=True))
    return ids


def communities(district: District, street_ids: list[int], count: int) -> list[int]:
    rows = []
    next_id = district.loader.next_id(Community)
    for street_id, n in zip(street_ids, split_evenly(count, len(street_ids)), strict=True):
        for k in range(n):
            name = COMMUNITY_NAMES[k % len(COMMUNITY_NAMES)] + "社区"
            if k >= len(COMMUNITY_NAMES):
                name += str(k // len(COMMUNITY_NAMES) + 1)
            rows.append((next_id + len(rows), street_id, name))
    district.loader.insert(Community, ("id", "street_id", "name"), rows)
    district.street_of.update((community_id, street_id) for community_id, street_id, _name in rows)
    return [row[0] for row in rows]


def grids(district: District, community_ids: list[int], count: int) -> list[int]:
    rows = []
    next_id = district.loader.next_id(Grid)
    for community_id, n in zip(community_ids, split_evenly(count, len(community_ids)), strict=True):
        for k in range(n):
            grid_id = next_id + len(rows)
            # The id makes the code unique across runs; the name is what the grid is called locally.
            rows.append((grid_id, community_id, f"BG{grid_id:06d}", f"第{k + 1}网格"))
    district.loader.insert(Grid, ("id", "community_id", "code", "name"), rows)
    district.grid_place.update((grid_id, (code, community_id)) for grid_id, community_id, code, _name in rows)
    return [row[0] for row in rows]


def buildings(district: District, grid_ids: list[int], households: list[int]) -> list[tuple[int, int, int]]:
    """Buildings of each grid; returns (building id, grid id, number of dwellings) per building."""
    rows, plan = [], []
    next_id = district.loader.next_id(Building)
    for grid_id, grid_households in zip(grid_ids, households, strict=True):
        road = district.rng.choice(ROADS)
        first_number = district.rng.randrange(1, 200, 2)
        for k, dwellings in enumerate(split_evenly(grid_households, BUILDINGS_PER_GRID)):
            if dwellings:
                building_id = next_id + len(rows)
                rows.append((building_id, grid_id, f"{road}{first_number + 2 * k}号"))
                plan.append((building_id, grid_id, dwellings))
                district.address_of[building_id] = rows[-1][2]
    district.loader.insert(Building, ("id", "grid_id", "address"), rows)
    return plan


def dwellings(district: District, buildings: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Flats numbered by entrance, floor and door (1单元 302室); returns (dwelling id, grid id)."""
    plan = []
    next_id = district.loader.next_id(Dwelling)

    def rows():
        for building_id, grid_id, count in buildings:
            for i in range(count):
                unit, floor, door = i // 18 + 1, i % 18 // 2 + 1, i % 2 + 1
                dwelling_id = next_id + len(plan)
                plan.append((dwelling_id, grid_id))
                yield (dwelling_id, building_id, str(unit), f"{floor}{door:02d}")

    district.loader.insert(Dwelling, ("id", "building_id", "unit", "room"), rows())
    return plan


# -- users ---------------------------------------------------------------------------------------


def grid_workers(district: District, grid_ids: list[int]) -> dict[int, int]:
    """One 专职网格员 per grid (gw_<grid id>, no usable password); returns user id by grid id."""
    return accounts(district, "gw_", Role.GRID_WORKER, "grid_id", grid_ids)


def desk_accounts(district: District, community_ids: list[int], street_ids: list[int]) -> tuple[dict, dict]:
    """Who accepts and follows up cases: one 社区工作人员 per community (cs_<community id>), and one
    街道领导 per street (sl_<street id>) who takes escalated cases and urges late ones."""
    staff = accounts(district, "cs_", Role.COMMUNITY_STAFF, "community_id", community_ids)
    leaders = accounts(district, "sl_", Role.STREET_LEADER, "street_id", street_ids)
    return staff, leaders


def accounts(district: District, prefix: str, role: str, level: str, place_ids: list[int]) -> dict[int, int]:
    """A user without a usable password holding `role` at each place; returns user id by place id."""
    loader, rng = district.loader, district.rng
    user_model = get_user_model()
    taken = set(user_model.objects.filter(username__startswith=prefix).values_list("username", flat=True))
    first = loader.next_id(user_model)
    users, rows = {}, []
    for place_id in place_ids:
        username = f"{prefix}{place_id}"
        while username in taken:
            username += "_"
        user_id = first + len(rows)
        users[place_id] = user_id
        district.username_of[user_id] = username
        name = make_name(rng.random() < 0.4, rng)
        rows.append((user_id, UNUSABLE_PASSWORD, False, username, name, "", "", False, True, loader.now))
    columns = (
        "id",
        "password",
        "is_superuser",
        "username",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_active",
        "date_joined",
    )
    loader.insert(user_model, columns, rows)
    first = loader.next_id(Assignment)
    levels = ("grid_id", "community_id", "street_id")
    loader.insert(
        Assignment,
        ("id", "user_id", "role", *levels),
        (
            (
                first + i,
                users[place_id],
                role,
                *(place_id if column == level else None for column in levels),
            )
            for i, place_id in enumerate(place_ids)
        ),
    )
    return users


def bench_users() -> None:
    """bench_worker and bench_staff in the first street; bench_street leads every street.

    bench_street's scope grows with each run, so its name search covers the whole district.
    """
    street = Street.objects.order_by("id").first()
    community = Community.objects.filter(street=street).order_by("id").first()
    grid = Grid.objects.filter(community=community).order_by("id").first()
    places = [
        ("bench_worker", Role.GRID_WORKER, {"grid": grid}),
        ("bench_staff", Role.COMMUNITY_STAFF, {"community": community}),
    ] + [("bench_street", Role.STREET_LEADER, {"street": s}) for s in Street.objects.order_by("id")]
    for username, role, place in places:
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(BENCH_PASSWORD)
            user.save(update_fields=["password"])
        if role != Role.STREET_LEADER and Assignment.objects.filter(user=user, role=role).exists():
            continue
        Assignment.objects.get_or_create(user=user, role=role, **place)
