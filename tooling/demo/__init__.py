"""The demo community the portal opens with: 金城关社区 and 草场街社区 of 兰州市城关区.

The residents the local press wrote about (苏奶奶, 朱先生, 赵女士, 杜先生) live here among a few hundred
synthetic residents with valid ID numbers and phones. `load()` is what `manage.py load_demo`
runs on every `make demo`: it writes everything in one transaction, or nothing when the demo is already
there, so whatever users have added or changed since survives.

Everything is drawn from a fixed seed and counted from a fixed reference date, not from today, so every
machine loads the same rows. Visits, patrols and cases alone are counted back from the moment the demo is
loaded, so that the due and overdue lists look like a working week and the cases' clocks stand where the
story wants them (临期, 超期) whenever it is loaded; which household is overdue is still drawn from the seed.
Cases go through cases.services like every case the portal records, so their timelines are real.

The package is split by table and by story; what the demo holds (places, accounts, the reports' people,
the texts of visits, patrols and cases) is in the data files under data/, which the modules read:

- places.py (data/places.toml): streets, communities, grids, buildings and dwellings;
- planner.py and households.py (data/households.toml): households, residents, care enrolments, liaisons;
- accounts.py (data/accounts.toml): the accounts, their assignments and the "一亲三心" work team;
- shops.py (data/shops.toml): the shops around 黄河食渡 and their 门前三包 pledges;
- visits.py (data/visits.toml) and patrols.py (data/patrols.toml), whose findings name the shops;
- cases.py (data/cases/): 赵女士's dispute, 朱先生's assistance, the 黄河食渡 clean-up, the service orders;
- volunteers.py (data/volunteers.toml): 草场街社区's partner units, reporting members, teams and activities;
- deliberations.py (data/deliberations.toml): a year of 居民议事 in 草场街社区 (the 特色小巷, the 小区花园);
- projects.py (data/projects.toml): the 三项清单, needs, resources and projects in every state;
- resident_requests.py (data/resident_requests.toml): requests residents raised by scanning a poster, one in
  each state, with their published tracking links (printed by load_demo);
- hotline.py (data/hotline.toml): the demo 12345 platform's API key (printed) and the work orders it sent.
"""

from collections import Counter

from django.db import transaction

from .accounts import DEMO_PASSWORD
from .accounts import load_accounts as _load_accounts
from .cases import load_cases as _load_cases
from .deliberations import load_deliberations as _load_deliberations
from .hotline import demo_key as _hotline_key
from .hotline import load_hotline as _load_hotline
from .households import load_households as _load_households
from .patrols import load_patrols as _load_patrols
from .places import already_loaded
from .places import load_places as _load_places
from .projects import load_projects as _load_projects
from .resident_requests import load_resident_requests as _load_resident_requests
from .resident_requests import tracking_links
from .shops import load_shops as _load_shops
from .visits import CONDOLENCE_CATEGORIES
from .visits import load_visits as _load_visits
from .volunteers import load_volunteers as _load_volunteers

__all__ = ["CONDOLENCE_CATEGORIES", "DEMO_PASSWORD", "already_loaded", "load", "summary", "tracking_links"]


@transaction.atomic
def load() -> Counter | None:
    """Load the demo community; return what was created, or None when it was already loaded."""
    if already_loaded():
        return None
    # Each step is looked up here when it runs, so a test can make one fail half-way.
    counts = Counter()
    grids, communities, streets, dwellings = _load_places(counts)
    story_people = _load_households(dwellings, counts)
    users, team = _load_accounts(grids, communities, streets, counts)
    _load_visits(grids, users, team, story_people, counts)
    shops = _load_shops(grids, users, counts)
    findings = _load_patrols(grids, users, counts, shops)
    _load_cases(grids, users, story_people, findings, counts)
    _load_hotline(users, counts)
    _load_volunteers(grids, communities, users, counts)
    _load_deliberations(grids, communities, users, counts)
    _load_projects(counts)  # it looks up the partner units and teams by name
    _load_resident_requests(grids, users, counts)
    return counts


def summary(counts: Counter) -> str:
    return (
        "Demo community loaded: {streets} streets, {communities} communities, {grids} grids, "
        "{buildings} buildings, {dwellings} dwellings, {households} households "
        "({moved_out_households} moved out), {residents} residents, {enrolments} care enrolments, "
        "{liaison_links} liaison links, {users} users, {assignments} assignments, "
        "{work_team_members} work-team members, {visits} visits, {patrols} patrols, {cases} cases "
        "({meetings} consultation meetings), {deliberations} deliberations "
        "({deliberation_meetings} meetings), {resident_requests} requests residents raised themselves. "
        "Password for every account: {password}\n"
        "The demo 12345 platform's API key (made-up, published in tooling/demo/data/hotline.toml): {key}"
    ).format(password=DEMO_PASSWORD, key=_hotline_key(), **counts)
