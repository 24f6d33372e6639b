"""Generate a synthetic district (streets down to residents) for benchmarks, at realistic proportions.

About 250 households per grid, 5 buildings per grid, 50 grids per community and 10 communities per
street; one household per dwelling, one to four residents per household, care enrolments for about 8%
of households and Party-member links for a few; one generated 专职网格员 per grid, one 社区工作人员 per
community and one 街道领导 per street; about two door-knock visits per household over the last half year,
most of them to the households in care, at their visit interval; and about one request (case) per
household over the last two years, each with its timeline, as far through the workflow as its age allows.
Every run adds new streets, so running it again grows the district. The big tables are loaded with
PostgreSQL COPY, their foreign keys checked once at the end (loader.py); SQLite gets plain INSERTs (slow,
but enough for a small demo).

Each table has its own function, in a module by subject, and `DistrictGenerator.run` calls them in
dependency order, so more kinds of rows can be added one function at a time:

- places.py: streets, communities, grids, buildings, dwellings, and the accounts serving them;
- households.py: households and residents;
- enrolments.py: care enrolments and liaison links;
- visits.py: visits, their visitors, residents met and gifts, and visit plans;
- cases.py: cases and their timelines;
- shops.py: a few shops and units at each building, most with a 门前三包 pledge.
- deliberations.py: community deliberations (居民议事), their meetings, terms and timelines;
- cogovernance.py: partner units, reporting Party members, volunteers and teams, a year of activities with
  sign-ups and hours, and the three lists (needs, resources, projects).
"""

import contextlib
import math
import random
import time

from django.db import connection, models
from django.utils import timezone

from cases.models import Case, CaseEvent
from grids.models import Dwelling, Street
from residents.models import CareEnrolment, Household, LiaisonLink, Resident
from shops.models import Shop, ShopPledge
from visits.models import Visit, VisitGift, VisitPlan

from . import cases, cogovernance, deliberations, enrolments, households, places, shops, visits
from .district import District
from .loader import Loader, foreign_keys_dropped

# The tables written row by row in bulk; their foreign keys are checked once at the end of a run.
BULK_TABLES = (
    Dwelling._meta.db_table,
    Household._meta.db_table,
    Resident._meta.db_table,
    CareEnrolment._meta.db_table,
    LiaisonLink._meta.db_table,
    Visit._meta.db_table,
    Visit.visitors.through._meta.db_table,
    Visit.residents_met.through._meta.db_table,
    VisitGift._meta.db_table,
    VisitPlan._meta.db_table,
    Case._meta.db_table,
    CaseEvent._meta.db_table,
    Shop._meta.db_table,
    ShopPledge._meta.db_table,
)


class DistrictGenerator:
    """Adds one synthetic district's rows to the database, table by table."""

    def __init__(self, *, households: int, seed: int, street_name: str | None, out):
        self.households_wanted = households
        self.street_name = street_name
        self.out = out
        loader = Loader()
        first_street_id = loader.next_id(Street)
        # A new seed per run, so a second run does not repeat the first run's people.
        self.district = District(
            loader=loader, rng=random.Random(f"{seed}-{first_street_id}"), today=timezone.localdate()
        )

    @property
    def added(self) -> dict[type[models.Model], int]:
        """How many rows of each model this run added."""
        return self.district.loader.added

    def run(self) -> None:
        """Every table in dependency order, at the proportions in places.py."""
        d = self.district
        n_grids = math.ceil(self.households_wanted / places.HOUSEHOLDS_PER_GRID)
        n_communities = math.ceil(n_grids / places.GRIDS_PER_COMMUNITY)
        n_streets = math.ceil(n_communities / places.COMMUNITIES_PER_STREET)
        per_grid = places.split_evenly(self.households_wanted, n_grids)
        if d.loader.postgres:
            # Check each COPY's foreign keys when it ends rather than at commit: a bad row fails here
            # (also inside a test's transaction), and the index rebuild finds no checks pending.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        street_ids = places.streets(d, n_streets, self.street_name)
        community_ids = places.communities(d, street_ids, n_communities)
        grid_ids = places.grids(d, community_ids, n_grids)
        buildings = places.buildings(d, grid_ids, per_grid)
        keys = foreign_keys_dropped(*BULK_TABLES) if d.loader.postgres else contextlib.nullcontext()
        with keys:
            dwellings = self.step("dwellings", places.dwellings, buildings)
            homes = self.step("households", households.households, dwellings)
            members = self.step("residents", households.residents, homes)
            enrolled = self.step("care enrolments", enrolments.care_enrolments, homes, members)
            self.step("liaison links", enrolments.liaison_links, homes, members)
            workers = self.step("grid workers", places.grid_workers, grid_ids)
            desk = places.desk_accounts(d, community_ids, street_ids)
            met, residents, overrides = self.step("visits", visits.visits, homes, members, enrolled, workers)
            self.step("visit visitors", visits.visit_visitors)
            self.step("residents met", visits.visit_residents_met, met, residents)
            self.step("visit gifts", visits.visit_gifts)
            self.step("visit plans", visits.visit_plans, overrides)
            self.step("cases", cases.cases, homes, members, buildings, workers, desk)
            self.step("shops", shops.shops, buildings, workers)
            self.step("deliberations", deliberations.deliberations, community_ids, desk)
            self.step("co-governance", cogovernance.cogovernance, homes, members, desk)
            del members
            started = time.perf_counter()
        self.out.write(f"  {'foreign keys':<18} {time.perf_counter() - started:7.1f} s")
        places.bench_users()

    def step(self, label: str, function, *args):
        """Run one table's function on this run's district, and say how long it took."""
        started = time.perf_counter()
        result = function(self.district, *args)
        self.out.write(f"  {label:<18} {time.perf_counter() - started:7.1f} s")
        return result
