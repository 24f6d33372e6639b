"""Co-governance at scale (共建共治): each community's partner units, reporting Party members, volunteers
and teams, a year of activities with sign-ups, attendance and hours, and the three lists (needs, resources,
projects), written in bulk after every other table, so the earlier tables' streams stay as they were.

Projects walk projects.workflow.WORKFLOW as far as their drawn state (a move the table does not allow, or
one the community's desk may not make, stops the run), applying each move's step to an unsaved Project as
the transition service does; a need follows its project as the steps say (matched, closed when confirmed,
open again when cancelled), and a need without a project stays open or is closed with a reason.
"""

import datetime
import json
from decimal import Decimal

from django.db import connection

from common.synthetic import make_name
from projects.models import (
    Need,
    NeedClosure,
    NeedKind,
    NeedOrigin,
    NeedStatus,
    Project,
    ProjectAction,
    ProjectEvent,
    ProjectStatus,
    Resource,
    ResourceKind,
)
from projects.workflow import WORKFLOW, Hat
from volunteers.models import (
    Activity,
    ActivitySignUp,
    PartnerUnit,
    ReportingMember,
    Skill,
    Volunteer,
    VolunteerTeam,
)

from .district import District

UNITS = (
    "市水务局",
    "区人民医院",
    "区税务局",
    "国网供电公司",
    "市第二中学",
    "区司法局",
    "中国银行支行",
    "区图书馆",
)
OFFERS = ("场地", "资金", "法律咨询", "维修", "陪诊", "义诊", "图书")
TEAMS = ("邻里互助队", "女职工志愿服务队", "法援帮帮团", "银发先锋队", "青年突击队")
PARTNER_UNITS_PER_COMMUNITY = 5
TEAMS_PER_COMMUNITY = 3
REPORTING_MEMBERS_PER_GRID = 2
# Volunteers per community: residents, reporting members (each a volunteer too, most of them) and outsiders.
RESIDENT_VOLUNTEERS = 40
OUTSIDER_VOLUNTEERS = 10
ACTIVITIES_PER_COMMUNITY = 24  # about two a month over the last year
ACTIVITY_TITLES = (
    ("学雷锋环境清洁", Activity.Kind.VOLUNTEER_SERVICE, "黄河沿岸"),
    ("陪诊暖心服务", Activity.Kind.VOLUNTEER_SERVICE, "社区卫生服务站"),
    ("义务理发", Activity.Kind.VOLUNTEER_SERVICE, "社区活动室"),
    ("法律咨询进社区", Activity.Kind.VOLUNTEER_SERVICE, "社区议事厅"),
    ("邻里百家宴", Activity.Kind.NEIGHBOURHOOD, "小区广场"),
    ("重阳敬老联欢", Activity.Kind.NEIGHBOURHOOD, "社区活动室"),
)
NEEDS_PER_COMMUNITY = 15
RESOURCES_PER_COMMUNITY = 6
NEED_TITLES = (
    ("独居老人助餐", NeedKind.ELDERLY_CARE),
    ("无障碍坡道", NeedKind.DISABILITY),
    ("背街小巷保洁", NeedKind.ENVIRONMENT),
    ("楼道灯维修", NeedKind.FACILITIES),
    ("邻里纠纷法律咨询", NeedKind.LEGAL),
    ("老年合唱队排练场地", NeedKind.CULTURE),
    ("四点半课堂", NeedKind.CHILDREN),
)
RESOURCE_KINDS = (
    (ResourceKind.VENUE, "活动场地"),
    (ResourceKind.FUNDS, "共建资金"),
    (ResourceKind.LEGAL, "律师坐班"),
    (ResourceKind.REPAIR, "水电维修"),
    (ResourceKind.ESCORT, "陪诊陪护"),
)
# Where a need stands today, by weight: most matched with a project in some state, some still open, a few
# closed without a match (with the reason).
P = ProjectStatus
NEED_FATES = {
    "open": 20,
    "unmatched": 8,
    P.PROPOSED: 10,
    P.CLAIMED: 10,
    P.IN_PROGRESS: 15,
    P.AWAITING_CONFIRMATION: 7,
    P.CONFIRMED: 25,
    P.CANCELLED: 5,
}
A = ProjectAction
PATHS = {
    P.PROPOSED: [],
    P.CLAIMED: [A.CLAIM],
    P.IN_PROGRESS: [A.CLAIM, A.START, A.PROGRESS],
    P.AWAITING_CONFIRMATION: [A.CLAIM, A.START, A.PROGRESS, A.SUBMIT],
    P.CONFIRMED: [A.CLAIM, A.START, A.PROGRESS, A.SUBMIT, A.CONFIRM],
    P.CANCELLED: [A.CLAIM, A.CANCEL],
}
NOTES = {
    A.CLAIM: "电话认领。",
    A.START: "",
    A.PROGRESS: "已完成一半。",
    A.SUBMIT: "已按约定完成，居民认可。",
    A.CONFIRM: "",
    A.CANCEL: "认领单位无法按期落实，撤销后重新匹配。",
}
UNMATCHED_REASON = "经核实已由物业解决，无需匹配资源。"


def _grids_of(district: District) -> dict[int, list[int]]:
    by_community: dict[int, list[int]] = {}
    for grid_id, (_code, community_id) in district.grid_place.items():
        by_community.setdefault(community_id, []).append(grid_id)
    return by_community


def cogovernance(
    district: District,
    homes: list[tuple[int, int]],
    members: list[list[tuple[int, int, bool]]],
    desk: tuple[dict, dict],
) -> int:
    """Every community's units, members, volunteers, teams, activities and lists; returns activities."""
    staff_of, _street_leaders = desk
    grids_of = _grids_of(district)
    # Adult residents of each community, from which its resident volunteers are drawn.
    adults: dict[int, list[int]] = {}
    for (_household, grid_id), people in zip(homes, members, strict=True):
        community_id = district.grid_place[grid_id][1]
        adults.setdefault(community_id, []).extend(pk for pk, age, _party in people if 18 <= age <= 75)
    units, teams = _units_and_teams(district, grids_of)
    volunteers = _volunteers(district, grids_of, adults, units, teams)
    activities = _activities(district, grids_of, units, teams, volunteers, staff_of)
    _lists(district, grids_of, units, teams, staff_of)
    return activities


def _units_and_teams(district: District, grids_of: dict[int, list[int]]) -> tuple[dict, dict]:
    """Partner units and (leaderless until the volunteers exist) teams of each community."""
    rng, loader = district.rng, district.loader
    unit_rows, team_rows = [], []
    next_unit, next_team = loader.next_id(PartnerUnit), loader.next_id(VolunteerTeam)
    units: dict[int, list[int]] = {}
    teams: dict[int, list[int]] = {}
    for community_id in grids_of:
        for name in rng.sample(UNITS, PARTNER_UNITS_PER_COMMUNITY):
            unit_id = next_unit + len(unit_rows)
            units.setdefault(community_id, []).append(unit_id)
            offers = "、".join(rng.sample(OFFERS, 2))
            unit_rows.append(
                (unit_id, community_id, name, make_name(rng.random() < 0.5, rng), "", offers, True)
            )
        for name in rng.sample(TEAMS, TEAMS_PER_COMMUNITY):
            team_id = next_team + len(team_rows)
            teams.setdefault(community_id, []).append(team_id)
            team_rows.append((team_id, community_id, name, None, "社区志愿服务队。"))
    loader.insert(
        PartnerUnit,
        ("id", "community_id", "name", "contact_person", "contact_phone", "offers", "active"),
        unit_rows,
    )
    loader.insert(VolunteerTeam, ("id", "community_id", "name", "leader_id", "description"), team_rows)
    return units, teams


def _volunteers(
    district: District,
    grids_of: dict[int, list[int]],
    adults: dict[int, list[int]],
    units: dict[int, list[int]],
    teams: dict[int, list[int]],
) -> dict[int, list[int]]:
    """Reporting members of each grid, and each community's volunteers (residents, members, outsiders) in
    its teams; a team's first member leads it. Returns the volunteer ids of each community."""
    rng, loader, today = district.rng, district.loader, district.today
    member_rows, volunteer_rows, team_links = [], [], []
    next_member, next_volunteer = loader.next_id(ReportingMember), loader.next_id(Volunteer)
    volunteers: dict[int, list[int]] = {}
    leaders: dict[int, int] = {}
    skills = list(Skill.values)

    def volunteer(community_id, resident_id, member_id, name, joined) -> None:
        volunteer_id = next_volunteer + len(volunteer_rows)
        volunteers.setdefault(community_id, []).append(volunteer_id)
        chosen = json.dumps(rng.sample(skills, rng.randint(0, 2)), ensure_ascii=False)
        volunteer_rows.append(
            (volunteer_id, community_id, resident_id, member_id, name, "", chosen, True, joined)
        )
        for team_id in rng.sample(teams[community_id], rng.randint(0, 2)):
            team_links.append((volunteer_id, team_id))
            leaders.setdefault(team_id, volunteer_id)

    for community_id, grid_ids in grids_of.items():
        for grid_id in grid_ids:
            for _ in range(REPORTING_MEMBERS_PER_GRID):
                member_id = next_member + len(member_rows)
                name = make_name(rng.random() < 0.5, rng)
                reported = today - datetime.timedelta(days=rng.randint(30, 1000))
                unit_id = rng.choice(units[community_id]) if rng.random() < 0.7 else None
                unit_name = "" if unit_id else "区直机关"
                member_rows.append((member_id, name, "", unit_id, unit_name, grid_id, reported, None))
                if rng.random() < 0.6:  # most of them serve as volunteers too
                    volunteer(community_id, None, member_id, name, reported)
        pool = adults.get(community_id, [])
        for resident_id in rng.sample(pool, min(RESIDENT_VOLUNTEERS, len(pool))):
            # The name is copied from the resident below, in one statement.
            volunteer(
                community_id, resident_id, None, "", today - datetime.timedelta(days=rng.randint(1, 700))
            )
        for _ in range(OUTSIDER_VOLUNTEERS):
            name = make_name(rng.random() < 0.5, rng)
            volunteer(community_id, None, None, name, today - datetime.timedelta(days=rng.randint(1, 700)))
    loader.insert(
        ReportingMember,
        ("id", "name", "phone", "unit_id", "unit_name", "grid_id", "reported_on", "resident_id"),
        member_rows,
    )
    loader.insert(
        Volunteer,
        (
            "id",
            "community_id",
            "resident_id",
            "reporting_member_id",
            "name",
            "phone",
            "skills",
            "active",
            "joined_on",
        ),
        volunteer_rows,
    )
    loader.insert(Volunteer.teams.through, ("volunteer_id", "volunteerteam_id"), team_links)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Volunteer._meta.db_table} SET name = r.name FROM residents_resident r "
            f"WHERE {Volunteer._meta.db_table}.resident_id = r.id AND {Volunteer._meta.db_table}.id >= %s",
            [next_volunteer],
        )
        for team_id, leader_id in leaders.items():
            cursor.execute(
                f"UPDATE {VolunteerTeam._meta.db_table} SET leader_id = %s WHERE id = %s",
                [leader_id, team_id],
            )
    return volunteers


def _activities(
    district: District,
    grids_of: dict[int, list[int]],
    units: dict[int, list[int]],
    teams: dict[int, list[int]],
    volunteers: dict[int, list[int]],
    staff_of: dict[int, int],
) -> int:
    """A year of each community's activities: sign-ups up to the capacity, and for those already held the
    attendance (most came) with hours no longer than the activity."""
    rng, loader = district.rng, district.loader
    now = loader.clock_now
    activity_rows, sign_up_rows, unit_links = [], [], []
    next_activity, next_sign_up = loader.next_id(Activity), loader.next_id(ActivitySignUp)
    for community_id, grid_ids in grids_of.items():
        pool = volunteers.get(community_id, [])
        for _ in range(ACTIVITIES_PER_COMMUNITY):
            activity_id = next_activity + len(activity_rows)
            title, kind, place = rng.choice(ACTIVITY_TITLES)
            # Mostly past ones, a few coming up.
            day = now - datetime.timedelta(days=rng.uniform(-20, 365))
            starts = day.replace(hour=rng.choice((9, 14, 15)), minute=0, second=0, microsecond=0)
            length = rng.choice((2, 2, 3, 4))
            ends = starts + datetime.timedelta(hours=length)
            capacity = rng.choice((None, 10, 15, 20, 30))
            held = ends < now
            grid_id = rng.choice(grid_ids) if rng.random() < 0.4 else None
            activity_rows.append(
                (
                    activity_id,
                    community_id,
                    grid_id,
                    title,
                    kind,
                    starts,
                    ends,
                    place,
                    rng.choice(teams[community_id]),
                    capacity,
                    "组织志愿者开展服务。",
                    "活动顺利完成。" if held else "",
                    ends if held else None,
                    staff_of[community_id],
                    starts - datetime.timedelta(days=7),
                )
            )
            for unit_id in rng.sample(units[community_id], rng.randint(0, 2)):
                unit_links.append((activity_id, unit_id))
            wanted = rng.randint(3, capacity or 25)
            for volunteer_id in rng.sample(pool, min(wanted, len(pool))):
                attended = (rng.random() < 0.85) if held else None
                hours = Decimal(rng.choice((length, length, length - 1))) if attended else Decimal(0)
                signed = starts - datetime.timedelta(days=rng.uniform(1, 6))
                sign_up_rows.append(
                    (next_sign_up + len(sign_up_rows), activity_id, volunteer_id, signed, attended, hours)
                )
    loader.insert(
        Activity,
        (
            "id", "community_id", "grid_id", "title", "kind", "starts_at", "ends_at", "place", "team_id",
            "capacity", "description", "report", "attendance_taken_at", "created_by_id", "created_at",
        ),
        activity_rows,
    )  # fmt: skip
    loader.insert(Activity.partner_units.through, ("activity_id", "partnerunit_id"), unit_links)
    loader.insert(
        ActivitySignUp,
        ("id", "activity_id", "volunteer_id", "signed_up_at", "attended", "hours"),
        sign_up_rows,
    )
    return len(activity_rows)


def _lists(
    district: District,
    grids_of: dict[int, list[int]],
    units: dict[int, list[int]],
    teams: dict[int, list[int]],
    staff_of: dict[int, int],
) -> None:
    """Each community's resources, needs and projects, every need in one of NEED_FATES."""
    rng, loader = district.rng, district.loader
    now = loader.clock_now
    ids = {model: loader.next_id(model) for model in (Resource, Need, Project, ProjectEvent)}
    rows: dict = {model: [] for model in ids}
    fates, weights = list(NEED_FATES), list(NEED_FATES.values())

    def next_id(model) -> int:
        return ids[model] + len(rows[model])

    for community_id, grid_ids in grids_of.items():
        actor_id = staff_of[community_id]
        resources = []
        for _ in range(RESOURCES_PER_COMMUNITY):
            resource_id = next_id(Resource)
            by_unit = rng.random() < 0.6
            provider = rng.choice(units[community_id] if by_unit else teams[community_id])
            kind, title = rng.choice(RESOURCE_KINDS)
            resources.append((resource_id, by_unit, provider))
            rows[Resource].append(
                (
                    resource_id,
                    community_id,
                    provider if by_unit else None,
                    None if by_unit else provider,
                    kind,
                    title,
                    "",
                    True,
                    actor_id,
                    now - datetime.timedelta(days=rng.uniform(200, 400)),
                )
            )
        for fate in rng.choices(fates, weights, k=NEEDS_PER_COMMUNITY):
            need_id = next_id(Need)
            title, kind = rng.choice(NEED_TITLES)
            found = now - datetime.timedelta(days=rng.uniform(5, 300))
            need = {
                "status": NeedStatus.OPEN,
                "closure": "",
                "reason": "",
                "closed_at": None,
                "closed_by": None,
            }
            if fate == "unmatched":
                closed = found + (now - found) * rng.uniform(0.2, 0.9)
                need |= {
                    "status": NeedStatus.CLOSED,
                    "closure": NeedClosure.UNMATCHED,
                    "reason": UNMATCHED_REASON,
                    "closed_at": closed,
                    "closed_by": actor_id,
                }
            elif fate != "open":
                need |= _project(
                    rows, next_id, rng, now, fate, need_id, community_id, title, found, resources, actor_id
                )
            rows[Need].append(
                (
                    need_id,
                    community_id,
                    rng.choice(grid_ids) if rng.random() < 0.7 else None,
                    title,
                    "居民反映的需求。",
                    kind,
                    NeedOrigin.DIRECT,
                    need["status"],
                    need["closure"],
                    need["reason"],
                    need["closed_at"],
                    need["closed_by"],
                    actor_id,
                    found,
                )
            )
    loader.insert(
        Resource,
        (
            "id", "community_id", "partner_unit_id", "team_id", "kind", "title", "description", "available",
            "created_by_id", "created_at",
        ),
        rows[Resource],
    )  # fmt: skip
    loader.insert(
        Need,
        (
            "id", "community_id", "grid_id", "title", "description", "kind", "origin", "status", "closure",
            "close_reason", "closed_at", "closed_by_id", "created_by_id", "created_at",
        ),
        rows[Need],
    )  # fmt: skip
    loader.insert(
        Project,
        (
            "id", "community_id", "need_id", "resource_id", "title", "status", "claimant_unit_id",
            "claimant_team_id", "owner_id", "owner_name", "deadline", "result", "confirmed_at",
            "cancel_reason", "created_by_id", "created_at", "updated_at",
        ),
        rows[Project],
    )  # fmt: skip
    loader.insert(
        ProjectEvent,
        ("id", "project_id", "action", "from_status", "to_status", "actor_id", "at", "note"),
        rows[ProjectEvent],
    )


def _project(rows, next_id, rng, now, fate, need_id, community_id, title, found, resources, actor_id) -> dict:
    """A project for the need walked along the table to `fate`; returns what the need becomes."""
    project_id = next_id(Project)
    resource_id, by_unit, provider = rng.choice(resources)
    project = Project(pk=project_id, status=P.PROPOSED)
    matched = found + datetime.timedelta(days=rng.uniform(1, 5))
    events = [(A.MATCH, "", P.PROPOSED, matched, "")]
    at, span = matched, (now - matched) / (len(PATHS[fate]) + 1)
    need = {"status": NeedStatus.MATCHED, "closure": "", "reason": "", "closed_at": None, "closed_by": None}
    for action in PATHS[fate]:
        move = WORKFLOW[(project.status, action)]
        if Hat.STAFF not in move.who:  # pragma: no cover (the desk makes every move here)
            raise RuntimeError(f"the desk may not {action}")
        at = at + span * rng.uniform(0.3, 1.0)
        note = NOTES[action]
        params = {}
        if action == A.CLAIM:
            claimant = PartnerUnit(pk=provider) if by_unit else VolunteerTeam(pk=provider)
            deadline = (at + datetime.timedelta(days=60)).date()
            params = {"claimant": claimant, "owner": None, "owner_name": "项目负责人", "deadline": deadline}
        move.step.apply(project, note=note, now=at, **params)
        from_status = project.status
        if move.to is not None:
            project.status = move.to
        events.append((action, from_status, project.status, at, note))
        becomes = move.step.need_becomes
        if becomes == NeedStatus.CLOSED:
            need |= {"status": becomes, "closure": NeedClosure.DONE, "closed_at": at, "closed_by": actor_id}
        elif becomes is not None:
            need |= {"status": becomes}
    rows[Project].append(
        (
            project_id,
            community_id,
            need_id,
            resource_id,
            title,
            project.status,
            project.claimant_unit_id,
            project.claimant_team_id,
            None,
            project.owner_name,
            project.deadline,
            project.result,
            project.confirmed_at,
            project.cancel_reason,
            actor_id,
            matched,
            at,
        )
    )
    for action, from_status, to_status, when, note in events:
        rows[ProjectEvent].append(
            (next_id(ProjectEvent), project_id, action, from_status, to_status, actor_id, when, note)
        )
    return need
