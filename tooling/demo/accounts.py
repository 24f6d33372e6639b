"""The demo's accounts, their assignments and the "一亲三心" work team (data/accounts.toml)."""

from collections import Counter

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from grids.models import COMMUNITY_ROLES, GRID_ROLES, Assignment, Role, WorkTeam, WorkTeamMember

from .common import data

DEMO_PASSWORD = "demo12345"
ADMIN = tuple(data("accounts")["admin"])
# (username, first name, role, place): the place is a grid code, a community or a street name.
ACCOUNTS = tuple(
    (username, name, Role(role), place) for username, name, role, place in data("accounts")["accounts"]
)
WORK_TEAM = data("accounts")["work_team"]


def load_accounts(
    grids: dict, communities: dict, streets: dict, counts: Counter
) -> tuple[dict, dict[str, list[WorkTeamMember]]]:
    """Demo accounts, all with DEMO_PASSWORD; an account that already exists is left as it is.

    Returns the accounts by username and the work-team members by the grid code they serve.
    """
    user_model = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once: the hasher is slow on purpose
    users = {}

    def account(username: str, first_name: str, **flags):
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "password": password, **flags}
        )
        counts["users"] += created
        users[username] = user
        return user

    account(ADMIN[0], ADMIN[1], is_staff=True, is_superuser=True)
    for username, first_name, role, place in ACCOUNTS:
        user = account(username, first_name)
        if role in GRID_ROLES:
            level = {"grid": grids[place]}
        elif role in COMMUNITY_ROLES:
            level = {"community": communities[place]}
        else:
            level = {"street": streets[place]}
        Assignment.objects.get_or_create(user=user, role=role, **level)
        counts["assignments"] += 1

    team = WorkTeam.objects.create(street=streets[WORK_TEAM["street"]], name=WORK_TEAM["name"])
    members: dict[str, list[WorkTeamMember]] = {}
    for name, kind, username, code in WORK_TEAM["members"]:
        member = WorkTeamMember.objects.create(
            team=team, name=name, kind=kind, user=users.get(username), grid=grids[code]
        )
        members.setdefault(code, []).append(member)
        counts["work_team_members"] += 1
    return users, members
