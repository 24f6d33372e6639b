"""The roles of DOMAIN.md and every set of them the portal checks: one module, so a rule names its set here.

A role is held at one level (Assignment's check constraint: grid roles on a grid, and so on). A role held
on a community or a street serves every grid below it: see `grids.models.AssignmentQuerySet.serving`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_LEADER = "grid_leader", _("网格长")
    GRID_WORKER = "grid_worker", _("专职网格员")
    PART_TIME_GRID_WORKER = "part_time_grid_worker", _("兼职网格员")
    GRID_INSTRUCTOR = "grid_instructor", _("网格指导员")
    BUILDING_HEAD = "building_head", _("楼栋长")
    COMMUNITY_STAFF = "community_staff", _("社区工作人员")
    COMMUNITY_LEADER = "community_leader", _("社区党委书记")
    STREET_LEADER = "street_leader", _("街道领导")


# --- the level each role is held at -------------------------------------------------------------------
GRID_ROLES = frozenset(
    {
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.PART_TIME_GRID_WORKER,
        Role.GRID_INSTRUCTOR,
        Role.BUILDING_HEAD,
    }
)
COMMUNITY_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER})
STREET_ROLES = frozenset({Role.STREET_LEADER})

# --- what each role may do over the grids it serves ---------------------------------------------------

# Full ID numbers and phones: roles whose work needs them (calling, certifying, casework).
REVEAL_ROLES = frozenset({Role.GRID_LEADER, Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER})
# Care details (disability type and grade, illness, allowance amount and certificate, an enrolment's note):
# the roles that serve the household in person or at the desk. Building heads, grid instructors and street
# leaders see that a household is cared for, and counts, never the details (PIPL: only what the task needs).
CARE_DETAIL_ROLES = frozenset(
    {
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.PART_TIME_GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.COMMUNITY_LEADER,
    }
)
# Keeping the registry (households, residents, enrolments, visit plans) up to date.
REGISTRY_EDIT_ROLES = frozenset(
    {
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.PART_TIME_GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.COMMUNITY_LEADER,
    }
)
# Registering a grid's buildings (the registry's households then live in them).
BUILDING_EDIT_ROLES = frozenset({Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER})
# Importing ledgers for a whole community.
LEDGER_IMPORT_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER})
# Walking a grid on patrol (巡查).
PATROL_ROLES = frozenset(
    {Role.GRID_LEADER, Role.GRID_WORKER, Role.PART_TIME_GRID_WORKER, Role.GRID_INSTRUCTOR}
)
# The community desk (受理台): accepting, dispatching, following up and archiving cases.
DESK_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER})
# Taking cases (接单) and handling them.
CASE_WORKER_ROLES = frozenset({Role.GRID_LEADER, Role.GRID_WORKER, Role.PART_TIME_GRID_WORKER})
# Leaders: they urge cases (督办) and land on the dashboard.
LEADER_ROLES = frozenset({Role.COMMUNITY_LEADER, Role.STREET_LEADER})
# Seeing each grid worker's workload: the worker's leaders (网格长 over the grid, the community's staff and
# leader, the street's leader).
WORKLOAD_ROLES = frozenset(
    {Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER, Role.STREET_LEADER}
)
